"""Read any supported transcript into the model: decode, detect the format,
parse its cues, merge them into turns, and (optionally) clean the speech."""

from __future__ import annotations

from dataclasses import replace

from spindle.manuscript.transcripts import docx_teams, otter, plaintext, rev, srt, vtt, whisper
from spindle.manuscript.transcripts.assemble import assemble
from spindle.manuscript.transcripts.clean import Cleaner
from spindle.manuscript.transcripts.detect import detect, empty
from spindle.project.formats import FORMATS
from spindle.manuscript.transcripts.model import Transcript, Turn
from spindle.manuscript.transcripts.source import ZIP_MAGIC, decode

READERS = {
    "vtt": vtt.read, "srt": srt.read, "otter": otter.read, "rev": rev.read,
    "whisper": whisper.read, "docx": docx_teams.read, "text": plaintext.read,
}
assert set(READERS) == set(FORMATS)


def read(data: bytes, display: str, *, suffix: str = "", format: str = "auto", clean: bool = False,
         lang: str = "en") -> Transcript:
    src = decode(data, display, suffix)
    fmt = detect(src) if format == "auto" else format
    is_zip = src.data.startswith(ZIP_MAGIC)
    if fmt == "docx" and not is_zip:
        raise src.error("not a Word .docx file (it is text); pass --format auto or the text format it is in")
    if fmt != "docx" and is_zip:
        raise src.error(f"a zip archive (.docx?), not {fmt} text; pass --format docx or auto")
    if fmt != "docx" and not src.text.strip():
        raise empty(src)
    cues, flavour = READERS[fmt](src)
    turns = assemble(cues)
    removed = 0
    if clean:
        turns, removed = clean_turns(turns, lang)
    if not turns:
        raise empty(src)
    return Transcript(display, fmt, flavour, tuple(turns), tuple(src.warnings), removed)


def clean_turns(turns: list[Turn], lang: str) -> tuple[list[Turn], int]:
    """Remove fillers and stutters; drop what was nothing but fillers, and merge
    the turns of a speaker that such a drop brings together."""
    cleaner = Cleaner(lang)
    removed = 0
    out: list[Turn] = []
    for turn in turns:
        paragraphs = []
        for paragraph in turn.paragraphs:
            text, count = cleaner.clean(paragraph)
            removed += count
            if text:
                paragraphs.append(text)
        if not paragraphs:
            continue
        if out and out[-1].speaker == turn.speaker:
            out[-1] = replace(out[-1], paragraphs=out[-1].paragraphs + tuple(paragraphs), end=turn.end)
        else:
            out.append(replace(turn, paragraphs=tuple(paragraphs)))
    return out, removed
