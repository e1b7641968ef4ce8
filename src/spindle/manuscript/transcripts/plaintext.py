"""Plain text: turns opening with 'Name: text' (or 'Q:' / 'A:'), optionally with
a time ('[00:01:02] Name: text', 'Name [00:01:02]: text'); unlabelled
lines continue the turn, blank lines separate its paragraphs. A name counts
as a speaker when it opens two or more turns, or is Q, A, Question, Answer,
Interviewer (so a stray 'Note: ...' in a paragraph stays text), or when
labelled lines are at least half of a short exchange."""

from __future__ import annotations

import re
from collections import Counter

from spindle.manuscript.transcripts.headed import Header, cues_from
from spindle.manuscript.transcripts.model import Cue, Source, parse_time

_T = r"\d{1,2}(?::\d{2}){1,2}(?:[.,]\d{1,3})?"
# 'Name: text', with a time before it or after the name: '[00:01:02] Name: text', '0:01:02 Name: text',
# 'Name [00:01:02]: text'. The time is kept as the turn's start, never left in the words.
LABEL_RE = re.compile(rf"^(?:\[?(?P<time>{_T})\]?\s+(?:[-–]\s+)?)?(?P<name>[^\W\d_][\w .'’-]{{0,39}}?)"
                      rf"(?:\s*\[(?P<time2>{_T})\])?\s*:(?:\s+(?P<text>\S.*))?$")
ALWAYS = {"q", "a", "question", "answer", "interviewer", "interviewee"}


def labels(lines: list[str]) -> set[str]:
    """The names that open turns in these lines (a short exchange where every
    line is labelled counts too: 'Speaker 1: Hi' / 'Speaker 2: Hello')."""
    counts: Counter[str] = Counter()
    timed: set[str] = set()  # a name given a time is a speaker, however often it speaks
    for line in lines:
        m = LABEL_RE.match(line.strip())
        if m and len(m.group("name").split()) <= 5:
            counts[m.group("name").strip()] += 1
            if m.group("time") or m.group("time2"):
                timed.add(m.group("name").strip())
    names = {name for name, n in counts.items() if n >= 2 or name.lower() in ALWAYS} | timed
    if not names and len(counts) >= 2 and sum(counts.values()) * 2 >= sum(1 for line in lines if line.strip()):
        names = set(counts)
    return names


def read(src: Source) -> tuple[list[Cue], str]:
    lines = src.text.removeprefix("\ufeff").split("\n")
    names = labels(lines)

    def match(line: str, number: int) -> Header | None:
        m = LABEL_RE.match(line)
        if m and m.group("name").strip() in names:
            time = m.group("time") or m.group("time2")
            start = parse_time(time, src, number, "HH:MM:SS") if time else None
            return Header(m.group("name").strip(), start, (m.group("text") or "").strip())
        return None

    qa = bool(names) and {n.lower() for n in names} <= {"q", "a"}
    return cues_from(enumerate(lines, 1), match), "Q and A" if qa else ""
