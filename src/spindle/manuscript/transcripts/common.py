"""Helpers shared by the readers: blocks of lines, markup in cue text, and
'Name: text' prefixes (Zoom, SRT, plain text)."""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Iterator

from spindle.manuscript.transcripts.model import Cue
from spindle.manuscript.transcripts.script import unwrap

_MONTHS = {m: n for n, names in enumerate((
    "january jan januari janvier enero januar", "february feb februari février febrero februar",
    "march mar maart mars marzo märz", "april apr avril abril", "may mei mai mayo", "june jun juni juin junio",
    "july jul juli juillet julio", "august aug augustus août agosto", "september sep sept septembre septiembre",
    "october oct oktober octobre octubre", "november nov novembre noviembre", "december dec december décembre diciembre dezember",
), 1) for m in names.split()}
_ISO_RE = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:\b|T)")
_DMY_RE = re.compile(r"\b(\d{1,2})\.?\s+([^\W\d_]+)\.?,?\s+(\d{4})\b")
_MDY_RE = re.compile(r"\b([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_CJK_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")

_TAG_RE = re.compile(r"</?[A-Za-z][^>]*>|<\d[\d:.]*>")  # markup and WebVTT inner timestamps
_ASS_RE = re.compile(r"\{\\[^}]*\}")  # SRT positioning such as {\an8}
_WS_RE = re.compile(r"\s+")
# A speaker prefix: a short name (no sentence punctuation), a colon, a space.
_PREFIX_RE = re.compile(r"^(?P<name>[^\W\d_][^:!?;\"“”\[\]<>]{0,39}?)\s*:\s+(?P<text>\S.*)$", re.S)
INTERVIEWER_LABELS = {"q", "question", "interviewer", "host", "moderator"}


def blocks(lines: list[str], start: int = 0) -> Iterator[tuple[int, list[str]]]:
    """Runs of non-blank lines with the 1-based number of their first line."""
    block: list[str] = []
    first = 0
    for number, line in enumerate(lines[start:], start + 1):
        if line.strip():
            if not block:
                first = number
            block.append(line)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def plain(text: str) -> str:
    """Cue text without markup or entities, on one line (lines wrapped between Chinese or
    Japanese characters join without a space)."""
    text = unwrap(_ASS_RE.sub("", _TAG_RE.sub("", text)))
    text = html.unescape(text).replace("\u200e", "").replace("\u200f", "").replace("\xa0", " ")
    return _WS_RE.sub(" ", text).strip()


def split_prefix(text: str) -> tuple[str, str] | None:
    m = _PREFIX_RE.match(text)
    if not m:
        return None
    name = m.group("name").strip()
    if len(name.split()) > 5 or name.lower().startswith(("http", "www")):
        return None
    return name, m.group("text")


def apply_prefixes(cues: list[Cue]) -> tuple[list[Cue], bool]:
    """Zoom-style 'Name: text' cues: when most unvoiced cues open with a name
    that recurs, that name is the speaker. Returns (cues, whether it applied)."""
    open_cues = [c for c in cues if c.speaker is None]
    found = [split_prefix(c.text) for c in open_cues]
    names = Counter(f[0] for f in found if f)
    if not open_cues or sum(names.values()) * 2 < len(open_cues):
        return cues, False
    accepted = {n for n, k in names.items() if k >= 2} if sum(names.values()) > 3 else set(names)
    if not accepted:
        return cues, False
    out = []
    for cue in cues:
        split = split_prefix(cue.text) if cue.speaker is None else None
        if split and split[0] in accepted:
            cue = Cue(split[0], split[1], cue.line, cue.start, cue.end, cue.paragraph)
        out.append(cue)
    return out, True


def iso_date(text: str) -> str:
    """A date written the ways exports write it ('2024-03-05T14:02:00Z', '5 March 2024, 14:02',
    'March 5, 2024 2:02 PM', '2024年3月5日') as YYYY-MM-DD; '' when there is none."""
    parts = None
    m = _ISO_RE.search(text) or _CJK_DATE_RE.search(text)
    if m:
        parts = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _DMY_RE.search(text)
        if m and m.group(2).lower() in _MONTHS:
            parts = int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))
        else:
            m = _MDY_RE.search(text)
            if m and m.group(1).lower() in _MONTHS:
                parts = int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2))
    if parts is None:
        return ""
    import datetime

    try:
        return datetime.date(*parts).isoformat()
    except ValueError:
        return ""
