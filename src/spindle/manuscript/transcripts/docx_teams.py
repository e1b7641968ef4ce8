"""Microsoft Teams transcripts downloaded as Word (.docx), read with python-docx.

Two shapes: the current one ('Name   0:03' then the words, after a preamble
of meeting title, date and duration) and the older one ('0:0:0.0 -->
0:0:5.320', then the name, then the words). Lines such as 'Name started
transcription' are dropped. Line numbers are paragraph numbers."""

from __future__ import annotations

import io
import re
import zipfile

from spindle.manuscript.transcripts.headed import Header, cues_from
from spindle.manuscript.transcripts.model import Cue, Source, parse_time

# 'Name   0:03' -- but not a date line of the preamble such as '5 March 2024, 14:02'.
HEADER_RE = re.compile(r"^(?P<name>(?!.*\b(?:19|20)\d\d\b)\S.{0,60}?)(?<![,;])\s+(?P<time>\d{1,2}(?::\d{2}){1,2})$")
ARROW_RE = re.compile(r"^(?P<start>\d+:\d+:\d+(?:[.,]\d+)?)\s*-->\s*(?P<end>\S+)$")
LOOSE_ARROW_RE = re.compile(r"^\S*\d\S*\s*-->\s*\S*$")
EVENT_RE = re.compile(r"^.{1,80}\b(started|stopped) transcription$", re.I)
SHAPE = "H:M:S.f --> H:M:S.f"


def is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "word/document.xml" in z.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def paragraphs(src: Source) -> list[tuple[int, str]]:
    """(paragraph number, line) pairs; line breaks inside a paragraph split it."""
    import docx  # python-docx, lazily: only .docx imports need it

    try:
        document = docx.Document(io.BytesIO(src.data))
    except Exception as exc:  # python-docx raises several types for a broken package
        raise src.error(f"not a readable Word .docx file ({type(exc).__name__}); export the transcript again") from None
    out: list[tuple[int, str]] = []
    for number, paragraph in enumerate(document.paragraphs, 1):
        for line in paragraph.text.replace("\v", "\n").split("\n"):
            out.append((number, line))
        out.append((number, ""))
    return out


def read(src: Source) -> tuple[list[Cue], str]:
    lines = [(n, line.strip()) for n, line in paragraphs(src) if not EVENT_RE.match(line.strip())]
    if any(ARROW_RE.match(line) or LOOSE_ARROW_RE.match(line) for _, line in lines):
        return _arrow_shape(lines, src), "Microsoft Teams (older)"
    def match(line: str, number: int) -> Header | None:
        m = HEADER_RE.match(line)
        if m:
            return Header(m.group("name").strip(), parse_time(m.group("time"), src, number, "M:SS or H:MM:SS"))
        return None

    # The preamble (title, date, duration) comes before the first header: skip it.
    first = next((i for i, (n, line) in enumerate(lines) if HEADER_RE.match(line)), len(lines))
    if first == len(lines) and any(line for _, line in lines):
        raise src.error("a Word document without Teams speaker lines ('Name   0:03'), so not a Teams transcript; "
                        "name it in book.toml as a chapter (Word chapters build as they are) or run "
                        "'spindle import docx'")
    return cues_from(lines[first:], match), "Microsoft Teams"


def _arrow_shape(lines: list[tuple[int, str]], src: Source) -> list[Cue]:
    cues: list[Cue] = []
    i = 0
    while i < len(lines):
        number, line = lines[i]
        if "-->" not in line:
            i += 1
            continue
        m = ARROW_RE.match(line)
        if not m:
            raise src.error(f"malformed timestamp line '{line}' (paragraph {number}); expected {SHAPE}", number)
        start = parse_time(m.group("start"), src, number, SHAPE)
        end = parse_time(m.group("end"), src, number, SHAPE)
        body = []
        j = i + 1
        while j < len(lines) and "-->" not in lines[j][1]:
            if lines[j][1]:
                body.append(lines[j][1])
            j += 1
        if body:
            speaker, words = (body[0], body[1:]) if len(body) > 1 else (None, body)
            cues.append(Cue(speaker, " ".join(words), number, start, end))
        i = j
    return cues
