"""Read any supported transcript into the model: decode, detect the format,
parse its cues, merge them into turns, and (optionally) clean the speech."""

from __future__ import annotations

from dataclasses import replace

from spindle.manuscript.transcripts import docx_teams, otter, plaintext, rev, srt, vtt, whisper
from spindle.manuscript.transcripts.assemble import assemble
from spindle.manuscript.transcripts.clean import Cleaner
from spindle.manuscript.transcripts.detect import detect, empty
from spindle.project.formats import FORMATS
from spindle.manuscript.transcripts.model import Layout, Transcript, Turn
from spindle.project.language import from_name_or_tag
from spindle.manuscript.transcripts.source import ZIP_MAGIC, decode

READERS = {
    "vtt": vtt.read, "srt": srt.read, "otter": otter.read, "rev": rev.read,
    "whisper": whisper.read, "docx": docx_teams.read, "text": plaintext.read,
}
assert set(READERS) == set(FORMATS)


def read(data: bytes, display: str, *, suffix: str = "", format: str = "auto", clean: bool = False,
         lang: str | None = None, fallback: str = "en", layout: Layout = Layout()) -> Transcript:
    """*lang*: the transcript's language as given; None: the file's own metadata says, or
    it is guessed from the text, or (when neither can tell) it is *fallback*."""
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
    turns, words_in = assemble(cues, layout)
    lang, origin = _language(lang, fallback, turns, src)
    removed = 0
    if clean:
        turns, removed = clean_turns(turns, lang)
    if not turns:
        raise empty(src)
    return Transcript(display, fmt, flavour, tuple(turns), tuple(src.warnings), removed, lang=lang, lang_origin=origin,
                      title=src.meta.get("title", ""), date=src.meta.get("date", ""), cues=len(cues),
                      words_in=tuple(words_in.items()))


def _language(given: str | None, fallback: str, turns: list[Turn], src) -> tuple[str, str]:
    """(tag, how it was chosen): as given; else the file's own (valid) language; else guessed; else *fallback*."""
    if given:
        return given, ""
    stated = src.meta.get("language", "")
    if stated:
        try:
            return from_name_or_tag(stated), "the file's metadata"
        except ValueError as exc:
            src.warnings.append(f"{src.display}: its language {exc}; ignored")
    from spindle.manuscript.transcripts.language import guess

    found = guess("\n".join(p for t in turns for p in t.paragraphs))
    if found is None:
        return fallback, "not told by the text: the default"
    return found.lang, f"guessed from the text: {found.reason}"


def clean_turns(turns: list[Turn], lang: str) -> tuple[list[Turn], int]:
    """Remove fillers and stutters; drop what was nothing but fillers, and merge
    the turns of a speaker that such a drop brings together."""
    cleaner = Cleaner(lang)
    removed = 0
    out: list[Turn] = []
    dropped = False
    for turn in turns:
        paragraphs = []
        for paragraph in turn.paragraphs:
            text, count = cleaner.clean(paragraph)
            removed += count
            if text:
                paragraphs.append(text)
        if not paragraphs:
            dropped = True
            continue
        if out and out[-1].speaker == turn.speaker and dropped:
            out[-1] = replace(out[-1], paragraphs=out[-1].paragraphs + tuple(paragraphs), end=turn.end)
        else:
            out.append(replace(turn, paragraphs=tuple(paragraphs)))
        dropped = False
    return out, removed
