"""The screen PDF made from the print layout (editions/print/screen.py) draws external links
(http…) in the accent colour, as a screen PDF with its own layout does (pdf.css), while the print
edition, from the same single layout, prints them in the text's colour: read from the built files'
text colours (tests/fixtures/links: a plain link, one over two lines, code in a link, a link in a
heading, one in another chapter, an inner link and a mailto link, which stay black)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pdfplumber
import pytest

from conftest import EPOCH
from spindle.build import orchestrate as builder
from spindle.editions.print import screen
from spindle.project.config import load

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "links"
ACCENT = screen.cmyk_to_rgb(0, 0.83, 0.64, 0.46)  # print.css's --colour-accent, as the screen PDF shows it
BLACK_RGB, BLACK_CMYK = (0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0)
LINKED = ["web", "runs", "paragraph", "spindle", "build", "more"]  # words of external links
PLAIN = ["Plain", "inner", "again.", "write", "mail.", "second"]  # words outside them (an inner link, a mailto)


def build(tmp_path: Path, editions: tuple[str, ...], custom: str = "", **options) -> dict[str, Path]:
    root = tmp_path / "book"
    shutil.copytree(FIXTURE, root)
    if custom:
        (root / "styles").mkdir()
        (root / "styles" / "custom.css").write_text(custom, encoding="utf-8")
    result = builder.build(load(root / "book.toml"), editions, root / "build", epoch=EPOCH, jobs=1, **options)
    return {o.edition: o.path for o in result.outputs}


def colours(path: Path) -> dict[str, set[tuple]]:
    """Each word of the body text -> the fill colours it is drawn in."""
    found: dict[str, set[tuple]] = {}
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for word in page.extract_words(extra_attrs=["non_stroking_color"]):
                found.setdefault(word["text"], set()).add(tuple(round(v, 4) for v in word["non_stroking_color"]))
    return found


def rounded(colour) -> tuple:
    return tuple(round(v, 4) for v in colour)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    return build(tmp_path_factory.mktemp("links"), ("pdf", "print"))


def test_external_links_are_in_the_accent_on_screen(outputs):
    words = colours(outputs["pdf"])
    for word in LINKED:
        assert words[word] == {rounded(ACCENT)}, word
    for word in PLAIN:
        assert words[word] == {BLACK_RGB}, word
    assert rounded(ACCENT) in words["heading"]  # (a heading in the accent anyway)


def test_the_print_edition_prints_them_in_the_texts_colour(outputs):
    words = colours(outputs["print"])
    for word in LINKED + PLAIN:
        assert words[word] == {BLACK_CMYK}, word


def test_the_accent_is_the_books_own_and_the_whole_layout_path_colours_them_too(tmp_path):
    """custom.css's accent; the screen PDF finished from the whole layout (--single-pass) as well."""
    made = build(tmp_path, ("pdf",), ":root { --colour-accent: #004b87; }\n", single_pass=True)
    words = colours(made["pdf"])
    blue = (0.0, round(0x4b / 255, 4), round(0x87 / 255, 4))
    for word in LINKED:
        assert words[word] == {blue}, word
    for word in PLAIN:
        assert words[word] == {BLACK_RGB}, word


def test_the_accent_is_read_from_the_last_root_declaration():
    assert screen.accent([":root { --colour-accent: device-cmyk(0 0.83 0.64 0.46); }"]) == ACCENT
    assert screen.accent([":root { --colour-accent: #fff; }", "html, body { --colour-accent: device-cmyk(0% 50% 0% 50%) }"]) \
        == (0.5, 0.25, 0.5)
    assert screen.accent([":root { --colour-accent: rgb(255, 0, 0) }", "p { --colour-accent: #00f }"]) == (1.0, 0.0, 0.0)
    assert screen.accent([":root { --colour-accent: var(--brand) }"]) is None  # (links stay as laid out)
    assert screen.accent(["/* none */"]) is None


def test_the_parsed_path_colours_as_the_fast_one(outputs, tmp_path, monkeypatch):
    """Content with literal strings or inline images is rewritten operator by operator (pikepdf's
    parser) instead of with regular expressions: the same colours come out."""
    raw = tmp_path / "raw.pdf"  # (the finished print edition stands for its layout: the same pages and tags)
    raw.write_bytes(outputs["print"].read_bytes())
    fast = tmp_path / "fast.pdf"
    fast.write_bytes(screen.derive(raw.read_bytes(), None, "x", EPOCH, ACCENT).pdf)
    monkeypatch.setattr(screen, "_plain", lambda data: False)
    slow = tmp_path / "slow.pdf"
    slow.write_bytes(screen.derive(raw.read_bytes(), None, "x", EPOCH, ACCENT).pdf)
    assert colours(slow) == colours(fast)
    assert colours(fast)["web"] == {rounded(ACCENT)} and colours(fast)["Plain"] == {BLACK_RGB}
