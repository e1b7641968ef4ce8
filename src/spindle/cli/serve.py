"""``spindle serve``: a live preview of the book in the browser.

A small HTTP server on 127.0.0.1 (the standard library's ThreadingHTTPServer)
shows the book as one HTML page styled with the screen edition's stylesheets,
and, at /pdf and /print, the pages of the paged editions as images. watchfiles
follows manuscript/, templates/, styles/ and book.toml; each change redoes only
what it touches:

- styles/: nothing to rebuild for the HTML page (the browser reloads the CSS);
- templates/: the HTML is rendered again from the parsed book;
- manuscript/: the book is parsed again (every chapter: a few milliseconds each);
- book.toml: the configuration is loaded again, then as for manuscript/;

and then the PDF editions whose view has been opened are rebuilt (into
build/preview/). Open pages follow through server-sent events: a page reloads
when what it shows has changed; the page views (/pdf, /print) swap the changed
page images in where the reader is. After a stylesheet is saved, the part (the
front matter or a chapter) that holds the page in view (each page view reports
it to /_view) is laid out first, on its own, numbered as it was
(editions/preview.py), and its pages are shown while the whole edition is laid
out again; the other pages are marked stale until then. A further change stops
a rebuild under way and starts the next. A failed build shows its error in the page, and
the server goes on. It listens on 127.0.0.1 only, answers only requests addressed
to 127.0.0.1 or localhost by name (no DNS rebinding), and serves only stylesheets,
fonts and images inside the project (none hidden, such as .git; symlinks resolved)
or the theme, and the preview builds: no directory listing, no other file.
"""

from __future__ import annotations

import html
import io
import json
import mimetypes
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from spindle.core.errors import ConfigError, SpindleError

PAGED = ("pdf", "print")
TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff",
         ".woff2": "font/woff2", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
         ".webp": "image/webp", ".pdf": "application/pdf", ".epub": "application/epub+zip", ".md": "text/plain",
         ".html": "text/html", ".xhtml": "application/xhtml+xml", ".js": "text/javascript", ".json": "application/json"}


# What the preview serves from the project and the theme: stylesheets, fonts and images (never
# the manuscript's text, book.toml or the built files: the preview PDFs come through /_pdf/).
ASSETS = frozenset({".css", ".svg", ".otf", ".ttf", ".woff", ".woff2", ".png", ".jpg", ".jpeg", ".gif", ".webp"})


@dataclass
class PdfView:
    """One paged edition's preview build."""

    wanted: bool = False  # its view has been opened: rebuild it on every change
    generation: int = 0
    building: bool = False
    error: str | None = None
    path: Path | None = None
    pages: int = 0
    seconds: float = 0.0
    height: int = 0  # of a page image 300 px wide
    where: dict = field(default_factory=dict)  # named destinations of the built PDF -> their pages
    numbers: list = field(default_factory=list)  # the printed number of each page (its /PageLabels)
    styles: str | None = None  # the key of the stylesheets it was laid out with
    viewing: int | None = None  # the page in view, as the page view last reported it
    viewed_at: float = 0.0
    glimpse: object = None  # preview.Glimpse: the part in view, laid out before the rest
    stamp: int = 0  # bumped with every glimpse shown


class Superseded(Exception):
    """A newer change arrived while an edition was being rebuilt: the rebuild stops."""


@dataclass
class State:
    html: str | None = None  # the book as one HTML page
    sheets: list[str] = field(default_factory=list)  # its stylesheets' URLs
    error: str | None = None  # what stopped it
    generation: int = 0  # of the HTML page (or its error)
    working: bool = False
    pdf: dict[str, PdfView] = field(default_factory=lambda: {e: PdfView() for e in PAGED})


class Preview:
    """What the server shows, kept up to date by one worker thread."""

    def __init__(self, config_path: Path, out_dir: Path | None = None, allow_remote: bool = False,
                 log: Callable[[str], None] = lambda message: None):
        self.config_path = config_path.resolve()
        self.root = self.config_path.parent
        self.out_dir = out_dir
        self.allow_remote = allow_remote
        self.log = log
        self.project = None
        self.book = None
        self.theme = None
        self.rendered: str | None = None
        self.state = State()
        self.version = 0  # bumped on every change of state, for the event stream
        self.changed = threading.Condition()
        self.pending: set[str] = set()
        self.stopping = threading.Event()
        self.pdfium = threading.Lock()  # PDFium is not thread-safe
        self.images: dict[tuple, bytes] = {}

    # --- what changed, and what to redo -----------------------------------------------------------

    def folders(self) -> dict[str, Path]:
        theme = self.project.config.theme if self.project else None
        return {"manuscript": self.root / "manuscript",
                "templates": self.root / (theme.templates if theme else "templates"),
                "styles": self.root / (theme.styles if theme else "styles")}

    def classify(self, paths) -> set[str]:
        """What a set of changed paths asks for: 'config', 'manuscript', 'templates' or 'styles'."""
        kinds = set()
        folders = {k: v.resolve() for k, v in self.folders().items()}
        for raw in paths:
            path = Path(raw).resolve()
            if path == self.config_path:
                kinds.add("config")
            elif path == folders["styles"] or folders["styles"] in path.parents:
                kinds.add("styles")
            elif path == folders["templates"] or folders["templates"] in path.parents:
                kinds.add("templates")
            else:
                kinds.add("manuscript")
        return kinds

    def request(self, kinds: set[str]) -> None:
        with self.changed:
            self.pending |= kinds
            self.changed.notify_all()

    def want(self, edition: str) -> None:
        """A view of *edition* was opened: build it now if it never was, and on every change from now on."""
        with self.changed:
            view = self.state.pdf[edition]
            if not view.wanted:
                view.wanted = True
                self.pending.add(f"pdf:{edition}")
                self.changed.notify_all()

    def look(self, edition: str, page: int) -> None:
        """A page view reports the page in view: after a stylesheet is saved, its part is laid out first."""
        with self.changed:
            view = self.state.pdf[edition]
            if 1 <= page <= max(view.pages, 1) and view.viewing != page:
                view.viewing, view.viewed_at = page, time.monotonic()
                self.version += 1
                self.changed.notify_all()

    def _superseded(self, message=None) -> None:
        """Called as the rebuild goes (its progress reports): stop it when a newer change waits."""
        with self.changed:
            if any(not k.startswith("pdf:") for k in self.pending) or self.stopping.is_set():
                raise Superseded

    def _bump(self, **changes) -> None:
        with self.changed:
            for key, value in changes.items():
                setattr(self.state, key, value)
            self.version += 1
            self.changed.notify_all()

    def _crashed(self, doing: str, name: str, details: str | None = None) -> str:
        """A bug met while *doing*: its traceback (*details*, else the one being handled) goes to
        .spindle-cache/crash-NAME.txt and one line to stderr; that line, for the page."""
        from spindle.core import crash

        message = str(crash.internal(doing, details or traceback.format_exc(), self.root / crash.FOLDER, name,
                                     outputs=False))
        print(f"error: {message}", file=sys.stderr, flush=True)
        return message

    # --- the work ---------------------------------------------------------------------------------------

    def run(self) -> None:
        """The worker: wait for requests, do them, repeat until stopped."""
        while not self.stopping.is_set():
            with self.changed:
                self.changed.wait_for(lambda: self.pending or self.stopping.is_set(), timeout=1.0)
                kinds, self.pending = self.pending, set()
            if kinds and not self.stopping.is_set():
                self.refresh(kinds)

    def refresh(self, kinds: set[str]) -> None:
        pages = {k for k in kinds if k.startswith("pdf:")}
        kinds -= pages
        order = sorted(PAGED, key=lambda e: -self.state.pdf[e].viewed_at)  # the edition looked at last first
        if kinds:
            self._bump(working=True)
            self._html(kinds)
            pages |= {f"pdf:{e}" for e, view in self.state.pdf.items() if view.wanted}
            if kinds <= {"styles"} and self.state.error is None:  # the part in view first, then the rest
                for edition in order:
                    if f"pdf:{edition}" in pages:
                        self._glimpse(edition)
        for edition in order:
            if f"pdf:{edition}" in pages and not self._pdf(edition):
                break  # a newer change is waiting: it redoes every edition
        if self.state.working:
            self._bump(working=False)

    def _html(self, kinds: set[str]) -> None:
        from spindle.theme import render
        from spindle.project.config import load
        from spindle.manuscript.load import load_book
        from spindle.theme import Theme

        start = time.perf_counter()
        try:
            if "config" in kinds or self.project is None:
                self.project, self.book, self.theme = load(self.config_path), None, None
            if "manuscript" in kinds or self.book is None:
                self.book, self.rendered = load_book(self.project, allow_remote=self.allow_remote), None
                if any(d.level == "error" for d in self.book.diagnostics):  # as the build: the errors, not the page
                    from spindle.core.errors import ManuscriptProblems

                    raise ManuscriptProblems(self.book.diagnostics)
            if "templates" in kinds or self.theme is None:
                self.theme, self.rendered = Theme(self.project), None  # a new Jinja environment: templates read afresh
            if self.rendered is None:
                self.rendered = render.paged_html(self.book, "pdf", self.theme, None)
            sheets = self.stylesheet_urls()
        except Exception as exc:
            self.project = self.book = self.theme = self.rendered = None  # redo everything next time
            if isinstance(exc, SpindleError):
                message = str(exc)
                self.log(f"error: {message}")
            else:  # a bug, not the author's mistake: show it, keep serving
                message = self._crashed("preparing the preview's HTML", "preview-html")
            self._bump(error=message, html=None, generation=self.state.generation + 1)
            return
        self.log(f"preview: {', '.join(sorted(kinds))} changed; HTML ready in {time.perf_counter() - start:.2f} s")
        self._bump(error=None, html=self.rendered, sheets=sheets, generation=self.state.generation + 1)

    def _glimpse(self, edition: str) -> None:
        """Lay out the part that holds the page in view on its own, and show its pages."""
        from spindle.editions import preview

        view = self.state.pdf[edition]
        if view.path is None or view.error or view.viewing is None or not view.where:
            return
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            glimpse = preview.lay_out_part(self.book, self.theme, edition, view.viewing, view.where,
                                           allow_remote=self.allow_remote, previous=view.styles,
                                           numbers=view.numbers)
        except preview.Unreached as exc:  # (the rebuild, next, lays out only the parts the edit reaches)
            self.log(f"preview: {edition}: the page in view ({exc.part}) is out of the stylesheet edit's reach: "
                     f"not laid out first")
            return
        except SpindleError as exc:  # the edition's own rebuild, next, reports it
            self.log(f"preview: {edition}: the page in view could not be laid out first: {exc}")
            return
        except Exception:
            self._crashed(f"laying out the page in view of the {edition} preview first", f"preview-{edition}")
            return
        if glimpse is None:
            return
        with self.changed:
            view.glimpse, view.stamp = glimpse, view.stamp + 1
            self.images = {k: v for k, v in self.images.items() if k[1] != "glimpse"}
            self.version += 1
            self.changed.notify_all()
        self.log(f"preview: {edition}: pages {glimpse.start}-{glimpse.start + glimpse.pages - 1} ({glimpse.part}) "
                 f"laid out first, in {time.perf_counter() - start:.2f} s ({time.thread_time() - cpu:.2f} s of CPU)")

    def _pdf(self, edition: str) -> bool:
        """Rebuild *edition*; False when a newer change stopped it."""
        from spindle.build import orchestrate as builder

        view = self.state.pdf[edition]
        if self.project is None:  # book.toml does not load: its error is the PDF's too
            with self.changed:
                view.error, view.generation = self.state.error, view.generation + 1
                self.version += 1
                self.changed.notify_all()
            return True
        with self.changed:
            view.building = True
            self.version += 1
            self.changed.notify_all()
        start = time.perf_counter()
        error, pages, path, styles = None, view.pages, view.path, None
        try:
            from spindle.editions import preview

            styles = preview.styles_key(self.project, self.theme, edition, self.allow_remote) if self.theme else None
            out = builder.check_out_dir(self.project, (self.out_dir or self.root / "build") / "preview")
            result = builder.build(self.project, [edition], out, allow_remote=self.allow_remote,
                                   report=self._superseded,
                                   waiting=lambda message: self.log(f"preview: {edition}: {message}"))
            path, pages = result.outputs[0].path, result.outputs[0].pages or 0
            self.log(f"preview: {edition} PDF rebuilt ({pages} pages, {time.perf_counter() - start:.1f} s)")
        except Exception as exc:
            if isinstance(exc, Superseded) or self.stopping.is_set():  # (stopping: its workers may go
                if not self.stopping.is_set():                          # first, which is no error)
                    self.log(f"preview: {edition}: rebuild stopped for a newer change")
                with self.changed:
                    view.building = False
                    self.version += 1
                    self.changed.notify_all()
                return False
            if isinstance(exc, SpindleError):
                error = str(exc)
                self.log(f"error: {edition}: {exc}")
            else:
                error = self._crashed(f"rebuilding the {edition} preview", f"preview-{edition}")
        where, height = self._measure(edition, path) if error is None else (view.where, view.height)
        from spindle.editions import preview

        numbers = preview.numbers(path) if error is None and path is not None else view.numbers
        with self.changed:
            view.building, view.error, view.path, view.pages = False, error, path, pages
            view.seconds = time.perf_counter() - start
            view.generation += 1
            view.where, view.height, view.glimpse, view.numbers = where, height, None, numbers
            view.styles = styles if error is None else None
            self.images.clear()
            self.version += 1
            self.changed.notify_all()
        return True

    def _measure(self, edition: str, path: Path | None) -> tuple[dict, int]:
        """(Where each named destination is, the height of a page image 300 px wide) of a built PDF.
        (WeasyPrint's layout is imported here too, once: the first part laid out first is not slowed by it.)"""
        import importlib

        from spindle.editions import preview

        if path is None:
            return {}, 0
        for module in ("weasyprint.document", "weasyprint.layout", "spindle.editions.paged.worker"):
            importlib.import_module(module)
        import pypdfium2

        try:
            where = preview.anchors(path)
            with self.pdfium:
                document = pypdfium2.PdfDocument(str(path))
                try:
                    page = document[0]
                    box = page.get_trimbox() if edition == "print" else page.get_mediabox()
                finally:
                    document.close()
            height = round(300 * (box[3] - box[1]) / (box[2] - box[0]))
        except Exception:  # only the page views' refinements depend on it
            self._crashed(f"measuring the {edition} preview's pages", f"preview-{edition}")
            return {}, 0
        return where, height

    # --- what the pages read ------------------------------------------------------------------------------

    def snapshot(self) -> dict:
        with self.changed:
            s = self.state
            return {"version": self.version, "html": s.generation, "working": s.working, "error": s.error,
                    "pdf": {e: {"generation": v.generation, "building": v.building, "error": v.error,
                                "pages": v.pages, "seconds": round(v.seconds, 1), "viewing": v.viewing,
                                "glimpse": None if v.glimpse is None else
                                {"stamp": v.stamp, "start": v.glimpse.start, "pages": v.glimpse.pages,
                                 "part": v.glimpse.part}}
                            for e, v in s.pdf.items()}}

    def wait(self, version: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.version != version or self.stopping.is_set(), timeout=timeout)
            return self.version

    def page_image(self, edition: str, number: int, width: int) -> bytes | None:
        from spindle.checks import proof

        view = self.state.pdf[edition]
        with self.changed:
            generation, path, pages, glimpse, stamp = view.generation, view.path, view.pages, view.glimpse, view.stamp
        if path is None or not 1 <= number <= pages:
            return None
        if glimpse is not None and glimpse.start <= number < glimpse.start + glimpse.pages:
            key, source, index = (edition, "glimpse", stamp, number, width), glimpse.pdf, number - glimpse.start
        else:  # (the other pages keep the last layout's images until the whole edition is laid out)
            key, source, index = (edition, generation, number, width), str(path), number - 1
        if key in self.images:
            return self.images[key]
        import pypdfium2

        with self.pdfium:
            document = pypdfium2.PdfDocument(source)
            try:
                image = proof.thumbnail(document[index], width, trim=edition == "print")
            finally:
                document.close()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        data = buffer.getvalue()
        if len(self.images) > 400:
            self.images.clear()
        self.images[key] = data
        return data

    # --- files ------------------------------------------------------------------------------------------

    def file(self, url_path: str) -> Path | None:
        """The file a URL path names, if it may be served: the built-in theme's styles and
        fonts under /_theme/, else a file inside the project with no hidden part (except an image
        the book uses, such as a Word chapter's, extracted under .spindle-cache/word/)."""
        from spindle.theme import BUILTIN

        parts = [p for p in unquote(url_path).split("/") if p]
        if not parts or any("\\" in p or "\0" in p or p in (".", "..") for p in parts):
            return None
        book = getattr(self, "book", None)
        if any(p.startswith(".") for p in parts) and not (book is not None and "/".join(parts) in book.resources):
            return None  # hidden: only the images a Word chapter extracted into .spindle-cache/ are served
        if parts[0] == "_theme":
            if len(parts) < 3 or parts[1] not in ("styles", "fonts"):
                return None
            base = BUILTIN
            parts = parts[1:]
        else:
            base = self.root
        path = base.joinpath(*parts).resolve()
        if base.resolve() not in path.parents or not path.is_file() or path.suffix.lower() not in ASSETS:
            return None
        return path

    def stylesheet_urls(self) -> list[str]:
        from spindle.theme import BUILTIN, CUSTOM, STYLESHEETS

        urls = []
        for name in STYLESHEETS["pdf"] + (CUSTOM,):
            path = self.theme.stylesheet(name).resolve()
            if BUILTIN.resolve() in path.parents:
                urls.append("/_theme/" + path.relative_to(BUILTIN.resolve()).as_posix())
            else:
                urls.append("/" + path.relative_to(self.root).as_posix())
        return urls


# --- the pages ---------------------------------------------------------------------------------------------

_STYLE = """<style id="spindle-preview-style">
#spindle-preview-bar { position: fixed; top: 0; right: 0; z-index: 1000; display: flex; gap: 0.8em; align-items: center;
  padding: 0.3em 0.8em; font: 13px/1.4 system-ui, sans-serif; background: rgba(30, 30, 30, 0.85); color: #fff; }
#spindle-preview-bar a { color: #fff; text-decoration: underline; }
#spindle-error { margin: 3em auto; max-width: 50em; padding: 1em 1.5em; font: 15px/1.5 system-ui, sans-serif;
  border-left: 6px solid #c0392b; background: #fdecea; color: #1a1a1a; }
#spindle-error pre { white-space: pre-wrap; font-size: 14px; }
.spindle-pages { display: flex; flex-wrap: wrap; gap: 16px; padding: 3em 16px 16px; background: #777; min-height: 100vh; }
.spindle-spread { display: flex; }
.spindle-pages img { display: block; background: #fff; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.4); }
.spindle-blank { visibility: hidden; }
.spindle-pages img.spindle-stale { opacity: 0.45; }
</style>"""
_COLUMN = """<style id="spindle-preview-column">
/* the preview only: the book as a column of reading width (the theme's own rules follow and win) */
html { background: #e9e6e0; } body { max-width: 40em; margin: 0 auto !important; padding: 3em 2.5em 5em; background: #fff; }
</style>"""

_SCRIPT = """<script id="spindle-preview-script">
(function () {
  var key = %s;
  var status = document.getElementById("spindle-preview-status");
  var source = new EventSource("/_events");
  source.onmessage = function (event) {
    var state = JSON.parse(event.data);
    var view = key.edition ? state.pdf[key.edition] : null;
    var now = view ? view.generation : state.html;
    if (now !== key.generation) { source.close(); location.reload(); return; }
    if (status) {
      var busy = view ? view.building : state.working;
      status.textContent = busy ? "rebuilding…" : (view && view.error) || state.error ? "error" : "up to date";
      status.setAttribute("data-state", busy ? "building" : "ready");
    }
  };
})();
</script>"""


# The page views (/pdf, /print): the page in view is reported to /_view (the one nearest the middle of
# the window); a rebuild or a part laid out first swaps the changed images in, in place (no reload, so
# the reader stays where they are), marking the pages not laid out again yet as stale; a page view
# reloads only when the page count changed or an error comes or goes.
_PAGES_SCRIPT = """<script id="spindle-preview-script">
addEventListener("DOMContentLoaded", function () {
  var key = %s;
  var status = document.getElementById("spindle-preview-status");
  var box = document.querySelector(".spindle-pages");
  var images = box ? Array.prototype.slice.call(box.querySelectorAll("img[data-page]")) : [];
  function url(n, view) {
    var g = view.glimpse, base = "/_pdf/" + key.edition + "/" + n + ".png?g=" + view.generation;
    return g && n >= g.start && n < g.start + g.pages ? base + "&e=" + g.stamp : base;
  }
  function swap(view) {
    images.forEach(function (img) {
      var want = url(+img.getAttribute("data-page"), view);
      if (img.getAttribute("src") !== want) img.setAttribute("src", want);
      img.classList.toggle("spindle-stale", !!view.glimpse && want.indexOf("&e=") < 0);
    });
    box.setAttribute("data-generation", view.generation);
    box.setAttribute("data-stamp", view.glimpse ? view.glimpse.stamp : "");
    key.generation = view.generation;
  }
  var told = null, timer = null;
  function tell() {
    var best = null, distance = Infinity, middle = innerHeight / 2, centre = innerWidth / 2;
    images.forEach(function (img) {
      var r = img.getBoundingClientRect();
      if (r.bottom < 0 || r.top > innerHeight) return;
      var d = Math.hypot((r.top + r.bottom) / 2 - middle, (r.left + r.right) / 2 - centre);
      if (d < distance) { distance = d; best = img; }
    });
    var page = best && best.getAttribute("data-page");
    if (page && page !== told) {
      told = page;
      fetch("/_view?edition=" + key.edition + "&page=" + page).catch(function () {});
    }
  }
  function soon() { clearTimeout(timer); timer = setTimeout(tell, 120); }
  if (box) {
    if ("IntersectionObserver" in window) {
      var seen = new IntersectionObserver(soon);
      images.forEach(function (img) { seen.observe(img); });
    }
    addEventListener("scroll", soon, {passive: true});
    addEventListener("resize", soon);
    soon();
  }
  var source = new EventSource("/_events");
  source.onmessage = function (event) {
    var view = JSON.parse(event.data).pdf[key.edition];
    if (view.generation !== key.generation && (!box || key.error || view.error || view.pages !== key.pages)) {
      source.close(); location.reload(); return;
    }
    if (box) swap(view);
    if (status) {
      status.textContent = view.building ? (view.glimpse ? "pages " + view.glimpse.start + "\u2013" +
        (view.glimpse.start + view.glimpse.pages - 1) + " laid out first; rebuilding the rest\u2026" : "rebuilding\u2026")
        : view.error ? "error" : "up to date";
      status.setAttribute("data-state", view.building ? "building" : "ready");
    }
  };
});
</script>"""


def _bar(current: str, status: str = "up to date") -> str:
    here = ' aria-current="page"'
    links = " ".join(f'<a href="{href}"{here if name == current else ""}>{name}</a>'
                     for name, href in (("HTML", "/"), ("PDF", "/pdf"), ("print", "/print")))
    return (f'<div id="spindle-preview-bar">spindle preview: {links} '
            f'<span id="spindle-preview-status" data-state="ready">{html.escape(status)}</span></div>')


def _head(key: dict) -> str:
    script = _PAGES_SCRIPT if key.get("edition") else _SCRIPT
    return _STYLE + script % json.dumps(key).replace("<", "\\u003c")


def _page(title: str, body: str, key: dict, current: str, status: str = "up to date") -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/><title>{html.escape(title)}</title>'
            f'{_head(key)}</head><body>{_bar(current, status)}{body}</body></html>')


def error_body(message: str) -> str:
    return (f'<div id="spindle-error" role="alert"><h1>The preview could not be built</h1>'
            f'<pre>{html.escape(message)}</pre><p>Fix it and save: this page reloads by itself.</p></div>')


def book_page(preview: Preview) -> str:
    s = preview.state
    key = {"generation": s.generation}
    if s.html is None:
        return _page("spindle preview: error", error_body(s.error or "not built yet"), key, "HTML", "error")
    links = "".join(f'<link rel="stylesheet" href="{html.escape(u)}?v={s.generation}"/>\n' for u in s.sheets)
    page = s.html
    head_at = page.lower().find("</head>")
    extra = _COLUMN + links + _head(key)
    page = page[:head_at] + extra + page[head_at:] if head_at >= 0 else extra + page
    body_at = page.lower().find("<body")
    if body_at >= 0:
        end = page.find(">", body_at) + 1
        page = page[:end] + _bar("HTML") + page[end:]
    return page


def pdf_page(preview: Preview, edition: str) -> str:
    view = preview.state.pdf[edition]
    key = {"edition": edition, "generation": view.generation, "pages": view.pages, "error": bool(view.error)}
    name = "PDF" if edition == "pdf" else "print"
    if view.error:
        return _page(f"spindle preview: {edition}", error_body(view.error), key, name, "error")
    if view.path is None:
        body = '<p style="margin: 4em 2em">Building the PDF…</p>'
        return _page(f"spindle preview: {edition}", body, key, name, "rebuilding…")
    g = view.generation
    glimpse = view.glimpse
    size = f' width="300" height="{view.height}"' if view.height else ' width="300"'

    def img(n: int | None) -> str:
        if n is None:
            return f'<img class="spindle-blank" src="/_pdf/{edition}/1.png?g={g}" alt=""{size}/>'
        fresh = glimpse is not None and glimpse.start <= n < glimpse.start + glimpse.pages
        src = f"/_pdf/{edition}/{n}.png?g={g}" + (f"&amp;e={view.stamp}" if fresh else "")
        stale = ' class="spindle-stale"' if glimpse is not None and not fresh else ""
        return f'<img src="{src}" alt="page {n}" title="page {n}"{size}{stale} loading="lazy" data-page="{n}"/>'

    if edition == "print":
        from spindle.checks.proof import spreads

        cells = "".join(f'<div class="spindle-spread">{img(a)}{img(b)}</div>' for a, b in spreads(view.pages))
    else:
        cells = "".join(img(n) for n in range(1, view.pages + 1))
    body = (f'<div class="spindle-pages" data-generation="{g}" data-pages="{view.pages}">{cells}</div>'
            f'<p style="margin: 1em 16px"><a href="/_pdf/{edition}.pdf?g={g}">the PDF itself</a> '
            f'({view.pages} pages, built in {view.seconds:.1f} s)</p>')
    return _page(f"spindle preview: {edition}", body, key, name)


# --- HTTP -----------------------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    server_version = "spindle-preview"
    preview: Preview  # set on the subclass made by serve()
    # An idle connection is closed after this many seconds. Requests are bounded by the standard
    # library: a request line of at most 64 KiB (414), at most 100 headers of 64 KiB each (431);
    # only GET is answered (501), and no request body is ever read.
    timeout = 30

    def log_message(self, format, *args) -> None:  # quiet: the preview logs what it builds
        pass

    def do_GET(self) -> None:
        if not self._host_ok():
            return self._send(HTTPStatus.FORBIDDEN, b"forbidden host\n", "text/plain")
        url = urlsplit(self.path)
        path = url.path
        try:
            if path == "/":
                return self._html(book_page(self.preview))
            if path in ("/pdf", "/print"):
                edition = path[1:]
                self.preview.want(edition)
                return self._html(pdf_page(self.preview, edition))
            if path == "/_events":
                return self._events()
            if path == "/_view":
                return self._view(url.query)
            if path == "/_state":
                return self._send(HTTPStatus.OK, json.dumps(self.preview.snapshot()).encode(), "application/json")
            if path.startswith("/_pdf/"):
                return self._pdf(path[len("/_pdf/"):])
            found = self.preview.file(path)
            if found is None:
                return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
            return self._send(HTTPStatus.OK, found.read_bytes(), _type(found))
        except (BrokenPipeError, ConnectionResetError):
            return None

    def _view(self, query: str) -> None:
        """/_view?edition=pdf&page=N: the page in view of a page view (no other effect)."""
        from urllib.parse import parse_qs

        asked = parse_qs(query)
        edition, page = asked.get("edition", [""])[0], asked.get("page", [""])[0]
        if edition not in PAGED or not page.isdigit() or len(page) > 6:
            return self._send(HTTPStatus.BAD_REQUEST, b"edition=pdf|print&page=N\n", "text/plain")
        self.preview.look(edition, int(page))
        return self._send(HTTPStatus.OK, b"ok\n", "text/plain")

    def _host_ok(self) -> bool:
        """Only requests addressed to this server by name (no DNS rebinding from other sites)."""
        host = (self.headers.get("Host") or "").lower()
        port = self.server.server_address[1]
        return host in (f"127.0.0.1:{port}", f"localhost:{port}")

    def _pdf(self, rest: str) -> None:
        view_of = {f"{e}.pdf": e for e in PAGED}
        if rest in view_of:
            view = self.preview.state.pdf[view_of[rest]]
            if view.path is None or not view.path.is_file():
                return self._send(HTTPStatus.NOT_FOUND, b"not built yet\n", "text/plain")
            return self._send(HTTPStatus.OK, view.path.read_bytes(), "application/pdf")
        edition, _, page = rest.partition("/")
        if edition in PAGED and page.endswith(".png") and page[:-4].isdigit():
            data = self.preview.page_image(edition, int(page[:-4]), 600)  # twice the width shown: sharp on HiDPI screens
            if data is not None:
                return self._send(HTTPStatus.OK, data, "image/png")
        return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

    def _events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        version = -1
        while not self.preview.stopping.is_set():
            now = self.preview.wait(version, timeout=15.0)
            if now != version:
                version = now
                self.wfile.write(f"data: {json.dumps(self.preview.snapshot())}\n\n".encode())
            else:
                self.wfile.write(b": still here\n\n")
            self.wfile.flush()

    def _html(self, page: str) -> None:
        self._send(HTTPStatus.OK, page.encode("utf-8"), "text/html; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if not content_type.startswith("text/html"):  # an SVG opened on its own runs no script
            self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # a burst of connections (a page with many images) waits, not refused
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A bug answering a request: one line (the traceback in .spindle-cache/crash-preview-request.txt), not
        socketserver's traceback on stderr."""
        preview = getattr(self.RequestHandlerClass, "preview", None)
        if preview is not None:
            preview._crashed(f"answering a request from {client_address[0]}", "preview-request")
        else:
            super().handle_error(request, client_address)


def _type(path: Path) -> str:
    kind = TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return kind + ("; charset=utf-8" if kind.startswith("text/") else "")


# --- running ------------------------------------------------------------------------------------------

def watched(preview: Preview) -> tuple[list[Path], set[Path]]:
    """The folders to follow recursively (manuscript/, templates/, styles/ and any other folder
    holding a manuscript file), and the files of the project's own folder to follow (book.toml
    and manuscript files kept there)."""
    folders = list(preview.folders().values())
    files = {preview.config_path}
    if preview.project is not None:
        from spindle.checks.lint import reading_order

        for entry, _, _ in reading_order(preview.project):
            path = preview.project.path(entry.file)
            if path.parent == preview.root:
                files.add(path)
            elif preview.root in path.parents:
                folders.append(path.parent)
    folders = sorted({f.resolve() for f in folders if f.is_dir()})
    top = [f for f in folders if not any(other in f.parents for other in folders)]
    return top, files


def watch(preview: Preview) -> list[threading.Thread]:
    """Watchers (watchfiles): the book's folders, recursively, and the project's own folder,
    not recursively, for book.toml (which editors often replace rather than write)."""
    import watchfiles

    folders, files = watched(preview)

    def follow(paths: list[Path], recursive: bool, only: set[Path] | None = None) -> None:
        for changes in watchfiles.watch(*paths, stop_event=preview.stopping, recursive=recursive,
                                        raise_interrupt=False, debounce=800, step=50):
            changed = {p for _, p in changes if only is None or Path(p).resolve() in only}
            if changed:
                preview.request(preview.classify(changed))

    threads = [threading.Thread(target=follow, args=([preview.root], False, files), daemon=True,
                                name="spindle-watch-config")]
    if folders:
        threads.append(threading.Thread(target=follow, args=(folders, True), daemon=True, name="spindle-watch"))
    for thread in threads:
        thread.start()
    return threads


def report_thread_crashes(preview: Preview):
    """An exception that ends one of the preview's threads (watching, rebuilding, answering) is
    reported as every bug is (Preview._crashed), not by Python's traceback on stderr; the hook
    it replaces, to put back."""
    previous = threading.excepthook

    def crashed(args) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        preview._crashed(f"running the preview ({name})", "preview-thread",
                         "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)))

    threading.excepthook = crashed
    return previous


def stop_on_sigterm() -> None:
    """SIGTERM (a service manager, a container stopping, CI cancelling) stops the preview as
    Ctrl+C does: cleanly, saying so. (A SIGINT that was ignored when spindle started, as in a
    background job, stays ignored, as Unix programs do.)"""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)


def serve(config_path: Path, port: int = 8000, out_dir: Path | None = None, allow_remote: bool = False,
          announce: Callable[[str], None] = print, log: Callable[[str], None] = lambda m: None,
          ready: Callable[[str], None] | None = None) -> None:
    """Serve the preview on 127.0.0.1:*port* (0: any free port) until interrupted."""
    if not config_path.is_file():
        raise ConfigError("no such file; run 'spindle init DIR' for a new project or pass --config PATH", str(config_path))
    preview = Preview(config_path, out_dir, allow_remote, log)
    preview.refresh({"config"})
    handler = type("PreviewHandler", (Handler,), {"preview": preview})
    try:
        server = _Server(("127.0.0.1", port), handler)
    except OSError as exc:
        raise SpindleError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}; choose another --port") from None
    server.daemon_threads = True
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    previous_hook = report_thread_crashes(preview)
    worker = threading.Thread(target=preview.run, daemon=True, name="spindle-preview")
    worker.start()
    watch(preview)
    announce(f"serving the preview of {preview.root.name} at {url} (PDF at {url}pdf, print at {url}print); "
             "Ctrl+C stops")
    if ready is not None:
        ready(url)
    stop_on_sigterm()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        threading.excepthook = previous_hook
        preview.stopping.set()
        with preview.changed:
            preview.changed.notify_all()
        server.server_close()
        laying = sys.modules.get("spindle.editions.paged.worker")
        if laying is not None:  # the stylesheets and fonts of the parts laid out first go while Python can
            laying.reset()      # still free them (else WeasyPrint's font configuration complains at exit)
        announce("stopped")
