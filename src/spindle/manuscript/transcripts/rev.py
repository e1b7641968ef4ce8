"""Rev-style text: 'Speaker 1 (00:03:18):' or 'Name: (03:18)' opens a turn;
the words follow on the same line or the next ones. Editorial notes such as
[inaudible 00:12:31] and [crosstalk] stay in the text."""

from __future__ import annotations

import re

from spindle.manuscript.transcripts.headed import Header, cues_from
from spindle.manuscript.transcripts.model import Cue, Source, parse_time

_NAME = r"(?P<name>[^\W\d_][^():\[\]]{0,59}?)"
_TIME = r"\((?P<time>[\d:.,]+)\)"
HEADER_RES = (
    re.compile(rf"^{_NAME}\s*{_TIME}\s*:\s*(?P<text>.*)$"),  # Speaker 1 (00:03:18):
    re.compile(rf"^{_NAME}\s*:\s*{_TIME}\s*(?P<text>.*)$"),  # Name: (03:18)
    re.compile(rf"^(?P<name>){_TIME}\s*:\s*(?P<text>.*)$"),  # (00:46:45): -- the name was lost: a blank speaker
)
SHAPE = "MM:SS or HH:MM:SS"


def match_header(line: str) -> re.Match | None:
    for regex in HEADER_RES:
        m = regex.match(line)
        if m and ":" in m.group("time"):
            return m
    return None


def read(src: Source) -> tuple[list[Cue], str]:
    lines = src.text.removeprefix("\ufeff").split("\n")

    def match(line: str, number: int) -> Header | None:
        m = match_header(line)
        if not m:
            return None
        start = parse_time(m.group("time"), src, number, SHAPE)
        return Header(m.group("name").strip(), start, m.group("text").strip())

    return cues_from(enumerate(lines, 1), match), ""
