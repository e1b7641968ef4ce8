"""The fast path (chapters laid out part by part, in parallel worker processes, from
the cache) gives the same book as a single-pass render: the same pages with the
same text (folios and running heads included), the same table-of-contents
numbers, bookmarks, links, destinations, metadata and structure tree; and a
rebuild lays out only what changed."""

from __future__ import annotations

import re
import time
import unicodedata
from pathlib import Path

import pikepdf
import pypdf
import pytest

from spindle.build import orchestrate as builder
from spindle.project.config import load

EPOCH = 1539216000
WORDS = ("civil society organisations funders partners trust power collaboration network activists "
         "entrepreneurs grantees accountability resources legitimacy learning risk coalition community").split()


def prose(seed: int, words: int) -> str:
    out = [WORDS[(seed * 7 + i * 13) % len(WORDS)] for i in range(words)]
    sentences = [" ".join(out[i:i + 14]).capitalize() + "." for i in range(0, len(out), 14)]
    return " ".join(sentences)


def chapter(title: str, seed: int, paragraphs: int, extra: str = "", kind: str = "chapter", lang: str = "en") -> str:
    body = []
    for n in range(paragraphs):
        if n and n % 4 == 0:
            body.append(f"## Section {n // 4} of {title}\n")
        note = f"[^n{n}]" if n % 3 == 1 else ""
        body.append(prose(seed + n, 90) + note + "\n")
        if note:
            body.append(f"[^n{n}]: {prose(seed + n + 50, 25)}\n")
    return f"---\ntitle: \"{title}\"\nkind: {kind}\nlang: {lang}\n---\n" + "\n".join(body) + "\n" + extra


def write_book(root: Path, layout: str | None = None) -> Path:
    """The book; *layout*: its screen PDF's editions.pdf.layout (None: the default, "print")."""
    m = root / "manuscript"
    m.mkdir(parents=True)
    (m / "chart.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="150">'
                                 '<title>A chart</title><rect x="5" y="5" width="290" height="140" fill="#ccc"/></svg>\n',
                                 encoding="utf-8")
    table = "\n| Actor | Power |\n|---|---|\n| Funders | high |\n| Activists | low |\n"
    files = {
        "00-foreword.md": chapter("Foreword", 1, 3, kind="foreword"),
        "01-alpha.md": chapter("Alpha", 2, 14, table + "\nSee [the gamma chapter](03-gamma.md#section-1-of-gamma).\n"),
        "02-beta.md": chapter("Beta", 3, 9, '\n![A chart](chart.svg "Figure 1. A chart")\n'),
        "03-gamma.md": chapter("Gamma", 4, 11, "\nBack to [alpha](01-alpha.md).\n"),
        "04-delta.md": chapter("Delta samen", 5, 6, lang="nl"),
        "99-colophon.md": chapter("Colophon", 6, 1, kind="colophon"),
    }
    for name, text in files.items():
        (m / name).write_text(text, encoding="utf-8")
    (root / "book.toml").write_text(
        '[book]\ntitle = "Fast Path"\nauthors = ["A. Writer"]\nlanguage = "en"\n\n'
        '[contents]\nfront = ["manuscript/00-foreword.md"]\nback = ["manuscript/99-colophon.md"]\n'
        'chapters = ["manuscript/01-alpha.md", { title = "Part two", chapters = '
        '["manuscript/02-beta.md", "manuscript/03-gamma.md"] }, "manuscript/04-delta.md"]\n\n'
        '[editions.pdf]\ntoc_depth = 2\n' + (f'layout = "{layout}"\n' if layout else "")
        + '\n[editions.print]\nsignature = 8\ntoc_depth = 2\n', encoding="utf-8")
    return root / "book.toml"


# --- reading a PDF -------------------------------------------------------------------------------------------

def words(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


class Book:
    """What two layouts of the same book must agree on."""

    def __init__(self, path: Path):
        self.path = path
        reader = pypdf.PdfReader(path)
        self.texts = [words(p.extract_text()) for p in reader.pages]
        self.labels = list(reader.page_labels)  # the screen PDF: the print edition's page numbers
        with pikepdf.open(path) as pdf:
            index = {page.objgen: i for i, page in enumerate(pdf.pages)}
            self.dests = {}
            if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
                for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items():
                    self.dests[str(name)] = (index[dest[0].objgen], round(float(dest[2]), 2), round(float(dest[3]), 2))
            self.links = []
            for i, page in enumerate(pdf.pages):
                for annot in page.obj.get("/Annots", ()):
                    rect = tuple(round(float(v), 2) for v in annot.Rect)
                    if "/Dest" in annot:
                        self.links.append((i, rect, str(annot.Dest), self.dests.get(str(annot.Dest), (None,))[0]))
                    else:
                        self.links.append((i, rect, str(annot.A.URI)))
            self.outline = []
            with pdf.open_outline() as outline:
                def walk(items, depth):
                    for item in items:
                        self.outline.append((depth, item.title, index[item.destination[0].objgen]))
                        walk(item.children, depth + 1)
                walk(outline.root, 0)
            self.lang = str(pdf.Root.Lang)
            self.info = {str(k): str(v) for k, v in pdf.docinfo.items()}
            self.boxes = [tuple(round(float(v), 2) for v in p.obj.get("/TrimBox", p.obj.MediaBox)) for p in pdf.pages]
            self.structure = self._structure(pdf, index)

    @staticmethod
    def _structure(pdf, index) -> list:
        """The structure tree in order: (depth, type, page) of each element, MCIDs and link objects."""
        out: list = []

        def walk(element, depth):
            if isinstance(element, int):
                out.append((depth, "mcid", element))
                return
            if element.get("/Type") == "/OBJR":
                out.append((depth, "annotation", index[element.Pg.objgen]))
                return
            out.append((depth, str(element.S), index.get(element.Pg.objgen) if "/Pg" in element else None,
                        str(element.get("/Alt", ""))))
            kids = element.get("/K")
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
                walk(kid, depth + 1)

        walk(pdf.Root.StructTreeRoot.K[0], 0)
        parents = {int(k): v for k, v in pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree).items()}
        for i, page in enumerate(pdf.pages):  # each page's marked content maps to elements of the same types
            kinds = parents[int(page.obj.StructParents)]
            out.append(("page", i, [str(k.S) for k in kinds]))
        return out

    def toc_numbers(self) -> list[str]:
        toc = next(i for i, t in enumerate(self.texts) if t.startswith("Contents"))
        return re.findall(r"\b\d+\b", " ".join(self.texts[toc:toc + 2]))


def assert_same(fast: Book, single: Book) -> None:
    assert len(fast.texts) == len(single.texts), "page count"
    differing = [i + 1 for i, (a, b) in enumerate(zip(fast.texts, single.texts)) if a != b]
    assert not differing, f"text differs on pages {differing}: {fast.texts[differing[0] - 1][:200]!r} vs " \
                          f"{single.texts[differing[0] - 1][:200]!r}"
    assert fast.toc_numbers() == single.toc_numbers()
    assert fast.outline == single.outline
    assert fast.links == single.links
    assert fast.dests == single.dests
    assert fast.lang == single.lang and fast.info == single.info
    assert fast.boxes == single.boxes
    assert fast.labels == single.labels
    assert fast.structure == single.structure


# --- the builds ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def books(tmp_path_factory):
    root = tmp_path_factory.mktemp("fastpath")
    project = load(write_book(root))
    single = builder.build(project, ["pdf", "print", "epub"], root / "single", epoch=EPOCH, single_pass=True)
    fast = builder.build(project, ["pdf", "print", "epub"], root / "fast", epoch=EPOCH, jobs=2)
    return root, project, single, fast


def paths(result) -> dict[str, Path]:
    return {o.edition: o.path for o in result.outputs + result.extras}


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_fast_path_gives_the_same_book_as_a_single_pass(books, edition):
    _, _, single, fast = books
    a, b = Book(paths(fast)[edition]), Book(paths(single)[edition])
    assert len(a.texts) > 15 and len(a.outline) >= 10 and a.links and len(a.structure) > 500
    assert_same(a, b)


def test_the_toc_numbers_are_the_chapter_start_pages(books):
    _, project, _, fast = books
    book = Book(paths(fast)["pdf"])
    assert "Gamma" in [title for _, title, _ in book.outline]
    # the screen PDF is made from the print layout: its pages carry the printed numbers as labels
    starts = {title: int(book.labels[page]) for depth, title, page in book.outline}
    numbers = [int(n) for n in book.toc_numbers()]
    for title in ("Foreword", "Alpha", "Beta", "Gamma", "Delta samen", "Colophon"):
        assert starts[title] in numbers, (title, starts[title], numbers)


def test_the_print_edition_is_padded_and_its_cover_and_notes_agree(books):
    _, _, single, fast = books
    assert Book(paths(fast)["print"]).texts and len(Book(paths(fast)["print"]).texts) % 8 == 0
    assert [o.pages for o in fast.extras] == [o.pages for o in single.extras]
    keep = [n for n in single.notes if not n.startswith(("pdf: laid out", "print: laid out"))]
    assert [n for n in fast.notes if not n.startswith(("pdf: laid out", "print: laid out"))] == keep


def test_the_epub_page_list_follows_the_fast_print_edition(books):
    import zipfile

    _, _, single, fast = books
    with zipfile.ZipFile(paths(fast)["epub"]) as a, zipfile.ZipFile(paths(single)["epub"]) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        for name in a.namelist():
            assert a.read(name) == b.read(name), name


def test_workers_or_not_the_same_bytes(books, tmp_path):
    root, project, _, fast = books
    inline = builder.build(project, ["pdf", "print"], tmp_path / "inline", epoch=EPOCH, jobs=1, cache=tmp_path / "c")
    for edition in ("pdf", "print"):
        assert paths(inline)[edition].read_bytes() == paths(fast)[edition].read_bytes(), edition


# --- rebuilds ------------------------------------------------------------------------------------------------

@pytest.fixture
def project_copy(tmp_path):
    """The book with a screen PDF laid out on its own (layout = "own"): the rebuild and fallback
    tests below follow the part-by-part layout of that edition (the screen PDF made from the
    print layout is compared with a single pass by the tests above and tests/editions/test_screen.py)."""
    return load(write_book(tmp_path / "book", layout="own"))


def laid_out(messages: list[str], edition: str) -> int:
    line = next(m for m in messages if m.startswith(f"{edition}: laid out in "))
    return int(re.search(r"\((\d+) laid out now", line).group(1))


def test_an_edited_chapter_is_the_only_part_laid_out_again(project_copy):
    project = project_copy
    builder.build(project, ["pdf"], epoch=EPOCH, jobs=2)
    chapter = project.root / "manuscript" / "03-gamma.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("Back to", "Go back to"), encoding="utf-8")
    messages: list[str] = []
    result = builder.build(project, ["pdf"], epoch=EPOCH, jobs=2, report=messages.append)
    assert laid_out(messages, "pdf") == 1
    single = builder.build(project, ["pdf"], project.root / "single", epoch=EPOCH, single_pass=True)
    assert_same(Book(result.outputs[0].path), Book(single.outputs[0].path))


def test_builds_without_a_fixed_date_reuse_layouts_and_are_dated_when_built(project_copy):
    """Without SOURCE_DATE_EPOCH each build has its own date. The layouts carry none (the merged
    PDF is dated), so a rebuild a moment later after a one-chapter edit lays out that chapter
    alone, the print edition's padding round lays out only the parts the blank pages change,
    and each PDF is dated at its build, not at the build its parts were cached in."""
    from datetime import datetime, timezone

    project = project_copy
    messages: list[str] = []
    first = builder.build(project, ["pdf", "print"], jobs=2, report=messages.append)
    parts = int(re.search(r"laid out in (\d+) parts", next(m for m in messages if m.startswith("pdf: laid out"))).group(1))
    assert any(n.startswith("print: added") for n in first.notes)  # a second, padded round was laid out
    assert laid_out(messages, "pdf") <= parts + 1  # (the front matter: a first look, then with page numbers)
    # the second round: the front and the closing part again, and the blank pages, parts of their own
    blanks = [m for m in messages if m.startswith("laying out print: ") and m.endswith("+blanks")]
    assert 1 <= len(blanks) <= 2 and laid_out(messages, "print") - len(blanks) <= parts + 3
    time.sleep(1.2)
    chapter = project.root / "manuscript" / "02-beta.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("A chart", "The chart"), encoding="utf-8")
    before = datetime.now(timezone.utc).replace(microsecond=0)
    messages = []
    again = builder.build(project, ["pdf", "print"], jobs=2, report=messages.append)
    after = datetime.now(timezone.utc)
    assert laid_out(messages, "pdf") == 1 and laid_out(messages, "print") == 1
    for output in again.outputs:
        with pikepdf.open(output.path) as pdf:
            for key in ("/CreationDate", "/ModDate"):
                when = datetime.strptime(str(pdf.docinfo[key]), "D:%Y%m%d%H%M%SZ").replace(tzinfo=timezone.utc)
                assert before <= when <= after, (output.edition, key, when)


def test_pages_that_move_are_numbered_again(project_copy):
    """A chapter that grows by pages moves every later chapter: their folios, the table of
    contents, bookmarks and links follow, as in a single pass."""
    project = project_copy
    builder.build(project, ["pdf", "print"], epoch=EPOCH, jobs=2)
    alpha = project.root / "manuscript" / "01-alpha.md"
    alpha.write_text(alpha.read_text(encoding="utf-8") + "\n" + "\n\n".join(prose(n, 120) for n in range(12)) + "\n",
                     encoding="utf-8")
    result = builder.build(project, ["pdf", "print"], epoch=EPOCH, jobs=2)
    single = builder.build(project, ["pdf", "print"], project.root / "single", epoch=EPOCH, single_pass=True)
    for edition in ("pdf", "print"):
        assert_same(Book(paths(result)[edition]), Book(paths(single)[edition]))


def test_a_rebuild_with_nothing_changed_is_a_no_op(project_copy):
    project = project_copy
    first = builder.build(project, ["pdf", "epub"], epoch=EPOCH, jobs=2)
    stamps = {o.path: o.path.stat().st_mtime_ns for o in first.outputs}
    chapter = project.root / "manuscript" / "02-beta.md"
    chapter.write_text(chapter.read_text(encoding="utf-8"), encoding="utf-8")  # touched, not changed
    again = builder.build(project, ["pdf", "epub"], epoch=EPOCH, jobs=2)
    assert any("nothing changed since the last build" in n for n in again.notes)
    assert {o.path: o.path.stat().st_mtime_ns for o in again.outputs} == stamps
    assert [(o.edition, o.pages, o.bytes) for o in again.outputs] == [(o.edition, o.pages, o.bytes) for o in first.outputs]
    (project.root / "styles").mkdir(exist_ok=True)
    (project.root / "styles" / "custom.css").write_text("h2 { letter-spacing: 0.02em; }\n", encoding="utf-8")
    messages: list[str] = []
    changed = builder.build(project, ["pdf", "epub"], epoch=EPOCH, jobs=2, report=messages.append)
    assert not any("nothing changed" in n for n in changed.notes)
    # the chapters with an h2 (alpha, beta, gamma, delta: "## Section"), not the front matter, the foreword
    # or the colophon, which the rule cannot reach (editions/paged/reach.py, tests/editions/test_reach.py)
    assert laid_out(messages, "pdf") == 4
    assert changed.outputs[0].path.read_bytes() != b"" and changed.outputs[0].path.stat().st_mtime_ns != stamps[
        changed.outputs[0].path]


def test_a_deleted_output_is_built_again(project_copy):
    project = project_copy
    first = builder.build(project, ["pdf"], epoch=EPOCH, jobs=2)
    data = first.outputs[0].path.read_bytes()
    first.outputs[0].path.unlink()
    again = builder.build(project, ["pdf"], epoch=EPOCH, jobs=2)
    assert not any("nothing changed" in n for n in again.notes)
    assert again.outputs[0].path.read_bytes() == data  # the same bytes, from the cache


def test_stylesheets_the_fast_path_cannot_follow_fall_back_to_one_pass(project_copy):
    project = project_copy
    (project.root / "styles").mkdir()
    (project.root / "styles" / "custom.css").write_text(
        "@page { @bottom-right { content: counter(page) ' of ' counter(pages); } }\n", encoding="utf-8")
    result = builder.build(project, ["pdf"], epoch=EPOCH, jobs=2)
    assert any("pdf: laid out in one pass: the stylesheets use counter(pages)" in n for n in result.notes)
    book = Book(result.outputs[0].path)
    assert f"of {len(book.texts)}" in book.texts[-1]


def test_chapters_that_do_not_open_a_page_fall_back_to_one_pass(project_copy):
    project = project_copy
    (project.root / "styles").mkdir()
    (project.root / "styles" / "custom.css").write_text("section.chapter { break-before: auto; }\n", encoding="utf-8")
    result = builder.build(project, ["pdf"], epoch=EPOCH, jobs=2)
    assert any(n.startswith("pdf: laid out in one pass: a chapter does not open on a new page") for n in result.notes)
    single = builder.build(project, ["pdf"], project.root / "single", epoch=EPOCH, single_pass=True)
    assert_same(Book(result.outputs[0].path), Book(single.outputs[0].path))


def test_left_and_right_pages_styled_apart_in_the_screen_pdf(project_copy):
    """With :left/:right rules the side a chapter opens on matters: a chapter laid out on the
    wrong side is laid out again on the right one."""
    project = project_copy
    (project.root / "styles").mkdir()
    (project.root / "styles" / "custom.css").write_text(
        "@page :left { margin-left: 30mm; @top-left { content: 'Left ' counter(page); } }\n"
        "@page :right { margin-right: 26mm; }\n", encoding="utf-8")
    messages: list[str] = []
    result = builder.build(project, ["pdf"], epoch=EPOCH, jobs=2, report=messages.append)
    assert not any("in one pass" in n for n in result.notes)
    single = builder.build(project, ["pdf"], project.root / "single", epoch=EPOCH, single_pass=True)
    assert_same(Book(result.outputs[0].path), Book(single.outputs[0].path))
    assert laid_out(messages, "pdf") > 7  # some chapters opened on the other side than first assumed


def test_page_references_inside_a_chapter_get_its_real_page_numbers(project_copy):
    project = project_copy
    gamma = project.root / "manuscript" / "03-gamma.md"
    gamma.write_text(gamma.read_text(encoding="utf-8") + "\nSee [the second section](#section-2-of-gamma){.pageref}.\n",
                     encoding="utf-8")
    (project.root / "styles").mkdir()
    (project.root / "styles" / "custom.css").write_text(
        'a.pageref::after { content: " (page " target-counter(attr(href url), page) ")"; }\n', encoding="utf-8")
    result = builder.build(project, ["pdf"], epoch=EPOCH, jobs=2)
    single = builder.build(project, ["pdf"], project.root / "single", epoch=EPOCH, single_pass=True)
    fast, one = Book(result.outputs[0].path), Book(single.outputs[0].path)
    assert any(re.search(r"\(page \d+\)", t) for t in fast.texts)
    assert_same(fast, one)


def test_page_references_to_other_chapters_fall_back_to_one_pass(project_copy):
    project = project_copy
    alpha = project.root / "manuscript" / "01-alpha.md"
    alpha.write_text(alpha.read_text(encoding="utf-8") + "\nSee [gamma](03-gamma.md){.pageref}.\n", encoding="utf-8")
    (project.root / "styles").mkdir()
    (project.root / "styles" / "custom.css").write_text(
        'a.pageref::after { content: " (page " target-counter(attr(href url), page) ")"; }\n', encoding="utf-8")
    result = builder.build(project, ["pdf"], epoch=EPOCH, jobs=2)
    assert any("pdf: laid out in one pass: alpha refers to page numbers in other chapters" in n for n in result.notes)
    single = builder.build(project, ["pdf"], project.root / "single", epoch=EPOCH, single_pass=True)
    assert_same(Book(result.outputs[0].path), Book(single.outputs[0].path))


def test_code_ending_in_a_blank_line_keeps_the_fast_path(project_copy):
    """A code block whose last line is blank (common in real books: trpl, chip8) once left a
    line span unclosed in the paged HTML, and the whole edition fell back to one pass."""
    project = project_copy
    gamma = project.root / "manuscript" / "03-gamma.md"
    gamma.write_text(gamma.read_text(encoding="utf-8") + "\n```rust\npub struct Emu {\n    pc: u16,\n}\n\n```\n",
                     encoding="utf-8")
    result = builder.build(project, ["pdf"], epoch=EPOCH, jobs=1)
    assert not any("in one pass" in n for n in result.notes), result.notes
    text = " ".join(Book(result.outputs[0].path).texts)
    assert "pub struct Emu {" in text and "pc: u16," in text


def test_a_tiny_book_is_laid_out_in_the_build_process(tmp_path, project_copy):
    """Without --jobs, a book below scheduler.INLINE_BELOW bytes of chapter HTML is laid out in the
    build's own process (a worker pool costs it more than it saves); a larger one gets the workers."""
    from spindle.editions.paged.scheduler import default_jobs

    root = tmp_path / "tiny"
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript" / "one.md").write_text("# One\n\n" + prose(1, 60) + "\n", encoding="utf-8")
    (root / "book.toml").write_text('[book]\ntitle = "Tiny"\nauthors = ["A. Writer"]\nlanguage = "en"\n\n'
                                    '[contents]\nchapters = ["manuscript/one.md"]\n', encoding="utf-8")
    for project, workers in ((load(root / "book.toml"), 1), (project_copy, default_jobs())):
        messages: list[str] = []
        result = builder.build(project, ["pdf"], epoch=EPOCH, report=messages.append)
        # (the screen PDF is made from the print edition's layout, unless the book says layout = "own")
        laid = "print" if project.config.editions.screen_layout == "print" else "pdf"
        line = next(m for m in messages if m.startswith(f"{laid}: laid out in "))
        assert line.endswith(f", {workers} worker{'s' if workers != 1 else ''}"), line
        assert len(Book(result.outputs[0].path).texts) > 1


def test_idle_workers_are_stopped_when_nothing_is_left_to_lay_out_and_a_merge_keeps_within_their_memory():
    """scheduler.Pool.retire_idle: the workers with nothing to do and no layout held are stopped
    (the build's last parts are being written by the others); a merge may then go on in the build's
    process while it has taken less memory than they gave back (may_merge), and without a limit once
    every worker is gone; a layout wanted after all starts a worker again."""
    from spindle.editions.paged import scheduler

    with scheduler.Pool(2).start(every=True) as pool:
        assert pool.live() == 2 and not pool.may_merge()  # (every worker alive: no merge)
        busy = pool.workers[0]
        busy.held = 1  # (a layout waiting for its page numbers: kept)
        assert pool.retire_idle() == 1 and pool.live() == 1 and pool.workers == [busy]
        base, given = pool.allowance
        assert given > 10 * 2**20  # a worker's memory (WeasyPrint imported), given back
        assert pool.may_merge()
        pool.allowance = (base - given - 1, given)  # this process grew by more than was given back
        assert not pool.may_merge()
        busy.held = 0
        assert pool.retire_idle() == 1 and pool.live() == 0 and pool.may_merge()
        again = pool.idle()
        assert again is not None and pool.live() == 1


def test_code_spans_no_stylesheet_styles_are_left_out_of_the_paged_html(project_copy):
    """Highlighting spans whose class no stylesheet names (Pygments' whitespace and plain names
    with the built-in theme) are left out of the paged HTML: the text is the same, and each span
    cost WeasyPrint an inline box. A class the project's CSS styles keeps its spans."""
    from spindle.manuscript.load import load_book
    from spindle.theme import Theme, render

    project = project_copy
    gamma = project.root / "manuscript" / "03-gamma.md"
    gamma.write_text(gamma.read_text(encoding="utf-8") + "\n```rust\nlet answer = compute(41) + 1;\n```\n",
                     encoding="utf-8")

    def code_html() -> str:
        html = render.paged_html(load_book(project), "pdf", Theme(project), EPOCH)
        return re.search(r"<pre\b.*?</pre>", html, re.S).group(0)

    code = code_html()
    assert 'class="w"' not in code and 'class="n"' not in code
    assert '<span class="kd">let</span> answer <span class="o">=</span> compute<span class="p">(</span>' in code
    (project.root / "styles").mkdir()
    (project.root / "styles" / "custom.css").write_text("pre.code .n { color: teal; }\n", encoding="utf-8")
    assert '<span class="n">answer</span>' in code_html()
    result = builder.build(project, ["pdf"], epoch=EPOCH, jobs=1)
    assert "let answer = compute(41) + 1;" in " ".join(Book(result.outputs[0].path).texts)
