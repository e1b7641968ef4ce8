"""The supported transcript formats (no imports: config.py reads this)."""

from __future__ import annotations

FORMATS: dict[str, str] = {
    "vtt": "WebVTT (voice tags, Microsoft Teams, Zoom)",
    "srt": "SubRip .srt (with or without 'Name:' prefixes)",
    "otter": "Otter.ai text export ('Name  0:03' lines)",
    "rev": "Rev text ('Speaker 1 (00:03:18):' or 'Name: (03:18)')",
    "whisper": "transcript JSON: Whisper, WhisperX, whisper.cpp, diarisers' segments or utterances",
    "docx": "Microsoft Teams Word transcript (.docx)",
    "text": "plain text ('Name: text' or 'Q:' / 'A:' turns)",
}
FORMAT_CHOICES = ("auto", *FORMATS)


def supported() -> str:
    """One line listing the formats, for error messages."""
    return "; ".join(f"{key} = {text}" for key, text in FORMATS.items())
