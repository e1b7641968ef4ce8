"""Fuzzing with hypothesis (issue 15, point 6 of "what to build"): no input crashes a parser.

- the Markdown pipeline: any text -> XHTML that is well-formed, or a clean ManuscriptError;
- every transcript reader: any bytes (and mangled real transcripts) -> a transcript, or a clean
  SpindleError (forced to each format, and detected);
- the config loader: any TOML (and any text) -> a Project, or a clean ConfigError.

A short run by default (60 examples per target); the long run, 10,000 per target, is marked
`fuzz`: SPINDLE_FUZZ_EXAMPLES=10000 pytest -m fuzz tests/reliability/test_fuzz.py (README)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from spindle.core.errors import ConfigError, SpindleError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
SHORT = 60
LONG = int(os.environ.get("SPINDLE_FUZZ_EXAMPLES", "10000"))
COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                     HealthCheck.function_scoped_fixture])


def runs(examples: int):
    return settings(max_examples=examples, **COMMON)


# --- strategies --------------------------------------------------------------------------------------------

MD_PIECES = ["# ", "## ", "> ", "- ", "1. ", "* ", "```", "~~~", ":::", "::: note", "|", "| --- |", "---", "***",
             "[", "]", "(", ")", "![", "[^1]", "[^1]: ", "[^x]", "{#id}", "{.cls}", "<div>", "</div>", "<span>",
             "<svg>", "</svg>", "<math>", "<b>", "</i>", "<!--", "-->", "<img src=\"figures/a.png\">", "<a href=",
             "&amp;", "&#0;", "&#x110000;", "&nbsp;", "\\", "`", "**", "__", "_", "~~", "\n", "\n\n", "  ", "\t",
             "Q: ", "A: ", "http://example.invalid/", "mailto:a@b", "javascript:x", "\u00a0", "\u200b", "\ufeff",
             "é", "漢字", "🙂", "\u202e", "'", "\"", "--", "...", "<", ">", "&", "$$", "{{ 7*7 }}", "{% x %}"]
markdown_text = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(MD_PIECES), st.text(max_size=12)), max_size=80).map("".join),
)


def _fixtures() -> list[tuple[str, bytes]]:
    return [(p.suffix, p.read_bytes()) for p in sorted(FIXTURES.iterdir()) if p.is_file()]


@st.composite
def mangled(draw, sources=_fixtures()):
    """A real transcript with some of its bytes cut, repeated, replaced or inserted."""
    suffix, data = draw(st.sampled_from(sources))
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["cut", "dup", "byte", "insert", "truncate"]))
        if kind == "cut":
            del data[at:at + draw(st.integers(1, 200))]
        elif kind == "dup":
            data[at:at] = data[at:at + draw(st.integers(1, 200))]
        elif kind == "byte":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from([b"-", b"-->", b"00:00:00.000 --> 00:00:00.000\n", b"\n\n", b"{", b"}",
                                                b'"start": -1', b'"end": 1e309', b"<v ", b">", b"\x00", b"\xff\xfe",
                                                b"99:99:99,999", b"Speaker 1 (00:00:01):", b"Name  0:03\n"]))
        else:
            del data[at:]
    return suffix, bytes(data)


transcript_input = st.one_of(
    st.tuples(st.sampled_from([".vtt", ".srt", ".txt", ".json", ".docx", ".md", ""]), st.binary(max_size=600)),
    st.tuples(st.sampled_from([".vtt", ".srt", ".txt", ".json"]), st.text(max_size=400).map(lambda t: t.encode("utf-8"))),
    mangled(),
)

KEYS = ["book", "contents", "theme", "editions", "pdf", "epub", "print", "title", "subtitle", "slug", "language",
        "authors", "contributors", "name", "role", "series", "number", "isbn", "date", "chapters", "front", "back",
        "parts", "file", "speakers", "label", "bleed", "trim", "signature", "marks", "toc_depth", "cover",
        "templates", "styles", "page_size", "icc_profile", "clean", "format", "notes", "x", "titel"]
scalars = st.one_of(st.text(max_size=20), st.integers(-10**20, 10**20), st.floats(allow_nan=True), st.booleans(),
                    st.sampled_from(["manuscript/01-alpha.md", "3mm", "A5", "en", "nl", "2020-01-01", "../x", "/etc/passwd",
                                     "978-90-832059-0-8", "6x9in", "author", ""]))
toml_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
                           max_leaves=20)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int,)):
        return str(value)
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f'"{k}" = {_toml_value(v)}' for k, v in value.items()) + "}"


def _toml_document(tables: dict) -> str:
    out = []
    for name, body in tables.items():
        if isinstance(body, dict):
            out.append(f"[{name}]")
            out += [f'"{k}" = {_toml_value(v)}' for k, v in body.items()]
        else:
            out.insert(0, f"{name} = {_toml_value(body)}")
    return "\n".join(out) + "\n"


VALID_BASE = {"book": {"title": "Fuzz", "authors": ["Ann"]}, "contents": {"chapters": ["manuscript/01-alpha.md"]}}
toml_text = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), toml_values, max_size=5).map(_toml_document),
    st.builds(lambda extra, where: _toml_document({**VALID_BASE, where: {**VALID_BASE.get(where, {}), **extra}}),
              st.dictionaries(st.sampled_from(KEYS), toml_values, max_size=3), st.sampled_from(["book", "contents", "editions", "theme"])),
    st.text(max_size=300),
)


# --- the targets -------------------------------------------------------------------------------------------

def check_markdown(root: Path, text: str) -> None:
    """The chapter through the manuscript stage as a build reads it (decode, characters, front
    matter, Markdown, raw HTML repair, links): well-formed XHTML, or one clean line."""
    from spindle.manuscript.load import load_book
    from spindle.project.config import load

    (root / "manuscript" / "01-fuzz.md").write_bytes(b"---\ntitle: Fuzz\n---\n" + text.encode("utf-8", "surrogatepass"))
    try:
        book = load_book(load(root / "book.toml"))
    except SpindleError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("manuscript/01-fuzz.md"), str(exc)
        return
    for chapter in book.chapters:
        for html in [chapter.html, *(n.html for n in chapter.notes)]:
            etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">{html}</div>'
                             .encode("utf-8"))


def check_transcript(suffix: str, data: bytes, fmt: str) -> None:
    from spindle.manuscript.transcripts import read

    try:
        transcript = read(data, f"talk{suffix}", suffix=suffix, format=fmt)
    except SpindleError as exc:
        assert "\n" not in str(exc), str(exc)
        return
    for turn in transcript.turns:
        assert isinstance(turn.text, str)


def check_config(folder: Path, text: str) -> None:
    from spindle.project.config import load

    path = folder / "book.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass") if _encodable(text) else path.write_bytes(
        text.encode("utf-8", "replace"))
    try:
        load(path)
    except ConfigError as exc:
        assert "\n" not in str(exc), str(exc)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


@pytest.fixture(scope="module")
def md_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-md")
    (root / "manuscript" / "figures").mkdir(parents=True)
    import tinybook

    (root / "manuscript" / "figures" / "a.png").write_bytes(tinybook.png())
    (root / "book.toml").write_text('[book]\ntitle = "Fuzz"\n\n[contents]\nchapters = ["manuscript/01-fuzz.md"]\n',
                                    encoding="utf-8")
    return root


FORMATS = ["auto", "vtt", "srt", "otter", "rev", "whisper", "docx", "text"]


def _markdown(examples):
    @runs(examples)
    @given(text=markdown_text)
    def run(md_root, text):
        check_markdown(md_root, text)
    return run


def _transcripts(examples):
    @runs(examples)
    @given(source=transcript_input, fmt=st.sampled_from(FORMATS))
    def run(source, fmt):
        check_transcript(source[0], source[1], fmt)
    return run


def _config(examples):
    @runs(examples)
    @given(text=toml_text)
    def run(tmp_path, text):
        check_config(tmp_path, text)
    return run


test_markdown_any_text_gives_wellformed_xhtml_or_a_clean_error = _markdown(SHORT)
test_transcript_readers_any_bytes_give_a_transcript_or_a_clean_error = _transcripts(SHORT)
test_config_any_toml_gives_a_project_or_a_clean_error = _config(SHORT)
test_markdown_long = pytest.mark.fuzz(_markdown(LONG))
test_transcripts_long = pytest.mark.fuzz(_transcripts(LONG))
test_config_long = pytest.mark.fuzz(_config(LONG))
