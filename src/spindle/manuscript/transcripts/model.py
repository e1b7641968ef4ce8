"""The transcript model: what every importer produces.

A reader turns a file into ``Cue``s (one speaker's words with their time and
source line); ``assemble`` merges them into ``Turn``s. Times are seconds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spindle.core.errors import TranscriptError

UNKNOWN = "Unknown Speaker"  # the one anonymous speaker (Otter.ai's own term)

TIME_RE = re.compile(r"^(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?$")


@dataclass(frozen=True)
class Cue:
    speaker: str | None  # as named in the source; None: no label
    text: str
    line: int  # 1-based line (or paragraph) of the source where the cue starts
    start: float | None = None
    end: float | None = None
    paragraph: bool = False  # the source starts a new paragraph here
    # speaker None: the cue has no label and continues the current turn; "" (a blank name where the
    # source gives one) or UNKNOWN: an anonymous speaker, never merged into a named speaker's turn.


@dataclass(frozen=True)
class Turn:
    speaker: str  # as named in the source (UNKNOWN for unlabelled cues)
    paragraphs: tuple[str, ...]
    line: int
    start: float | None = None
    end: float | None = None

    @property
    def text(self) -> str:
        return " ".join(self.paragraphs)


@dataclass(frozen=True)
class Layout:
    """How cues become paragraphs: a new one after a pause of *pause* seconds that
    follows a sentence end, at the first sentence end past half of *words*, and
    never longer than *words* (a Chinese or Japanese character counts half)."""

    pause: float = 2.0
    words: int = 250


@dataclass(frozen=True)
class Transcript:
    display: str  # the file as shown to the user
    format: str  # a key of FORMATS
    flavour: str  # e.g. "Microsoft Teams", "Zoom", "WhisperX"
    turns: tuple[Turn, ...]
    warnings: tuple[str, ...] = ()
    removed: int = 0  # fillers and stutters removed by cleaning
    lang: str = "en"  # BCP 47
    lang_origin: str = ""  # how the language was chosen: "", or what it was told by (for the summary)
    title: str = ""  # from the file's own metadata (Teams .docx header, WebVTT header or NOTE, JSON)
    date: str = ""  # YYYY-MM-DD, likewise
    cues: int = 0  # cues (or header paragraphs) read
    words_in: tuple[tuple[str, int], ...] = ()  # words read per speaker, labels and times left out

    def words_out(self) -> dict[str, int]:
        from spindle.manuscript.transcripts.script import words

        out: dict[str, int] = {}
        for turn in self.turns:
            out[turn.speaker] = out.get(turn.speaker, 0) + sum(words(p) for p in turn.paragraphs)
        return out

    @property
    def speakers(self) -> tuple[str, ...]:
        """Speakers in order of first appearance."""
        return tuple(dict.fromkeys(t.speaker for t in self.turns))


@dataclass
class Source:
    """A decoded transcript file: its text (or bytes, for .docx) and where it came from."""

    display: str
    text: str = ""
    data: bytes = b""
    suffix: str = ""
    warnings: list[str] = field(default_factory=list)
    parsed: object = None  # the JSON document, once detection has parsed it
    meta: dict[str, str] = field(default_factory=dict)  # title, date, language found in the file itself

    def error(self, message: str, line: int | None = None) -> TranscriptError:
        return TranscriptError(message, self.display, line)


def parse_time(value: str, src: Source, line: int, shape: str = "HH:MM:SS.mmm") -> float:
    """'01:02:03.450', '2:03.4', '1:02:03,450' or '0:03' to seconds; else a one-line error."""
    m = TIME_RE.match(value.strip())
    if not m or int(m.group(2)) >= 60 and m.group(1) is not None or int(m.group(3)) >= 60:
        raise src.error(f"malformed timestamp '{value.strip()}'; expected {shape}", line)
    hours, minutes, seconds, fraction = m.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    if fraction:
        total += int(fraction.ljust(3, "0")) / 1000
    return float(total)


def format_time(seconds: float) -> str:
    """Seconds to 'H:MM:SS' (hours always shown, for a stable width)."""
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
