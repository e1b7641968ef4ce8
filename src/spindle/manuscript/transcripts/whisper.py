"""Transcript JSON: Whisper (``{"segments": [{"start", "end", "text", "speaker"?}]}``),
WhisperX (segments with ``words`` carrying a ``speaker``), diarisers' and
services' exports (``segments`` or ``utterances``, or a bare list, with
``start``/``start_time``/``startTime``/``start_ms`` and ``speaker``/
``speaker_id``/``speaker_label``) and whisper.cpp
(``{"transcription": [{"offsets": {"from", "to"}, "text"}]}``).

Times are seconds, or 'HH:MM:SS.mmm' / 'HH:MM:SS,mmm' strings, except
whisper.cpp's offsets and keys ending in ``_ms``/``Ms`` (milliseconds), and
whole-number times whose median segment lasts over a minute -- no speech
recogniser emits one-minute segments, so those are milliseconds. A time that
cannot be read (or a file with none) imports with a warning. The file's title,
date and language ('title', 'date', 'language', also under 'metadata') are kept."""

from __future__ import annotations

import json
import re
import statistics

from spindle.manuscript.transcripts.common import iso_date, plain
from spindle.manuscript.transcripts.model import TIME_RE, UNKNOWN, Cue, Source
from spindle.manuscript.transcripts.script import join_all

_SPACE_RE = re.compile(r"\s*")


_LISTS = ("segments", "utterances", "transcription")
START_KEYS = ("start", "start_time", "startTime", "start_ms", "startMs", "begin", "from")
END_KEYS = ("end", "end_time", "endTime", "end_ms", "endMs", "stop", "to")
SPEAKER_KEYS = ("speaker", "speaker_id", "speakerId", "speaker_label", "speaker_name", "speakerName", "spk")
_MS_KEY_RE = re.compile(r"(?:_ms|Ms)$")
_NUMBER_RE = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")
SHAPES = "seconds, milliseconds or HH:MM:SS.mmm"


def shape(data: object) -> str | None:
    """'segments', 'utterances', 'transcription' or 'list' when *data* looks like a transcript."""
    if isinstance(data, dict):
        for key in _LISTS:
            if isinstance(data.get(key), list):
                return key
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
        raise src.error("JSON without a 'segments' (Whisper, WhisperX), 'utterances' or 'transcription' (whisper.cpp) list")
    key = None if kind == "list" else kind
    segments = data[key] if key else data
    if isinstance(data, dict):
        _metadata(data, src)
    lines = _item_lines(src.text, key, len(segments))
    times = _Times(src)
    if kind == "transcription":
        cues = _whisper_cpp(segments, lines, src, times)
        times.report(cues)
        return cues, "whisper.cpp"
    for i, seg in enumerate(segments):
        if not isinstance(seg, dict):
            raise src.error(f"segment {i + 1}: expected an object with start, end and text", lines[i])
    scale = _scale(segments)
    diarised = any(_speaker(seg) is not None for seg in segments)
    cues: list[Cue] = []
    worded = False
    for i, seg in enumerate(segments):
        line = lines[i]
        text = seg.get("text", "")
        if not isinstance(text, str):
            raise src.error(f"segment {i + 1}: 'text' is not a string", line)
        start = times.read(seg, START_KEYS, i, line, scale)
        end = times.read(seg, END_KEYS, i, line, scale)
        if start is not None and end is not None and end < start:
            raise src.error(f"segment {i + 1}: ends ({end:g} s) before it starts ({start:g} s)", line)
        speaker = _speaker(seg)
        if speaker is None and diarised:
            speaker = UNKNOWN  # a segment the diariser left unnamed: anonymous, not the previous speaker's
        words = seg.get("words")
        if isinstance(words, list) and any(isinstance(w, dict) and _speaker(w) not in (None, speaker) for w in words):
            worded = True
            cues += _split_by_word_speaker(words, speaker, line, start, end, i, src, scale, times)
        else:
            cues.append(Cue(speaker, plain(text), line, start, end))
    times.report(cues)
    if kind == "utterances":
        return cues, "utterances"
    return cues, "WhisperX" if worded or any("words" in s and _speaker(s) is not None for s in segments) else ""


def _metadata(data: dict, src: Source) -> None:
    """Title, date and language of the recording, at the top or under 'metadata'/'meta'/'info'."""
    tables = [data] + [data[k] for k in ("metadata", "meta", "info", "recording") if isinstance(data.get(k), dict)]
    for table in tables:
        for key in ("title", "meeting_title", "name", "topic"):
            if isinstance(table.get(key), str) and table[key].strip() and "title" not in src.meta:
                src.meta["title"] = table[key].strip()
        for key in ("date", "recorded_at", "recording_date", "created_at", "created", "start_time", "timestamp"):
            if isinstance(table.get(key), str) and "date" not in src.meta:
                found = iso_date(table[key])
                if found:
                    src.meta["date"] = found
        for key in ("language", "lang", "language_code", "locale"):
            if isinstance(table.get(key), str) and table[key].strip() and "language" not in src.meta:
                src.meta["language"] = table[key].strip()


def _whisper_cpp(segments: list, lines: list[int], src: Source, times: "_Times") -> list[Cue]:
    cues = []
    for i, seg in enumerate(segments):
        if not isinstance(seg, dict) or not isinstance(seg.get("text", ""), str):
            raise src.error(f"segment {i + 1}: expected an object with offsets and text", lines[i])
        offsets = seg.get("offsets")
        start = end = None
        if isinstance(offsets, dict):
            start = times.read(offsets, ("from",), i, lines[i], 0.001, "offsets.")
            end = times.read(offsets, ("to",), i, lines[i], 0.001, "offsets.")
        elif isinstance(seg.get("timestamps"), dict):
            start = times.read(seg["timestamps"], ("from",), i, lines[i], 1.0, "timestamps.")
            end = times.read(seg["timestamps"], ("to",), i, lines[i], 1.0, "timestamps.")
        cues.append(Cue(_speaker(seg), plain(seg.get("text", "")), lines[i], start, end))
    return cues


def _split_by_word_speaker(words, speaker, line, start, end, index, src, scale, times) -> list[Cue]:
    """A WhisperX segment whose words change speaker becomes one cue per run of
    words; a word without a speaker belongs to the run it is in."""
    runs: list[dict] = []
    for w in words:
        spoken = w.get("word", w.get("text")) if isinstance(w, dict) else None
        if not isinstance(spoken, str):
            raise src.error(f"segment {index + 1}: a word without a 'word' (or 'text') string", line)
        who = _speaker(w) or (runs[-1]["who"] if runs else speaker)
        if not runs or who != runs[-1]["who"]:
            runs.append({"who": who, "words": [], "start": None, "end": None})
        run = runs[-1]
        run["words"].append(spoken.strip())
        w_start = times.read(w, START_KEYS, index, line, scale, "word ")
        w_end = times.read(w, END_KEYS, index, line, scale, "word ")
        run["start"] = run["start"] if run["start"] is not None else w_start
        run["end"] = w_end if w_end is not None else run["end"]
    if runs:
        runs[0]["start"] = start if start is not None else runs[0]["start"]
        runs[-1]["end"] = end if end is not None else runs[-1]["end"]
    return [Cue(r["who"], plain(join_all(r["words"])), line, r["start"], r["end"]) for r in runs]


def _speaker(item: dict) -> str | None:
    """The speaker of a segment or word under any of the diarisers' keys ('SPEAKER_00', 'A', 2 -> 'Speaker 2')."""
    for key in SPEAKER_KEYS:
        if key in item:
            value = item[key]
            if isinstance(value, dict):  # {"id": 1, "name": "Ana"}
                value = next((value[k] for k in ("name", "label", "id") if value.get(k) not in (None, "")), None)
            if value is None or isinstance(value, (bool, list)):
                return None
            if isinstance(value, (int, float)):
                return f"Speaker {value:g}"
            text = str(value).strip()
            return (f"Speaker {text}" if text.isdigit() else text) or None
    return None


class _Times:
    """Reads times in any shape; what it cannot read it counts, and ``report`` warns
    once (a file whose times are lost never imports silently)."""

    def __init__(self, src: Source):
        self.src = src
        self.bad: list[str] = []
        self.first_line = 0
        self.found = False

    def read(self, item: dict, keys: tuple[str, ...], index: int, line: int, scale: float, where: str = "") -> float | None:
        for key in keys:
            if key in item:
                value = item[key]
                factor = 0.001 if _MS_KEY_RE.search(key) else scale
                seconds = self._seconds(value, factor)
                if seconds is None and value is not None:
                    if not self.bad:
                        self.first_line = line
                    self.bad.append(f"segment {index + 1}: {where}{key}={value!r}")
                self.found = self.found or seconds is not None
                return seconds
        return None

    def _seconds(self, value: object, factor: float) -> float | None:
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, (int, float)):
            return round(float(value) * factor, 3) if value >= 0 else None
        if isinstance(value, str):
            if _NUMBER_RE.match(value):
                return round(float(value) * factor, 3)
            m = TIME_RE.match(value.strip())
            if m and int(m.group(3)) < 60 and (m.group(1) is None or int(m.group(2)) < 60):
                hours, minutes, secs, fraction = m.groups()
                total = int(hours or 0) * 3600 + int(minutes) * 60 + int(secs)
                return float(total) + (int(fraction.ljust(3, "0")[:3]) / 1000 if fraction else 0.0)
        return None

    def report(self, cues: list[Cue]) -> None:
        shown = self.src.display
        if self.bad:
            more = f" and {len(self.bad) - 1} more" if len(self.bad) > 1 else ""
            self.src.warnings.append(
                f"{shown}:{self.first_line}: could not read {len(self.bad)} time(s) ({self.bad[0]}{more}; expected "
                f"{SHAPES}); imported without them")
        elif not self.found and cues:
            self.src.warnings.append(
                f"{shown}: no times found (no start/end, start_time/end_time, start_ms/end_ms or offsets on the "
                "segments); imported without times")


def _scale(segments: list) -> float:
    """1.0, or 0.001 when the times are milliseconds under a name that does not say so:
    whole numbers whose median segment lasts over a minute (no recogniser writes those)."""
    durations = []
    for seg in segments:
        start = next((seg[k] for k in START_KEYS if k in seg), None)
        end = next((seg[k] for k in END_KEYS if k in seg), None)
        if isinstance(start, str) and _NUMBER_RE.match(start) and isinstance(end, str) and _NUMBER_RE.match(end):
            start, end = float(start), float(end)
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
