"""GitBook (legacy 3.x) and HonKit: ``book.json`` (title, author, language,
description, ``root``, and ``structure`` renaming the readme and summary files)
and the summary (``SUMMARY.md`` by default): nested lists of links, ``##``
headings as parts. The readme (``README.md`` by default) is the book's
introduction; when the summary does not list it, it comes first as front matter.
Plugins are not run: each is reported."""

from __future__ import annotations

import json
import re
from pathlib import Path

from spindle.manuscript.sources.model import Imported, ImportError_, Node, PartNode
from spindle.manuscript.sources.summary import parse, to_nodes

_READ_BY_SPINDLE = {"include-codeblock"}  # plugins whose syntax spindle reads itself (manuscript/dialects.py)


class GitBook:
    name = "GitBook"

    def detect(self, source: Path) -> bool:
        if not source.is_dir():
            return False
        if (source / "book.json").is_file():
            return True
        return (source / "SUMMARY.md").is_file()

    def read(self, source: Path) -> Imported:
        config: dict = {}
        if (source / "book.json").is_file():
            try:
                config = json.loads((source / "book.json").read_text(encoding="utf-8-sig"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ImportError_(f"cannot read GitBook's configuration: {exc}", source / "book.json") from None
            if not isinstance(config, dict):
                raise ImportError_("expected a JSON object", source / "book.json")
        root = (source / str(config.get("root") or ".")).resolve()
        structure = config.get("structure") if isinstance(config.get("structure"), dict) else {}
        summary_path = root / str(structure.get("summary") or "SUMMARY.md")
        readme = root / str(structure.get("readme") or "README.md")
        if not summary_path.is_file():
            raise ImportError_(f"no summary file {summary_path.name} in {root}; GitBook needs one (book.json "
                               "'structure.summary' can rename it)", source)
        shown = str(summary_path)
        try:
            text = summary_path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ImportError_(f"cannot read: {exc}", summary_path) from None
        summary = parse(text, shown, strict=False)
        author = config.get("author")
        imported = Imported(
            dialect="GitBook/HonKit", root=source, title=str(config.get("title") or ""),
            authors=[str(a) for a in (author if isinstance(author, list) else [author]) if a and str(a).strip()],
            language=str(config.get("language") or ""), description=str(config.get("description") or ""),
            site_url=_site_url(config), site_folder=root,
        )
        seen: set[Path] = {summary_path.resolve()}
        for part, items in summary.groups:
            nodes = to_nodes(items, root, seen, imported, shown)
            if part:
                imported.chapters.append(PartNode(part, nodes))
            else:
                imported.chapters.extend(nodes)
        if readme.is_file() and readme.resolve() not in seen:
            imported.front.append(Node(readme.resolve(), "Introduction"))
        plugins = [p for p in config.get("plugins") or [] if isinstance(p, str) and not p.startswith("-")
                   and p.split("@")[0] not in _READ_BY_SPINDLE]
        if plugins:
            imported.unmapped.append(f"{source / 'book.json'}: plugins are not run: {', '.join(plugins)}")
        variables = config.get("variables") if isinstance(config.get("variables"), dict) else {}
        if variables:
            imported.notes.append(f"{source / 'book.json'}: {{{{ book.NAME }}}} replaced by the values of 'variables' "
                                  f"({', '.join(variables)}) in the copied chapters, as GitBook does when it renders")
            imported.transform = lambda text, path: _substitute(text, variables)
        return imported


_VARIABLE = re.compile(r"\{\{\s*book\.([A-Za-z0-9_]+)\s*\}\}")


def _substitute(text: str, variables: dict) -> str:
    return _VARIABLE.sub(lambda m: str(variables[m.group(1)]) if m.group(1) in variables else m.group(0), text)


def _site_url(config: dict) -> str:
    """Where the book is published, as its plugins name it: canonical-link's baseURL, sitemap's hostname."""
    plugins = config.get("pluginsConfig") if isinstance(config.get("pluginsConfig"), dict) else {}
    for name, key in (("canonical-link", "baseURL"), ("sitemap", "hostname"), ("sitemap-general", "prefix")):
        value = plugins.get(name, {}).get(key) if isinstance(plugins.get(name), dict) else None
        if isinstance(value, str) and value.strip().startswith(("https://", "http://")):
            return value.strip()
    return ""
