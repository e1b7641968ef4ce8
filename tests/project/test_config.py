"""book.toml: validation messages (key path, line, did-you-mean), defaults,
parts in the contents and the Length type."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from spindle.build import orchestrate as builder
from spindle.cli import run
from spindle.project.config import (
    Entry,
    Part,
    Person,
    isbn_valid,
    load,
    page_dimensions,
    slugify,
)
from spindle.core.errors import ConfigError
from spindle.manuscript.load import load_book
from spindle.project.schema import Length

CHAPTER = "---\ntitle: {title}\n---\nSome text about {title}.\n"


def make_project(root: Path, toml: str, chapters: tuple[str, ...] = ("01-alpha.md",)) -> Path:
    """A tiny project: book.toml (dedented) plus one small chapter per name."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "manuscript").mkdir(exist_ok=True)
    for name in chapters:
        (root / "manuscript" / name).write_text(CHAPTER.format(title=name[3:-3].title()), encoding="utf-8")
    config = root / "book.toml"
    config.write_text(textwrap.dedent(toml).lstrip("\n"), encoding="utf-8")
    return config


def config_error(tmp_path: Path, monkeypatch, toml: str) -> ConfigError:
    """Load a book.toml from the current folder and return the ConfigError it raises."""
    make_project(tmp_path, toml)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load("book.toml")
    assert info.value.exit_code == 2
    return info.value


def cli_error(tmp_path: Path, monkeypatch, capsys, toml: str) -> tuple[int, str]:
    """Run `spindle build epub` on a book.toml; return (exit code, stderr)."""
    make_project(tmp_path, toml)
    monkeypatch.chdir(tmp_path)
    code = run(["build", "epub"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert captured.out == ""
    assert not (tmp_path / "build").exists(), "a rejected config must not produce output"
    return code, captured.err


# --- unknown keys ---------------------------------------------------------------


def test_unknown_key_one_line_with_did_you_mean_and_exit_2(tmp_path, monkeypatch, capsys):
    code, err = cli_error(tmp_path, monkeypatch, capsys, """
        [book]
        titel = "A Book"

        [contents]
        chapters = ["manuscript/01-alpha.md"]
    """)
    assert code == 2
    assert err == "error: book.toml:2: book.titel: unknown key (did you mean 'title'?)\n"


def test_unknown_key_in_nested_table_names_path_and_line(tmp_path, monkeypatch):
    exc = config_error(tmp_path, monkeypatch, """
        [book]
        title = "A Book"

        [contents]
        chapters = ["manuscript/01-alpha.md"]

        [editions.print]
        trim = "A5"
        bleeds = "3mm"
    """)
    assert str(exc) == "book.toml:9: editions.print.bleeds: unknown key (did you mean 'bleed'?)"


def test_unknown_top_level_table(tmp_path, monkeypatch):
    exc = config_error(tmp_path, monkeypatch, """
        [boek]
        title = "A Book"
    """)
    assert str(exc) == "book.toml:1: boek: unknown key (did you mean 'book'?)"


def test_unknown_key_without_close_match_lists_known_keys(tmp_path, monkeypatch):
    exc = config_error(tmp_path, monkeypatch, """
        [book]
        title = "A Book"

        [editions.epub]
        zzz = 1
    """)
    assert str(exc).startswith("book.toml:5: editions.epub.zzz: unknown key; known keys: ")
    assert "cover" in str(exc) and "toc_depth" in str(exc)


def test_unknown_key_inside_a_part(tmp_path, monkeypatch):
    exc = config_error(tmp_path, monkeypatch, """
        [book]
        title = "A Book"

        [contents]
        chapters = [
          { title = "Part one", chapterz = ["manuscript/01-alpha.md"] },
        ]
    """)
    # the typo is in the part's 'chapters' key; the message must not complain
    # about 'title' (a valid key of a part) by reporting the plain-entry option
    assert str(exc).startswith("book.toml:")
    assert "contents.chapters[0].chapterz: unknown key (did you mean 'chapters'?)" in str(exc)


# --- wrong types ------------------------------------------------------------------


def test_wrong_type_length_names_key_path_and_line(tmp_path, monkeypatch, capsys):
    code, err = cli_error(tmp_path, monkeypatch, capsys, """
        [book]
        title = "A Book"

        [contents]
        chapters = ["manuscript/01-alpha.md"]

        [editions.print]
        trim = "A5"
        bleed = "three"
    """)
    assert code == 2
    assert err == "error: book.toml:9: editions.print.bleed: expected a length such as '3mm', got 'three'\n"


@pytest.mark.parametrize(
    "snippet, expected",
    [
        ('[book]\ntitle = "A"\n[editions.pdf]\ntoc_depth = "2"\n',
         "book.toml:4: editions.pdf.toc_depth: expected a whole number, got '2'"),
        ('[book]\ntitle = "A"\nlanguage = "cn"\n',
         "book.toml:3: book.language: 'cn': 'cn' is not an ISO 639-1 language code (did you mean 'zh'?)"),
        ('[book]\ntitle = "A"\nlanguage = "english"\n',
         "book.toml:3: book.language: 'english': 'english' is not a language code; use a two- or three-letter one (e.g. 'en', 'nl-BE', 'zh', 'zh-Hant', 'pt-BR')"),
        ('[book]\ntitle = "A"\nlanguage = "en_"\n',
         "book.toml:3: book.language: 'en_' is not a BCP 47 language tag (e.g. 'en', 'nl-BE', 'zh', 'zh-Hant', 'pt-BR')"),
        ('[book]\ntitle = "A"\n[editions.print]\nmarks = "yes"\n',
         "book.toml:4: editions.print.marks: expected true or false, got 'yes'"),
        ('[book]\ntitle = "A"\nsubjects = "one"\n',
         "book.toml:3: book.subjects: expected a list, got 'one'"),
        ('[book]\ntitle = 42\n',
         "book.toml:2: book.title: expected a string, got 42"),
    ],
)
def test_wrong_types(tmp_path, monkeypatch, snippet, expected):
    exc = config_error(tmp_path, monkeypatch, snippet)
    assert str(exc) == expected


def test_wrong_role_names_list_index(tmp_path, monkeypatch):
    exc = config_error(tmp_path, monkeypatch, """
        [book]
        title = "A Book"
        authors = ["Ann", { name = "Bob", role = "writer" }]
    """)
    assert str(exc).startswith("book.toml:3: book.authors[1].role: expected one of 'author'")
    assert "got 'writer'" in str(exc)


def test_bleed_out_of_range(tmp_path, monkeypatch):
    exc = config_error(tmp_path, monkeypatch, """
        [book]
        title = "A Book"

        [editions.print]
        bleed = "5mm"
    """)
    assert "bleed" in str(exc) and "3.5mm" in str(exc) and "'5mm'" in str(exc)
    assert str(exc).startswith("book.toml:")


def test_bad_trim_size(tmp_path, monkeypatch):
    exc = config_error(tmp_path, monkeypatch, """
        [book]
        title = "A Book"

        [editions.print]
        trim = "A7"
    """)
    assert "'A7'" in str(exc) and "A5" in str(exc)


def test_bad_date(tmp_path, monkeypatch):
    exc = config_error(tmp_path, monkeypatch, '[book]\ntitle = "A"\ndate = "11-10-2018"\n')
    assert "date" in str(exc) and "YYYY-MM-DD" in str(exc)


def test_toml_date_is_accepted_as_string(tmp_path):
    config = make_project(tmp_path, '[book]\ntitle = "A"\ndate = 2018-10-11\n')
    assert load(config).config.book.date == "2018-10-11"


def test_site_url_is_a_web_address_and_a_folder(tmp_path, monkeypatch):
    config = make_project(tmp_path, '[book]\ntitle = "A"\nsite_url = "https://doc.rust-lang.org/book"\n')
    assert load(config).config.book.site_url == "https://doc.rust-lang.org/book/", "the book's folder on the site"
    for bad, key in (('site_url = "doc.rust-lang.org/book"', "site_url"), ('site_url = "ftp://x.org/"', "site_url"),
                     ('site_url = "https://x.org/"\nsite_folder = "../elsewhere"', "site_folder"),
                     ('site_url = "https://x.org/"\nsite_pages = "pages"', "site_pages")):
        exc = config_error(tmp_path, monkeypatch, f'[book]\ntitle = "A"\n{bad}\n')
        assert key in str(exc), str(exc)


def test_bad_slug(tmp_path, monkeypatch):
    exc = config_error(tmp_path, monkeypatch, '[book]\ntitle = "A"\nslug = "My Slug"\n')
    assert "slug" in str(exc) and "'My Slug'" in str(exc)


def test_missing_title_is_a_config_error(tmp_path, monkeypatch, capsys):
    """book.title is required: leaving it out must be a one-line config error
    naming the key, not an AttributeError traceback."""
    code, err = cli_error(tmp_path, monkeypatch, capsys, """
        [book]
        subtitle = "No title here"

        [contents]
        chapters = ["manuscript/01-alpha.md"]
    """)
    assert code == 2
    assert err.startswith("error: book.toml")
    assert "book.title" in err
    assert err.count("\n") == 1


def test_missing_book_table_is_a_config_error(tmp_path, monkeypatch, capsys):
    code, err = cli_error(tmp_path, monkeypatch, capsys, """
        [contents]
        chapters = ["manuscript/01-alpha.md"]
    """)
    assert code == 2
    assert err.startswith("error: book.toml")
    assert "book" in err
    assert err.count("\n") == 1


# --- ISBN ----------------------------------------------------------------------------


def test_invalid_isbn(tmp_path, monkeypatch, capsys):
    code, err = cli_error(tmp_path, monkeypatch, capsys, """
        [book]
        title = "A Book"
        isbn = { epub = "978-3-16-148410-1" }

        [contents]
        chapters = ["manuscript/01-alpha.md"]
    """)
    assert code == 2
    assert err.startswith("error: book.toml:3: book.isbn")
    assert "isbn.epub" in err and "'978-3-16-148410-1'" in err and "not a valid ISBN" in err
    assert err.count("\n") == 1


def test_valid_isbns_accepted(tmp_path):
    config = make_project(tmp_path, """
        [book]
        title = "A Book"

        [book.isbn]
        pdf = "978-3-16-148410-0"
        epub = "9783161484100"
        print = "978 0 306 40615 7"
    """)
    isbn = load(config).config.book.isbn
    assert isbn.pdf == "978-3-16-148410-0"
    assert isbn.epub == "9783161484100"


@pytest.mark.parametrize(
    "value, ok",
    [
        ("978-3-16-148410-0", True),
        ("9780306406157", True),
        ("979-10-90636-07-1", True),
        ("978-3-16-148410-1", False),  # wrong check digit
        ("0-306-40615-2", False),  # ISBN-10
        ("977-3-16-148410-0", False),  # not a 978/979 prefix
        ("978316148410", False),  # too short
        ("978-3-16-14841X-0", False),
        ("", False),
    ],
)
def test_isbn_valid(value, ok):
    assert isbn_valid(value) is ok


# --- TOML syntax and missing file ------------------------------------------------------


def test_invalid_toml_names_the_line(tmp_path, monkeypatch):
    exc = config_error(tmp_path, monkeypatch, """
        [book]
        title = "A Book"

        subtitle = = "oops"
    """)
    assert str(exc).startswith("book.toml:4: invalid TOML: ")
    assert str(exc).endswith("fix the syntax")
    assert exc.line == 4


def test_invalid_toml_unclosed_string(tmp_path, monkeypatch, capsys):
    code, err = cli_error(tmp_path, monkeypatch, capsys, '[book]\ntitle = "A Book\n')
    assert code == 2
    assert err.startswith("error: book.toml:2: invalid TOML")
    assert err.count("\n") == 1


def test_missing_book_toml(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load("book.toml")
    assert str(info.value).startswith("book.toml: no such file")
    assert "spindle init" in str(info.value)
    assert run(["build", "epub"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: book.toml: no such file;")
    assert err.count("\n") == 1


def test_missing_config_given_with_option(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run(["build", "epub", "--config", "elsewhere/mine.toml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: elsewhere/mine.toml: no such file")
    assert "--config" in err


# --- defaults ---------------------------------------------------------------------------


def test_defaults(tmp_path):
    config = make_project(tmp_path, """
        [book]
        title = "Joining Forces: Sharing Power!"

        [contents]
        chapters = ["manuscript/01-alpha.md"]
    """)
    project = load(config)
    cfg = project.config
    assert project.root == tmp_path.resolve()
    assert cfg.book.slug == ""
    assert cfg.book.file_stem == "joining-forces-sharing-power"
    assert cfg.book.language == "en"
    assert cfg.book.authors == ()
    assert cfg.book.series is None
    assert cfg.editions.print.trim == "A5"
    assert cfg.editions.print.size == (148.0, 210.0)
    assert cfg.editions.print.bleed == Length(3.0)
    assert cfg.editions.print.bleed.css() == "3mm"
    assert cfg.editions.print.marks is True
    assert cfg.editions.pdf.page_size is None and cfg.editions.pdf.layout is None
    assert cfg.editions.screen_layout == "print"  # the screen PDF is made from the print layout
    assert cfg.editions.screen_size == (148.0, 210.0)
    assert cfg.editions.pdf.toc_depth is None  # (1 with a layout of its own; else the print edition's)
    assert cfg.editions.epub.toc_depth == 2
    assert cfg.editions.epub.cover is None
    assert cfg.theme.name == "default"
    assert cfg.theme.templates == "templates"
    assert cfg.theme.styles == "styles"
    out = tmp_path / "out"
    assert builder.target(project, "pdf", out).name == "joining-forces-sharing-power.pdf"
    assert builder.target(project, "epub", out).name == "joining-forces-sharing-power.epub"
    assert builder.target(project, "print", out).name == "joining-forces-sharing-power-print.pdf"


def test_explicit_slug_wins(tmp_path):
    config = make_project(tmp_path, '[book]\ntitle = "Whatever"\nslug = "my-book.v2"\n')
    assert load(config).config.book.file_stem == "my-book.v2"


@pytest.mark.parametrize(
    "title, slug",
    [
        ("Joining Forces, Sharing Power", "joining-forces-sharing-power"),
        ("Samen Sterker — één boek", "samen-sterker-een-boek"),
        ("  ---  ", "book"),
        ("日本語", "book"),
        ("A" * 80, "a" * 60),
    ],
)
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_authors_as_names_or_tables(tmp_path):
    config = make_project(tmp_path, """
        [book]
        title = "A Book"
        authors = ["Ann Author", { name = "Ed Editor", role = "editor" }]
        series = { name = "Series", number = 2 }
    """)
    meta = load(config).config.book
    assert meta.authors == (Person("Ann Author", "author"), Person("Ed Editor", "editor"))
    assert meta.authors[1].relator == "edt"
    assert meta.series.name == "Series" and meta.series.number == 2


# --- parts in the contents ----------------------------------------------------------------


def test_part_in_contents(tmp_path):
    config = make_project(tmp_path, """
        [book]
        title = "A Book"

        [contents]
        front = ["manuscript/00-foreword.md"]
        chapters = [
          "manuscript/01-alpha.md",
          { title = "Part two", chapters = ["manuscript/02-beta.md", "manuscript/03-gamma.md"] },
        ]
    """, chapters=("00-foreword.md", "01-alpha.md", "02-beta.md", "03-gamma.md"))
    project = load(config)
    chapters = project.config.contents.chapters
    assert chapters[0] == Entry("manuscript/01-alpha.md")
    assert isinstance(chapters[1], Part)
    assert chapters[1].title == "Part two"
    assert chapters[1].chapters == (Entry("manuscript/02-beta.md"), Entry("manuscript/03-gamma.md"))

    book = load_book(project)
    assert [c.id for c in book.chapters] == ["foreword", "alpha", "beta", "gamma"]
    assert [c.part for c in book.chapters] == [None, None, "Part two", None]
    # front matter files (kind chapter by default) are not numbered; body chapters are, across parts
    assert [c.number for c in book.chapters] == [None, 1, 2, 3]
    assert [c.section for c in book.chapters] == ["front", "body", "body", "body"]


def test_part_renders_in_epub(tmp_path):
    import zipfile

    config = make_project(tmp_path, """
        [book]
        title = "A Book"

        [contents]
        chapters = [{ title = "Part one", chapters = ["manuscript/01-alpha.md"] }]
    """)
    project = load(config)
    result = builder.build(project, ["epub"], tmp_path / "out", epoch=0)
    with zipfile.ZipFile(result.outputs[0].path) as z:
        xhtml = z.read("EPUB/alpha.xhtml").decode()
    assert 'epub:type="part"' in xhtml and ">Part one</h1>" in xhtml


# --- lengths and page sizes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, mm",
    [
        ("3mm", 3.0),
        ("0.3cm", 3.0),
        ("2.5 cm", 25.0),
        ("1in", 25.4),
        ("0.125in", 3.175),
        ("72pt", 25.4),
        ("9pt", 3.175),
        (" 3mm ", 3.0),
        ("0mm", 0.0),
        (0, 0.0),
    ],
)
def test_length_parse(text, mm):
    assert Length.parse(text).mm == pytest.approx(mm)


@pytest.mark.parametrize("bad", ["three", "3", "3 furlongs", "mm", "", "3 mm 4", True, 3, 2.5, None])
def test_length_parse_rejects(bad):
    with pytest.raises(ValueError, match=r"expected a length such as '3mm'"):
        Length.parse(bad)


def test_length_units_and_css():
    length = Length.parse("0.125in")
    assert length.css() == "3.175mm"
    assert length.pt == pytest.approx(9.0)
    assert Length.parse("1cm") > Length.parse("9mm")


@pytest.mark.parametrize("length, mm", [("0.125in", 3.175), ("10pt", 3.528), ("0cm", 0.0)])
def test_bleed_in_other_units(tmp_path, length, mm):
    config = make_project(tmp_path, f'[book]\ntitle = "A"\n[editions.print]\nbleed = "{length}"\n')
    assert load(config).config.editions.print.bleed.mm == pytest.approx(mm, abs=1e-3)


@pytest.mark.parametrize(
    "spec, size",
    [("A4", (210.0, 297.0)), ("A5", (148.0, 210.0)), ("6x9in", (152.4, 228.6)),
     ("148mm 210mm", (148.0, 210.0)), ("5in 8in", (127.0, 203.2)), ("15cm 21cm", (150.0, 210.0))],
)
def test_page_dimensions(spec, size):
    assert page_dimensions(spec) == pytest.approx(size)


@pytest.mark.parametrize("spec", ["A7", "148mm", "0mm 210mm", "wide tall", ""])
def test_page_dimensions_rejects(spec):
    with pytest.raises(ValueError):
        page_dimensions(spec)


def test_page_size_in_lengths_via_config(tmp_path):
    config = make_project(tmp_path, '[book]\ntitle = "A"\n[editions.pdf]\npage_size = "6in 9in"\n'
                                    '[editions.print]\ntrim = "6x9in"\nbleed = "0.125in"\n')
    editions = load(config).config.editions
    assert page_dimensions(editions.pdf.page_size) == pytest.approx((152.4, 228.6))
    assert editions.print.size == pytest.approx((152.4, 228.6))
    assert editions.screen_layout == "print"  # the same size as the trim: one layout


def test_screen_layout_choice(tmp_path):
    """A page_size other than the trim gives the screen PDF its own layout, unless layout says."""
    def editions(pdf: str):
        return load(make_project(tmp_path, f'[book]\ntitle = "A"\n[editions.pdf]\n{pdf}\n'
                                           '[editions.print]\ntrim = "A5"\n')).config.editions

    assert editions('page_size = "A4"').screen_layout == "own"
    assert editions('page_size = "A4"').screen_size == (210.0, 297.0)
    assert editions('page_size = "148mm 210mm"').screen_layout == "print"
    assert editions('layout = "own"').screen_layout == "own"
    assert editions('layout = "own"').screen_size == (148.0, 210.0)
    assert editions('layout = "print"').screen_size == (148.0, 210.0)


def test_screen_layout_print_with_other_page_size(tmp_path, monkeypatch):
    error = config_error(tmp_path, monkeypatch, '[book]\ntitle = "A"\n[editions.pdf]\nlayout = "print"\n'
                                                'page_size = "A4"\n[editions.print]\ntrim = "A5"\n')
    message = str(error)
    assert "editions.pdf" in message and "'A4' differs from editions.print.trim 'A5'" in message
    assert "layout = 'own'" in message
    assert error.line == 3


def test_screen_layout_print_with_other_toc_depth(tmp_path, monkeypatch):
    """The screen PDF made from the print layout has the print edition's contents: a toc_depth of
    its own is an error, not silently ignored."""
    error = config_error(tmp_path, monkeypatch, '[book]\ntitle = "A"\n[editions.pdf]\ntoc_depth = 2\n')
    assert "toc_depth 2 differs from editions.print.toc_depth 1" in str(error) and "layout = 'own'" in str(error)
    ok = make_project(tmp_path / "ok", '[book]\ntitle = "A"\n[editions.pdf]\ntoc_depth = 2\nlayout = "own"\n')
    assert load(ok).config.editions.pdf.toc_depth == 2


def test_screen_layout_rejects_unknown(tmp_path, monkeypatch):
    error = config_error(tmp_path, monkeypatch, '[book]\ntitle = "A"\n[editions.pdf]\nlayout = "screen"\n')
    assert "editions.pdf.layout" in str(error)
