"""Whisper JSON (``{"segments": [{"start", "end", "text", "speaker"?}]}``),
WhisperX JSON (segments with ``words`` carrying a ``speaker``) and
whisper.cpp JSON (``{"transcription": [{"offsets": {"from", "to"}, "text"}]}``).

Times are seconds, except whisper.cpp's offsets (milliseconds), keys named
``start_ms``/``end_ms``, and whole-number times whose median segment lasts
over a minute -- no speech recogniser emits one-minute segments, so those are
milliseconds."""

from __future__ import annotations

import json
import re
import statistics

from spindle.manuscript.transcripts.common import plain
from spindle.manuscript.transcripts.model import Cue, Source, parse_time

_SPACE_RE = re.compile(r"\s*")


def shape(data: object) -> str | None:
    """'segments', 'transcription' or 'list' when *data* looks like a Whisper file."""
    if isinstance(data, dict):
        if isinstance(data.get("segments"), list):
            return "segments"
        if isinstance(data.get("transcription"), list):
            return "transcription"
    if isinstance(data, list) and data and all(isinstance(s, dict) and "text" in s for s in data):
        return "list"
    return None


def read(src: Source) -> tuple[list[Cue], str]:
    try:
        data = src.parsed if src.parsed is not None else json.loads(src.text)
    except json.JSONDecodeError as exc:
        raise src.error(f"invalid JSON: {exc.msg}; export the transcript again", exc.lineno) from None
    kind = shape(data)
    if kind is None:
        raise src.error("JSON without a 'segments' (Whisper, WhisperX) or 'transcription' (whisper.cpp) list")
    key = {"segments": "segments", "transcription": "transcription", "list": None}[kind]
    segments = data[key] if key else data
    lines = _item_lines(src.text, key, len(segments))
    if kind == "transcription":
        return _whisper_cpp(segments, lines, src), "whisper.cpp"
    scale = _scale(segments)
    cues: list[Cue] = []
    worded = False
    for i, seg in enumerate(segments):
        line = lines[i]
        if not isinstance(seg, dict):
            raise src.error(f"segment {i + 1}: expected an object with start, end and text", line)
        text = seg.get("text", "")
        if not isinstance(text, str):
            raise src.error(f"segment {i + 1}: 'text' is not a string", line)
        start = _time(seg, ("start", "start_ms"), i, line, src, scale)
        end = _time(seg, ("end", "end_ms"), i, line, src, scale)
        if start is not None and end is not None and end < start:
            raise src.error(f"segment {i + 1}: ends ({end:g} s) before it starts ({start:g} s)", line)
        speaker = _speaker(seg.get("speaker"))
        words = seg.get("words")
        if isinstance(words, list) and any(isinstance(w, dict) and "speaker" in w for w in words):
            worded = True
            cues += _split_by_word_speaker(words, speaker, line, start, end, i, src, scale)
        else:
            cues.append(Cue(speaker, plain(text), line, start, end))
    flavour = "WhisperX" if worded or any(isinstance(s, dict) and "words" in s and "speaker" in s for s in segments) else ""
    return cues, flavour


def _whisper_cpp(segments: list, lines: list[int], src: Source) -> list[Cue]:
    cues = []
    for i, seg in enumerate(segments):
        if not isinstance(seg, dict) or not isinstance(seg.get("text", ""), str):
            raise src.error(f"segment {i + 1}: expected an object with offsets and text", lines[i])
        offsets = seg.get("offsets")
        if isinstance(offsets, dict):
            start = _number(offsets.get("from"), i, "offsets.from", lines[i], src, 0.001)
            end = _number(offsets.get("to"), i, "offsets.to", lines[i], src, 0.001)
        else:
            stamps = seg.get("timestamps") or {}
            start = parse_time(str(stamps.get("from", "")), src, lines[i], "HH:MM:SS,mmm") if stamps else None
            end = parse_time(str(stamps.get("to", "")), src, lines[i], "HH:MM:SS,mmm") if stamps else None
        cues.append(Cue(_speaker(seg.get("speaker")), plain(seg.get("text", "")), lines[i], start, end))
    return cues


def _split_by_word_speaker(words, speaker, line, start, end, index, src, scale) -> list[Cue]:
    """A WhisperX segment whose words change speaker becomes one cue per run of
    words; a word without a speaker belongs to the run it is in."""
    runs: list[dict] = []
    for w in words:
        if not isinstance(w, dict) or not isinstance(w.get("word"), str):
            raise src.error(f"segment {index + 1}: a word without a 'word' string", line)
        who = _speaker(w.get("speaker")) or (runs[-1]["who"] if runs else speaker)
        if not runs or who != runs[-1]["who"]:
            runs.append({"who": who, "words": [], "start": None, "end": None})
        run = runs[-1]
        run["words"].append(w["word"].strip())
        w_start = _time(w, ("start",), index, line, src, scale)
        w_end = _time(w, ("end",), index, line, src, scale)
        run["start"] = run["start"] if run["start"] is not None else w_start
        run["end"] = w_end if w_end is not None else run["end"]
    if runs:
        runs[0]["start"] = start if start is not None else runs[0]["start"]
        runs[-1]["end"] = end if end is not None else runs[-1]["end"]
    return [Cue(r["who"], plain(" ".join(r["words"])), line, r["start"], r["end"]) for r in runs]


def _speaker(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(value).strip() or None


def _time(seg: dict, keys: tuple[str, ...], index: int, line: int, src: Source, scale: float) -> float | None:
    for key in keys:
        if key in seg:
            factor = 0.001 if key.endswith("_ms") else scale
            return _number(seg[key], index, key, line, src, factor)
    return None


def _number(value: object, index: int, key: str, line: int, src: Source, factor: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        return parse_time(value, src, line, "HH:MM:SS.mmm or seconds")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise src.error(f"segment {index + 1}: malformed timestamp {key}={value!r}; expected seconds", line)
    return round(float(value) * factor, 3)


def _scale(segments: list) -> float:
    durations = []
    for seg in segments:
        if not isinstance(seg, dict):
            continue
        start, end = seg.get("start"), seg.get("end")
        if isinstance(start, (int, float)) and isinstance(end, (int, float)) and not isinstance(start, bool):
            if not (float(start).is_integer() and float(end).is_integer()):
                return 1.0
            durations.append(end - start)
    return 0.001 if durations and statistics.median(durations) > 60 else 1.0


def _item_lines(text: str, key: str | None, count: int) -> list[int]:
    """The line on which each item of the top-level list (or of data[key]) starts
    (items are skipped with the C decoder: a 2.7 MB WhisperX file takes milliseconds)."""
    found = text.find(f'"{key}"') if key is not None else 0
    pos = text.find("[", found) if found >= 0 else -1
    if pos < 0:
        return [1] * count
    if "\n" not in text[pos:].rstrip():  # compact JSON, as Whisper and WhisperX write it
        return [text.count("\n", 0, pos) + 1] * count
    decoder = json.JSONDecoder()
    lines: list[int] = []
    line, last, index = 1, 0, pos + 1
    try:
        while len(lines) < count:
            index = _SPACE_RE.match(text, index).end()
            if text.startswith("]", index):
                break
            line += text.count("\n", last, index)
            last = index
            lines.append(line)
            _, index = decoder.raw_decode(text, index)
            index = _SPACE_RE.match(text, index).end()
            if text.startswith(",", index):
                index += 1
    except (json.JSONDecodeError, AttributeError):
        pass
    return lines + [line] * (count - len(lines))
