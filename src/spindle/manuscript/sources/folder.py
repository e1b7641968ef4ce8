"""Plain Markdown: a folder of files, or one file.

A folder's reading order comes from its table of contents when it has one:
the Markdown file (README.md, Contents.md, ...) whose list links to the most
of the folder's other files (relative links, folders meaning their README.md,
and links to the book's own GitHub repository, whose paths exist here). An
entry linking nowhere with entries under it is a part. A listed file whose own
list links to files in its folder has them as its sections. Without such a list,
every file is a chapter in name order. A README.md at the top comes first, as
front matter. Navigation lines such as ``[Contents](..) | [Next (...)](...)``
are dropped from the copies.

One file is split at its ``#`` headings, one chapter each (or at its ``##``
headings when a single ``#`` heading titles the whole file)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from spindle.manuscript.sources.model import Imported, ImportError_, Node, PartNode
from spindle.manuscript.sources.pandoc import natural
from spindle.manuscript.sources.summary import Item, _ITEM, parse

_MD = (".md", ".markdown")
_LINKS = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)")
_GITHUB = re.compile(r"^https?://github\.com/[^/]+/[^/]+/(?:tree|blob)/[^/]+/(.+)$")
_NAV_WORDS = r"(?:contents|table of contents|toc|home|index|prev(?:ious)?|next|back|up|top)\b"
_NAV_LINE = re.compile(r"^\s*(?:\[[^\]]*\]\([^)]*\)\s*(?:\\?\||·|•|-)?\s*)+$")
_NAV_LINK = re.compile(r"\[\s*" + _NAV_WORDS, re.I)


def _target(raw: str, base: Path, root: Path) -> Path | None:
    """A link's local Markdown file (a folder: its README.md or index.md), or None."""
    github = _GITHUB.match(raw)
    if github:
        path = (root / unquote(github.group(1))).resolve()
    elif re.match(r"^[a-z][a-z0-9+.-]*:", raw, re.I) or raw.startswith(("#", "/")):
        return None
    else:
        path = (base / unquote(raw.split("#")[0])).resolve()
    if path.is_dir():
        path = next((path / n for n in ("README.md", "readme.md", "index.md") if (path / n).is_file()), path)
    if path.is_file() and path.suffix.lower() in _MD and (path == root or root in path.parents):
        return path
    return None


def _list_blocks(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each run of list lines (blank lines inside allowed)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    fence = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        if fence:
            current = None
            continue
        if _ITEM.match(line):
            if current is None:
                current = []
                blocks.append((number, current))
            current.append(line)
        elif line.strip() and current is not None and not line.startswith((" ", "\t")):
            current = None
    return [(n, "\n".join(lines)) for n, lines in blocks]


def _best_list(path: Path, root: Path) -> tuple[int, str]:
    """(local links, list text) of the file's list that links to most local Markdown files."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return 0, ""
    best = (0, "")
    for _, block in _list_blocks(text):
        found = {t for raw in _LINKS.findall(block) if (t := _target(raw, path.parent, root)) and t != path}
        if len(found) > best[0]:
            best = (len(found), block)
    return best


class Folder:
    name = "Markdown folder"

    def detect(self, source: Path) -> bool:
        return source.is_dir() and any(p.suffix.lower() in _MD for p in source.rglob("*") if p.is_file())

    def read(self, source: Path) -> Imported:
        root = source.resolve()
        files = sorted((p.resolve() for p in root.rglob("*") if p.suffix.lower() in _MD and p.is_file()
                        and not any(part.startswith(".") for part in p.relative_to(root).parts)), key=natural)
        readme = next((p for p in files if p.parent == root and p.name.lower() in ("readme.md", "index.md")), None)
        imported = Imported(dialect=self.name, root=source, transform=_drop_navigation)
        candidates = [p for p in files if len(p.relative_to(root).parts) <= 3]
        scored = sorted(((_best_list(p, root), p) for p in candidates), key=lambda s: (-s[0][0], len(s[1].parts)))
        seen: set[Path] = set()
        toc: Path | None = None
        if scored and scored[0][0][0] >= 2:
            (count, block), toc = scored[0]
            imported.notes.append(f"reading order from the list of links in {toc.relative_to(root)} ({count} files)")
            seen.add(toc)
            if readme is not None:
                seen.add(readme)
            items = [i for _, group in parse(block, str(toc), strict=False).groups for i in group]
            for node in self._nodes(items, toc, root, seen, imported):
                if node.path is None:
                    imported.chapters.append(PartNode(node.title, [c for c in node.children]))
                else:
                    imported.chapters.append(node)
            for node in _walk(imported.chapters):
                if node.path is not None and not node.children:
                    node.children = self._sections(node.path, root, seen, imported, depth=1)
            if readme is not None:
                imported.front.append(Node(readme))
            left = [p for p in files if p not in seen and p != readme]
            if left:
                imported.unmapped.append(f"{len(left)} Markdown file(s) not in the table of contents, left out: "
                                         + ", ".join(str(p.relative_to(root)) for p in left[:8])
                                         + (" ..." if len(left) > 8 else ""))
        else:
            imported.notes.append("no table of contents found: every Markdown file is a chapter, in name order")
            if readme is not None:
                imported.front.append(Node(readme))
            imported.chapters.extend(Node(p) for p in files if p != readme)
        # the book's title: the heading of its table of contents ("Practical Python Programming" over
        # the README's "Welcome!"), else of its README
        title = _first_heading(toc) if toc is not None and toc != readme else ""
        imported.title = title or (_first_heading(readme) if readme is not None else "") or root.name
        return imported

    def _nodes(self, items: list[Item], toc: Path, root: Path, seen: set[Path], imported: Imported) -> list[Node]:
        out: list[Node] = []
        for item in items:
            children = self._nodes(item.children, toc, root, seen, imported)
            path = _target(item.target, toc.parent, root) if item.target else None
            if path is None or path in seen:
                if children:
                    out.append(Node(None, item.title, children))
                elif item.target and not item.target.startswith("#") and path is None:
                    imported.unmapped.append(f"{toc.relative_to(root)}:{item.line}: '{item.title}' "
                                             f"({item.target}) is not a file of this book; left out")
                continue
            seen.add(path)
            out.append(Node(path, item.title, children))
        return out

    def _sections(self, path: Path, root: Path, seen: set[Path], imported: Imported, depth: int) -> list[Node]:
        """Files a chapter's own list links to, in its folder or below: they continue it."""
        if depth > 2:
            return []
        count, block = _best_list(path, root)
        if count < 2:
            return []
        out: list[Node] = []
        for raw in _LINKS.findall(block):
            target = _target(raw, path.parent, root)
            if target is None or target in seen or path.parent not in (target.parent, *target.parents):
                continue
            seen.add(target)
            out.append(Node(target, "", self._sections(target, root, seen, imported, depth + 1)))
        return out


def _walk(nodes):
    for node in nodes:
        if isinstance(node, PartNode):
            yield from _walk(node.chapters)
        else:
            yield node
            yield from _walk(node.children)


def _first_heading(path: Path) -> str:
    try:
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            m = re.match(r"^#\s+(.+?)\s*#*\s*$", line)
            if m:
                return re.sub(r":[a-z_]+:\s*", "", m.group(1)).strip()
    except (OSError, UnicodeDecodeError):
        pass
    return ""


def _drop_navigation(text: str, path: Path) -> str:
    """Lines of nothing but navigation links ('[Contents](..) | [Next (2 ...)](..)') left out (blank lines
    keep the line numbers)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "](" in line and _NAV_LINE.match(line) and _NAV_LINK.search(line):
            lines[i] = ""
    return "\n".join(lines)


class SingleFile:
    name = "Markdown file"

    def detect(self, source: Path) -> bool:
        return source.is_file() and source.suffix.lower() in _MD

    def read(self, source: Path) -> Imported:
        from spindle.manuscript.headings import _blocks

        try:
            text = source.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ImportError_(f"cannot read: {exc}", source) from None
        lines = text.splitlines(keepends=True)
        heads = [t for t in _blocks().parse(text) if t.type == "heading_open" and t.level == 0 and t.map]
        h1 = [t for t in heads if t.tag == "h1"]
        imported = Imported(dialect=self.name, root=source.parent, shared_anchors=True)
        level = "h1"
        if len(h1) == 1 and heads and heads[0] is h1[0] and any(t.tag == "h2" for t in heads):
            start, end = h1[0].map
            imported.title = re.sub(r"^#+\s*|\s*#*\s*$", "", lines[start].strip()) if lines[start].lstrip().startswith("#") \
                else lines[start].strip()
            level = "h2"
        cuts = [t.map[0] for t in heads if t.tag == level]
        if not cuts:
            imported.chapters.append(Node(source.resolve()))
            imported.title = imported.title or _first_heading(source) or source.stem
            return imported
        stem = re.sub(r"[^\w-]+", "-", source.stem).strip("-") or "chapter"
        preamble = "".join(lines[:cuts[0]])
        if level == "h2":
            preamble = "".join(lines[h1[0].map[1]:cuts[0]])
        if preamble.strip():
            title = imported.title or source.stem
            imported.front.append(Node(source.resolve(), text=f"---\ntitle: {_yaml_str(title)}\n---\n{preamble}",
                                       name=f"{stem}-00.md"))
        for n, (a, b) in enumerate(zip(cuts, cuts[1:] + [len(lines)]), 1):
            imported.chapters.append(Node(source.resolve(), text="".join(lines[a:b]), name=f"{stem}-{n:02d}.md"))
        imported.title = imported.title or source.stem
        imported.notes.append(f"{source.name} split at its {'#' * int(level[1])} headings into "
                              f"{len(cuts)} chapter files")
        return imported


def _yaml_str(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)
