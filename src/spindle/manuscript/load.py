"""Load the manuscript: read each file named in book.toml, check its front
matter and parse its Markdown into a Chapter of the document model."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from spindle.project.config import Entry, Kind, Part, Project, slugify
from spindle.project.language import Language
from spindle.core.diagnostics import diagnostic
from spindle.core.errors import ConfigError, ManuscriptError
from spindle.manuscript import headings
from spindle.manuscript.links import resolve as resolve_links
from spindle.manuscript.markdown import ParseContext, render, typographic
from spindle.manuscript.model import Book, Chapter, Heading, Note, Speaker
from spindle.project.schema import SchemaError, convert
from spindle.core import faults

_FRONT_RE = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.S)
# '---' then a 'key: value' line, and no closing '---': front matter left open, not a thematic break
_UNCLOSED_RE = re.compile(r"\A---[ \t]*\r?\n[A-Za-z_][\w-]*:(?:[ \t]|\r?\n)")


@dataclass(frozen=True)
class SpeakerMeta:
    role: str = ""
    name: str = ""
    short: str = ""
    interviewer: bool = False


@dataclass(frozen=True)
class FrontMatter:
    title: str = ""  # empty: the file's first heading (or its file name) gives the title
    kind: Kind = "chapter"
    lang: Language | None = None
    subtitle: str = ""
    id: str = ""
    standfirst: str = ""
    speakers: dict[str, SpeakerMeta] = field(default_factory=dict)
    timestamps: bool = False  # print each turn's time (kept as {data-start="..."} before it)
    date: str = ""  # when it was said or written: YYYY, YYYY-MM or YYYY-MM-DD

    def __post_init__(self) -> None:
        if self.date and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", self.date):
            raise ValueError(f"date: expected YYYY-MM-DD, got {self.date!r}")


def reading_order(project: Project) -> list[tuple[Entry, str, str | None]]:
    """(entry, section, part title) of every manuscript file, in reading order (nested sections too)."""
    return [(entry, section, part) for entry, section, part, _ in reading_tree(project)]


def reading_tree(project: Project) -> list[tuple[Entry, str, str | None, int]]:
    """(entry, section, part title, depth) of every manuscript file in reading order; depth 0 is a
    chapter, depth 1 a file nested under it (``sections``), and so on."""
    contents = project.config.contents
    order: list[tuple[Entry, str, str | None, int]] = []

    def add(entry: Entry, section: str, part: str | None, depth: int = 0) -> None:
        order.append((entry, section, part, depth))
        for child in entry.sections:
            add(child, section, None, depth + 1)

    for e in contents.front:
        add(e, "front", None)
    for item in contents.chapters:
        if isinstance(item, Part):
            for i, e in enumerate(item.chapters):
                add(e, "body", item.title if i == 0 else None)
        else:
            add(item, "body", None)
    for e in contents.back:
        add(e, "back", None)
    return order


def load_book(project: Project, allow_remote: bool = False, report=None, store=None) -> Book:
    """Parse every manuscript file named in the config, in reading order
    (*report*: a progress callback, told of each chapter; *store*: a core.cache.Cache keeping
    each parsed chapter, see :func:`_load_cached`)."""
    contents = project.config.contents
    if not (contents.front or contents.chapters or contents.back):
        raise ConfigError(
            "contents: no manuscript files listed; add chapters = [\"manuscript/01-....md\"]",
            project.display(project.config_path),
        )
    chapters: list[Chapter] = []
    ids: set[str] = set()
    number = 0
    order = reading_tree(project)
    seen: set[str] = set()
    for entry, _, _, _ in order:
        if entry.file in seen:
            raise ConfigError(f"contents: '{entry.file}' is listed twice; list each manuscript file once",
                              project.display(project.config_path), _line_of(project, entry.file, 2))
        seen.add(entry.file)
    for index, (entry, section, part, depth) in enumerate(order, 1):
        if report is not None:
            from spindle.core.progress import chapter as reading

            report(reading(entry.file, index, len(order)))
        chapter = _load_cached(project, entry, section, part, ids, allow_remote, depth, store)
        faults.point("parse")
        if chapter.kind == "chapter" and section == "body" and not depth:
            number += 1
            chapter = _replace(chapter, number=number)
        chapters.append(chapter)
    numbered = [c for c in chapters if c.number is not None]
    if numbered and 2 * sum(c.self_numbered for c in numbered) >= len(numbered):
        # the book numbers its chapters in their titles ("1. Background"): spindle numbers none of them
        chapters = [_replace(c, number=None) if c.number is not None else c for c in chapters]
    book = resolve_links(Book(project=project, meta=project.config.book, chapters=tuple(chapters)))
    if any(c.depth for c in book.chapters):
        from spindle.manuscript.nesting import merge_sections

        book = _replace(book, chapters=merge_sections(book.chapters, project.config.contents.section_page))
    return book


def _replace(chapter: Chapter, **changes) -> Chapter:
    import dataclasses

    return dataclasses.replace(chapter, **changes)


def read_source(project: Project, entry: Entry) -> tuple[Path, str, bytes]:
    shown = entry.file
    where = project.display(project.config_path)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:", entry.file):
        raise ConfigError(f"contents: '{entry.file}' is a URL; chapters are files inside the project "
                          "(download it there)", where, _line_of(project, entry.file))
    try:
        path = project.path(entry.file)
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a symlink loop
        raise ConfigError(f"contents: '{entry.file}' is a symlink loop; point it at a real file",
                          where, _line_of(project, entry.file)) from None
    try:
        path.relative_to(project.root)
    except ValueError:
        raise ConfigError(f"contents: '{entry.file}' lies outside the project; move it inside", project.display(project.config_path)) from None
    try:
        size = path.stat().st_size
        if size > MAX_CHAPTER_BYTES:
            raise ManuscriptError(f"{size // (1024 * 1024)} MiB, over the limit of {MAX_CHAPTER_BYTES // (1024 * 1024)} MiB "
                                  "per manuscript file; split it into several chapters", shown)
        data = path.read_bytes()
    except FileNotFoundError:
        raise ManuscriptError(
            "chapter file not found; create it or fix its path under [contents] in book.toml", shown
        ) from None
    except OSError as exc:
        raise ManuscriptError(f"cannot read: {exc.strerror}", shown) from None
    return path, shown, data


def _load_cached(project: Project, entry: Entry, section: str, part: str | None, ids: set[str],
                 allow_remote: bool, depth: int, store) -> Chapter:
    """:func:`load_chapter`, from *store* when the file was parsed before. A Markdown chapter is a
    function of its bytes, the files its include directives read (Chapter.includes, in its digest),
    the images it uses (Chapter.resources), book.toml (the whole config), its entry and place in the
    reading order, the ids of the chapters before it (its own id must not clash) and spindle's code:
    the key covers the bytes and the last five, and a cached chapter is used only while its includes
    and images hash as they did. Only chapters parsed without any finding are kept: a missing or
    broken file they name (which nothing recorded covers) is looked for again at every build. Word
    chapters and transcripts (read by other means), and builds with --allow-remote, are not cached."""
    if store is None or not store.enabled or allow_remote or entry.may_be_word or entry.is_transcript:
        return load_chapter(project, entry, section, part, ids, allow_remote, depth=depth)
    from spindle.core import cache as caching

    source = read_source(project, entry)
    key = caching.digest(caching.code_fingerprint(), "chapter", repr(project.config), str(project.root), repr(entry),
                         section, repr(part), str(depth), "\n".join(sorted(ids)), source[2])
    chapter = _cached_chapter(project, store.read_json("chapters", key), source[2])
    if chapter is not None and chapter.id not in ids:
        ids.add(chapter.id)
        return chapter
    chapter = load_chapter(project, entry, section, part, ids, allow_remote, depth=depth, source=source)
    if not chapter.diagnostics:
        resources: dict[str, str | None] = {}
        for name in chapter.resources:
            path = project.root / name
            resources[name] = caching.file_digest(path) if path.is_file() else None
        if None not in resources.values():
            store.write_json("chapters", key, {"chapter": _chapter_json(chapter), "resources": resources})
    return chapter


def _chapter_json(chapter: Chapter) -> dict:
    import dataclasses

    value = dataclasses.asdict(chapter)
    value["source"] = str(chapter.source)
    value["includes"] = [str(p) for p in chapter.includes]
    value["merged"] = [str(p) for p in chapter.merged]
    return value


def _cached_chapter(project: Project, value, data: bytes) -> Chapter | None:
    """The chapter a cache entry holds, when its includes and images still hash as they did."""
    from spindle.core import cache as caching

    if not isinstance(value, dict):
        return None
    try:
        raw = dict(value["chapter"])
        raw["source"] = Path(raw["source"])
        raw["includes"] = tuple(Path(p) for p in raw["includes"])
        raw["merged"] = tuple(Path(p) for p in raw["merged"])
        raw["notes"] = tuple(Note(**n) for n in raw["notes"])
        raw["headings"] = tuple(Heading(**h) for h in raw["headings"])
        raw["speakers"] = tuple(Speaker(**sp) for sp in raw["speakers"])
        raw["resources"] = tuple(raw["resources"])
        raw["diagnostics"] = ()
        chapter = Chapter(**raw)
        for name, digest in value["resources"].items():
            path = project.root / name
            if name not in chapter.resources or not path.is_file() or caching.file_digest(path) != digest:
                return None
        if set(value["resources"]) != set(chapter.resources):
            return None
        if _digest(data, "", chapter.includes) != chapter.digest:  # (an include gone: OSError)
            return None
    except (KeyError, TypeError, ValueError, OSError):
        return None
    return chapter


def load_chapter(project: Project, entry: Entry, section: str, part: str | None,
                 ids: set[str], allow_remote: bool = False, depth: int = 0,
                 source: tuple[Path, str, bytes] | None = None) -> Chapter:
    """One manuscript file as a Chapter; *depth* > 0: a file nested under a chapter, whose
    headings move down that many levels (it is merged into the chapter after links are resolved);
    *source*: what read_source gave for it, when it was read already."""
    path, shown, data = source or read_source(project, entry)
    extra: list[str] = []
    if entry.may_be_word and not is_teams_transcript(data):
        text, _ = word_markdown(project, entry, path, shown, data)  # its report: W001-W004 (checks.lint)
    elif entry.is_transcript:
        if not entry.title.strip():
            raise ConfigError(f"contents: '{entry.file}' is a Teams transcript, which needs title = \"...\" in its "
                              "entry", project.display(project.config_path))
        text, extra = transcript_markdown(project, entry, path, shown, data)
        _check_characters(text, shown, lines=False)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ManuscriptError("not valid UTF-8; save the file as UTF-8", shown, line) from None
        _check_characters(text, shown)
    meta, body, offset = split_front_matter(text, shown)
    lang = meta.lang or project.config.book.language
    cid = _chapter_id(meta.id or path.stem, ids)
    body, title_heading = headings.prepare(body, offset, depth, take_title=not meta.title)
    speakers = {  # roles, names and short labels get the language's quotes and dashes, like titles
        label: Speaker(label=label, role=_typo(s.role, lang), name=_typo(s.name, lang), short=_typo(s.short, lang),
                       interviewer=s.interviewer)
        for label, s in meta.speakers.items()
    }
    if meta.kind == "interview" and not speakers:
        raise ManuscriptError("an interview needs a 'speakers' table in its front matter", shown, 1)
    ctx = ParseContext(chapter_id=cid, source=path, display=shown, root=project.root, line_offset=offset,
                       speakers=speakers, allow_remote=allow_remote, show_times=meta.timestamps)
    fragment = render(body, lang, ctx)
    title, title_id, extra_title = meta.title and typographic(meta.title, lang), "", []
    if not meta.title:
        fragment, title, title_id, extra_title = headings.take_title(fragment, title_heading, path, shown, cid)
    else:  # the id the title would have as the file's first heading: links to it work either way
        title_id = headings.title_id(cid, meta.title, fragment.html)
    standfirst = ""
    if meta.standfirst:
        sctx = ParseContext(chapter_id=cid + "-sf", source=path, display=shown, root=project.root, line_offset=0)
        standfirst = render(meta.standfirst, lang, sctx).html
    return Chapter(
        id=cid, source=path, display=shown, kind=meta.kind, section=section, title=title, title_id=title_id,
        self_numbered=headings.self_numbered(title), depth=depth,
        subtitle=typographic(meta.subtitle, lang) if meta.subtitle else "", lang=lang, html=fragment.html, part=part, notes=fragment.notes,
        headings=fragment.headings, resources=fragment.resources, standfirst=standfirst,
        speakers=tuple(speakers.values()),
        digest=_digest(data, text if entry.is_transcript else "", fragment.includes),
        diagnostics=_transcript_diagnostics(extra, shown) + tuple(extra_title) + fragment.diagnostics,
        includes=fragment.includes,
        page_title=typographic(fragment.title, lang) if fragment.title else "",
        date=meta.date,
    )


def _transcript_diagnostics(warnings: list[str], shown: str) -> tuple:
    """A transcript reader's remarks as T005 diagnostics. Speakers who never speak and turns that
    name nobody are T002 and T004, which the checks of the source (checks.lint) report for
    check and build alike, so they are not repeated here."""
    found = []
    for text in warnings:
        if "never speaks" in text or "name no speaker" in text:
            continue
        m = re.match(rf"^{re.escape(shown)}:(?:(\d+):)? (.*)$", text, re.S)
        found.append(diagnostic("T005", m.group(2), shown, int(m.group(1)) if m.group(1) else None) if m
                     else diagnostic("T005", text, shown))
    return tuple(found)


def _line_of(project: Project, file: str, occurrence: int = 1) -> int | None:
    """The line of book.toml naming *file* (its *occurrence*-th mention), if it can be found."""
    try:
        lines = project.config_path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    found = [n for n, text in enumerate(lines, 1) if f'"{file}"' in text or f"'{file}'" in text]
    return found[occurrence - 1] if len(found) >= occurrence else None


MAX_CHAPTER_BYTES = 8 * 1024 * 1024  # per Markdown file; longer books are split into chapters anyway
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _check_characters(text: str, shown: str, lines: bool = True) -> None:
    """NUL, other control characters and the non-characters U+FFFE/U+FFFF: a binary or
    damaged file (XML cannot hold them either). *lines*: *text* is the file's own text."""
    m = _CONTROL_RE.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1 if lines else None
        what = "a NUL character" if m.group() == "\x00" else f"the control character U+{ord(m.group()):04X}"
        raise ManuscriptError(f"{what}: the file is binary or damaged; remove it or save the file again", shown, line)


def _typo(text: str, lang: str) -> str:
    return typographic(text, lang) if text else ""


def _digest(data: bytes, generated: str, includes=()) -> str:
    """The source's hash; for a transcript also the Markdown made of it (which its book.toml options shape);
    for a chapter with include directives also every file they read."""
    digest = hashlib.sha256(data + generated.encode("utf-8"))
    for path in includes:
        digest.update(str(path).encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()


def transcript_markdown(project: Project, entry: Entry, path: Path, shown: str, data: bytes) -> tuple[str, list[str]]:
    """A raw transcript named in book.toml, as native interview Markdown (what
    `spindle transcript import` would write), with the reader's warnings."""
    from spindle.manuscript.transcripts import markdown_for, read
    from spindle.manuscript.transcripts.model import Layout
    from spindle.manuscript.transcripts.native import Options
    from spindle.project.language import primary

    book_lang = project.config.book.language
    layout = Layout(**{k: v for k, v in (("pause", entry.pause), ("words", entry.paragraph_words)) if v is not None})
    transcript = read(data, shown, suffix=path.suffix, format=entry.format, clean=entry.clean, lang=entry.lang,
                      fallback=book_lang, layout=layout)
    options = Options(title=entry.title, subtitle=entry.subtitle, standfirst=entry.standfirst, lang=transcript.lang,
                      date=transcript.date, timestamps=entry.timestamps, pullquotes=entry.pullquotes, notes=entry.notes)
    hint = f"add '{{name}}' to the speakers of '{entry.file}' in book.toml"
    text, _, warnings = markdown_for(transcript, entry.speakers, options, hint)
    if entry.lang is None and primary(transcript.lang) != primary(book_lang):
        warnings.append(f"{shown}: no lang given; the chapter is in '{transcript.lang}' ({transcript.lang_origin}), "
                        f"not the book's '{book_lang}'; set lang = \"{transcript.lang}\" in its entry to confirm")
    return text, list(transcript.warnings) + warnings


WORD_MEDIA = ".spindle-cache/word"  # where the images of Word chapters are extracted for the build


def is_teams_transcript(data: bytes) -> bool:
    from spindle.manuscript.word import is_teams_transcript as teams

    return teams(data)


def word_markdown(project: Project, entry: Entry, path: Path, shown: str, data: bytes) -> tuple[str, list[str]]:
    """A Word chapter named in book.toml, as the Markdown `spindle import docx` would write, with its report
    as warnings. Its images are extracted under .spindle-cache/word/ (never into manuscript/)."""
    import os

    from spindle.manuscript.word import read_docx

    media = project.root / WORD_MEDIA / slugify(entry.file)
    relative = Path(os.path.relpath(media, path.parent)).as_posix()
    done = read_docx(data, shown, style_map=project.config.word.style_map, media=relative, lang=entry.lang,
                     title=entry.title, subtitle=entry.subtitle, languages=None,
                     default_lang=project.config.book.language)
    for name, blob in done.images.items():
        target = media / name
        try:
            if not target.is_file() or target.read_bytes() != blob:
                media.mkdir(parents=True, exist_ok=True)
                tmp = target.with_suffix(target.suffix + ".tmp")
                tmp.write_bytes(blob)
                tmp.replace(target)
        except OSError as exc:
            raise ManuscriptError(f"cannot extract {name} into {WORD_MEDIA}/: {exc.strerror}", shown) from None
    return done.markdown, done.report.lines(shown)


def split_front_matter(text: str, shown: str) -> tuple[FrontMatter, str, int]:
    m = _FRONT_RE.match(text)
    if not m:  # plain Markdown: the title comes from the first heading
        if _UNCLOSED_RE.match(text):
            raise ManuscriptError("front matter opened with '---' is never closed; end it with a line '---'", shown, 1)
        return FrontMatter(), text, 0
    try:
        raw = yaml.safe_load(m.group(1) or "") or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        context = getattr(exc, "context_mark", None)
        if context is not None and (mark is None or mark.line >= (m.group(1) or "").count("\n") - 1):
            mark = context  # e.g. an unclosed quote: point at where it opened
        problem = getattr(exc, "problem", None) or "invalid YAML"
        line = mark.line + 2 if mark is not None else 1
        raise ManuscriptError(f"invalid YAML in front matter: {problem}; fix the syntax", shown, line) from None
    if not isinstance(raw, dict):
        raise ManuscriptError("front matter must be a YAML mapping of keys such as 'title:'", shown, 2)
    try:
        meta = convert(raw, FrontMatter)
    except SchemaError as exc:
        key = exc.path[0] if exc.path else ""
        line = next((i + 2 for i, ln in enumerate((m.group(1) or "").splitlines()) if ln.startswith(f"{key}:")), 2)
        raise ManuscriptError(f"front matter: {exc.dotted}: {exc.message}", shown, line) from None
    offset = text[: m.end()].count("\n")
    return meta, text[m.end():], offset


def _chapter_id(stem: str, ids: set[str]) -> str:
    """A chapter's id from its file's name, without the numbers that order the files (every group of
    them: ``01-02-floor`` is ``floor``, not ``c-02-floor``), unique among *ids*."""
    rest = re.sub(r"^(?:\d+[-_ .]+)+(?=\D)", "", stem)  # (a name of numbers alone keeps its last: 01-02 is c-02)
    rest = re.sub(r"^\d+(?:[-_ .]+|$)", "", rest) if rest == stem else rest  # (07 is "chapter"; 3d-printing stays)
    base = slugify(rest) if rest else "chapter"
    if not base[0].isalpha():
        base = "c-" + base
    candidate, n = base, 2
    while candidate in ids:
        candidate, n = f"{base}-{n}", n + 1
    ids.add(candidate)
    return candidate
