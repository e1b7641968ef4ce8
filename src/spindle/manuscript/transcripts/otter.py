"""Otter.ai text export: a 'Name  0:03' line (name, two spaces, the time),
then the paragraph; 'Unknown Speaker' for voices Otter could not tell; the
closing 'Transcribed by https://otter.ai' line is dropped."""

from __future__ import annotations

import re

from spindle.manuscript.transcripts.headed import Header, cues_from
from spindle.manuscript.transcripts.model import Cue, Source, parse_time

# The name, at least two spaces (or a tab), a time such as 0:03 or 1:02:17.
HEADER_RE = re.compile(r"^(?P<name>\S.{0,60}?)(?:[ \t]{2,}|\t)(?P<time>\d{1,2}(?::\d{2}){1,2})$")
TIME_ONLY_RE = re.compile(r"^(?P<time>\d{1,2}(?::\d{2}){1,2})$")
# Looks like a header but with a broken time, e.g. 'Speaker 1  0:7x' or '2:61'.
LOOSE_RE = re.compile(r"^(?P<name>\S.{0,60}?)(?:[ \t]{2,}|\t)(?P<time>\d[\d:.,]*:[\w:.,]*)$")
TRAILER_RE = re.compile(r"^Transcribed by\b.*otter\.ai\S*$", re.I)
SHAPE = "M:SS or H:MM:SS"


def read(src: Source) -> tuple[list[Cue], str]:
    lines = src.text.removeprefix("\ufeff").split("\n")
    numbered = [(n, line) for n, line in enumerate(lines, 1) if not TRAILER_RE.match(line.strip())]

    def match(line: str, number: int) -> Header | None:
        m = HEADER_RE.match(line) or TIME_ONLY_RE.match(line)
        if m:
            name = m.groupdict().get("name")  # a time without a name: a turn whose speaker is blank
            return Header(name.strip() if name else "", parse_time(m.group("time"), src, number, SHAPE))
        loose = LOOSE_RE.match(line)
        if loose:
            parse_time(loose.group("time"), src, number, SHAPE)  # raises: malformed
        return None

    return cues_from(numbered, match), ""
