"""mdBook: ``book.toml`` ([book] title, authors, language, description, src) and
``SRC/SUMMARY.md`` (prefix chapters, numbered chapters nested by indentation,
``# Part`` headings, ``---`` separators, suffix chapters, draft entries).

The numbered chapters at the top of SUMMARY.md's list are the book's chapters;
what is nested under them continues them. Prefix chapters become front matter,
suffix chapters back matter. Preprocessors and renderers named in book.toml are
not run (spindle never runs a book's code): each is reported."""

from __future__ import annotations

import tomllib
from pathlib import Path

from spindle.manuscript.sources.model import Imported, ImportError_, PartNode
from spindle.manuscript.sources.summary import parse, to_nodes


class MdBook:
    name = "mdBook"

    def detect(self, source: Path) -> bool:
        return source.is_dir() and (source / "book.toml").is_file() and (self._src(source) / "SUMMARY.md").is_file()

    @staticmethod
    def _config(source: Path) -> dict:
        try:
            return tomllib.loads((source / "book.toml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ImportError_(f"cannot read mdBook's configuration: {exc}", source / "book.toml") from None

    def _src(self, source: Path) -> Path:
        try:
            config = self._config(source)
        except ImportError_:
            return source / "src"
        src = (config.get("book") or {}).get("src", "src")
        return source / (src if isinstance(src, str) else "src")

    def read(self, source: Path) -> Imported:
        config = self._config(source)
        book = config.get("book") or {}
        src = self._src(source)
        summary_path = src / "SUMMARY.md"
        shown = str(summary_path)
        try:
            text = summary_path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ImportError_(f"cannot read: {exc}", summary_path) from None
        summary = parse(text, shown, strict=True)
        authors = book.get("authors") or []
        imported = Imported(
            dialect=self.name, root=source,
            title=str(book.get("title") or ""), authors=[str(a) for a in authors if str(a).strip()],
            language=str(book.get("language") or ""), description=str(book.get("description") or ""),
        )
        imported.site_url, imported.site_folder = _site_url(config.get("output") or {}), src
        seen: set[Path] = set()
        imported.front = to_nodes(summary.prefix, src, seen, imported, shown)
        for part, items in summary.groups:
            nodes = to_nodes(items, src, seen, imported, shown)
            if part:
                imported.chapters.append(PartNode(part, nodes))
            else:
                imported.chapters.extend(nodes)
        imported.back = to_nodes(summary.suffix, src, seen, imported, shown)
        if summary.separators:
            imported.unmapped.append(f"{shown}: {summary.separators} '---' separator(s): spindle's table of "
                                     "contents has none; left out")
        for kind in ("preprocessor", "output"):
            for name in (config.get(kind) or {}):
                if kind == "output" and name == "html":
                    continue
                imported.unmapped.append(f"{source / 'book.toml'}: [{kind}.{name}] is not run (spindle runs no "
                                         "code from a book)")
        return imported


def _site_url(output: dict) -> str:
    """Where the book is published: [output.html] site-url when it is a full address, or the host its
    cname names with site-url's path (mdBook's site-url alone is a path on an unknown host)."""
    html = output.get("html") if isinstance(output, dict) else None
    if not isinstance(html, dict):
        return ""
    site = str(html.get("site-url") or "").strip()
    if site.startswith(("https://", "http://")):
        return site
    cname = str(html.get("cname") or "").strip().strip("/")
    if cname and "/" not in cname and " " not in cname:
        return f"https://{cname}/{site.strip('/') + '/' if site.strip('/') else ''}"
    return ""
