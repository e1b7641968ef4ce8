"""`spindle transcript import`: a raw transcript to a native interview
Markdown file for editing. Nothing is written unless everything succeeded,
and an existing file is never replaced without ``force``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from spindle.project.config import SpeakerEntry, slugify
from spindle.core.errors import ConfigError, TranscriptError
from spindle.manuscript.model import Speaker
from spindle.core.output import write_bytes
from spindle.manuscript.transcripts import markdown_for, read
from spindle.project.formats import FORMATS
from spindle.manuscript.transcripts.model import Layout, Transcript
from spindle.manuscript.transcripts.native import Options

HINT = 'add --speaker "{name}=ROLE" (or leave out every --speaker to keep the names as they are)'


@dataclass
class Imported:
    transcript: Transcript
    speakers: dict[str, Speaker]
    markdown: str
    target: Path | None  # None: written to standard output
    warnings: list[str] = field(default_factory=list)


def speaker_map(pairs: tuple[str, ...], interviewers: tuple[str, ...]) -> dict[str, SpeakerEntry]:
    """--speaker "Speaker 1=Role or name" and --interviewer "Speaker 1" to a speaker map."""
    out: dict[str, SpeakerEntry] = {}
    for pair in pairs:
        name, sep, role = pair.partition("=")
        if not sep or not name.strip() or not role.strip():
            raise ConfigError(f"--speaker {pair!r}: expected NAME=ROLE, e.g. --speaker \"Speaker 1=Interviewer, The Broker\"")
        out[name.strip()] = SpeakerEntry(role=role.strip())
    for name in interviewers:
        entry = out.get(name.strip(), SpeakerEntry())
        out[name.strip()] = SpeakerEntry(role=entry.role, interviewer=True)
    return out


def default_target(source: Path) -> Path:
    """manuscript/<the file's name>.md (or, once read, <the title the file states>.md)."""
    folder = Path("manuscript")
    if not folder.is_dir():
        raise ConfigError("no manuscript/ folder here; run this in the book's folder or pass -o PATH")
    return folder / f"{slugify(source.stem)}.md"


def import_transcript(source: Path, output: str | None, *, format: str = "auto", speakers: dict[str, SpeakerEntry],
                      clean: bool = False, title: str = "", subtitle: str = "", standfirst: str = "",
                      lang: str | None = None, timestamps: bool = False, force: bool = False,
                      layout: Layout = Layout()) -> Imported:
    """*lang* None: the file's own language, or guessed from the text (the summary says which)."""
    shown = str(source)
    target = None if output == "-" else (Path(output) if output else default_target(source))
    if target is not None:
        _check_target(target, source, force)
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        raise TranscriptError("no such file; check the path", shown) from None
    except IsADirectoryError:
        raise TranscriptError("is a folder; name a transcript file", shown) from None
    except OSError as exc:
        raise TranscriptError(f"cannot read: {exc.strerror}", shown) from None
    transcript = read(data, shown, suffix=source.suffix, format=format, clean=clean, lang=lang, layout=layout)
    if output is None and transcript.title and _named(transcript.title):
        target = target.parent / f"{slugify(transcript.title)}.md"  # the meeting's title names the file
        _check_target(target, source, force)
    description = FORMATS[transcript.format].split(" (")[0] + (f", {transcript.flavour}" if transcript.flavour else "")
    options = Options(title=title or transcript.title or _title(source), subtitle=subtitle, standfirst=standfirst,
                      lang=transcript.lang, date=transcript.date, timestamps=timestamps,
                      origin=f"imported by spindle from {source.name} ({description}); edit freely")
    markdown, who, warnings = markdown_for(transcript, speakers, options, HINT)
    if target is not None:
        _check_target(target, source, force)  # again: it may have appeared meanwhile
        write_bytes(target, markdown.encode("utf-8"))
    return Imported(transcript, who, markdown, target, list(transcript.warnings) + warnings)


def _named(title: str) -> bool:
    """Whether *title* makes a file name (a Chinese title, say, leaves nothing ASCII: keep the file's own)."""
    return bool(re.search(r"[a-z0-9]", slugify(title))) and slugify(title) != "book"


def _check_target(target: Path, source: Path, force: bool) -> None:
    if target.exists() and target.resolve() == source.resolve():
        raise ConfigError(f"-o {target}: that is the transcript itself; choose another file")
    if target.is_dir():
        raise ConfigError(f"-o {target}: is a folder; name the Markdown file to write")
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists; pass --force to overwrite it, or choose another -o")


def _title(source: Path) -> str:
    words = re.sub(r"^\d{1,2}[-_ ]+", "", source.stem).replace("_", " ").replace("-", " ").strip()
    return (words[:1].upper() + words[1:]) if words else "Interview"
