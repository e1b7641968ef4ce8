"""spindle serve, end to end in a real browser: Playwright for Python driving
Debian's chromium (scripts/setup.sh installs it; Playwright never downloads a
browser). A `spindle serve` process previews a small project copied to a
temporary folder; the tests edit its files as an author would and watch the
page follow: a CSS edit changes the computed style, a broken chapter shows its
error, the fix brings the content back, and the PDF view refreshes after its
rebuild. Every wait is bounded; the server is stopped at the end."""

from __future__ import annotations

import http.client
import io
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from spindle.cli.serve import Preview

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
WAIT = 30_000  # ms: the longest any page may take to follow a change
CHAPTER = """---
title: The first chapter
---
Original words of the chapter.

## A section

More text.
"""

pytestmark = pytest.mark.skipif(not CHROMIUM.is_file(), reason="Debian's chromium is not installed (scripts/setup.sh installs it)")


def small_project(root: Path) -> Path:
    (root / "manuscript").mkdir(parents=True)
    (root / "styles").mkdir()
    (root / "manuscript" / "01-chapter.md").write_text(CHAPTER, encoding="utf-8")
    (root / "styles" / "custom.css").write_text("h2 { color: rgb(10, 20, 30); }\n", encoding="utf-8")
    (root / ".secret").write_text("hidden files are never served\n", encoding="utf-8")
    (root / "book.toml").write_text('[book]\ntitle = "Preview Book"\nauthors = ["Ann"]\n\n'
                                    '[contents]\nchapters = ["manuscript/01-chapter.md"]\n', encoding="utf-8")
    return root / "book.toml"


class Server:
    def __init__(self, config: Path):
        self.root = config.parent
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        # Ctrl+C as at a terminal: a suite run as a background job ignores SIGINT, and its children
        # would inherit that (and never stop on it)
        self.proc = subprocess.Popen([sys.executable, "-m", "spindle", "serve", "--port", "0", "-v"], cwd=self.root,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.url = self._wait_for_url()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)

    def _wait_for_url(self) -> str:
        while True:
            try:
                line = self.lines.get(timeout=60)
            except queue.Empty:
                self.stop()
                raise AssertionError("spindle serve did not start within 60 s:\n" + "".join(self.output))
            m = re.search(r"at (http://127\.0\.0\.1:(\d+)/)", line)
            if m:
                self.port = int(m.group(2))
                return m.group(1)

    def get(self, path: str, host: str | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.putrequest("GET", path, skip_host=True)
            connection.putheader("Host", host or f"127.0.0.1:{self.port}")
            connection.endheaders()
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stop(self, how: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(how)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.reader.join(timeout=10)
        self.proc.stdout.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(small_project(tmp_path_factory.mktemp("serve")))
    yield server
    code = server.stop()
    assert code == 0, "".join(server.output)
    assert "stopped" in "".join(server.output)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def page(server, browser):
    tab = browser.new_page()
    tab.set_default_timeout(WAIT)
    yield tab
    tab.close()


def edit(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_the_page_shows_the_book_with_its_stylesheets(server, page):
    from playwright.sync_api import expect

    page.goto(server.url)
    expect(page.locator("h1.chapter-title")).to_have_text("The first chapter")
    expect(page.locator("h2").first).to_have_css("color", "rgb(10, 20, 30)")
    expect(page.locator("#spindle-preview-status")).to_have_text("up to date")


def test_editing_a_stylesheet_changes_the_computed_style(server, page):
    from playwright.sync_api import expect

    page.goto(server.url)
    h2 = page.locator("h2").first
    expect(h2).to_have_css("color", "rgb(10, 20, 30)")
    edit(server.root / "styles" / "custom.css", "h2 { color: rgb(200, 0, 0); }\n")
    expect(h2).to_have_css("color", "rgb(200, 0, 0)")  # the page reloaded by itself
    edit(server.root / "styles" / "custom.css", "h2 { color: rgb(10, 20, 30); letter-spacing: 3px; }\n")
    expect(h2).to_have_css("letter-spacing", "3px")


def test_a_broken_chapter_shows_its_error_and_the_fix_brings_the_book_back(server, page):
    from playwright.sync_api import expect

    page.goto(server.url)
    chapter = server.root / "manuscript" / "01-chapter.md"
    edit(chapter, CHAPTER.replace("title: The first chapter", 'title: "The first chapter'))
    error = page.locator("#spindle-error")
    expect(error).to_contain_text("manuscript/01-chapter.md:2: invalid YAML in front matter")
    expect(page.locator("h1.chapter-title")).to_have_count(0)
    assert server.proc.poll() is None  # the server goes on
    edit(chapter, CHAPTER.replace("More text.", "More text, after the fix."))
    expect(page.locator("h1.chapter-title")).to_have_text("The first chapter")
    expect(page.locator(".chapter-body")).to_contain_text("More text, after the fix.")
    expect(error).to_have_count(0)


def test_the_pdf_view_refreshes_when_its_rebuild_is_done(server, page):
    from playwright.sync_api import expect
    from pypdf import PdfReader

    page.goto(server.url + "pdf")
    pages = page.locator(".spindle-pages")
    expect(pages).to_have_attribute("data-pages", re.compile(r"^[1-9]\d*$"), timeout=90_000)  # the first build
    count = int(pages.get_attribute("data-pages"))
    expect(page.locator("img[data-page]")).to_have_count(count)
    first = pages.get_attribute("data-generation")
    pdf = page.request.get(server.url + "_pdf/pdf.pdf")
    assert pdf.ok and "Original words" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    image = page.request.get(server.url + "_pdf/pdf/1.png")
    assert image.ok and image.body().startswith(b"\x89PNG")
    edit(server.root / "manuscript" / "01-chapter.md", CHAPTER.replace("Original words", "Rewritten words"))
    expect(pages).not_to_have_attribute("data-generation", first, timeout=90_000)  # reloaded after the rebuild
    pdf = page.request.get(server.url + "_pdf/pdf.pdf")
    assert "Rewritten words" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert (server.root / "build" / "preview" / "preview-book.pdf").is_file()  # preview builds stay in build/


def test_only_project_files_are_served_and_only_on_loopback(server):
    assert server.get("/book.toml")[0] == 404  # only assets: stylesheets, fonts, images
    assert server.get("/styles/custom.css")[0] == 200
    assert server.get("/_theme/styles/base.css")[0] == 200
    assert server.get("/_theme/fonts/LinLibertine_R.otf")[0] == 200
    for path in ("/.secret", "/../book.toml", "/%2e%2e/%2e%2e/etc/passwd", "/manuscript/../../etc/passwd",
                 "/_theme/templates/book.html", "/_theme/../__init__.py", "/etc/passwd", "/manuscript/"):
        assert server.get(path)[0] == 404, path
    assert server.get("/", host="attacker.example")[0] == 403  # DNS rebinding
    # the page in view: a page number for an edition, nothing else (it only orders the next layout)
    assert server.get("/_view?edition=pdf&page=1")[0] == 200
    for query in ("edition=epub&page=1", "edition=pdf&page=-1", "edition=pdf&page=1e9", "edition=pdf&page=1234567",
                  "edition=../../etc/passwd&page=1", "edition=pdf", ""):
        assert server.get("/_view?" + query)[0] == 400, query
    assert server.get("/_view?edition=pdf&page=1", host="attacker.example")[0] == 403
    listening = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    ours = [fields[1] for fields in listening if fields[3] == "0A" and fields[1].endswith(f":{server.port:04X}")]
    assert ours == [f"0100007F:{server.port:04X}"]  # 127.0.0.1 only


# --- what a change redoes (no browser needed) ------------------------------------------------------

def test_changes_are_classified_by_folder(tmp_path):
    preview = Preview(small_project(tmp_path))
    preview.refresh({"config"})
    root = tmp_path
    assert preview.classify({root / "book.toml"}) == {"config"}
    assert preview.classify({root / "styles" / "custom.css"}) == {"styles"}
    assert preview.classify({root / "templates" / "book.html"}) == {"templates"}
    assert preview.classify({root / "manuscript" / "01-chapter.md", root / "styles" / "x.css"}) == {"manuscript", "styles"}


def test_a_stylesheet_change_does_not_parse_the_book_again(tmp_path, monkeypatch):
    preview = Preview(small_project(tmp_path))
    preview.refresh({"config"})
    book, rendered, generation = preview.book, preview.rendered, preview.state.generation
    preview.refresh({"styles"})
    assert preview.book is book and preview.rendered is rendered  # nothing redone
    assert preview.state.generation == generation + 1  # but the page reloads for the new CSS
    preview.refresh({"templates"})
    assert preview.book is book and preview.rendered is not rendered  # rendered again, not parsed again
    preview.refresh({"manuscript"})
    assert preview.book is not book


def test_the_watchers_follow_every_folder_that_holds_the_book(tmp_path):
    from spindle.cli.serve import watched

    config = small_project(tmp_path)
    (tmp_path / "extra" / "deep").mkdir(parents=True)
    (tmp_path / "extra" / "deep" / "02.md").write_text("---\ntitle: Two\n---\nText.\n", encoding="utf-8")
    (tmp_path / "00-top.md").write_text("---\ntitle: Top\n---\nText.\n", encoding="utf-8")
    config.write_text(config.read_text().replace('chapters = ["manuscript/01-chapter.md"]',
                                                 'front = ["00-top.md"]\nchapters = ["manuscript/01-chapter.md", '
                                                 '"extra/deep/02.md"]'), encoding="utf-8")
    preview = Preview(config)
    preview.refresh({"config"})
    assert preview.state.error is None
    folders, files = watched(preview)
    assert folders == sorted([tmp_path / "extra" / "deep", tmp_path / "manuscript", tmp_path / "styles"])
    assert files == {tmp_path / "book.toml", tmp_path / "00-top.md"}
    assert preview.classify({tmp_path / "00-top.md"}) == {"manuscript"}


def test_sigterm_stops_the_preview_cleanly(tmp_path):
    """A service manager or a CI runner stops the preview with SIGTERM: it stops as on Ctrl+C,
    with exit status 0 and its last word."""
    server = Server(small_project(tmp_path))
    status, body = server.get("/")
    assert status == 200 and b"Preview Book" in body
    assert server.stop(signal.SIGTERM) == 0
    assert "stopped" in "".join(server.output)


# --- the designer's loop: the page in view first (issue 16) ----------------------------------------

@pytest.fixture(scope="module")
def sample_server(tmp_path_factory):
    from conftest import copy_sample

    server = Server(copy_sample(tmp_path_factory.mktemp("serve-sample") / "book"))
    yield server
    code = server.stop()
    assert code == 0, "".join(server.output)


def _state(server) -> dict:
    import json

    return json.loads(server.get("/_state")[1])


def _image(page, server, number: int) -> bytes:
    """The image the page view shows for page *number* (fetched again by its URL)."""
    src = page.locator(f'img[data-page="{number}"]').get_attribute("src")
    response = page.request.get(server.url + src.lstrip("/"))
    assert response.ok, src
    return response.body()


def _coloured(png: bytes, rgb: tuple[int, int, int]) -> int:
    """Pixels of a page image near *rgb* (text antialiased against white lightens it)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(1 for pixel in image.getdata() if all(abs(a - b) < 30 for a, b in zip(pixel, rgb)))


def _pdf_view(tab, server):
    """Opens the server's /pdf page view in *tab* and waits for the first build's page count;
    returns the page box."""
    from playwright.sync_api import expect

    tab.set_default_timeout(WAIT)
    tab.goto(server.url + "pdf")
    box = tab.locator(".spindle-pages")
    expect(box).to_have_attribute("data-pages", re.compile(r"^[1-9]\d*$"), timeout=180_000)  # the first build
    return box


def _wait_for(predicate, seconds: float, what: str):
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def test_after_a_stylesheet_save_the_page_in_view_is_laid_out_first_and_the_rest_follows(
        sample_server, browser, record_property):
    """The sample book's /pdf, scrolled to a page in the middle: after custom.css gives the body text
    a new colour, the page in view shows it first (the part holding it laid out on its own: the
    server says so before the rebuild of the whole PDF is done), other pages are marked stale; then
    the whole PDF follows, the last page too, and the PDF's text has the colour. The time from the
    save to the new image of the page in view is recorded (not asserted: bench/serve.py measures it)."""
    import time

    import pdfplumber
    from playwright.sync_api import expect

    server, css = sample_server, sample_server.root / "styles" / "custom.css"
    tab = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        box = _pdf_view(tab, server)
        count = int(box.get_attribute("data-pages"))
        middle = count // 2
        tab.locator(f'img[data-page="{middle}"]').scroll_into_view_if_needed()
        tab.evaluate("n => document.querySelector(`img[data-page='${n}']`).scrollIntoView({block: 'center'})", middle)
        near = lambda: (lambda n: n if n and abs(n - middle) <= 4 else None)(_state(server)["pdf"]["pdf"]["viewing"])
        viewed = _wait_for(near, 10, f"the page view to report a page near {middle}")  # the one nearest the middle
        viewed_img = tab.locator(f'img[data-page="{viewed}"]')
        tab.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=viewed_img.element_handle())
        before, last_before = _image(tab, server, viewed), _image(tab, server, count)
        blue = (0, 90, 160)
        assert _coloured(before, blue) == 0
        generation = box.get_attribute("data-generation")
        lines = len(server.output)

        saved = time.monotonic()
        css.write_text(css.read_text(encoding="utf-8") + "\nbody { color: rgb(0, 90, 160); }\n", encoding="utf-8")
        tab.wait_for_function("i => i.getAttribute('src').includes('&e=') && i.complete && i.naturalWidth > 0",
                              arg=viewed_img.element_handle(), timeout=90_000)
        seconds = time.monotonic() - saved
        record_property("viewed_page_updated_seconds", round(seconds, 2))
        print(f"\nsample book: page {viewed} of {count} updated {seconds:.2f} s after the stylesheet was saved")
        after = _image(tab, server, viewed)
        assert after != before and _coloured(after, blue) > 200  # the new colour, on the page in view
        log = "".join(server.output[lines:])
        assert re.search(r"pages (\d+)-(\d+) \(\S+\) laid out first", log), log
        first, end = map(int, re.search(r"pages (\d+)-(\d+) \(", log).groups())
        assert first <= viewed <= end
        if "PDF rebuilt" not in log:  # (the whole PDF is usually still being laid out: the rest is stale)
            assert "spindle-stale" in (tab.locator(f'img[data-page="{count}"]').get_attribute("class") or "")

        # the rest follows: the whole PDF, its last page too, and the page in view stays as it is now
        expect(box).not_to_have_attribute("data-generation", generation, timeout=180_000)
        log = "".join(server.output[lines:])
        assert log.index("laid out first") < log.index("PDF rebuilt")
        expect(tab.locator("img.spindle-stale")).to_have_count(0)
        assert int(box.get_attribute("data-pages")) == count  # (a colour moves no page)
        last_after = _image(tab, server, count)
        assert last_after != last_before and _coloured(last_after, blue) > 0
        assert _image(tab, server, viewed) == after  # the part laid out first was laid out as it is now
        pdf = tab.request.get(server.url + "_pdf/pdf.pdf")
        with pdfplumber.open(io.BytesIO(pdf.body())) as document:
            colours = {tuple(round(v * 255) for v in c["non_stroking_color"] or ())
                       for c in document.pages[viewed - 1].chars if c["text"].isalpha()}
        assert blue in colours, colours
    finally:
        tab.close()


def test_a_further_save_stops_the_rebuild_under_way_and_a_manuscript_edit_rebuilds_as_before(
        sample_server, browser):
    """Two saves in a row: the rebuild the first one started stops, the second's page in view comes
    first and its rebuild finishes. A manuscript edit takes the usual way (the whole PDF, no part
    first) and the page view follows it in place."""
    from playwright.sync_api import expect
    from pypdf import PdfReader

    server, css = sample_server, sample_server.root / "styles" / "custom.css"
    tab = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        box = _pdf_view(tab, server)
        _wait_for(lambda: not _state(server)["pdf"]["pdf"]["building"], 180, "the rebuild under way")
        tab.evaluate("document.querySelector(`img[data-page='3']`).scrollIntoView({block: 'center'})")
        _wait_for(lambda: (_state(server)["pdf"]["pdf"]["viewing"] or 99) <= 6, 10, "the page view to report page 3")
        lines = len(server.output)
        text = css.read_text(encoding="utf-8")
        css.write_text(text + "\nh1 { color: rgb(200, 0, 0); }\n", encoding="utf-8")
        _wait_for(lambda: "laid out first" in "".join(server.output[lines:]), 90, "the first save's page in view")
        _wait_for(lambda: _state(server)["pdf"]["pdf"]["building"], 30, "the first save's rebuild")
        css.write_text(text + "\nh1 { color: rgb(0, 150, 0); }\n", encoding="utf-8")
        _wait_for(lambda: "rebuild stopped for a newer change" in "".join(server.output[lines:]), 90,
                  "the first rebuild to stop")
        generation = box.get_attribute("data-generation")
        expect(box).not_to_have_attribute("data-generation", generation, timeout=180_000)
        log = "".join(server.output[lines:])
        assert log.count("laid out first") == 2 and log.count("PDF rebuilt") == 1, log

        lines = len(server.output)
        generation = box.get_attribute("data-generation")
        chapter = server.root / "manuscript" / "02-new-alliances.md"
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA sentence the designer added last.\n",
                           encoding="utf-8")
        expect(box).not_to_have_attribute("data-generation", generation, timeout=180_000)
        log = "".join(server.output[lines:])
        assert "PDF rebuilt" in log and "laid out first" not in log, log
        pdf = PdfReader(io.BytesIO(tab.request.get(server.url + "_pdf/pdf.pdf").body()))
        assert "A sentence the designer added last." in " ".join(p.extract_text() for p in pdf.pages)
    finally:
        tab.close()


@pytest.mark.parametrize("edition", ["pdf", "print"])
def test_the_part_in_view_alone_is_laid_out_as_the_whole_edition_lays_it_out(edition, outputs, pdf_pages,
                                                                            sample_project, tmp_path):
    """What the preview shows first is what the whole layout gives: the part holding a page in the
    middle of the sample book and the front matter (its table of contents numbered from the
    previous layout), each laid out on its own, have the built edition's text on every page,
    running heads and page numbers included (the ones carried in from earlier parts too). The screen
    PDF, made from the print layout, is looked at through it: its pages found by their printed
    numbers, the part finished for the screen (trimmed, the blank pages left out)."""
    from conftest import PdfPages

    from spindle.editions import preview
    from spindle.editions.paged import worker
    from spindle.manuscript.load import load_book
    from spindle.theme import Theme

    book, theme = load_book(sample_project), Theme(sample_project)
    built = pdf_pages(edition)
    where = preview.anchors(outputs[edition])
    assert where["foreword"] < where[book.chapters[-1].id] <= len(built)
    key = preview.styles_key(sample_project, theme, edition, False)
    numbers = preview.numbers(outputs[edition])  # (the screen PDF is looked at through the print layout)
    for page in (len(built) // 2, built.toc_page() + 1):
        glimpse = preview.lay_out_part(book, theme, edition, page, where, allow_remote=False, previous=key,
                                       numbers=numbers)
        assert glimpse is not None and glimpse.start <= page < glimpse.start + glimpse.pages
        assert glimpse.start + glimpse.pages - 1 <= page + preview.AHEAD  # (the rest waits for the whole layout)
        path = tmp_path / f"{edition}-{page}.pdf"
        path.write_bytes(glimpse.pdf)
        alone = PdfPages(path)
        for index in range(glimpse.pages):
            number = glimpse.start + index
            assert alone.lines(index) == built.lines(number - 1), f"{edition}: page {number} ({glimpse.part})"
    worker.reset()  # (the fonts laid out with in this process go now, not at its exit)
