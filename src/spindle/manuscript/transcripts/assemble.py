"""Cues to turns: consecutive cues of one speaker merge into one turn, joined
as their script requires (a space, or none between Chinese or Japanese cues);
a new paragraph starts where the source has one, after a pause that follows a
sentence end, at the first sentence end past half the length limit, and
before a cue that would take the paragraph over it; a paragraph still over
the limit (one long source paragraph) is cut at sentence ends, clauses, words.

A cue with no label continues the current turn; a blank name or the unknown
speaker is an anonymous speaker: it never joins a named speaker's turn, and a
blank name (a header without a name) always opens a turn of its own."""

from __future__ import annotations

import re

from spindle.manuscript.transcripts.model import UNKNOWN, Cue, Layout, Turn
from spindle.manuscript.transcripts.script import join, measure, sentence_end, split_long, words

_WS_RE = re.compile(r"\s+")


def assemble(cues: list[Cue], layout: Layout = Layout()) -> tuple[list[Turn], dict[str, int]]:
    """(turns, words read per speaker)."""
    turns: list[dict] = []
    words_in: dict[str, int] = {}
    last_end: float | None = None
    punctuated = any(sentence_end(c.text) for c in cues)
    for cue in cues:
        text = _WS_RE.sub(" ", cue.text).strip()
        if not text:
            continue
        speaker = cue.speaker
        own = speaker == ""  # a header without a name: a turn of its own
        if speaker is None:  # an unlabelled cue continues the current turn
            speaker = turns[-1]["speaker"] if turns else UNKNOWN
        elif own or speaker.casefold() == UNKNOWN.casefold():
            speaker = UNKNOWN
        words_in[speaker] = words_in.get(speaker, 0) + words(text)
        current = turns[-1] if turns else None
        if current is not None and current["speaker"] == speaker and not own:
            paragraphs = current["paragraphs"]
            last = paragraphs[-1]
            gap = cue.start - last_end if cue.start is not None and last_end is not None else 0.0
            ends = sentence_end(last) or not punctuated  # unpunctuated speech: every cue may end one
            if (cue.paragraph or (gap >= layout.pause and ends) or (ends and measure(last) >= layout.words / 2)
                    or measure(last) + measure(text) > layout.words):
                paragraphs.append(text)
            else:
                paragraphs[-1] = join(last, text)
            if cue.end is not None:
                current["end"] = cue.end
        else:
            turns.append({"speaker": speaker, "paragraphs": [text], "line": cue.line, "start": cue.start, "end": cue.end})
        last_end = cue.end if cue.end is not None else last_end
    out = []
    for t in turns:
        paragraphs = tuple(p for paragraph in t["paragraphs"] for p in split_long(paragraph, layout.words))
        out.append(Turn(t["speaker"], paragraphs, t["line"], t["start"], t["end"]))
    return out, words_in
