"""SubRip (.srt): numbered cues, 'HH:MM:SS,mmm --> HH:MM:SS,mmm', text lines,
with or without 'Name:' prefixes (and the odd <i> or {\\an8} tag)."""

from __future__ import annotations

from spindle.manuscript.transcripts.common import apply_prefixes, blocks, plain
from spindle.manuscript.transcripts.model import Cue, Source
from spindle.manuscript.transcripts.vtt import timing_of, voices

SHAPE = "HH:MM:SS,mmm"


def read(src: Source) -> tuple[list[Cue], str]:
    lines = src.text.removeprefix("\ufeff").split("\n")
    cues: list[Cue] = []
    for first, block in blocks(lines):
        head = block[0].strip()
        if "-->" in head:
            timing, payload, number = head, block[1:], first
        elif head.isdigit() and len(block) > 1:
            timing, payload, number = block[1], block[2:], first + 1
        else:
            raise src.error(f"malformed cue: expected a cue number and a timing line '{SHAPE} --> {SHAPE}'", first)
        start, end = timing_of(timing, src, number, SHAPE)
        for name, text in voices("\n".join(payload)):
            cues.append(Cue(name, plain(text), number + 1, start, end))
    cues, named = apply_prefixes(cues)
    return cues, "with names" if named else ""
