"""MkDocs: ``mkdocs.yml`` (site_name, site_author, site_description, copyright,
docs_dir, theme language) and its ``nav``: pages (``- file.md`` or
``- Title: file.md``) and sections (``- Title: [...]``). A section has no page
of its own: it becomes a chapter whose title page is written for it, with its
pages continuing it. Without a nav, every Markdown file of docs_dir is a
chapter, index.md first, in name order (as MkDocs orders them)."""

from __future__ import annotations

import html
from pathlib import Path

import yaml

from spindle.manuscript.sources.model import Imported, ImportError_, Node
from spindle.manuscript.sources.summary import is_external


class _Loader(yaml.SafeLoader):
    """Safe loading that reads ``!!python/name:`` and ``!ENV`` tags as plain values instead of failing."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


class MkDocs:
    name = "MkDocs"

    def detect(self, source: Path) -> bool:
        return source.is_dir() and any((source / n).is_file() for n in ("mkdocs.yml", "mkdocs.yaml"))

    def read(self, source: Path) -> Imported:
        path = next(source / n for n in ("mkdocs.yml", "mkdocs.yaml") if (source / n).is_file())
        try:
            config = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_Loader) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            raise ImportError_(f"cannot read MkDocs' configuration: {getattr(exc, 'problem', exc)}", path,
                               mark.line + 1 if mark is not None else None) from None
        if not isinstance(config, dict):
            raise ImportError_("expected a mapping of settings such as 'site_name:'", path)
        docs = (source / str(config.get("docs_dir") or "docs")).resolve()
        if not docs.is_dir():
            raise ImportError_(f"docs_dir '{config.get('docs_dir') or 'docs'}' does not exist", path)
        theme = config.get("theme") if isinstance(config.get("theme"), dict) else {}
        imported = Imported(
            dialect=self.name, root=source, title=str(config.get("site_name") or ""),
            authors=[str(config["site_author"])] if config.get("site_author") else [],
            language=str(theme.get("language") or ""), description=str(config.get("site_description") or ""),
            rights=html.unescape(str(config.get("copyright") or "")),
            site_url=str(config.get("site_url") or "").strip(), site_folder=docs,
            site_pages="html" if config.get("use_directory_urls") is False else "folders",
        )
        nav = config.get("nav") or config.get("pages")
        if nav:
            seen: set[Path] = set()
            imported.chapters.extend(self._nav(nav, docs, seen, imported, str(path)))
        else:
            files = sorted(p for p in docs.rglob("*.md") if p.is_file())
            files.sort(key=lambda p: (p.parent != docs, p.name != "index.md", str(p.relative_to(docs))))
            imported.chapters.extend(Node(p) for p in files)
            imported.notes.append(f"{path}: no nav: every Markdown file of {docs.name}/ is a chapter, in name order")
        for key in ("plugins", "markdown_extensions"):
            names = [next(iter(x)) if isinstance(x, dict) else str(x) for x in (config.get(key) or [])]
            if key == "markdown_extensions":
                names = [n for n in names if n not in ("toc", "tables", "fenced_code", "footnotes", "attr_list",
                                                      "def_list", "admonition", "md_in_html", "meta")]
            if names:
                imported.unmapped.append(f"{path}: {key} not used by spindle: {', '.join(names)}")
        return imported

    def _nav(self, items, docs: Path, seen: set[Path], imported: Imported, shown: str) -> list[Node]:
        out: list[Node] = []
        for item in items if isinstance(items, list) else [items]:
            title, value = (next(iter(item.items())) if isinstance(item, dict) and item else ("", item))
            if isinstance(value, list):
                children = self._nav(value, docs, seen, imported, shown)
                if children:
                    out.append(Node(None, str(title), children))
                continue
            if not isinstance(value, str):
                imported.unmapped.append(f"{shown}: nav entry {item!r} not understood; left out")
                continue
            if is_external(value):
                imported.unmapped.append(f"{shown}: nav link '{title or value}' points outside the book ({value}); left out")
                continue
            path = (docs / value.split("#")[0]).resolve()
            if path.is_dir():
                path = path / "index.md"
            if path in seen:
                continue
            if not path.is_file():
                imported.unmapped.append(f"{shown}: nav entry '{title or value}': {value} does not exist; left out")
                continue
            seen.add(path)
            out.append(Node(path, str(title)))
        return out
