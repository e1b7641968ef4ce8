"""SUMMARY.md, the table of contents of mdBook and GitBook/HonKit books.

Both write nested lists of links (``- [Title](file.md)``), nesting by
indentation, with headings between the lists (mdBook: ``# Part``; GitBook:
``## Part``) and ``---`` separators. mdBook also has prefix and suffix
chapters (links outside the list, before and after it) and draft chapters
(``[Title]()``). A line that is none of these is an error naming its line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from spindle.manuscript.sources.model import ImportError_

_ITEM = re.compile(r"^([ \t]*)(?:[-*+]|\d+[.)])[ \t]+(.*?)\s*$")
_LINK = re.compile(r"^\[(?P<title>(?:[^\[\]\\]|\\.|\[[^\]]*\])*)\]\(\s*(?:<(?P<angle>[^>]*)>|(?P<plain>[^)\s]*))"
                   r"(?:\s+[\"'][^\"']*[\"'])?\s*\)\s*(?:<!--.*-->)?$")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+\{#[^}]*\})?[ \t]*#*[ \t]*$")
_SEPARATOR = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|<hr\s*/?>)\s*$", re.I)


@dataclass
class Item:
    title: str
    target: str | None  # the link as written (None: no link; "": a draft)
    line: int
    children: list["Item"] = field(default_factory=list)


@dataclass
class Summary:
    title: str = ""  # the first heading ("Summary", "目次")
    prefix: list[Item] = field(default_factory=list)
    # (part title or None, items) in order; a None part holds chapters outside any part
    groups: list[tuple[str | None, list[Item]]] = field(default_factory=list)
    suffix: list[Item] = field(default_factory=list)
    separators: int = 0


def parse(text: str, shown: str, strict: bool) -> Summary:
    """The summary's structure. *strict* (mdBook): every line must be understood."""
    summary = Summary()
    stack: list[tuple[int, Item]] = []
    started = False  # a list item has been seen
    in_comment = False
    part: str | None = None
    current: list[Item] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if in_comment:
            in_comment = "-->" not in line
            continue
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            continue
        if _SEPARATOR.match(line):
            summary.separators += 1
            stack = []
            continue
        heading = _HEADING.match(stripped)
        if heading and not line[0].isspace():
            if not summary.title and not started and not summary.prefix:
                summary.title = _clean(heading.group(2))
            else:
                part = _clean(heading.group(2))
                current = None
                stack = []
            continue
        item = _ITEM.match(line)
        if item:
            indent = len(item.group(1).expandtabs(4))
            entry = _entry(item.group(2), number, shown, strict)
            started = True
            while stack and stack[-1][0] >= indent:
                stack.pop()
            if stack:
                stack[-1][1].children.append(entry)
            else:
                if current is None or summary.suffix:
                    current = []
                    summary.groups.append((part, current))
                current.append(entry)
            stack.append((indent, entry))
            continue
        link = _LINK.match(stripped)
        if link and not line[0].isspace():
            entry = _entry(stripped, number, shown, strict)
            if strict:
                (summary.suffix if started else summary.prefix).append(entry)
            else:  # GitBook has no prefix chapters: a link line is a chapter
                if current is None:
                    current = []
                    summary.groups.append((part, current))
                current.append(entry)
            stack = []
            continue
        if not strict:
            continue  # GitBook renders other lines as text in its sidebar: nothing to map
        raise ImportError_(f"cannot read this line of the summary: {stripped[:60]!r}; "
                           "expected '- [Title](file.md)', '[Title](file.md)', '# Part title' or '---'", shown, number)
    return summary


def _entry(text: str, number: int, shown: str, strict: bool) -> Item:
    link = _LINK.match(text.strip())
    if link:
        target = link.group("angle") if link.group("angle") is not None else link.group("plain")
        return Item(_clean(link.group("title")), unquote(target or ""), number)
    if strict:
        raise ImportError_(f"cannot read this summary entry: {text[:60]!r}; expected '- [Title](file.md)' "
                           "(or '- [Title]()' for a draft)", shown, number)
    return Item(_clean(text), None, number)


def _clean(title: str) -> str:
    """Title text without Markdown escapes and emphasis marks."""
    title = re.sub(r"\\(.)", r"\1", title)
    title = re.sub(r"(\*\*|__|\*|_|`)(.+?)\1", r"\2", title)
    return title.strip()


def split_target(target: str) -> tuple[str, str]:
    path, _, fragment = target.partition("#")
    return path, fragment


def is_external(target: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I)) or target.startswith("//")


def resolve(base: Path, target: str) -> Path:
    path, _ = split_target(target)
    return (base / path).resolve()


def to_nodes(items: list[Item], base: Path, seen: set[Path], imported, shown: str):
    """Summary items as reading-order nodes: a link into a file already listed (``ch01.md#intro``)
    is a heading of that file, not a new entry; drafts, external links and missing files are
    reported in *imported*.unmapped."""
    from spindle.manuscript.sources.model import Node

    out: list[Node] = []
    for item in items:
        path = resolve(base, item.target) if item.target and not is_external(item.target) else None
        own = path is not None and path not in seen and path.is_file() and path.suffix.lower() in (".md", ".markdown")
        if own:
            seen.add(path)  # before the children, which may point into it (ch01.md#intro)
        children = to_nodes(item.children, base, seen, imported, shown)
        if own:
            out.append(Node(path, item.title, children))
            continue
        if item.target is None:
            if children:
                out.append(Node(None, item.title, children))
            else:
                imported.unmapped.append(f"{shown}:{item.line}: '{item.title}' has no link; left out")
            continue
        if item.target == "":
            imported.unmapped.append(f"{shown}:{item.line}: draft chapter '{item.title}' has no file yet; left out")
            out.extend(children)
            continue
        if is_external(item.target):
            imported.unmapped.append(f"{shown}:{item.line}: '{item.title}' links outside the book "
                                     f"({item.target}); left out")
            out.extend(children)
            continue
        if path in seen:
            if not split_target(item.target)[1]:
                imported.unmapped.append(f"{shown}:{item.line}: '{item.title}' lists {split_target(item.target)[0]} "
                                         "a second time; kept once")
            _adopt(out, children)
            continue
        if not path.is_file():
            imported.unmapped.append(f"{shown}:{item.line}: '{item.title}': {split_target(item.target)[0]} "
                                     "does not exist; left out")
            _adopt(out, children)
            continue
        if path.suffix.lower() not in (".md", ".markdown"):
            imported.unmapped.append(f"{shown}:{item.line}: '{item.title}' is not a Markdown file "
                                     f"({split_target(item.target)[0]}); left out")
            _adopt(out, children)
    return out


def _adopt(out: list, children: list) -> None:
    """Children of an entry that is left out (or points into a file already listed) go to the
    entry before it, or up a level when there is none."""
    if out and children:
        out[-1].children.extend(children)
    else:
        out.extend(children)
