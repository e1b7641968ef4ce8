"""The bad-input catalogue (issue 15, point 1): each case is a small change to a tiny book that
was built once before; the next build must fail with exactly one line on stderr,
``error: FILE[:LINE]: what is wrong; what to do``, naming the file (and the line where there is
one), exit with the expected code, print no traceback, and leave the previous outputs in build/
byte for byte as they were (no temporary file left either).

The book is built once per module (EPUB only, in process); every case runs on a copy of it.
Cases about paged output (fonts, stylesheets) build the screen PDF as well."""

from __future__ import annotations

import os
import shutil
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

import tinybook
from spindle.cli import run

OLD = 1_000_000_000  # mtime given to the previous outputs


@dataclass
class Case:
    id: str
    mutate: Callable[[Path], None]
    expect: str  # substring of the error message
    file: str  # the file the error must name (as the user reads it: relative to the project)
    line: int | None = None
    code: int = 1
    editions: tuple[str, ...] = ("epub",)
    strict: bool = False  # a warning by design (the build goes on); --strict makes it the error checked here


# --- small helpers for the mutations -----------------------------------------------------------------------

def write(rel: str, data: str | bytes) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.is_file():
            path.unlink()
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return mutate


def toml(old: str, new: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / "book.toml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return mutate


def append_toml(extra: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        with open(root / "book.toml", "a", encoding="utf-8") as fh:
            fh.write(extra)
    return mutate


def chain(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        for step in steps:
            step(root)
    return mutate


def symlink(rel: str, target: str | Callable[[Path], Path]) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink() or path.exists():
            path.unlink()
        os.symlink(target(root) if callable(target) else target, path)
    return mutate


def outside(root: Path) -> Path:
    """A file beside the project, outside it."""
    path = root.parent / "outside-secret.md"
    path.write_text("---\ntitle: Secret\n---\nSPINDLE-OUTSIDE\n", encoding="utf-8")
    return path


def chapter(body: str, title: str = "Beta") -> str:
    return f"---\ntitle: {title}\n---\n{body}\n"


def talk_chapter(rel: str, extra: str = "") -> Callable[[Path], None]:
    """Point the interview entry of book.toml at *rel*."""
    return toml('file = "manuscript/talk.vtt"', f'file = "{rel}"{extra}')


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(side: int = 40000) -> bytes:
    """A 1-bit greyscale PNG of side×side pixels whose data compresses to a few hundred KiB."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    raw = zlib.compressobj(9)
    body = b"".join(raw.compress(row) for _ in range(side)) + raw.flush()
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b""))


BETA_IMG = "manuscript/02-beta.md"
SQUARE = "manuscript/figures/square.png"
CHART = "manuscript/figures/chart.svg"
TALK = "manuscript/talk.vtt"
PNG = tinybook.png()

XXE_SVG = ('<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
           '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text y="5">&x;</text></svg>\n')
LAUGHS_SVG = ('<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
              + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
              + ']>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text y="5">&i;</text></svg>\n')
SCRIPT_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
              '<script>alert(1)</script><rect width="10" height="10"/></svg>\n')
REMOTE_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
              '<image xlink:href="http://example.invalid/x.png" width="10" height="10"/></svg>\n')
FILE_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
            '<image xlink:href="file:///etc/hostname" width="10" height="10"/></svg>\n')


def docx(entries: dict[str, bytes]) -> bytes:
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


def font_css(url: str) -> str:
    return f'@font-face {{ font-family: "Bad"; src: url("{url}"); }}\nbody {{ font-family: "Bad", serif; }}\n'


CASES = [
    # --- book.toml ---------------------------------------------------------------------------------------
    Case("toml-syntax", toml('title = "Tiny Book"', 'title = "Tiny Book'), "book.toml", "book.toml", 2, code=2),
    Case("toml-duplicate-key", toml('title = "Tiny Book"', 'title = "Tiny Book"\ntitle = "Again"'), "overwrite", "book.toml", 3, code=2),
    Case("toml-duplicate-table", append_toml('\n[book]\ntitle = "Two"\n'), "book", "book.toml", code=2),
    Case("toml-wrong-type", toml('title = "Tiny Book"', "title = 5"), "book.title", "book.toml", 2, code=2),
    Case("toml-wrong-list-type", toml('authors = ["Ann Writer"]', "authors = 3"), "book.authors", "book.toml", 3, code=2),
    Case("toml-unknown-key", toml('title = "Tiny Book"', 'titel = "Tiny Book"'), "titel", "book.toml", 2, code=2),
    Case("toml-unknown-table", append_toml("\n[editions.kindle]\nx = 1\n"), "kindle", "book.toml", code=2),
    Case("toml-missing-title", toml('title = "Tiny Book"\n', ""), "title", "book.toml", code=2),
    Case("toml-empty", write("book.toml", ""), "book", "book.toml", code=2),
    Case("toml-not-utf8", write("book.toml", tinybook.BOOK_TOML.replace("Ann Writer", "Ann Wr\xefter").encode("latin-1")),
         "UTF-8", "book.toml", code=2),
    Case("toml-nul", write("book.toml", tinybook.BOOK_TOML.replace("Tiny Book", "Tiny\x00Book")), "book.toml", "book.toml", code=2),
    Case("toml-bad-language", toml('title = "Tiny Book"', 'title = "Tiny Book"\nlanguage = "xx"'), "book.language", "book.toml", 3, code=2),
    Case("toml-bad-date", toml('date = "2020-01-01"', 'date = "first of may"'), "date", "book.toml", code=2),
    Case("toml-bad-isbn", toml('date = "2020-01-01"', 'isbn = { epub = "978-0-00-000000-1" }'), "ISBN", "book.toml", code=2),
    Case("toml-bad-length", append_toml('\n[editions.print]\nbleed = "3 parsecs"\n'), "editions.print.bleed", "book.toml", code=2),
    Case("toml-no-chapters", toml('[[contents.chapters]]\nfile = "manuscript/01-alpha.md"\n\n[[contents.chapters]]\nfile = "manuscript/02-beta.md"\n\n[[contents.chapters]]\nfile = "manuscript/talk.vtt"\ntitle = "A talk"\n', ""),
         "contents", "book.toml", code=2),
    Case("toml-missing-chapter", toml("manuscript/02-beta.md", "manuscript/02-gamma.md"), "not found", "manuscript/02-gamma.md"),
    Case("toml-chapter-is-folder", toml("manuscript/02-beta.md", "manuscript/figures"), "figures", "book.toml", code=2),
    Case("toml-duplicate-chapter", toml("manuscript/02-beta.md", "manuscript/01-alpha.md"), "listed twice", "book.toml", 13, code=2),
    Case("toml-circular-symlinks", chain(symlink("manuscript/loop-a.md", "loop-b.md"), symlink("manuscript/loop-b.md", "loop-a.md"),
                                         toml("manuscript/02-beta.md", "manuscript/loop-a.md")), "symlink loop", "book.toml", 13, code=2),
    Case("toml-chapter-absolute", toml("manuscript/02-beta.md", "/etc/hostname"), "/etc/hostname", "book.toml", code=2),
    Case("toml-chapter-climbs-out", toml("manuscript/02-beta.md", "../outside-secret.md"), "outside", "book.toml", code=2),
    Case("toml-chapter-file-url", toml("manuscript/02-beta.md", "file:///etc/hostname"), "file:", "book.toml", code=2),
    Case("toml-chapter-http-url", toml("manuscript/02-beta.md", "http://example.invalid/ch.md"), "URL", "book.toml", 13, code=2),
    Case("toml-chapter-unknown-extension", chain(write("manuscript/notes.pdf", b"%PDF-1.4\n"), toml("manuscript/02-beta.md", "manuscript/notes.pdf")),
         "notes.pdf", "book.toml", code=2),
    Case("toml-theme-outside", append_toml('\n[theme]\ntemplates = "../elsewhere"\n'), "theme.templates", "book.toml", code=2),
    Case("toml-epub-cover-missing", append_toml('\n[editions.epub]\ncover = "cover.png"\n'), "not found", "cover.png"),
    Case("toml-epub-cover-outside", append_toml('\n[editions.epub]\ncover = "/etc/hostname"\n'), "/etc/hostname", "book.toml", code=2),
    # --- Markdown ----------------------------------------------------------------------------------------
    Case("md-latin1", write(BETA_IMG, chapter("Caf\xe9 cr\xe8me.").encode("latin-1")), "UTF-8", BETA_IMG, 4),
    Case("md-utf16", write(BETA_IMG, chapter("Beta text.").encode("utf-16")), "UTF-8", BETA_IMG),
    Case("md-nul", write(BETA_IMG, chapter("Beta\x00text.")), "NUL", BETA_IMG, 4),
    Case("md-noncharacter", write(BETA_IMG, chapter("Beta\ufffetext.")), "U+FFFE", BETA_IMG, 4),
    Case("vtt-control-char", write(TALK, tinybook.VTT.replace("river", "ri\x07ver")), "U+0007", TALK),
    Case("md-control-char", write(BETA_IMG, chapter("Beta\x0btext.")), "control character", BETA_IMG, 4),
    Case("md-too-big", write(BETA_IMG, chapter("word " * (9 * 1024 * 1024))), "limit", BETA_IMG),
    Case("md-front-matter-unclosed", write(BETA_IMG, "---\ntitle: Beta\nBeta text.\n"), "front matter", BETA_IMG, 1),
    Case("md-front-matter-yaml", write(BETA_IMG, "---\ntitle: [Beta\n---\nText.\n"), "front matter", BETA_IMG, 2),
    Case("md-front-matter-list", write(BETA_IMG, "---\n- a\n- b\n---\nText.\n"), "front matter", BETA_IMG),
    Case("md-front-matter-unknown-key", write(BETA_IMG, "---\ntitle: Beta\ntitel: x\n---\nText.\n"), "titel", BETA_IMG, 3),
    Case("md-front-matter-yaml-tag", write(BETA_IMG, "---\ntitle: !!python/object/apply:os.system ['true']\n---\nText.\n"),
         "front matter", BETA_IMG, 2),
    Case("md-front-matter-alias-bomb", write(BETA_IMG, "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                                                      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                                                      "title: Beta\n---\nText.\n"), "front matter", BETA_IMG),
    # plain Markdown: a file with no heading is titled after its name, a warning (H003), fatal under --strict
    Case("md-no-title", write(BETA_IMG, "Just text, no front matter and no heading.\n"), "no heading", BETA_IMG, strict=True),
    Case("md-missing-image", write(BETA_IMG, chapter("![A chart](figures/nothing.svg)")), "nothing.svg", BETA_IMG, 4),
    Case("md-image-absolute", write(BETA_IMG, chapter("![x](/etc/hostname)")), "/etc/hostname", BETA_IMG, 4),
    Case("md-image-climbs-out", chain(lambda r: outside(r), write(BETA_IMG, chapter("![x](../../outside-secret.md)"))), "outside", BETA_IMG, 4),
    Case("md-image-http", write(BETA_IMG, chapter("![x](http://example.invalid/x.png)")), "--allow-remote", BETA_IMG, 4, strict=True),
    Case("md-raw-img-file-url", write(BETA_IMG, chapter('<img src="file:///etc/hostname" alt="x">')), "outside the project", BETA_IMG, 4),
    Case("md-raw-html-broken", write(BETA_IMG, chapter("<div><p>unclosed <b>bold</div></i>")), "HTML", BETA_IMG, strict=True),
    Case("md-link-missing-chapter", write(BETA_IMG, chapter("See [gone](03-gone.md).")), "03-gone.md", BETA_IMG, 4, strict=True),
    Case("md-footnote-undefined", write(BETA_IMG, chapter("Text.[^nowhere] and more.")), "[^nowhere]", BETA_IMG, 4),
    Case("md-deep-blockquotes", write(BETA_IMG, chapter("> " * 5000 + "deep quote")), "nested", BETA_IMG, 4),
    Case("md-deep-lists", write(BETA_IMG, chapter("\n".join("  " * i + "- item" for i in range(300)) + "\n\nafter")), "nested", BETA_IMG),
    Case("md-nested-html", write(BETA_IMG, chapter("<div>" * 5000 + "deep" + "</div>" * 5000)), "nested", BETA_IMG),
    # --- transcripts -------------------------------------------------------------------------------------
    Case("vtt-empty", write(TALK, b""), "empty", TALK),
    Case("vtt-header-only", write(TALK, "WEBVTT\n\n"), "empty", TALK),
    Case("vtt-truncated", write(TALK, tinybook.VTT[:30]), TALK, TALK),
    Case("vtt-latin1", write(TALK, tinybook.VTT.replace("river", "rivi\xe8re").encode("latin-1")), "UTF-8", TALK),
    Case("vtt-nul", write(TALK, tinybook.VTT.replace("river", "ri\x00ver")), "NUL", TALK, 7),
    Case("vtt-negative-time", write(TALK, tinybook.VTT.replace("00:00:05.000 --> 00:00:09.000", "-00:00:05.000 --> 00:00:09.000")), "time", TALK, 6),
    Case("vtt-end-before-start", write(TALK, tinybook.VTT.replace("00:00:05.000 --> 00:00:09.000", "00:00:09.000 --> 00:00:05.000")), "end", TALK, 6),
    Case("srt-truncated", chain(write("manuscript/talk.srt", "1\n00:00:01,000 --> 00:00:0"), talk_chapter("manuscript/talk.srt")), "talk.srt", "manuscript/talk.srt"),
    Case("srt-negative", chain(write("manuscript/talk.srt", "1\n00:00:01,000 --> 00:00:02,000\nAnn: Hi.\n\n2\n-00:00:03,000 --> 00:00:04,000\nBob: Yes.\n"),
                               talk_chapter("manuscript/talk.srt")), "time", "manuscript/talk.srt", 6),
    Case("whisper-truncated", chain(write("manuscript/talk.json", '{"segments": [{"start": 0.0, "end": 1.0, "text": "Hi'), talk_chapter("manuscript/talk.json")),
         "JSON", "manuscript/talk.json", 1),
    Case("whisper-empty", chain(write("manuscript/talk.json", '{"segments": []}'), talk_chapter("manuscript/talk.json")), "empty", "manuscript/talk.json"),
    Case("whisper-wrong-types", chain(write("manuscript/talk.json", '{"text": "Hi", "segments": [{"start": "soon", "end": null, "text": 5}]}'),
                                      talk_chapter("manuscript/talk.json")), "manuscript/talk.json", "manuscript/talk.json"),
    Case("docx-truncated", chain(write("manuscript/talk.docx", docx({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w:document/>"})[:40]),
                                 talk_chapter("manuscript/talk.docx")), "talk.docx", "manuscript/talk.docx"),
    Case("docx-not-word", chain(write("manuscript/talk.docx", docx({"hello.txt": b"hi"})), talk_chapter("manuscript/talk.docx")), "docx", "manuscript/talk.docx"),
    Case("otter-empty", chain(write("manuscript/talk.txt", "\n\n"), talk_chapter("manuscript/talk.txt")), "empty", "manuscript/talk.txt"),
    Case("rev-truncated", chain(write("manuscript/talk.txt", "Ann (00:00:01):\n"), talk_chapter("manuscript/talk.txt")), "manuscript/talk.txt", "manuscript/talk.txt"),
    Case("srt-empty", chain(write("manuscript/talk.srt", b""), talk_chapter("manuscript/talk.srt")), "empty", "manuscript/talk.srt"),
    Case("srt-latin1", chain(write("manuscript/talk.srt", "1\n00:00:01,000 --> 00:00:02,000\nAnn: Caf\xe9.\n".encode("latin-1")),
                             talk_chapter("manuscript/talk.srt")), "UTF-8", "manuscript/talk.srt"),
    Case("srt-end-before-start", chain(write("manuscript/talk.srt", "1\n00:00:05,000 --> 00:00:02,000\nAnn: Hi.\n"),
                                       talk_chapter("manuscript/talk.srt")), "end", "manuscript/talk.srt", 2),
    Case("otter-latin1", chain(write("manuscript/talk.txt", "Ann  0:03\nCaf\xe9 time.\n\nBob  0:09\nYes.\n".encode("latin-1")),
                               talk_chapter("manuscript/talk.txt")), "UTF-8", "manuscript/talk.txt"),
    Case("otter-truncated", chain(write("manuscript/talk.txt", "Ann  0:03\n"), talk_chapter("manuscript/talk.txt")),
         "manuscript/talk.txt", "manuscript/talk.txt"),
    Case("rev-empty-turns", chain(write("manuscript/talk.txt", "Ann (00:00:01):\n\nBob (00:00:05):\n"), talk_chapter("manuscript/talk.txt")),
         "manuscript/talk.txt", "manuscript/talk.txt"),
    Case("whisper-latin1", chain(write("manuscript/talk.json", '{"text": "Caf\xe9", "segments": [{"start": 0.0, "end": 1.0, "text": "Caf\xe9"}]}'.encode("latin-1")),
                                 talk_chapter("manuscript/talk.json")), "UTF-8", "manuscript/talk.json"),
    Case("whisper-not-whisper", chain(write("manuscript/talk.json", '{"hello": "world"}'), talk_chapter("manuscript/talk.json")),
         "Whisper", "manuscript/talk.json"),
    Case("text-empty", chain(write("manuscript/talk.txt", "   \n"), talk_chapter("manuscript/talk.txt")), "empty", "manuscript/talk.txt"),
    Case("transcript-wrong-extension", chain(write("manuscript/talk.vtt", PNG)), "talk.vtt", TALK),
    Case("transcript-is-png-named-txt", chain(write("manuscript/talk.txt", PNG), talk_chapter("manuscript/talk.txt")), "talk.txt", "manuscript/talk.txt"),
    # --- images ------------------------------------------------------------------------------------------
    Case("png-corrupt", write(SQUARE, b"\x89PNG\r\n\x1a\n" + os.urandom(0) + b"garbage" * 20), "square.png", "manuscript/01-alpha.md", 6),
    Case("png-truncated", write(SQUARE, PNG[: len(PNG) // 2]), "square.png", "manuscript/01-alpha.md", 6),
    Case("png-zero-size", write(SQUARE, b""), "square.png", "manuscript/01-alpha.md", 6),
    Case("png-not-an-image", write(SQUARE, b"hello, I am text\n"), "square.png", "manuscript/01-alpha.md", 6),
    Case("png-decompression-bomb", write(SQUARE, bomb_png()), "pixels", "manuscript/01-alpha.md", 6),
    Case("svg-malformed", write(CHART, "<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>"), "chart.svg", BETA_IMG, 6),
    Case("svg-external-entity", write(CHART, XXE_SVG), "entit", BETA_IMG, 6),
    Case("svg-billion-laughs", write(CHART, LAUGHS_SVG), "entit", BETA_IMG, 6),
    Case("svg-script", write(CHART, SCRIPT_SVG), "script", BETA_IMG, 6),
    Case("svg-remote-ref", write(CHART, REMOTE_SVG), "http:", BETA_IMG, 6),
    Case("svg-file-ref", write(CHART, FILE_SVG), "file:", BETA_IMG, 6),
    Case("image-is-folder", chain(lambda r: (r / SQUARE).unlink(), lambda r: (r / SQUARE).mkdir()), "square.png", "manuscript/01-alpha.md", 6),
    Case("image-symlink-out", symlink(SQUARE, "/etc/hostname"), "outside", "manuscript/01-alpha.md", 6),
    Case("images-folder-symlink-out", chain(write(BETA_IMG, chapter("Beta text.")), lambda r: shutil.rmtree(r / "manuscript" / "figures"),
                                            lambda r: (r.parent / "elsewhere").mkdir(exist_ok=True),
                                            lambda r: (r.parent / "elsewhere" / "square.png").write_bytes(PNG),
                                            symlink("manuscript/figures", lambda r: r.parent / "elsewhere")), "outside", "manuscript/01-alpha.md"),
    # --- fonts (paged output) ----------------------------------------------------------------------------
    Case("font-corrupt", chain(write("styles/bad.otf", b"OTTO" + b"\x00" * 200), write("styles/custom.css", font_css("bad.otf"))),
         "bad.otf", "styles/custom.css", 1, editions=("pdf",)),
    Case("font-missing", write("styles/custom.css", font_css("missing.otf")), "no such file", "styles/custom.css", 1, editions=("pdf",)),
    Case("font-outside", write("styles/custom.css", font_css("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")),
         "outside", "styles/custom.css", 1, editions=("pdf",)),
    # --- CSS and templates -------------------------------------------------------------------------------
    Case("css-syntax", write("styles/custom.css", "body { color: red;\n p { margin: 0 }\n@media {{{ \n"), "never closed", "styles/custom.css", 1, editions=("pdf",), strict=True),
    Case("css-cmyk-gradient", write("styles/custom.css", "body { color: red }\nh1 {\n  background: linear-gradient(device-cmyk(0 0.5 0 0), white);\n}\n"),
         "gradients can only be drawn in RGB", "styles/custom.css", 3, editions=("pdf",)),
    Case("css-import-outside", write("styles/custom.css", '@import url("file:///etc/hostname");\n'), "outside", "styles/custom.css", 1, editions=("pdf",)),
    Case("css-url-http", write("styles/custom.css", 'body { background: url("http://example.invalid/x.png"); }\n'), "--allow-remote", "styles/custom.css", 1, editions=("pdf",)),
    Case("css-not-utf8", write("styles/custom.css", "/* caf\xe9 */ body { color: red }\n".encode("latin-1")), "UTF-8", "styles/custom.css", 1),
    Case("template-syntax", write("templates/partials/notes.html", "{% if %}\n"), "syntax", "templates/partials/notes.html", 1),
    Case("template-undefined", write("templates/epub/cover.xhtml", "{{ nothing_here.at_all }}\n"), "nothing_here", "templates/epub/cover.xhtml", 1),
    Case("template-recursive-include", write("templates/epub/cover.xhtml", "x\n{% include 'epub/cover.xhtml' %}\n"), "cycle", "templates/epub/cover.xhtml", 2),
    Case("template-missing-include", write("templates/epub/cover.xhtml", "{% include 'nowhere.html' %}\n"), "nowhere.html", "templates/epub/cover.xhtml", 1),
    Case("template-not-utf8", write("templates/epub/cover.xhtml", "caf\xe9\n".encode("latin-1")), "UTF-8", "templates/epub/cover.xhtml", 1),
    Case("template-climbs-out", write("templates/epub/cover.xhtml", "{% include '../../../../../etc/hostname' %}\n"), "not found", "templates/epub/cover.xhtml", 1),
    Case("template-symlink-out", symlink("templates/epub/cover.xhtml", "/etc/hostname"), "outside", "templates/epub/cover.xhtml"),
    Case("template-huge-range", write("templates/epub/cover.xhtml", "{% for i in range(10**9) %}x{% endfor %}\n"), "range", "templates/epub/cover.xhtml", 1),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """The tiny book, built once (EPUB and screen PDF), outputs dated OLD."""
    root = tmp_path_factory.mktemp("pristine") / "book"
    tinybook.make(root)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        assert run(["build", "epub", "pdf", "-q"]) == 0
    finally:
        os.chdir(cwd)
    for path in (root / "build").iterdir():
        os.utime(path, (OLD, OLD))
    return root


def snapshot(folder: Path) -> dict:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_the_catalogue_is_big_enough():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, pristine, tmp_path, monkeypatch, capsys):
    root = tmp_path / "book"
    shutil.copytree(pristine, root, symlinks=True)
    monkeypatch.chdir(root)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = snapshot(root / "build")
    case.mutate(root)
    capsys.readouterr()
    code = run(["build", *case.editions, "-q", *(["--strict"] if case.strict else [])])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert code == case.code, f"exit {code}: {err}"
    assert len(lines) == 1, f"expected one line, got: {err}"
    where = f"error: {case.file}:" + (f"{case.line}:" if case.line else "")
    assert lines[0].startswith(where), f"expected it to start with {where!r}: {lines[0]}"
    assert case.expect.lower() in lines[0].lower(), f"expected {case.expect!r} in: {lines[0]}"
    assert snapshot(root / "build") == before, "previous outputs changed (or a temporary file was left)"


# --- inputs that look dangerous but are fine: they build, quickly, into well-formed XHTML ------------------

ACCEPTED = [
    ("md-utf8-bom", write(BETA_IMG, "\ufeff" + chapter("Beta with a byte-order mark.")), "Beta with a byte-order mark."),
    ("md-crlf", write(BETA_IMG, chapter("Beta\r\nwith CRLF.").replace("\n", "\r\n")), "with CRLF."),
    ("md-enormous-line", write(BETA_IMG, chapter("word " * 200_000 + "END-OF-LINE")), "END-OF-LINE"),
    ("md-nested-blockquotes", write(BETA_IMG, chapter("> " * 12 + "deep quote")), "deep quote"),
    ("md-many-brackets", write(BETA_IMG, chapter("[" * 50_000 + " brackets " + "]" * 50_000)), "brackets"),
    ("md-many-emphasis", write(BETA_IMG, chapter("*a_ " * 30_000 + "emphasis")), "emphasis"),
    ("md-image-file-url-stays-text", write(BETA_IMG, chapter("![x](file:///etc/hostname)")), "file:///etc/hostname"),
    ("md-link-file-url-stays-text", write(BETA_IMG, chapter("See [it](file:///etc/passwd).")), "file:///etc/passwd"),
    ("md-link-javascript-stays-text", write(BETA_IMG, chapter("See [it](javascript:alert(1)).")), "javascript:alert(1)"),
    ("vtt-overlapping-cues", write(TALK, tinybook.VTT.replace("00:00:05.000 --> 00:00:09.000", "00:00:02.000 --> 00:00:09.000")),
     "The river"),
]


@pytest.mark.parametrize("mutate,text", [(m, t) for _, m, t in ACCEPTED], ids=[i for i, _, _ in ACCEPTED])
def test_accepted_input(mutate, text, pristine, tmp_path, monkeypatch, capsys):
    import time

    from lxml import etree

    root = tmp_path / "book"
    shutil.copytree(pristine, root, symlinks=True)
    monkeypatch.chdir(root)
    mutate(root)
    started = time.monotonic()
    code = run(["build", "epub", "-q"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Traceback" not in err
    assert time.monotonic() - started < 30
    found = ""
    with zipfile.ZipFile(root / "build" / "tiny-book.epub") as z:
        for name in z.namelist():
            if name.endswith(".xhtml"):
                tree = etree.fromstring(z.read(name))  # well-formed, or this raises
                for a in tree.iter("{http://www.w3.org/1999/xhtml}a", "{http://www.w3.org/1999/xhtml}img"):
                    ref = (a.get("href") or a.get("src") or "").lower()
                    assert not ref.startswith(("file:", "javascript:")), (name, ref)
                found += "".join(tree.itertext())
    assert text in found


def test_svg_with_the_w3c_public_doctype_is_accepted_any_other_doctype_is_not():
    """Illustrator and graphviz write the W3C's public SVG 1.1 DOCTYPE (trpl's figures): no internal
    subset, so no entity, and no parser here loads the DTD; a DOCTYPE with entities or another system
    id is still refused."""
    from spindle.manuscript.images import svg_problem

    body = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n'
    w3c = '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
    assert svg_problem(('<?xml version="1.0"?>\n' + w3c + body).encode()) is None
    for doctype in ('<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "file:///etc/passwd">\n',
                    '<!DOCTYPE svg SYSTEM "svg11.dtd">\n', w3c + '<!DOCTYPE svg [<!ENTITY x "y">]>\n'):
        assert "DOCTYPE" in svg_problem((doctype + body).encode())
    assert "entit" in svg_problem(XXE_SVG.encode()) and "entit" in svg_problem(LAUGHS_SVG.encode())
