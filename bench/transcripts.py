"""Benchmark: import a two-hour interview (1,500 cues) in each timed format.

    .venv/bin/python bench/transcripts.py [--cues 1500] [--repeat 5]

Generates the transcripts in memory (a Teams WebVTT with GUID cue ids, CRLF
and sentences wrapped across cues; a Zoom WebVTT; SRT with names; WhisperX
JSON, compact as WhisperX writes it and indented; an Otter.ai export) and times what `spindle transcript import` does:
decode, detect, parse, merge into turns, clean, map speakers and write the
native Markdown. Prints the median of --repeat runs per format and exits 1
if any format takes a second or more (the budget: "well under a second")."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid

from spindle.project.config import SpeakerEntry
from spindle.manuscript.transcripts import markdown_for, read
from spindle.manuscript.transcripts.native import Options

SPEAKERS = ["Interviewer (The Broker)", "Programme Officer", "Network Coordinator"]
SENTENCES = [
    "We started with a small grant and, um, a lot of goodwill on both sides",
    "the reporting was the hardest part because every funder wanted its own template",
    "I I think trust grew when we could say no without losing the relationship",
    "most of the risk sits with the people doing the work, not with the foundation",
    "so we agreed to meet in the region rather than in Europe",
]
BUDGET = 1.0  # seconds


def stamp(seconds: float, comma: bool = False) -> str:
    ms = int(round(seconds * 1000))
    text = f"{ms // 3600000:02d}:{ms % 3600000 // 60000:02d}:{ms % 60000 // 1000:02d}.{ms % 1000:03d}"
    return text.replace(".", ",") if comma else text


def cues(count: int) -> list[tuple[str, float, float, str]]:
    """(speaker, start, end, text): runs of 1-8 cues per speaker over two hours."""
    out, t, speaker = [], 0.0, 0
    step = 7200.0 / count
    for i in range(count):
        if i % (1 + i % 8) == 0:
            speaker = (speaker + 1) % len(SPEAKERS)
        text = SENTENCES[i % len(SENTENCES)] + ("." if i % 3 == 0 else "")
        out.append((SPEAKERS[speaker], t, t + step * 0.9, text))
        t += step
    return out


def teams_vtt(items) -> bytes:
    lines = ["WEBVTT", ""]
    for i, (who, start, end, text) in enumerate(items):
        lines += [f"{uuid.UUID(int=i)}/{i}-0", f"{stamp(start)} --> {stamp(end)}", f"<v {who}>{text}</v>", ""]
    return "\r\n".join(lines).encode("utf-8")


def zoom_vtt(items) -> bytes:
    lines = ["WEBVTT", ""]
    for i, (who, start, end, text) in enumerate(items, 1):
        lines += [str(i), f"{stamp(start)} --> {stamp(end)}", f"{who}: {text}", ""]
    return "\n".join(lines).encode("utf-8")


def srt(items) -> bytes:
    lines = []
    for i, (who, start, end, text) in enumerate(items, 1):
        lines += [str(i), f"{stamp(start, True)} --> {stamp(end, True)}", f"{who}: {text}", ""]
    return "\n".join(lines).encode("utf-8")


def whisperx(items, indent: int | None = None) -> bytes:
    segments = [{"start": s, "end": e, "text": " " + text, "speaker": who,
                 "words": [{"word": w, "start": s, "end": e, "score": 0.9, "speaker": who} for w in text.split()]}
                for who, s, e, text in items]
    return json.dumps({"segments": segments, "word_segments": []}, indent=indent).encode("utf-8")


def otter(items) -> bytes:
    lines, last = [], None
    for who, start, _, text in items:
        if who != last:
            lines += ["", f"{who}  {int(start) // 3600}:{int(start) % 3600 // 60:02d}:{int(start) % 60:02d}"]
            last = who
        lines.append(text)
    return ("\n".join(lines).strip() + "\n\nTranscribed by https://otter.ai\n").encode("utf-8")


FORMATS = {
    "Teams WebVTT": teams_vtt, "Zoom WebVTT": zoom_vtt, "SRT": srt, "WhisperX JSON": whisperx,
    "WhisperX JSON, indented": lambda items: whisperx(items, indent=2), "Otter.ai text": otter,
}


def run_once(data: bytes) -> tuple[float, int, int]:
    start = time.perf_counter()
    transcript = read(data, "bench", clean=True)
    speakers = {name: SpeakerEntry(role=name.lower()) for name in transcript.speakers}
    text, _, _ = markdown_for(transcript, speakers, Options(title="Bench"), "hint")
    return time.perf_counter() - start, len(transcript.turns), len(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cues", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    items = cues(args.cues)
    print(f"{args.cues} cues over {items[-1][2] / 3600:.1f} h, median of {args.repeat} runs (budget {BUDGET:.1f} s):")
    worst = 0.0
    for name, make in FORMATS.items():
        data = make(items)
        runs = [run_once(data) for _ in range(args.repeat)]
        median = statistics.median(r[0] for r in runs)
        worst = max(worst, median)
        print(f"  {name:<24} {len(data) / 1024:7.0f} KiB  {runs[0][1]:5d} turns  {median * 1000:7.1f} ms")
    return 0 if worst < BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
