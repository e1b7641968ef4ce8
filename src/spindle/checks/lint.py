"""``spindle check``: lint the manuscript before building it.

Every finding is a :class:`~spindle.core.diagnostics.Diagnostic` whose code and
severity come from the one table, :data:`spindle.core.diagnostics.CODES` (each
code with its own test in tests/checks/test_lint.py), and reads
``path:line: CODE message``. What the build finds while loading the book
(images, links, includes, directives, raw HTML) is found here by the same code:
lint loads each chapter with the build's own loader and resolves links with
links.py. The checks the loader does not make (front-matter keys, heading
levels, footnotes, interview labels, transcript speakers) are
:func:`source_findings`, which the build runs too, so ``spindle check`` and
``spindle build`` report the same findings at the same levels.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from spindle.project.language import check as check_language
from spindle.project.config import Entry, Project
from spindle.core.diagnostics import CODES as ALL_CODES, Code, Diagnostic, diagnostic, unique

CODES = {code: entry for code, entry in ALL_CODES.items() if entry.stage == "manuscript"}  # what check can find
from spindle.core.errors import ConfigError, ManuscriptError, SpindleError
from spindle.core.findings import Findings
from spindle.manuscript.load import reading_order
from spindle.manuscript.markdown import TURN_LABEL, top_level_paragraphs

__all__ = ["CODES", "Code", "Report", "lint", "source_findings", "book_findings"]

_UNDEFINED_REF = re.compile(r"\[\^([^\]\s]+)\]")
_LABEL_LIKE = re.compile(r"^([A-Z][A-Z0-9]{0,7}):\s+")  # what an imported turn label looks like


def Finding(path: str, line: int | None, code: str, message: str) -> Diagnostic:  # noqa: N802 (the old name)
    return diagnostic(code, message, path, line)


@dataclass
class Report(Findings):
    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))

    def text(self) -> str:
        return "\n".join(f.text() for f in self.findings)

    def as_json(self) -> str:
        return json.dumps({
            "errors": len(self.errors), "warnings": len(self.warnings),
            "findings": [f.as_dict() for f in self.findings],
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

    findings: list[Diagnostic] = []
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
    findings += _check_links(project, files)
    findings += _stylesheets(project)
    return Report(_sorted(unique(findings), [f.shown or f.entry.file for f in files]))


def _stylesheets(project: Project) -> list[Diagnostic]:
    """The project's stylesheets, as the build checks them (theme.stylecheck): syntax warnings; a
    stylesheet that cannot be built raises its one-line error, as the build would."""
    from spindle.theme import Theme, stylecheck

    return stylecheck.check(Theme(project))


def book_findings(project: Project, book, store=None) -> list[Diagnostic]:
    """Everything ``spindle check`` would report on a book the build has loaded: what loading
    found (book.diagnostics) and :func:`source_findings` of each Markdown and transcript file
    (a Markdown file's from *store*, a core.cache.Cache, when its text was checked before)."""
    found = list(book.diagnostics)
    order = reading_order(project)
    for entry, _, _ in order:
        path = project.path(entry.file)
        try:
            data = path.read_bytes()
        except OSError:
            continue
        found += _source_findings(project, entry, path, data, store)
    return _sorted(unique(found), [entry.file for entry, _, _ in order])


def _source_findings(project: Project, entry: Entry, path: Path, data: bytes, store) -> list[Diagnostic]:
    """:func:`source_findings`, cached for a Markdown file: its findings are a function of its bytes,
    its name, the book's language and spindle's code alone (_lint_markdown reads nothing else)."""
    if store is None or not store.enabled or entry.may_be_word or entry.is_transcript:
        return source_findings(project, entry, entry.file, path, data)
    from spindle.core import cache as caching

    key = caching.digest(caching.code_fingerprint(), "source findings", project.config.book.language, entry.file, data)
    rows = store.read_json("lint", key)
    if isinstance(rows, list):
        try:
            return [Diagnostic(*row) for row in rows]
        except TypeError:
            pass
    found = source_findings(project, entry, entry.file, path, data)
    store.write_json("lint", key, [[d.level, d.code, d.message, d.path, d.line, d.page] for d in found])
    return found


def _sorted(found: list[Diagnostic], order: list[str]) -> list[Diagnostic]:
    rank = {path: n for n, path in enumerate(order)}
    return sorted(found, key=lambda d: (rank.get(d.path, len(order)), d.line or 0, d.code))


def source_findings(project: Project, entry: Entry, shown: str, path: Path, data: bytes) -> list[Diagnostic]:
    """The checks of one file that loading it does not make (for a Word chapter: its report)."""
    from spindle.manuscript.load import is_teams_transcript

    f = _File(entry, "", None, 0, shown=shown, path=path)
    if entry.may_be_word and not is_teams_transcript(data):
        return _lint_word(project, f, data)
    return _lint_transcript(project, f, data) if entry.is_transcript else _lint_markdown(project, f, data)


def _lint_file(project: Project, f: _File, ids: set[str]) -> list[Diagnostic]:
    from spindle.manuscript.load import load_chapter, read_source

    f.shown = f.entry.file
    try:
        f.path, f.shown, data = read_source(project, f.entry)
    except SpindleError as exc:
        return [Finding(f.shown, exc.line, "C001", exc.message)]
    found = source_findings(project, f.entry, f.shown, f.path, data)
    try:
        f.chapter = load_chapter(project, f.entry, f.section, f.part, ids, allow_remote=False)
        f.parsed = True
    except SpindleError as exc:
        if not any(x.level == "error" for x in found):  # lint must never pass what the build refuses
            found.append(Finding(f.shown, exc.line, "C001", exc.message))
    else:
        found += f.chapter.diagnostics
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
    lang = project.config.book.language
    if isinstance(meta.get("lang"), str):
        try:
            lang = check_language(meta["lang"])
        except ValueError:
            pass  # the build reports a malformed tag
    from spindle.manuscript import headings

    body, title = headings.prepare(body, offset, 0, take_title=not meta.get("title"))
    tokens, env = _tokens(body, lang)
    lines = _Lines(offset)
    found += _headings(tokens, f.shown, lines, title.line if title else None)
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
        return [problem] if problem else [], {}, None if problem else text, 0
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


# Core rules the checks do without: footnote_tail would drop unused definitions, lines and all;
# text_join would merge escaped brackets into plain text; the typographer's two change only
# the characters of text (quotes, dashes), which no check reads, at a third of the parse's time.
_SKIPPED_RULES = ("footnote_tail", "text_join", "smartquotes", "replace")


def _tokens(body: str, lang: str):
    """The parser's tokens, without the core rules of _SKIPPED_RULES."""
    from markdown_it.rules_core import StateCore

    from spindle.manuscript.markdown import parser

    md = parser(lang)
    env: dict = {"spindle": None}
    state = StateCore(body, md, env)
    for rule in md.core.ruler.getRules(""):
        if getattr(rule, "__name__", "") not in _SKIPPED_RULES:
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
        if level == 1:  # H002: reported by the loader (markdown.py)
            pass
        elif level > previous + 1:
            found.append(Finding(shown, lines.block(token), "H001",
                                 f"heading level {level} ('{'#' * level}') follows level {previous}; "
                                 f"use '{'#' * (previous + 1)}' or fill in the level between"))
        previous = level
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

    entry = f.entry
    try:
        done = read_docx(data, f.shown, style_map=project.config.word.style_map, lang=entry.lang, title=entry.title,
                         languages=None, default_lang=project.config.book.language)
    except SpindleError as exc:
        return [Finding(f.shown, exc.line, "C001", exc.message)]
    return [Finding(f.shown, item.paragraph, item.code, item.message) for item in done.report.items()]


# --- raw transcripts ----------------------------------------------------------------------------------

def _lint_transcript(project: Project, f: _File, data: bytes) -> list[Finding]:
    from spindle.manuscript.transcripts import read
    from spindle.manuscript.transcripts.model import UNKNOWN

    entry = f.entry
    try:
        transcript = read(data, f.shown, suffix=f.path.suffix, format=entry.format, clean=entry.clean, lang=entry.lang,
                          fallback=project.config.book.language)
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

def _check_links(project: Project, files: list[_File]) -> list[Diagnostic]:
    """Every link between chapters, resolved by the build's own resolver (links.py)."""
    from spindle.manuscript import links
    from spindle.manuscript.model import Book

    before = {id(f.chapter): len(f.chapter.diagnostics) for f in files}
    book = links.resolve(Book(project=project, meta=project.config.book, chapters=tuple(f.chapter for f in files)))
    unparsed = {f.chapter.display for f in files if not f.parsed}
    found = []
    for f, chapter in zip(files, book.chapters):
        if not f.parsed:
            continue
        for d in chapter.diagnostics[before[id(f.chapter)]:]:
            if d.code == "L002" and any(f"{name} has no id" in d.message for name in unparsed):
                continue  # its ids are unknown until it parses; its own findings say why
            found.append(d)
    return found
