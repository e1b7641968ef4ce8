"""``spindle check``: lint the manuscript before building it.

Every finding carries a stable code from :data:`CODES` (the one place they are
defined, each with its own test in tests/checks/test_lint.py) and reads
``path:line: CODE message``. The checks reuse the build's own parts: the
Markdown parser (tokens with line maps), the link resolver of links.py, the
front-matter schema and the transcript readers, so lint and build agree.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from spindle.project.config import Entry, Project
from spindle.core.errors import ConfigError, ManuscriptError, SpindleError
from spindle.core.findings import Findings
from spindle.manuscript.load import reading_order
from spindle.manuscript.markdown import TURN_LABEL, top_level_paragraphs


@dataclass(frozen=True)
class Code:
    code: str
    level: str  # "error" or "warning"
    summary: str


CODES: dict[str, Code] = {c.code: c for c in (
    Code("C001", "error", "a manuscript file named in book.toml cannot be read or parsed"),
    Code("M001", "error", "unknown front-matter key"),
    Code("M002", "error", "invalid front matter (missing, bad YAML, a wrong value)"),
    Code("L001", "error", "link to a file that is not a chapter of this book"),
    Code("L002", "error", "link to an anchor (#id) that does not exist"),
    Code("I001", "error", "image not found (or outside the project)"),
    Code("I002", "warning", "image without alt text"),
    Code("N001", "error", "footnote reference without a definition"),
    Code("N002", "warning", "footnote definition that nothing refers to"),
    Code("T001", "error", "transcript speaker missing from the speaker map"),
    Code("T002", "warning", "speaker in the speaker map or front matter who never speaks"),
    Code("T003", "warning", "interview paragraph opening with an unknown speaker label"),
    Code("T004", "warning", "transcript turns that name no speaker, with no role given for them"),
    Code("H001", "warning", "heading that skips a level"),
    Code("H002", "warning", "'#' heading inside a chapter (the title comes from the front matter)"),
    Code("W001", "warning", "Word chapter: tracked changes, accepted and counted"),
    Code("W002", "warning", "Word chapter: a comment, dropped (with its author, text and paragraph)"),
    Code("W003", "warning", "Word chapter: a style spindle does not know, and what it became"),
    Code("W004", "warning", "Word chapter: something else dropped or changed (fields, images, language, title)"),
)}

_UNDEFINED_REF = re.compile(r"\[\^([^\]\s]+)\]")
_LABEL_LIKE = re.compile(r"^([A-Z][A-Z0-9]{0,7}):\s+")  # what an imported turn label looks like


@dataclass(frozen=True)
class Finding:
    path: str
    line: int | None
    code: str
    message: str

    @property
    def level(self) -> str:
        return CODES[self.code].level

    def text(self) -> str:
        where = f"{self.path}:{self.line}:" if self.line else f"{self.path}:"
        return f"{where} {self.code} {self.message}"


@dataclass
class Report(Findings):
    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))

    def text(self) -> str:
        return "\n".join(f.text() for f in self.findings)

    def as_json(self) -> str:
        return json.dumps({
            "errors": len(self.errors), "warnings": len(self.warnings),
            "findings": [{"path": f.path, "line": f.line, "code": f.code, "level": f.level, "message": f.message}
                         for f in self.findings],
        }, indent=2, ensure_ascii=False)


# --- running --------------------------------------------------------------------------------------

@dataclass
class _File:
    """One manuscript file as lint sees it."""

    entry: Entry
    section: str
    part: str | None
    order: int
    shown: str = ""
    path: Path | None = None
    chapter: object = None  # the parsed model.Chapter, or a placeholder when it does not parse
    parsed: bool = False
    links: list[tuple[str, int | None]] = field(default_factory=list)


def lint(project: Project) -> Report:
    """Lint every manuscript file named in book.toml, in reading order."""
    from spindle.manuscript.model import Chapter

    findings: list[Finding] = []
    files = [_File(entry, section, part, n) for n, (entry, section, part) in enumerate(reading_order(project))]
    if not files:
        raise ConfigError("contents: no manuscript files listed; add chapters = [\"manuscript/01-....md\"]",
                          project.display(project.config_path))
    ids: set[str] = set()
    for f in files:
        found = _lint_file(project, f, ids)
        findings += found
        if f.chapter is None:  # a stand-in, so links into it still find their chapter
            f.chapter = Chapter(id=f"unparsed-{f.order}", source=f.path or project.path(f.entry.file),
                                display=f.shown or f.entry.file, kind="chapter", section=f.section, title="", lang="en",
                                html="")
    findings += _check_links(files)
    order = {f.shown or f.entry.file: f.order for f in files}
    findings.sort(key=lambda x: (order.get(x.path, len(files)), x.line or 0, x.code))
    return Report(findings)


def _lint_file(project: Project, f: _File, ids: set[str]) -> list[Finding]:
    from spindle.manuscript.load import is_teams_transcript, load_chapter, read_source

    f.shown = f.entry.file
    try:
        f.path, f.shown, data = read_source(project, f.entry)
    except SpindleError as exc:
        return [Finding(f.shown, exc.line, "C001", exc.message)]
    if f.entry.may_be_word and not is_teams_transcript(data):
        found = _lint_word(project, f, data)
    elif f.entry.is_transcript:
        found = _lint_transcript(project, f, data)
    else:
        found = _lint_markdown(project, f, data)
    try:
        f.chapter = load_chapter(project, f.entry, f.section, f.part, ids, allow_remote=True)
        f.parsed = True
    except SpindleError as exc:
        if not any(x.level == "error" for x in found):  # lint must never pass what the build refuses
            found.append(Finding(f.shown, exc.line, "C001", exc.message))
    return found


# --- Markdown files -----------------------------------------------------------------------------------

def _lint_markdown(project: Project, f: _File, data: bytes) -> list[Finding]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [Finding(f.shown, data[: exc.start].count(b"\n") + 1, "C001", "not valid UTF-8; save the file as UTF-8")]
    found, meta, body, offset = _front_matter(text, f.shown)
    if body is None:
        return found
    lang = meta.get("lang") if meta.get("lang") in ("en", "nl") else project.config.book.language
    from spindle.manuscript import headings

    body, title = headings.prepare(body, offset, 0, take_title=not meta.get("title"))
    tokens, env = _tokens(body, lang)
    lines = _Lines(offset)
    found += _headings(tokens, f.shown, lines, title.line if title else None)
    found += _images(tokens, project, f, lines, offset)
    found += _footnotes(tokens, env, f.shown, lines)
    if meta.get("kind") == "interview" and isinstance(meta.get("speakers"), dict):
        found += _turn_labels(tokens, [str(k) for k in meta["speakers"]], f.shown, lines)
    f.links = [(href, line) for href, line in _inline(tokens, lines, "link_open", lambda t: t.attrs.get("href", ""))]
    return found


def _front_matter(text: str, shown: str) -> tuple[list[Finding], dict, str | None, int]:
    """Findings about the front matter, the raw mapping, and the body with its line offset (None: unreadable)."""
    from spindle.manuscript.load import _FRONT_RE, FrontMatter, split_front_matter
    from spindle.project.schema import SchemaError, convert

    try:
        meta, body, offset = split_front_matter(text, shown)
    except ManuscriptError as exc:
        problem: Finding | None = Finding(shown, exc.line, "M002", exc.message)
    else:
        problem = None
        if meta.kind == "interview" and not meta.speakers:
            problem = Finding(shown, 1, "M002", "an interview needs a 'speakers' table in its front matter")
    m = _FRONT_RE.match(text)
    if m is None:  # plain Markdown: no front matter to check, the title is the first heading
        return [problem] if problem else [], {}, text, 0
    try:
        raw = yaml.safe_load(m.group(1) or "") or {}
    except yaml.YAMLError:
        return [problem] if problem else [], {}, None, 0
    if not isinstance(raw, dict):
        return [problem] if problem else [], {}, None, 0
    offset = text[: m.end()].count("\n")
    body = text[m.end():]
    known = [fl.name for fl in dataclasses.fields(FrontMatter)]
    yaml_lines = (m.group(1) or "").splitlines()
    unknown = [k for k in raw if k not in known]
    found = []
    for key in unknown:
        hint = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        extra = f"; did you mean '{hint[0]}'?" if hint else f"; known keys: {', '.join(known)}"
        line = next((i + 2 for i, ln in enumerate(yaml_lines) if ln.startswith(f"{key}:")), 2)
        found.append(Finding(shown, line, "M001", f"front matter: unknown key '{key}'{extra}"))
    if unknown:  # the rest may still be wrong: check it without the unknown keys
        try:
            convert({k: v for k, v in raw.items() if k not in unknown}, FrontMatter)
        except SchemaError as exc:
            key = exc.path[0] if exc.path else ""
            line = next((i + 2 for i, ln in enumerate(yaml_lines) if ln.startswith(f"{key}:")), 2)
            found.append(Finding(shown, line, "M002", f"front matter: {exc.dotted}: {exc.message}"))
    elif problem:
        found.append(problem)
    return found, raw, body, offset


def _tokens(body: str, lang: str):
    """The parser's tokens, with two core rules left out: footnote_tail (which would
    drop unused definitions, lines and all) and text_join (which would merge escaped
    brackets into plain text)."""
    from markdown_it.rules_core import StateCore

    from spindle.manuscript.markdown import parser

    md = parser(lang)
    env: dict = {"spindle": None}
    state = StateCore(body, md, env)
    for rule in md.core.ruler.getRules(""):
        if getattr(rule, "__name__", "") not in ("footnote_tail", "text_join"):
            rule(state)
    return state.tokens, env


class _Lines:
    def __init__(self, offset: int):
        self.offset = offset

    def block(self, token) -> int | None:
        return token.map[0] + 1 + self.offset if token.map else None


def _inline(tokens, lines: _Lines, kind: str, value=lambda t: t):
    """(value, line) for every inline child of *kind*, its line counted through soft breaks."""
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        line = lines.block(token)
        for child in token.children:
            if child.type == kind:
                yield value(child), line
            if line is not None:
                line += child.content.count("\n") if child.type in ("text", "html_inline", "code_inline") else 0
                line += 1 if child.type in ("softbreak", "hardbreak") else 0


def _headings(tokens, shown: str, lines: _Lines, title_line: int | None = None) -> list[Finding]:
    found = []
    previous = 1  # the chapter title, from the front matter or the file's first heading (at *title_line*)
    for token in tokens:
        if token.type != "heading_open" or (title_line is not None and lines.block(token) == title_line):
            continue
        level = int(token.tag[1])
        if level == 1:
            found.append(Finding(shown, lines.block(token), "H002",
                                 "a '#' heading inside a chapter; the title comes from the front matter, use '##' for sections"))
        elif level > previous + 1:
            found.append(Finding(shown, lines.block(token), "H001",
                                 f"heading level {level} ('{'#' * level}') follows level {previous}; "
                                 f"use '{'#' * (previous + 1)}' or fill in the level between"))
        previous = level
    return found


def _images(tokens, project: Project, f: _File, lines: _Lines, offset: int) -> list[Finding]:
    from spindle.manuscript.markdown import ParseContext, resolve_resource

    ctx = ParseContext(chapter_id="lint", source=f.path, display=f.shown, root=project.root, line_offset=offset,
                       allow_remote=True)
    found = []
    for image, line in _inline(tokens, lines, "image"):
        src = image.attrs.get("src", "")
        try:
            resolve_resource(src, ctx, line)
        except ManuscriptError as exc:
            found.append(Finding(f.shown, line, "I001", exc.message))
        if not "".join(c.content for c in image.children or []).strip():
            found.append(Finding(f.shown, line, "I002", f"image '{src}' has no alt text; describe it in ![...]"))
    return found


def _footnotes(tokens, env: dict, shown: str, lines: _Lines) -> list[Finding]:
    found = []
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        line = lines.block(token)
        for child in token.children:
            if child.type == "text":
                for m in _UNDEFINED_REF.finditer(child.content):
                    at = line + child.content.count("\n", 0, m.start()) if line is not None else None
                    found.append(Finding(shown, at, "N001", f"footnote reference '[^{m.group(1)}]' has no definition; "
                                                            f"add '[^{m.group(1)}]: ...' or remove the reference"))
            if line is not None:
                line += child.content.count("\n") if child.type in ("text", "html_inline", "code_inline") else 0
                line += 1 if child.type in ("softbreak", "hardbreak") else 0
    refs = env.get("footnotes", {}).get("refs", {})
    for token in tokens:
        if token.type == "footnote_reference_open" and refs.get(":" + token.meta["label"], -1) < 0:
            label = token.meta["label"]
            found.append(Finding(shown, lines.block(token), "N002",
                                 f"footnote '[^{label}]' is defined but never referred to; add '[^{label}]' in the text "
                                 "or remove the definition"))
    return found


def _turn_labels(tokens, labels: list[str], shown: str, lines: _Lines) -> list[Finding]:
    found = []
    spoke: set[str] = set()
    for i, token in top_level_paragraphs(tokens):
        content = tokens[i + 1].content
        m = TURN_LABEL.match(content)
        if m and m.group(1) in labels:
            spoke.add(m.group(1))
            continue
        m = _LABEL_LIKE.match(content)
        if m:
            found.append(Finding(shown, lines.block(token), "T003",
                                 f"'{m.group(1)}:' opens a paragraph but is not a speaker of this interview "
                                 f"({', '.join(labels)}); fix the label or add it under 'speakers:'"))
    for label in labels:
        if label not in spoke:
            found.append(Finding(shown, 1, "T002", f"speaker '{label}' is listed under 'speakers:' but never speaks"))
    return found


# --- Word chapters ------------------------------------------------------------------------------------

def _lint_word(project: Project, f: _File, data: bytes) -> list[Finding]:
    """The Word report (what did not come across) as findings; the 'line' of a .docx is its paragraph."""
    from spindle.manuscript.word import read_docx
    from spindle.project.config import LABELLED_LANGUAGES

    entry = f.entry
    try:
        done = read_docx(data, f.shown, style_map=project.config.word.style_map, lang=entry.lang, title=entry.title,
                         languages=LABELLED_LANGUAGES, default_lang=project.config.book.language)
    except SpindleError as exc:
        return [Finding(f.shown, exc.line, "C001", exc.message)]
    return [Finding(f.shown, item.paragraph, item.code, item.message) for item in done.report.items()]


# --- raw transcripts ----------------------------------------------------------------------------------

def _lint_transcript(project: Project, f: _File, data: bytes) -> list[Finding]:
    from spindle.manuscript.transcripts import read
    from spindle.manuscript.transcripts.model import UNKNOWN

    entry = f.entry
    lang = entry.lang or project.config.book.language
    try:
        transcript = read(data, f.shown, suffix=f.path.suffix, format=entry.format, clean=entry.clean, lang=lang)
    except SpindleError as exc:
        return [Finding(f.shown, exc.line, "C001", exc.message)]
    found = []
    named = transcript.speakers
    mapped = any(e.role or e.name for e in entry.speakers.values())
    for raw in named:
        first = next(t for t in transcript.turns if t.speaker == raw)
        if raw == UNKNOWN and raw not in entry.speakers:
            count = sum(1 for t in transcript.turns if t.speaker == UNKNOWN)
            found.append(Finding(f.shown, first.line, "T004",
                                 f"{count} turn(s) name no speaker; give '{UNKNOWN}' a role under the speakers "
                                 f"of '{entry.file}' in book.toml"))
        elif mapped and raw != UNKNOWN and raw not in entry.speakers:
            found.append(Finding(f.shown, first.line, "T001",
                                 f"speaker '{raw}' is not in the speaker map; add '{raw}' to the speakers of "
                                 f"'{entry.file}' in book.toml"))
    for raw in entry.speakers:
        if raw not in named:
            found.append(Finding(f.shown, None, "T002", f"the speaker map in book.toml names '{raw}', "
                                                         "who never speaks in this transcript"))
    return found


# --- links --------------------------------------------------------------------------------------------

def _check_links(files: list[_File]) -> list[Finding]:
    """Every Markdown link between chapters, resolved as the build resolves it (links.py)."""
    from urllib.parse import unquote, urlsplit

    from spindle.manuscript import links

    chapters, renames = links._unique_ids(tuple(f.chapter for f in files))
    index = links._Index(chapters, renames)
    unparsed = {c.id for c, f in zip(chapters, files) if not f.parsed}
    found = []
    for chapter, f in zip(chapters, files):
        for href, line in f.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not href:
                continue
            target = index.chapter_for(chapter.source.parent / unquote(parts.path)) if parts.path else chapter
            if target is None:
                found.append(Finding(f.shown, line, "L001", f"link '{href}' does not point to a chapter of this book; "
                                                            "link to a manuscript file listed in book.toml, or use a full URL"))
                continue
            if target.id in unparsed:  # its ids are unknown until it parses; its own findings say why
                continue
            _, problem = links._resolve_href(href, chapter, index)
            if problem:
                found.append(Finding(f.shown, line, "L002", problem))
    return found
