"""Transcripts made of header lines and paragraphs: Otter.ai and Rev text,
plain 'Name: text' text, and the paragraphs of a Teams .docx.

A header names the speaker (and maybe a time, maybe the first words); the
lines after it, up to the next header, are that speaker's words: wrapped
lines join (as their script requires), blank lines separate paragraphs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from spindle.manuscript.transcripts.model import Cue
from spindle.manuscript.transcripts.script import join_all


@dataclass(frozen=True)
class Header:
    speaker: str | None  # None: no name (the turn goes on); "": a blank name (an anonymous turn of its own)
    start: float | None = None
    text: str = ""  # words on the header line itself


Matcher = Callable[[str, int], "Header | None"]


def cues_from(lines: Iterable[tuple[int, str]], match: Matcher) -> list[Cue]:
    """(line number, text) pairs to cues. Text before the first header has no speaker."""
    cues: list[Cue] = []
    speaker: str | None = None
    start: float | None = None
    words: list[str] = []
    first = 0
    new_paragraph = True

    def flush() -> None:
        nonlocal words, start, new_paragraph
        if words:
            cues.append(Cue(speaker, join_all(words), first, start, None, paragraph=new_paragraph))
            start, new_paragraph = None, True
        words = []

    for number, raw in lines:
        line = raw.strip()
        if not line:
            flush()
            continue
        header = match(line, number)
        if header is not None:
            flush()
            speaker, start, first, new_paragraph = header.speaker, header.start, number, True
            if header.text:
                words = [header.text]
            continue
        if not words:
            first = number
        words.append(line)
    flush()
    return cues
