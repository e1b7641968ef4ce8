"""A series (series.toml at a repository root): one command builds every title with the series'
name, number, publisher and shared theme; the OPDS catalogue (checked against RFC 4287's RELAX NG
schema of Atom, plus XPath checks of what OPDS 1.2 and Atom's prose rules ask) and the index page
(parsed as HTML5 by html5lib in strict mode) list every edition; an unchanged series is a no-op;
bad input fails with one line, and a failing title leaves the others built."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest
from lxml import etree

from seriesbook import OWN_CSS, PUBLISHER, SERIES_NAME, SHARED_CSS, digests, make_series
from spindle.cli import run

ROOT = Path(__file__).resolve().parents[2]
EPOCH = "1539216000"
NS = {"a": "http://www.w3.org/2005/Atom", "dc": "http://purl.org/dc/terms/",
      "opf": "http://www.idpf.org/2007/opf"}
ACQUIRE = "http://opds-spec.org/acquisition/open-access"
FEED_TYPE = "application/atom+xml;profile=opds-catalog;kind=acquisition"
NUMBERS = {"one-a": 1, "two-b": 5, "three-c": 3}
STEMS = {"one-a": "small-book-1", "two-b": "small-book-2", "three-c": "small-book-3"}


def spindle(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "spindle", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    root = tmp_path_factory.mktemp("series")
    make_series(root, 3)
    proc = spindle("build", cwd=root)  # one command at the root, every edition of every title
    assert proc.returncode == 0, proc.stderr
    return root, proc


def opf(epub: Path):
    with zipfile.ZipFile(epub) as z:
        return etree.fromstring(z.read("EPUB/content.opf")), z.read("EPUB/styles/custom.css").decode()


def atom_schema() -> etree.RelaxNG:
    import rnc2rng

    text = (ROOT / "tests" / "fixtures" / "schemas" / "atom.rnc").read_text(encoding="utf-8")
    # rnc2rng declares the empty namespace as xmlns:local="", which XML forbids; <nsName ns=""/> stays
    rng = rnc2rng.dumps(rnc2rng.loads(text)).replace('xmlns:local=""', "")
    return etree.RelaxNG(etree.fromstring(rng.encode()))


def test_every_title_is_built_with_the_series_name_number_publisher_and_theme(series):
    root, proc = series
    for folder, number in NUMBERS.items():
        stem = STEMS[folder]
        out = root / "build" / folder
        for name in (f"{stem}.pdf", f"{stem}.epub", f"{stem}-print.pdf", f"{stem}-cover.pdf"):
            assert (out / name).stat().st_size > 1000, name
        package, css = opf(out / f"{stem}.epub")
        series_name = package.xpath("string(//opf:meta[@property='belongs-to-collection'])", namespaces=NS)
        position = package.xpath("string(//opf:meta[@refines='#series'][@property='group-position'])", namespaces=NS)
        assert series_name == ("Its Own Series" if folder == "three-c" else SERIES_NAME)  # its book.toml wins
        assert position == str(number)
        assert package.xpath("string(//dc:publisher)", namespaces={"dc": "http://purl.org/dc/elements/1.1/"}) == PUBLISHER
        assert css == (OWN_CSS if folder == "two-b" else SHARED_CSS)  # a book's own styles/ wins over the series'
        assert not (root / folder / "build").exists()  # a title of a series writes to the series' build.out
    assert "series build/catalogue.xml" in proc.stdout and "series build/index.html" in proc.stdout


def test_the_opds_feed_is_valid_atom_and_lists_every_edition(series):
    root, _ = series
    out = root / "build"
    feed = etree.parse(str(out / "catalogue.xml"))
    schema = atom_schema()
    assert schema.validate(feed), schema.error_log
    top = feed.getroot()
    assert top.tag == "{http://www.w3.org/2005/Atom}feed"
    assert top.xpath("string(a:title)", namespaces=NS) == SERIES_NAME
    assert top.xpath("string(a:updated)", namespaces=NS) == "2018-10-11T00:00:00Z"  # SOURCE_DATE_EPOCH
    assert top.xpath("a:link[@rel='self']/@type", namespaces=NS) == [FEED_TYPE]
    assert top.xpath("a:link[@rel='start']/@type", namespaces=NS) == [FEED_TYPE]
    entries = top.xpath("a:entry", namespaces=NS)
    assert [e.xpath("string(a:title)", namespaces=NS) for e in entries] == ["Small Book 1", "Small Book 3", "Small Book 2"]
    for entry in entries:  # Atom's prose rules the schema leaves out, then OPDS 1.2's acquisition links
        assert entry.xpath("a:link[@rel='alternate']", namespaces=NS) or entry.xpath("a:content", namespaces=NS)
        assert entry.xpath("a:author/a:name/text()", namespaces=NS)[0].startswith("Author ")
        assert entry.xpath("string(a:summary)", namespaces=NS).startswith("The blurb of small book")
        assert entry.xpath("string(dc:language)", namespaces=NS) == "en"
        links = {(l.get("type"), unquote(l.get("href"))) for l in entry.xpath(f"a:link[@rel='{ACQUIRE}']", namespaces=NS)}
        types = sorted(t for t, _ in links)
        assert types == ["application/epub+zip", "application/pdf", "application/pdf"]
        for kind, href in links:
            data = (out / href).read_bytes()
            assert data.startswith(b"%PDF-") if kind == "application/pdf" else data[30:58] == b"mimetypeapplication/epub+zip"
        [image] = entry.xpath("a:link[@rel='http://opds-spec.org/image']", namespaces=NS)
        assert image.get("type") == "image/png"
        assert (out / unquote(image.get("href"))).read_bytes().startswith(b"\x89PNG")
        assert entry.xpath("a:link[@rel='http://opds-spec.org/image/thumbnail']/@href", namespaces=NS) == [image.get("href")]


def test_the_index_page_is_html5_with_covers_and_every_edition(series):
    import html5lib

    root, _ = series
    out = root / "build"
    page = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse((out / "index.html").read_bytes())
    assert page.get("lang") == "en"
    assert page.find("head/title").text == SERIES_NAME
    titles = page.findall(".//li[@class='title']")
    assert [t.find("h2").itertext() and "".join(t.find("h2").itertext()) for t in titles] == \
        ["1. Small Book 1", "3. Small Book 3", "5. Small Book 2"]
    for title in titles:
        img = title.find("img")
        assert img.get("alt").startswith("Cover of Small Book")
        assert (out / unquote(img.get("src"))).read_bytes().startswith(b"\x89PNG")
        hrefs = [a.get("href") for a in title.findall(".//ul[@class='editions']/li/a")]
        assert len(hrefs) == 3 and all((out / unquote(h)).is_file() for h in hrefs)
    feed_link = page.find("head/link[@rel='alternate']")
    assert feed_link.get("href") == "catalogue.xml" and "opds-catalog" in feed_link.get("type")


def test_html5lib_strict_mode_does_fail_on_broken_markup():
    import html5lib

    with pytest.raises(html5lib.html5parser.ParseError):
        html5lib.HTMLParser(strict=True).parse(b"<!DOCTYPE html><title>x</title><p><b>unclosed</p></i>")


def test_the_schema_rejects_a_feed_without_updated(series):
    root, _ = series
    text = (root / "build" / "catalogue.xml").read_bytes()
    start = text.index(b"  <updated>")
    broken = text[:start] + text[text.index(b"\n", start) + 1:]
    assert not atom_schema().validate(etree.fromstring(broken))


def test_an_unchanged_series_is_a_no_op(series):
    root, _ = series
    before = {p: p.stat().st_mtime_ns for p in (root / "build").rglob("*") if p.is_file()}
    proc = spindle("build", "-v", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("nothing changed since the last build") == 3
    assert {p: p.stat().st_mtime_ns for p in (root / "build").rglob("*") if p.is_file()
            if p.suffix != ".xml" and p.name != "index.html"} == \
        {p: t for p, t in before.items() if p.suffix != ".xml" and p.name != "index.html"}


def test_check_lints_every_title_from_the_root(tmp_path, monkeypatch, capsys):
    make_series(tmp_path, 2)
    chapter = tmp_path / "two-b" / "manuscript" / "01-opening.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA dangling reference.[^missing]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run(["check"]) == 1
    out = capsys.readouterr().out
    assert "two-b/manuscript/01-opening.md:" in out and "N001" in out
    assert "one-a/" not in out


def test_a_failing_title_leaves_the_others_built_and_fails_with_one_line(tmp_path, monkeypatch, capsys):
    make_series(tmp_path, 3, editions=("epub",))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    assert run(["build"]) == 0
    capsys.readouterr()
    earlier = (tmp_path / "build" / "two-b" / "small-book-2.epub").read_bytes()
    chapter = tmp_path / "two-b" / "manuscript" / "01-opening.md"
    chapter.write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")
    (tmp_path / "one-a" / "manuscript" / "01-opening.md").write_text(
        "---\ntitle: Changed\n---\nChanged text.\n", encoding="utf-8")
    assert run(["build"]) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: two-b/manuscript/01-opening.md"), err
    assert "Traceback" not in err
    assert (tmp_path / "build" / "two-b" / "small-book-2.epub").read_bytes() == earlier  # left as it was
    with zipfile.ZipFile(tmp_path / "build" / "one-a" / "small-book-1.epub") as z:  # the others were built
        assert any(b"Changed text." in z.read(n) for n in z.namelist() if n.endswith(".xhtml"))
    feed = etree.parse(str(tmp_path / "build" / "catalogue.xml"))
    assert len(feed.xpath("//a:entry", namespaces=NS)) == 3  # the failed title's earlier EPUB is still listed


def test_only_the_titles_named_are_built(tmp_path, monkeypatch):
    make_series(tmp_path, 3, editions=("epub",))
    monkeypatch.chdir(tmp_path)
    assert run(["build", "--book", "three-c", "--quiet"]) == 0
    assert sorted(p.name for p in (tmp_path / "build").iterdir()) == ["catalogue.xml", "index.html", "three-c"]
    assert run(["build", "--book", "nine-z"]) == 2


def test_a_book_folder_linked_from_outside_the_series_is_refused(tmp_path, monkeypatch, capsys):
    make_series(tmp_path / "series", 1)
    make_series(tmp_path / "elsewhere", 1)
    (tmp_path / "series" / "linked").symlink_to(tmp_path / "elsewhere" / "one-a")
    (tmp_path / "series" / "series.toml").write_text('books = ["one-a", "linked"]\n[series]\nname = "S"\n',
                                                     encoding="utf-8")
    monkeypatch.chdir(tmp_path / "series")
    assert run(["build"]) == 2
    assert capsys.readouterr().err.startswith("error: series.toml:1: books[1]: 'linked' leads outside the series")


@pytest.mark.parametrize("toml, expected", [
    ('books = ["one-a"]\n[series]\nname = "S"\n[build]\nclustr = "tcp://x:8786"\n',
     "series.toml:5: build.clustr: unknown key (did you mean 'cluster'?)"),
    ('books = ["one-a", "gone"]\n[series]\nname = "S"\n',
     "series.toml:1: books[1]: no book.toml in 'gone'"),
    ('books = ["one-a", "../elsewhere"]\n[series]\nname = "S"\n',
     "series.toml:1: books[1].folder: expected a folder inside the series"),
    ('books = ["one-a"]\n[series]\nname = "S"\n[build]\ncluster = "8786"\n',
     "series.toml:5: build.cluster: expected a scheduler address such as 'tcp://HOST:8786'"),
    ('books = ["one-a", {folder = "one-a", number = 2}]\n[series]\nname = "S"\n',
     "series.toml:1: books[1].folder: 'one-a' is listed twice"),
])
def test_a_bad_series_toml_fails_with_one_line(tmp_path, monkeypatch, capsys, toml, expected):
    make_series(tmp_path, 1)
    (tmp_path / "series.toml").write_text(toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run(["build"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {expected}"), err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "build").exists()


DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")


@pytest.mark.skipif(not DEJAVU.is_file(), reason="Debian's fonts-dejavu-core is not installed")
def test_the_shared_theme_reads_its_own_fonts_and_nothing_of_another_book(tmp_path, monkeypatch, capsys):
    import pikepdf

    make_series(tmp_path, 2, editions=("pdf",))
    styles = tmp_path / "theme" / "styles"
    (styles / "fonts").mkdir()
    shutil.copy(DEJAVU, styles / "fonts" / "face.ttf")
    (styles / "custom.css").write_text('@font-face { font-family: "Series Face"; src: url(fonts/face.ttf); }\n'
                                       'h1 { font-family: "Series Face"; }\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run(["build", "--book", "one-a", "-q"]) == 0, capsys.readouterr().err
    with pikepdf.open(tmp_path / "build" / "one-a" / "small-book-1.pdf") as pdf:
        fonts = {str(f.get("/BaseFont")) for page in pdf.pages for f in page.Resources.Font.values()}
    assert any("Series-Face" in f for f in fonts), fonts  # the font in the shared styles folder
    # a url() out of the shared theme, into another book's folder, is refused
    (tmp_path / "two-b" / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (styles / "custom.css").write_text("body { background: url(../../two-b/secret.png); }\n", encoding="utf-8")
    assert run(["build", "--book", "one-a"]) == 1
    err = capsys.readouterr().err
    assert "refused to read" in err and "secret.png" in err and "lies outside the project" in err


def test_check_print_preflights_every_title_from_the_root(series, monkeypatch, capsys):
    root, _ = series
    monkeypatch.chdir(root)
    assert run(["check", "print"]) == 0
    rows = {tuple(line.split()[:3]) for line in capsys.readouterr().out.splitlines()}
    for folder, stem in STEMS.items():
        assert (f"build/{folder}/{stem}-print.pdf", "boxes", "ok") in rows
        assert (f"build/{folder}/{stem}-cover.pdf", "fonts", "ok") in rows


def test_check_print_at_the_root_reads_the_folder_out_names(series, tmp_path, monkeypatch, capsys):
    import shutil

    root, _ = series
    shutil.copytree(root / "build", tmp_path / "moved")
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert run(["check", "print", "--out", str(tmp_path / "moved")]) == 0
    rows = {tuple(line.split()[:3]) for line in capsys.readouterr().out.splitlines()}
    for folder, stem in STEMS.items():
        assert (f"{tmp_path / 'moved' / folder}/{stem}-print.pdf", "boxes", "ok") in rows
    (tmp_path / "empty").mkdir()
    assert run(["check", "print", "--out", str(tmp_path / "empty")]) == 1  # nothing built there


def test_out_sends_a_series_elsewhere(tmp_path, monkeypatch, capsys):
    make_series(tmp_path / "series", 2, editions=("epub",))
    monkeypatch.chdir(tmp_path / "series")
    assert run(["build", "--out", str(tmp_path / "site")]) == 0
    assert (tmp_path / "site" / "one-a" / "small-book-1.epub").is_file()
    assert (tmp_path / "site" / "two-b" / "small-book-2.epub").is_file()
    catalogue = (tmp_path / "site" / "catalogue.xml").read_text(encoding="utf-8")
    assert 'href="one-a/small-book-1.epub"' in catalogue
    assert not (tmp_path / "series" / "build").exists()
    capsys.readouterr()
    assert run(["build", "--out", "one-a/site"]) == 2
    assert capsys.readouterr().err.startswith("error: --out one-a/site: it lies inside the book 'one-a'")


def test_the_book_option_needs_a_series(tmp_path, monkeypatch, capsys):
    make_series(tmp_path, 1)
    monkeypatch.chdir(tmp_path / "one-a")
    assert run(["build", "--book", "one-a"]) == 2
    assert capsys.readouterr().err.startswith("error: --book: only for a series")


def test_a_change_to_the_shared_theme_rebuilds_every_title(tmp_path, monkeypatch, capsys):
    import html5lib

    make_series(tmp_path, 2, editions=("epub",))
    monkeypatch.chdir(tmp_path)
    assert run(["build", "-v"]) == 0
    assert "nothing changed" not in capsys.readouterr().err
    assert run(["build", "-v"]) == 0
    assert capsys.readouterr().err.count("nothing changed since the last build") == 2
    (tmp_path / "theme" / "styles" / "custom.css").write_text(":root { --colour-accent: #123456; }\n", encoding="utf-8")
    assert run(["build", "-v"]) == 0
    assert "nothing changed" not in capsys.readouterr().err  # the shared folder is every title's input
    assert "#123456" in opf(tmp_path / "build" / "one-a" / "small-book-1.epub")[1]
    assert opf(tmp_path / "build" / "two-b" / "small-book-2.epub")[1] == OWN_CSS  # its own styles/ still win
    # EPUB only, no cover given: the catalogue and the page go without one
    feed = etree.parse(str(tmp_path / "build" / "catalogue.xml"))
    assert atom_schema().validate(feed)
    assert not feed.xpath("//a:link[@rel='http://opds-spec.org/image']", namespaces=NS)
    page = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(
        (tmp_path / "build" / "index.html").read_bytes())
    assert not page.findall(".//img")
    assert [d.get("aria-label") for d in page.findall(".//div[@class='no-cover']")] == ["Small Book 1", "Small Book 2"]
