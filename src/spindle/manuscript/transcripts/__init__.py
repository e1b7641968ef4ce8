"""Interview transcripts: read the formats authors receive (WebVTT from Teams
and Zoom, SRT, Otter.ai and Rev text, Whisper/WhisperX JSON, Teams .docx,
plain 'Name: text') into one model of turns, and write it as spindle's
native interview Markdown.

    read()       bytes -> Transcript          (reader.py; one module per format)
    resolve()    transcript speakers -> Speakers with labels and roles (speakers.py)
    to_markdown()  Transcript + Speakers -> native Markdown (native.py)

Importing this package is cheap: python-docx loads only for a .docx."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from spindle.project.formats import FORMAT_CHOICES, FORMATS, supported
from spindle.manuscript.transcripts.model import UNKNOWN, Cue, Transcript, Turn

if TYPE_CHECKING:
    from spindle.project.config import SpeakerEntry
    from spindle.manuscript.model import Speaker
    from spindle.manuscript.transcripts.native import Options

__all__ = ["FORMATS", "FORMAT_CHOICES", "UNKNOWN", "Cue", "Transcript", "Turn", "supported", "read", "markdown_for"]


def read(data: bytes, display: str, **options) -> Transcript:
    from spindle.manuscript.transcripts.reader import read as _read

    return _read(data, display, **options)


def markdown_for(transcript: Transcript, speakers: Mapping[str, SpeakerEntry], options: Options,
                 hint: str) -> tuple[str, dict[str, Speaker], list[str]]:
    """Native Markdown for *transcript*: (text, speakers by transcript name, warnings).
    *hint* says where a missing speaker is added ('{name}' is replaced)."""
    from spindle.manuscript.transcripts.native import write
    from spindle.manuscript.transcripts.speakers import resolve

    who, warnings = resolve(transcript, speakers, hint)
    return write(transcript, who, options), who, warnings
