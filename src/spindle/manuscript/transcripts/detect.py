"""Tell a transcript's format from its content (never from the extension alone)."""

from __future__ import annotations

import json
import re

from spindle.manuscript.transcripts import otter, plaintext, rev, whisper
from spindle.manuscript.transcripts.docx_teams import is_docx
from spindle.project.formats import supported
from spindle.manuscript.transcripts.model import Source
from spindle.manuscript.transcripts.source import ZIP_MAGIC

_TIMING_RE = re.compile(r"^\s*\d[\d:.,]*\s+-->\s+\d[\d:.,]*(\s|$)", re.M)


def detect(src: Source) -> str:
    if src.data.startswith(ZIP_MAGIC):
        if is_docx(src.data):
            return "docx"
        raise src.error(f"a zip archive but not a Word .docx; supported formats: {supported()}")
    text = src.text.lstrip("\ufeff \t\n")
    if not text.strip():
        raise empty(src)
    if text.startswith("WEBVTT"):
        return "vtt"
    if text[0] in "{[":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if text[0] == "{":
                raise src.error(f"invalid JSON: {exc.msg}; export the transcript again", exc.lineno) from None
        else:
            if whisper.shape(data):
                src.parsed = data
                return "whisper"
            raise src.error(f"JSON, but not Whisper, WhisperX or whisper.cpp output, nor a list of segments or utterances with text; supported formats: {supported()}")
    if _TIMING_RE.search(text):
        return "srt"
    lines = [line.strip() for line in src.text.split("\n")]
    otter_at = next((n for n, line in enumerate(lines, 1) if otter.HEADER_RE.match(line) or otter.TRAILER_RE.match(line)), None)
    rev_at = next((n for n, line in enumerate(lines, 1) if rev.match_header(line)), None)
    if otter_at and rev_at:
        raise src.error(
            f"ambiguous transcript format: Otter.ai lines ('Name  0:03', line {otter_at}) and Rev lines "
            f"('Name (00:03:18):', line {rev_at}) both occur; pass --format otter or --format rev "
            f"(supported formats: {supported()})"
        )
    if otter_at:
        return "otter"
    if rev_at:
        return "rev"
    if plaintext.labels(lines):
        return "text"
    raise src.error(
        "unknown transcript format: no WEBVTT header, cue timings, speaker lines or Whisper JSON found; "
        f"pass --format with one of: {supported()}"
    )


def empty(src: Source):
    return src.error("the transcript is empty: no spoken text found; export it again with its text")
