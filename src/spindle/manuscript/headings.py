"""Plain Markdown chapters: the title from the file's first heading.

A chapter file needs no front matter. Without a ``title:`` the file's first
heading is the chapter's title: it is cut from the body and becomes the
chapter's title heading, keeping the id the renderer gave it (so links to
``chapter.md#that-heading`` keep working). The other headings are taken
relative to it (a file that opens with ``##`` has its ``###`` as sections),
and a later ``#`` becomes a section. A file nested under a chapter (depth > 0)
has every heading moved down by its depth. A file with no heading is titled
after its file name, with a warning.

Levels are changed in the Markdown text, line by line, before the chapter is
rendered, so line numbers in warnings still point at the file as written."""

from __future__ import annotations

import dataclasses
import functools
import html
import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from spindle.core.diagnostics import diagnostic

_ATX = re.compile(r"^((?:[ \t]*>)*[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?[ \t]*)(#{1,6})(?=[ \t]|$)")
_SETEXT = re.compile(r"^((?:[ \t]*>)*[ \t]*)(=+|-+)[ \t]*$")
_H1 = re.compile(r"<h1\b([^>]*)>(.*?)</h1>[ \t]*\n?", re.S)
_ID_ATTR = re.compile(r'\sid="([^"]*)"')
_TAG = re.compile(r"<[^>]+>")
# "1. Background", "1.2 Scope", "Chapter 4: ...", "Part II", "IV. ...", "Hoofdstuk 3", "第1章", "제1장"
_NUMBERED = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\.?(?=\s|$)|[IVXLC]+\.\s|(?:chapter|chap\.|part|appendix|hoofdstuk|deel|bijlage|kapitel|"
    r"chapitre|cap[ií]tulo|lesson|section)\s+(?:\d+|[IVXLC]+|[A-Z])\b|第\s*[0-9０-９一二三四五六七八九十百千]+\s*[章部节節回篇讲講]|"
    r"제\s*\d+\s*[장부])",
    re.I,
)


@dataclass(frozen=True)
class TitleHeading:
    line: int  # line of the heading in the file (1-based)
    explicit_id: str = ""  # an id written after it, pandoc style: '# Title {#id}'


_TRAILING_ID = re.compile(r"[ \t]+\{#([A-Za-z][\w.:-]*)\}[ \t]*(?=\r?\n|$)")


@functools.lru_cache(maxsize=1)
def _blocks() -> MarkdownIt:
    md = MarkdownIt("commonmark")
    md.enable(["table"])
    md.disable("inline")  # block structure is all that is needed: where the headings are
    return md


def prepare(body: str, offset: int, depth: int, take_title: bool) -> tuple[str, TitleHeading | None]:
    """The body with heading levels adjusted, and where its title heading is (when *take_title*).

    The title heading is written as ``#`` (the renderer makes it the first ``<h1>``), every other
    heading is moved so that it sits below the title, *depth* levels further down."""
    if not take_title and not depth:
        return body, None
    tokens = _blocks().parse(body)
    heads = [t for t in tokens if t.type == "heading_open" and t.map]
    if not heads:
        return body, None
    first = next((t for t in heads if t.level == 0), None) if take_title else None
    base = int(first.tag[1]) if first is not None else 1
    lines = body.splitlines(keepends=True)
    for token in heads:
        level = int(token.tag[1])
        if token is first:
            new = 1
        else:
            new = level - base + 1 + depth
            if first is not None:
                new = max(new, 2 + depth)
            new = min(max(new, 1), 6)
        if new != level:
            _relevel(lines, token, new)
    if first is None:
        return "".join(lines), None
    explicit = ""
    row = first.map[0] if first.markup.startswith("#") else first.map[1] - 2
    found = _TRAILING_ID.search(lines[row])
    if found:  # '# Title {#id}': the id is the title's (written on the title line, the renderer would print it)
        explicit = found.group(1)
        lines[row] = lines[row][: found.start()] + lines[row][found.end():]
    return "".join(lines), TitleHeading(line=offset + first.map[0] + 1, explicit_id=explicit)


def _relevel(lines: list[str], token, new: int) -> None:
    start, end = token.map
    if token.markup.startswith("#"):
        lines[start] = _ATX.sub(lambda m: m.group(1) + "#" * new, lines[start], count=1)
        return
    underline = _SETEXT.match(lines[end - 1].rstrip("\r\n"))
    if underline is None:
        return
    eol = lines[end - 1][len(lines[end - 1].rstrip("\r\n")):]
    if new <= 2:
        lines[end - 1] = underline.group(1) + ("===" if new == 1 else "---") + eol
        return
    # deeper than setext can say: one ATX line, the rest blank (line numbers stay)
    prefix = underline.group(1)
    content = " ".join(line.strip().lstrip(">").strip() for line in lines[start:end - 1])
    lines[start] = f"{prefix}{'#' * new} {content}{eol}"
    for i in range(start + 1, end):
        lines[i] = prefix.rstrip() + eol


def take_title(fragment, heading: TitleHeading | None, path: Path, shown: str, chapter_id: str = ""):
    """(fragment without its title heading, title, title id, warnings)."""
    if heading is not None:
        m = _H1.search(fragment.html)
        if m is not None:
            found = _ID_ATTR.search(m.group(1))
            rendered = html.unescape(found.group(1)) if found else ""
            title_id = f"{chapter_id}-{heading.explicit_id}" if heading.explicit_id and chapter_id else rendered
            title = html.unescape(_TAG.sub("", m.group(2))).strip()
            if title:
                return (dataclasses.replace(
                    fragment,
                    html=fragment.html[: m.start()] + fragment.html[m.end():],
                    headings=tuple(h for h in fragment.headings if h.id != rendered),
                    diagnostics=tuple(d for d in fragment.diagnostics
                                      if not (d.path == shown and d.line == heading.line and d.code.startswith("H"))),
                ), title, title_id, [])
    title = title_from_name(path)
    return fragment, title, "", [diagnostic(
        "H003", f"no heading to take the chapter title from; titled '{title}' after the file name "
        "(start the file with a '# Title' line, or give it front matter with 'title:')", shown)]


def title_id(chapter_id: str, title: str, body: str) -> str:
    """The id a front-matter title gets: the one it would have as the file's first heading
    (unless the body already uses it)."""
    from spindle.manuscript.markdown import slug

    candidate = f"{chapter_id}-{slug(title)}"
    return "" if f'id="{candidate}"' in body else candidate


def title_from_name(path: Path) -> str:
    stem = path.stem
    if stem.lower() in ("readme", "index") and path.parent.name:
        stem = path.parent.name
    words = re.sub(r"[-_]+", " ", re.sub(r"^\d+(?:[-_. ]+|$)", "", stem)).strip() or stem
    return words[:1].upper() + words[1:]


def self_numbered(title: str) -> bool:
    """Whether a title carries its own number ('1. Background', 'Chapter 4: ...', '第1章'):
    such a chapter is not given a second one."""
    return bool(_NUMBERED.match(title))
