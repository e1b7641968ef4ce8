"""pandoc books: a ``metadata.yaml`` (title, author, lang, description, rights)
beside the chapter files, in the order of a list file (``section_list.txt``:
one file name a line), else of the Makefile that hands them to pandoc, else of
their names. Raw LaTeX in metadata values (``\\newpage``) is left out."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from spindle.manuscript.sources.model import Imported, ImportError_, Node

_MD = (".md", ".markdown")


def natural(path: Path) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(path))]


class Pandoc:
    name = "pandoc"

    def _metadata(self, source: Path) -> Path | None:
        if not source.is_dir():
            return None
        for folder in (source, source / "src"):
            for name in ("metadata.yaml", "metadata.yml"):
                if (folder / name).is_file():
                    return folder / name
        return None

    def detect(self, source: Path) -> bool:
        return self._metadata(source) is not None

    def read(self, source: Path) -> Imported:
        meta_path = self._metadata(source)
        folder = meta_path.parent
        try:
            text = meta_path.read_text(encoding="utf-8-sig")
            text = re.sub(r"(?m)^\t+", lambda m: "    " * len(m.group(0)), text)  # YAML forbids tab indents
            meta = next((d for d in yaml.safe_load_all(text) if d), {}) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            raise ImportError_(f"cannot read pandoc's metadata: {getattr(exc, 'problem', exc)}", meta_path,
                               mark.line + 1 if mark is not None else None) from None
        if not isinstance(meta, dict):
            meta = {}
        authors = meta.get("author") or []
        imported = Imported(
            dialect=self.name, root=source, title=_plain(meta.get("title")),
            authors=[re.sub(r"^by\s+", "", _plain(a)) for a in (authors if isinstance(authors, list) else [authors])
                     if _plain(a)],
            language=_plain(meta.get("lang")), description=_plain(meta.get("description") or meta.get("abstract")),
            rights=_plain(meta.get("rights")), shared_anchors=True,
        )
        files, how = self._order(source, folder)
        imported.notes.append(f"reading order from {how}")
        imported.chapters.extend(Node(p) for p in files)
        latex = [k for k in ("header-includes", "geometry", "documentclass", "toc", "numbersections") if k in meta]
        if latex:
            imported.unmapped.append(f"{meta_path}: pandoc/LaTeX settings not used: {', '.join(latex)}")
        return imported

    def _order(self, source: Path, folder: Path) -> tuple[list[Path], str]:
        for candidate in sorted(folder.glob("*.txt")) + [source / "Makefile", folder / "Makefile"]:
            if not candidate.is_file():
                continue
            try:
                text = candidate.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            names = re.findall(r"[\w./-]+\.(?:md|markdown)\b", text)
            found: list[Path] = []
            for name in names:
                path = (folder / name).resolve()
                if not path.is_file():
                    path = (candidate.parent / name).resolve()
                if path.is_file() and path not in found:
                    found.append(path)
            if len(found) >= 2 or (found and candidate.suffix == ".txt"):
                return found, candidate.name
        files = sorted((p for p in folder.iterdir() if p.suffix.lower() in _MD and p.is_file()), key=natural)
        if not files:
            raise ImportError_("no Markdown files beside the metadata", folder)
        return files, "the files' names"


def _plain(value) -> str:
    """A metadata value as text: lists joined, raw LaTeX commands left out."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(p for p in (_plain(v) for v in value) if p)
    text = str(value).strip()
    if text.startswith("\\"):
        return ""
    return re.sub(r"\s+", " ", text)
