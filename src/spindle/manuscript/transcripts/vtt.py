"""WebVTT: voice tags ``<v Name>…</v>`` (closed or not), Microsoft Teams
exports (GUID cue ids, CRLF, sentences wrapped across cues), Zoom exports
('Name: text' inside cues), cue settings, NOTE, STYLE and REGION blocks.
The header ('WEBVTT - Title', 'Language: zh') and NOTE blocks ('NOTE Title: ...',
'Date: 2024-03-05') give the chapter's title, date and language."""

from __future__ import annotations

import re

from spindle.manuscript.transcripts.common import apply_prefixes, blocks, iso_date, plain
from spindle.manuscript.transcripts.model import Cue, Source, parse_time

TIMING_RE = re.compile(r"^\s*(?P<start>\S+)\s+-->\s+(?P<end>\S+)(?:\s+(?P<settings>.*))?$")
_VOICE_RE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+(?P<name>[^>]*))?>", re.I)
_VOICE_END_RE = re.compile(r"</v\s*>", re.I)
_TEAMS_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:/\d+-\d+)?$", re.I)
_SKIPPED = ("NOTE", "STYLE", "REGION")
_META_RE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z ]{0,20}?)\s*:\s*(?P<value>\S.*)$")
SHAPE = "HH:MM:SS.mmm"


def read(src: Source) -> tuple[list[Cue], str]:
    lines = src.text.removeprefix("\ufeff").split("\n")
    start = 0
    if lines and lines[0].startswith("WEBVTT"):
        start = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
        title = lines[0][6:].strip(" \t-–—:")
        if title:
            src.meta["title"] = title
        _metadata(lines[1:start], src)
    cues: list[Cue] = []
    teams = voiced = False
    for first, block in blocks(lines, start):
        head = block[0].strip()
        if head.split(" ")[0].split("\t")[0] in _SKIPPED:
            if head.startswith("NOTE"):
                _metadata([head[4:].strip(), *block[1:]], src)
            continue
        if "-->" in head:
            timing, payload, number = head, block[1:], first
        elif len(block) > 1 and "-->" in block[1]:
            timing, payload, number = block[1], block[2:], first + 1
            teams = teams or bool(_TEAMS_ID_RE.match(head))
        else:
            raise src.error(f"malformed cue: no timing line '{SHAPE} --> {SHAPE}' before '{_clip(head)}'", first)
        start_s, end_s = timing_of(timing, src, number, SHAPE)
        spans = voices("\n".join(payload))
        voiced = voiced or any(name is not None for name, _ in spans)
        for name, text in spans:
            cues.append(Cue(name, plain(text), number + 1, start_s, end_s))
    cues, zoom = apply_prefixes(cues)
    flavour = "Microsoft Teams" if teams else "Zoom" if zoom and not voiced else "voice tags" if voiced else ""
    return cues, flavour


def _metadata(lines: list[str], src: Source) -> None:
    """'Title: ...', 'Date: ...', 'Language: ...' lines of the header or a NOTE block."""
    for line in lines:
        m = _META_RE.match(line.strip())
        if not m:
            continue
        key, value = m.group("key").lower(), m.group("value").strip()
        if key in ("title", "meeting", "subject", "topic") and "title" not in src.meta:
            src.meta["title"] = value
        elif key in ("date", "recorded", "recorded on", "created", "meeting date") and "date" not in src.meta:
            if iso_date(value):
                src.meta["date"] = iso_date(value)
        elif key in ("language", "lang") and "language" not in src.meta:
            src.meta["language"] = value


def timing_of(line: str, src: Source, number: int, shape: str) -> tuple[float, float]:
    m = TIMING_RE.match(line)
    if not m:
        raise src.error(f"malformed cue timing '{_clip(line.strip())}'; expected '{shape} --> {shape}'", number)
    start = parse_time(m.group("start"), src, number, shape)
    end = parse_time(m.group("end"), src, number, shape)
    if end < start:
        raise src.error(f"cue ends ({m.group('end')}) before it starts ({m.group('start')})", number)
    return start, end


def voices(payload: str) -> list[tuple[str | None, str]]:
    """Split cue text at voice tags: [(speaker, or '' for a nameless voice, or None for no tag; text), ...]."""
    matches = list(_VOICE_RE.finditer(payload))
    if not matches:
        return [(None, payload)]
    spans: list[tuple[str | None, str]] = []
    if payload[: matches[0].start()].strip():
        spans.append((None, payload[: matches[0].start()]))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(payload)
        text = _VOICE_END_RE.sub(" ", payload[m.end():end])
        name = (m.group("name") or "").strip()  # '<v>' without a name: a blank speaker, a turn of its own
        spans.append((name, text))
    return spans


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
