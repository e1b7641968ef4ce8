"""Map the speakers named in a transcript ('Speaker 1', 'SPEAKER_00', a Teams
display name) to the interview's speakers: a short label for the native
Markdown, the role or name printed, and who the interviewer is."""

from __future__ import annotations

import re
from typing import Mapping

from spindle.project.config import SpeakerEntry
from spindle.core.errors import TranscriptError
from spindle.manuscript.model import Speaker
from spindle.manuscript.transcripts.common import INTERVIEWER_LABELS
from spindle.manuscript.transcripts.model import UNKNOWN, Transcript

LABEL_RE = re.compile(r"^[A-Za-z][\w .-]{0,30}$")


def resolve(transcript: Transcript, entries: Mapping[str, SpeakerEntry], hint: str) -> tuple[dict[str, Speaker], list[str]]:
    """Speakers by their name in the transcript. With a map, everyone who speaks
    (but the anonymous speaker) must be in it; *hint* says where to add them."""
    warnings: list[str] = []
    named = transcript.speakers
    if any(e.role or e.name for e in entries.values()):  # a map of who is who, not just --interviewer
        for raw in named:
            if raw != UNKNOWN and raw not in entries:
                line = next(t.line for t in transcript.turns if t.speaker == raw)
                raise TranscriptError(f"speaker '{raw}' is not in the speaker map; {hint.format(name=raw)}",
                                      transcript.display, line)
        for raw in entries:
            if raw not in named:
                warnings.append(f"{transcript.display}: the speaker map names '{raw}', who never speaks in this transcript")
    if UNKNOWN in named and UNKNOWN not in entries:
        first = next(t for t in transcript.turns if t.speaker == UNKNOWN)
        count = sum(1 for t in transcript.turns if t.speaker == UNKNOWN)
        warnings.append(f"{transcript.display}:{first.line}: {count} turn(s) name no speaker; kept as one anonymous "
                        f"speaker '{UNKNOWN}' (give it a role in the speaker map: '{UNKNOWN}=ROLE')")
    # The map's order (the author's) first, then anyone else in order of appearance.
    named = tuple(raw for raw in entries if raw in named) + tuple(raw for raw in named if raw not in entries)
    explicit = [entries[raw].label for raw in named if raw in entries and entries[raw].label]
    for label in explicit:
        if not LABEL_RE.match(label):
            raise TranscriptError(f"speaker label '{label}' must start with a letter and hold only letters, digits, "
                                  "spaces, '.', '-' or '_' (at most 31)", transcript.display)
        if explicit.count(label) > 1:
            raise TranscriptError(f"speaker label '{label}' is given twice; give each speaker its own", transcript.display)
    taken = set(explicit)
    out: dict[str, Speaker] = {}
    for raw in named:
        entry = entries.get(raw, SpeakerEntry())
        interviewer = entry.interviewer if entry.interviewer is not None else _asks(raw, entry.role)
        default_role = "Unidentified speaker" if raw == UNKNOWN else raw
        role = entry.role or ("" if entry.name else default_role)
        label = entry.label
        if not label:
            label = _unique(_label(raw, interviewer), taken)
            taken.add(label)
        out[raw] = Speaker(label=label, role=role, name=entry.name, short=entry.short, interviewer=interviewer)
    return out, warnings


def _asks(raw: str, role: str) -> bool:
    """A guess: 'Q', 'Interviewer', 'Host' ... or a role that starts with one of those words."""
    said = role.strip() or raw.strip()  # the mapped role, else the name itself ('Interviewer (The Broker)')
    first = re.split(r"[\s,(]", said, maxsplit=1)[0].casefold() if said else ""
    return raw.casefold() in INTERVIEWER_LABELS or first in INTERVIEWER_LABELS - {"q", "question"}


def _label(raw: str, interviewer: bool) -> str:
    if interviewer:
        return "Q"
    if raw == UNKNOWN:
        return "U"
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,4}", raw):
        return raw.upper()
    words = re.findall(r"[^\W_]+", raw)
    initials = "".join(w if w.isdigit() else w[0].upper() for w in words) or "S"
    return initials if initials[0].isalpha() else "S" + initials


def _unique(label: str, taken: set[str]) -> str:
    candidate, n = label, 2
    while candidate in taken:
        candidate, n = f"{label}{n}", n + 1
    return candidate
