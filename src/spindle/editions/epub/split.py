"""A chapter with nested files (manuscript/nesting.py merges each file listed
under a chapter in SUMMARY.md into that chapter as a ``<section
class="chapter-section">``) is one chapter, but in the EPUB each nested file
becomes an XHTML document of its own, next in the spine: a whole HonKit part in
one document can be megabytes, too big for many reading systems and for Ace.

The chapter's own document keeps its title and the text before its first nested
file; every nested file's document holds its ``<section>`` as it is (id, lang,
heading). Each document ends with the notes called from it, numbered as in the
chapter. Only chapters with nested files are split: a long chapter without
them stays one document, since its headings are not the source's own files.
The writer then maps every id to the document that holds it, and links, the
navigation, the NCX and the page-list follow that map."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

from lxml import etree

from spindle.manuscript.model import Chapter

# the opening tag nesting.py writes for each merged file, at the chapter body's top level
_SECTION = re.compile(r'\n<section class="chapter-section[^"]*" id="([^"]+)"(?: lang="([^"]+)")?>\n'
                      r'<h[1-6] class="section-title" id="([^"]*)"')
_ID = re.compile(r'\sid="([^"]+)"')


@dataclasses.dataclass(frozen=True)
class Section:
    """One nested file's document: *chapter* is the chapter the file belongs to, with
    this file's markup as html, its notes, its language and its title."""

    uid: str
    chapter: Chapter
    source: Path | None = None  # the nested file

    @property
    def href(self) -> str:
        return f"{self.uid}.xhtml"


def split(chapter: Chapter) -> tuple[Chapter, list[Section]]:
    """The chapter's own part (its text up to the first nested file, with the notes
    called there) and one Section per nested file, in order."""
    if not chapter.merged:
        return chapter, []
    starts = list(_SECTION.finditer(chapter.html))
    if not starts:
        return chapter, []
    bounds = [m.start() for m in starts] + [len(chapter.html)]
    pieces = [chapter.html[bounds[i]:bounds[i + 1]] for i in range(len(starts))]
    if not all(_well_formed(p) for p in pieces):  # not the markup nesting.py wrote: keep one document
        return chapter, []
    head = chapter.html[:bounds[0]]
    titles = {h.id: h.text for h in chapter.headings}
    owner: dict[str, int] = {}  # id → index of the piece holding it (0: the chapter's own part)
    for i, fragment in enumerate([head, *pieces]):
        for m in _ID.finditer(fragment):
            owner.setdefault(html.unescape(m.group(1)), i)
    notes: list[list] = [[] for _ in range(len(pieces) + 1)]
    for note in chapter.notes:
        notes[owner.get(note.ref_id, 0)].append(note)
    sections = []
    sources = chapter.merged if len(chapter.merged) == len(pieces) else (None,) * len(pieces)
    for i, (m, markup, source) in enumerate(zip(starts, pieces, sources), 1):
        uid = html.unescape(m.group(1))
        sections.append(Section(uid, source=source, chapter=dataclasses.replace(
            chapter, html=markup.strip("\n"), notes=tuple(notes[i]), part=None, standfirst="", subtitle="",
            lang=html.unescape(m.group(2)) if m.group(2) else chapter.lang,
            title=titles.get(html.unescape(m.group(3)), chapter.title), page_title="")))
    return dataclasses.replace(chapter, html=head, notes=tuple(notes[0])), sections


def ids(fragment: str) -> list[str]:
    """The ids a piece of markup carries."""
    return [html.unescape(m.group(1)) for m in _ID.finditer(fragment)]


def _well_formed(fragment: str) -> bool:
    try:
        etree.fromstring(f'<div xmlns:epub="http://www.idpf.org/2007/ops">{fragment}</div>'.encode("utf-8"),
                         etree.XMLParser(resolve_entities=False, recover=False))
    except etree.XMLSyntaxError:
        return False
    return True
