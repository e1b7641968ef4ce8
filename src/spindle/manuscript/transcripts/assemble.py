"""Cues to turns: consecutive cues of one speaker merge into one turn, lines
and cues wrapped mid-sentence join with a space, and a long pause after a
full stop (or a paragraph in the source) starts a new paragraph."""

from __future__ import annotations

import re

from spindle.manuscript.transcripts.model import UNKNOWN, Cue, Turn

PARAGRAPH_GAP = 5.0  # seconds of silence after a sentence that start a new paragraph
_SENTENCE_END_RE = re.compile(r"[.!?…][\"”'’)\]]*$")
_WS_RE = re.compile(r"\s+")


def assemble(cues: list[Cue]) -> list[Turn]:
    turns: list[dict] = []
    last_end: float | None = None
    for cue in cues:
        text = _WS_RE.sub(" ", cue.text).strip()
        if not text:
            continue
        speaker = cue.speaker
        if speaker is None:  # an unlabelled cue continues the current turn
            speaker = turns[-1]["speaker"] if turns else UNKNOWN
        elif speaker.casefold() == UNKNOWN.casefold():  # Otter.ai's name for it
            speaker = UNKNOWN
        current = turns[-1] if turns else None
        if current is not None and current["speaker"] == speaker:
            paragraphs = current["paragraphs"]
            gap = cue.start - last_end if cue.start is not None and last_end is not None else 0.0
            if cue.paragraph or (gap >= PARAGRAPH_GAP and _SENTENCE_END_RE.search(paragraphs[-1])):
                paragraphs.append(text)
            else:
                paragraphs[-1] = f"{paragraphs[-1]} {text}"
            if cue.end is not None:
                current["end"] = cue.end
        else:
            turns.append({"speaker": speaker, "paragraphs": [text], "line": cue.line, "start": cue.start, "end": cue.end})
        last_end = cue.end if cue.end is not None else last_end
    return [Turn(t["speaker"], tuple(t["paragraphs"]), t["line"], t["start"], t["end"]) for t in turns]

