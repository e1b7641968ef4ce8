"""Files nested under a chapter (``sections`` in book.toml, as a SUMMARY.md nests
them) continue that chapter: each is loaded and its links resolved on its own,
then merged into the chapter before it as a ``<section>`` whose title is a
heading one level below the chapter's (two below for a file nested twice), with
no chapter number of its own. The table of contents, the EPUB navigation and the
PDF bookmarks then follow the source book's own structure, since they are made
from chapters and their headings (a nested file's title is marked as such: the
EPUB navigation lists it at any toc_depth, as the file is a document of its own)."""

from __future__ import annotations

import dataclasses
import html
import re

from spindle.manuscript.model import Chapter, Heading, Note

_NOTEREF = re.compile(r'(<a class="noteref" id="[^"]*" href="#)([^"]+)("[^>]*>)(\d+)(</a>)')


def merge_sections(chapters: tuple[Chapter, ...], page: bool) -> tuple[Chapter, ...]:
    out: list[Chapter] = []
    for chapter in chapters:
        if chapter.depth and out:
            out[-1] = _append(out[-1], chapter, page)
        else:
            out.append(dataclasses.replace(chapter, depth=0))
    return tuple(out)


def _append(top: Chapter, section: Chapter, page: bool) -> Chapter:
    level = min(section.depth + 1, 6)
    numbers = {n.id: len(top.notes) + i for i, n in enumerate(section.notes, 1)}
    body = _NOTEREF.sub(lambda m: m.group(1) + m.group(2) + m.group(3) + str(numbers.get(m.group(2), m.group(4)))
                        + m.group(5), section.html) if numbers else section.html
    heading_id = section.title_id or f"{section.id}-title"
    lang = f' lang="{section.lang}"' if section.lang != top.lang else ""
    css = "chapter-section" + (" section-page" if page else "")
    html_ = (f'{top.html}\n<section class="{css}" id="{section.id}"{lang}>\n'
             f'<h{level} class="section-title" id="{html.escape(heading_id)}">{html.escape(section.title)}</h{level}>\n'
             f'{body}\n</section>')
    notes = top.notes + tuple(Note(n.id, n.ref_id, numbers[n.id], n.html) for n in section.notes)
    return dataclasses.replace(
        top,
        html=html_,
        notes=notes,
        headings=top.headings + (Heading(level, heading_id, section.title, file=True),) + section.headings,
        resources=top.resources + tuple(r for r in section.resources if r not in top.resources),
        digest=_combine(top.digest, section.digest),
        diagnostics=top.diagnostics + section.diagnostics,
        includes=top.includes + tuple(i for i in section.includes if i not in top.includes),
        merged=top.merged + (section.source,),
    )


def _combine(a: str, b: str) -> str:
    import hashlib

    return hashlib.sha256(f"{a}+{b}".encode()).hexdigest()
