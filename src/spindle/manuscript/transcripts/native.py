"""Write a transcript as spindle's native interview Markdown: front matter
(title, standfirst, language, speakers) and one turn per paragraph group,
each opening with its speaker's label. The transcript's words are escaped so
they stay words (a '*' or '1.' in speech never turns into Markdown); its
editorial notes ([laughs], [inaudible 00:12:31]) stay as they are. Each
turn's start time is kept as data (``{data-start="0:03:18"}``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

import yaml

from spindle.core.errors import TranscriptError
from spindle.manuscript.markdown import EDITORIAL_RE
from spindle.manuscript.model import Speaker
from spindle.manuscript.transcripts.model import Transcript, format_time

_INLINE_RE = re.compile(r"([\\`*_\[\]<>&{}~])")
_BLOCK_START_RE = re.compile(r"^(?:[#>+=:|-]|\d{1,9}(?=[.)]))")
_NOTE_RE = re.compile("\ue000(\\d+)\ue001")
_WS_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Options:
    title: str
    subtitle: str = ""
    standfirst: str = ""
    lang: str = "en"
    date: str = ""  # YYYY-MM-DD: when the interview took place
    timestamps: bool = False  # print each turn's time
    pullquotes: tuple[str, ...] = ()
    notes: Mapping[str, str] = field(default_factory=dict)
    origin: str = ""  # a comment naming the source, for files written by `import`


def write(transcript: Transcript, speakers: Mapping[str, Speaker], options: Options) -> str:
    paragraphs = [list(t.paragraphs) for t in transcript.turns]
    notes = _place_notes(transcript, paragraphs, options.notes)
    quotes = _place_quotes(transcript, options.pullquotes)
    labels = {s.label for s in speakers.values()}
    out = [_front_matter(speakers, options), ""]
    for index, turn in enumerate(transcript.turns):
        speaker = speakers[turn.speaker]
        for n, text in enumerate(paragraphs[index]):
            escaped = escape(text, labels, first=n > 0)
            if n == 0:
                if turn.start is not None:
                    out.append(f'{{data-start="{format_time(turn.start)}"}}')
                escaped = f"{speaker.label}: {escaped}"
            out += [_NOTE_RE.sub(r"[^\1]", escaped), ""]
        for quote in quotes.get(index, ()):
            out += ["::: pullquote", escape(quote, labels, first=True), ":::", ""]
    for number, text in enumerate(notes, 1):
        out += [f"[^{number}]: {_WS_RE.sub(' ', text).strip()}", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def escape(text: str, labels: set[str], first: bool) -> str:
    """Transcript words as Markdown that renders them verbatim. *first*: the
    text opens a paragraph (so '1.', '-', '#' or 'LABEL:' must not start a block or a turn)."""
    parts: list[str] = []
    pos = 0
    for m in EDITORIAL_RE.finditer(text):
        parts.append(_INLINE_RE.sub(r"\\\1", text[pos:m.start()]))
        parts.append(m.group(0))
        pos = m.end()
        if text[pos:pos + 1] == "(":  # "[laughs](" must not become a link
            parts.append("\\(")
            pos += 1
    parts.append(_INLINE_RE.sub(r"\\\1", text[pos:]))
    out = "".join(parts)
    if first:
        m = _BLOCK_START_RE.match(out)
        if m:
            end = m.end()
            out = out[:end] + "\\" + out[end:] if m.group(0)[0].isdigit() else "\\" + out
        label = re.match(r"^([A-Za-z][\w .-]{0,30}?)(\s*):", out)
        if label and label.group(1) in labels:
            out = f"{label.group(1)}{label.group(2)}\\:{out[label.end():]}"
    return out


def _front_matter(speakers: Mapping[str, Speaker], options: Options) -> str:
    data: dict = {"title": options.title, "kind": "interview", "lang": options.lang}
    if options.subtitle:
        data["subtitle"] = options.subtitle
    if options.date:
        data["date"] = options.date
    if options.standfirst:
        data["standfirst"] = _WS_RE.sub(" ", options.standfirst).strip()
    if options.timestamps:
        data["timestamps"] = True
    data["speakers"] = {
        s.label: {k: v for k, v in (("role", s.role), ("name", s.name), ("short", s.short),
                                    ("interviewer", s.interviewer)) if v}
        for s in speakers.values()
    }
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=None)
    comment = f"# {options.origin}\n" if options.origin else ""
    return f"---\n{comment}{text}---"


def _place_quotes(transcript: Transcript, quotes: tuple[str, ...]) -> dict[int, list[str]]:
    """Each pull quote goes after the first turn that says it."""
    placed: dict[int, list[str]] = {}
    texts = [_WS_RE.sub(" ", t.text) for t in transcript.turns]
    for quote in quotes:
        wanted = _WS_RE.sub(" ", quote).strip()
        index = next((i for i, text in enumerate(texts) if wanted in text), None)
        if index is None:
            raise TranscriptError(f"pull quote '{_clip(wanted)}' is not in the transcript; copy it word for word "
                                  "from the text (after cleaning, if clean is on)", transcript.display)
        placed.setdefault(index, []).append(wanted)
    return placed


def _place_notes(transcript: Transcript, paragraphs: list[list[str]], notes: Mapping[str, str]) -> list[str]:
    """Mark each note's call after the first occurrence of the words it is keyed by."""
    texts = []
    for number, (words, text) in enumerate(notes.items(), 1):
        wanted = _WS_RE.sub(" ", words).strip()
        for turn in paragraphs:
            hit = next((k for k, p in enumerate(turn) if wanted in p), None)
            if hit is not None:
                at = turn[hit].index(wanted) + len(wanted)
                turn[hit] = f"{turn[hit][:at]}\ue000{number}\ue001{turn[hit][at:]}"
                break
        else:
            raise TranscriptError(f"note on '{_clip(wanted)}': those words are not in the transcript; key each note "
                                  "by words copied from the text it follows", transcript.display)
        texts.append(text)
    return texts


def _clip(text: str, width: int = 50) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
