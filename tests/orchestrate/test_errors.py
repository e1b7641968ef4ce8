"""Bad input: every failure is one line on stderr starting with 'error: ' that
names the file (and line) and says what to do, exits non-zero without a
traceback, and leaves the outputs of the previous successful build untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from spindle.cli import run

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n'
BOOK_TOML = """\
[book]
title = "Broken Book"
authors = ["Ann"]

[contents]
chapters = ["manuscript/01-alpha.md", "manuscript/02-beta.md"]
"""
ALPHA = "---\ntitle: Alpha\n---\nAlpha text.[^1]\n\n[^1]: A note.\n"
BETA = "---\ntitle: Beta\n---\nBeta text.\n\n![A chart](figures/chart.svg)\n"
OLD = 1_000_000_000  # mtime given to the first build's outputs


class Book:
    """A tiny project in tmp_path, built once successfully (epub)."""

    def __init__(self, root: Path, monkeypatch, capsys):
        self.root = root
        self.capsys = capsys
        (root / "manuscript" / "figures").mkdir(parents=True)
        (root / "manuscript" / "figures" / "chart.svg").write_text(SVG, encoding="utf-8")
        (root / "book.toml").write_text(BOOK_TOML, encoding="utf-8")
        self.write("01-alpha.md", ALPHA)
        self.write("02-beta.md", BETA)
        monkeypatch.chdir(root)
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)

    def write(self, name: str, text: str) -> Path:
        path = self.root / "manuscript" / name
        path.write_text(text, encoding="utf-8")
        return path

    def template(self, name: str, text: str) -> None:
        path = self.root / "templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def build(self, *args: str) -> tuple[int, str, str]:
        code = run(["build", *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def build_ok(self, *editions: str) -> dict:
        code, out, err = self.build(*editions)
        assert code == 0, err
        outputs = sorted((self.root / "build").iterdir())
        assert outputs
        for path in outputs:
            os.utime(path, (OLD, OLD))
        self.before = self.snapshot()
        return self.before

    def snapshot(self) -> dict:
        folder = self.root / "build"
        if not folder.exists():
            return {}
        return {p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino) for p in folder.iterdir()}

    def assert_untouched(self) -> None:
        after = self.snapshot()
        assert sorted(after) == sorted(self.before), "outputs added or removed (temporary files left behind?)"
        for name, (data, mtime, inode) in self.before.items():
            assert after[name][0] == data, f"{name}: content changed"
            assert after[name][1] == mtime, f"{name}: rewritten (mtime changed)"
            assert after[name][2] == inode, f"{name}: replaced"


@pytest.fixture
def book(tmp_path, monkeypatch, capsys) -> Book:
    return Book(tmp_path / "project", monkeypatch, capsys)


def one_error(code: int, out: str, err: str, exit_code: int = 1) -> str:
    """Assert a clean failure; return the message after 'error: '."""
    assert "Traceback" not in out + err
    assert code == exit_code, err
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {err!r}"
    assert lines[0].startswith("error: ")
    assert out == ""
    return lines[0][len("error: "):]


# --- manuscript files ------------------------------------------------------------------------------


def test_missing_chapter_file(book):
    book.build_ok("epub")
    (book.root / "manuscript" / "02-beta.md").unlink()
    message = one_error(*book.build("epub"))
    assert message == ("manuscript/02-beta.md: chapter file not found; "
                       "create it or fix its path under [contents] in book.toml")
    book.assert_untouched()


def test_chapter_path_is_a_folder(book):
    book.build_ok("epub")
    (book.root / "manuscript" / "02-beta.md").unlink()
    (book.root / "manuscript" / "02-beta.md").mkdir()
    message = one_error(*book.build("epub"))
    assert message.startswith("manuscript/02-beta.md: cannot read")
    book.assert_untouched()


def test_bad_yaml_front_matter_line(book):
    book.build_ok("epub")
    book.write("02-beta.md", "---\ntitle: Beta\nsubtitle: a: b\nlang: en\n---\nText.\n")
    message = one_error(*book.build("epub"))
    assert message == ("manuscript/02-beta.md:3: invalid YAML in front matter: "
                       "mapping values are not allowed here; fix the syntax")
    book.assert_untouched()


def test_bad_yaml_tab_indentation_line(book):
    book.build_ok("epub")
    book.write("02-beta.md", "---\ntitle: Beta\nlang: en\n\tkind: chapter\n---\nText.\n")
    message = one_error(*book.build("epub"))
    assert message.startswith("manuscript/02-beta.md:4: invalid YAML in front matter")
    book.assert_untouched()


def test_bad_yaml_unclosed_quote_points_at_its_line(book):
    """An unterminated quoted value on line 3 is reported at line 3, not at
    the closing '---' fence (line 5), where PyYAML noticed the end of input."""
    book.build_ok("epub")
    book.write("02-beta.md", '---\ntitle: Beta\nsubtitle: "never closed\nlang: en\n---\nText.\n')
    message = one_error(*book.build("epub"))
    assert message.startswith("manuscript/02-beta.md:3: invalid YAML in front matter")
    book.assert_untouched()


def test_front_matter_non_string_key(book):
    """A YAML key that is not a string (a year, true, ...) is an error naming
    the file, not a TypeError traceback."""
    book.build_ok("epub")
    book.write("02-beta.md", "---\ntitle: Beta\n2018: launch year\n---\nText.\n")
    message = one_error(*book.build("epub"))
    assert message.startswith("manuscript/02-beta.md:")
    assert "2018" in message
    book.assert_untouched()


def test_front_matter_unknown_key(book):
    book.build_ok("epub")
    book.write("02-beta.md", "---\ntitle: Beta\nsubtitel: Oops\n---\nText.\n")
    message = one_error(*book.build("epub"))
    assert message == ("manuscript/02-beta.md:3: front matter: subtitel: unknown key "
                       "(did you mean 'subtitle'?)")
    book.assert_untouched()


def test_front_matter_bad_kind(book):
    book.build_ok("epub")
    book.write("02-beta.md", "---\ntitle: Beta\nkind: chaptre\n---\nText.\n")
    message = one_error(*book.build("epub"))
    assert message.startswith("manuscript/02-beta.md:3: front matter: kind: expected one of")
    assert "(did you mean 'chapter'?)" in message
    book.assert_untouched()


def test_no_front_matter_is_plain_markdown(book):
    """Front matter is optional: a file without it builds, titled by its first heading (not an error)."""
    book.build_ok("epub")
    book.write("02-beta.md", "# Beta\n\nNo front matter.\n")
    book.build_ok("epub")


def test_not_utf8(book):
    book.build_ok("epub")
    (book.root / "manuscript" / "02-beta.md").write_bytes(b"---\ntitle: Beta\n---\nLine.\nCaf\xe9 au lait.\n")
    message = one_error(*book.build("epub"))
    assert message == "manuscript/02-beta.md:5: not valid UTF-8; save the file as UTF-8"
    book.assert_untouched()


def test_missing_image(book):
    book.build_ok("epub")
    book.write("02-beta.md", "---\ntitle: Beta\n---\nBeta text.\n\nMore.\n\n![A map](figures/map.png)\n")
    message = one_error(*book.build("epub"))
    assert message == ("manuscript/02-beta.md:8: image 'figures/map.png' not found; "
                       "check the path (relative to this file)")
    book.assert_untouched()


def test_malformed_raw_html(book):
    book.build_ok("epub")
    book.write("02-beta.md", "---\ntitle: Beta\n---\n<div class=\"x\">\n\nunclosed\n")
    # raw HTML is repaired into XHTML (issue 5), and what was repaired is reported;
    # with --strict the warning fails the build and nothing is written
    message = one_error(*book.build("epub", "--strict"))
    assert "manuscript/02-beta.md:4: raw HTML <div> is never closed" in message
    book.assert_untouched()


# --- book.toml ----------------------------------------------------------------------------------------


def test_bad_toml(book):
    book.build_ok("epub")
    toml = book.root / "book.toml"
    toml.write_text(BOOK_TOML.replace('authors = ["Ann"]', 'publisher = The Broker'), encoding="utf-8")
    message = one_error(*book.build("epub"), exit_code=2)
    assert message.startswith("book.toml:3: invalid TOML: ")
    assert message.endswith("fix the syntax")
    book.assert_untouched()


def test_wrong_type_in_toml(book):
    book.build_ok("epub")
    (book.root / "book.toml").write_text(BOOK_TOML + '\n[editions.print]\nbleed = "three"\n', encoding="utf-8")
    message = one_error(*book.build("epub"), exit_code=2)
    assert message == "book.toml:9: editions.print.bleed: expected a length such as '3mm', got 'three'"
    book.assert_untouched()


def test_empty_contents(book):
    book.build_ok("epub")
    (book.root / "book.toml").write_text('[book]\ntitle = "Broken Book"\n', encoding="utf-8")
    message = one_error(*book.build("epub"), exit_code=2)
    assert message.startswith("book.toml: contents: no manuscript files listed; add chapters = ")
    book.assert_untouched()


# --- templates --------------------------------------------------------------------------------------------


def test_unknown_template_fails_cleanly(book):
    book.build_ok("epub")
    book.template("partials/titlepage.html", '<section>\n{% include "nope.html" %}\n</section>\n')
    message = one_error(*book.build("epub"))
    assert "template 'nope.html' not found" in message
    assert "add it to the project's templates/ or fix the name" in message
    book.assert_untouched()


def test_unknown_template_names_the_including_file(book):
    """The error should point at the project's template that does the
    include (templates/partials/titlepage.html:1), not at the built-in
    top-level template that happened to be rendered."""
    book.build_ok("epub")
    book.template("partials/titlepage.html", '{% include "nope.html" %}\n')
    message = one_error(*book.build("epub"))
    assert message.startswith("templates/partials/titlepage.html:1: template 'nope.html' not found")
    book.assert_untouched()


def test_undefined_template_variable_names_template_and_line(book):
    book.build_ok("epub")
    book.template("partials/titlepage.html", '<section class="titlepage">\n<h1>{{ meta.title }}</h1>\n'
                                             "<p>{{ meta.nonexistent }}</p>\n</section>\n")
    message = one_error(*book.build("epub"))
    assert message.startswith("templates/partials/titlepage.html:3: ")
    assert "nonexistent" in message and "check the variable name" in message
    book.assert_untouched()


def test_undefined_template_variable_in_pdf(book):
    book.build_ok("epub")
    book.template("partials/titlepage.html", "<p>{{ meta.nonexistent }}</p>\n")
    message = one_error(*book.build("pdf", "epub"))
    assert message.startswith("templates/partials/titlepage.html:1: ")
    assert "nonexistent" in message
    book.assert_untouched()
    assert not (book.root / "build" / "broken-book.pdf").exists()


def test_template_syntax_error_names_template_and_line(book):
    book.build_ok("epub")
    book.template("partials/titlepage.html", "<section>\n\n{% if meta.title %}\n<h1>x</h1>\n</section>\n")
    message = one_error(*book.build("epub"))
    assert message.startswith("templates/partials/titlepage.html:")
    assert "template syntax error" in message
    book.assert_untouched()


# --- strict ------------------------------------------------------------------------------------------------


def test_strict_with_warning_fails_and_writes_nothing(book):
    book.write("02-beta.md", "---\ntitle: Beta\n---\nBeta text.\n\n![](figures/chart.svg)\n")
    message = one_error(*book.build("epub", "--strict"))
    assert message == ("manuscript/02-beta.md:6: image 'figures/chart.svg' has no alt text; describe it in ![...]"
                       "; --strict makes warnings errors")
    folder = book.root / "build"
    assert not folder.exists() or not any(folder.iterdir())


def test_strict_leaves_previous_outputs(book):
    book.build_ok("epub")
    book.write("02-beta.md", "---\ntitle: Beta\n---\nBeta text.\n\n![](figures/chart.svg)\n")
    one_error(*book.build("epub", "pdf", "--strict"))
    book.assert_untouched()
    # without --strict it is only a warning
    code, out, err = book.build("epub")
    assert code == 0
    assert err.startswith("warning: manuscript/02-beta.md:6: image 'figures/chart.svg' has no alt text")


# --- end to end ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("02-beta.md", "---\ntitle: Beta\n---\nText.\n\n![A map](figures/map.png)\n",
         "error: manuscript/02-beta.md:6: image 'figures/map.png' not found"),
        ("02-beta.md", "---\ntitle: [Beta\n---\nText.\n",
         "error: manuscript/02-beta.md:"),
    ],
)
def test_subprocess_errors_have_no_traceback(book, name, text, expected):
    book.build_ok("epub")
    book.write(name, text)
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    proc = subprocess.run([sys.executable, "-m", "spindle", "build", "epub"], cwd=book.root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.startswith(expected)
    assert proc.stderr.count("\n") == 1
    book.assert_untouched()
