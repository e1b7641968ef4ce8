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
when what it shows has changed. A failed build shows its error in the page, and
the server goes on. Only files inside the project (none hidden, such as .git)
and the preview builds are served.
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

    def _bump(self, **changes) -> None:
        with self.changed:
            for key, value in changes.items():
                setattr(self.state, key, value)
            self.version += 1
            self.changed.notify_all()

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
        if kinds:
            self._bump(working=True)
            self._html(kinds)
            pages |= {f"pdf:{e}" for e, view in self.state.pdf.items() if view.wanted}
        for edition in PAGED:
            if f"pdf:{edition}" in pages:
                self._pdf(edition)
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
            if "templates" in kinds or self.theme is None:
                self.theme, self.rendered = Theme(self.project), None  # a new Jinja environment: templates read afresh
            if self.rendered is None:
                self.rendered = render.paged_html(self.book, "pdf", self.theme, None)
            sheets = self.stylesheet_urls()
        except Exception as exc:
            self.project = self.book = self.theme = self.rendered = None  # redo everything next time
            if isinstance(exc, SpindleError):
                message = str(exc)
            else:  # a bug, not the author's mistake: show it, keep serving
                traceback.print_exc(file=sys.stderr)
                message = f"internal error: {exc!r}"
            self.log(f"error: {message}")
            self._bump(error=message, html=None, generation=self.state.generation + 1)
            return
        self.log(f"preview: {', '.join(sorted(kinds))} changed; HTML ready in {time.perf_counter() - start:.2f} s")
        self._bump(error=None, html=self.rendered, sheets=sheets, generation=self.state.generation + 1)

    def _pdf(self, edition: str) -> None:
        from spindle.build import orchestrate as builder

        view = self.state.pdf[edition]
        if self.project is None:  # book.toml does not load: its error is the PDF's too
            with self.changed:
                view.error, view.generation = self.state.error, view.generation + 1
                self.version += 1
                self.changed.notify_all()
            return
        with self.changed:
            view.building = True
            self.version += 1
            self.changed.notify_all()
        start = time.perf_counter()
        error, pages, path = None, view.pages, view.path
        try:
            out = builder.check_out_dir(self.project, (self.out_dir or self.root / "build") / "preview")
            result = builder.build(self.project, [edition], out, allow_remote=self.allow_remote)
            path, pages = result.outputs[0].path, result.outputs[0].pages or 0
            self.log(f"preview: {edition} PDF rebuilt ({pages} pages, {time.perf_counter() - start:.1f} s)")
        except SpindleError as exc:
            error = str(exc)
            self.log(f"error: {edition}: {exc}")
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            error = f"internal error: {exc!r}"
        with self.changed:
            view.building, view.error, view.path, view.pages = False, error, path, pages
            view.seconds = time.perf_counter() - start
            view.generation += 1
            self.images.clear()
            self.version += 1
            self.changed.notify_all()

    # --- what the pages read ------------------------------------------------------------------------------

    def snapshot(self) -> dict:
        with self.changed:
            s = self.state
            return {"version": self.version, "html": s.generation, "working": s.working, "error": s.error,
                    "pdf": {e: {"generation": v.generation, "building": v.building, "error": v.error,
                                "pages": v.pages, "seconds": round(v.seconds, 1)} for e, v in s.pdf.items()}}

    def wait(self, version: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.version != version or self.stopping.is_set(), timeout=timeout)
            return self.version

    def page_image(self, edition: str, number: int, width: int) -> bytes | None:
        from spindle.checks import proof

        view = self.state.pdf[edition]
        key = (edition, view.generation, number, width)
        if key in self.images:
            return self.images[key]
        if view.path is None or not 1 <= number <= view.pages:
            return None
        import pypdfium2

        with self.pdfium:
            document = pypdfium2.PdfDocument(str(view.path))
            try:
                image = proof.thumbnail(document[number - 1], width, trim=edition == "print")
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
        if base.resolve() not in path.parents or not path.is_file():
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


def _bar(current: str, status: str = "up to date") -> str:
    here = ' aria-current="page"'
    links = " ".join(f'<a href="{href}"{here if name == current else ""}>{name}</a>'
                     for name, href in (("HTML", "/"), ("PDF", "/pdf"), ("print", "/print")))
    return (f'<div id="spindle-preview-bar">spindle preview: {links} '
            f'<span id="spindle-preview-status" data-state="ready">{html.escape(status)}</span></div>')


def _head(key: dict) -> str:
    return _STYLE + _SCRIPT % json.dumps(key)


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
    key = {"edition": edition, "generation": view.generation}
    name = "PDF" if edition == "pdf" else "print"
    if view.error:
        return _page(f"spindle preview: {edition}", error_body(view.error), key, name, "error")
    if view.path is None:
        body = '<p style="margin: 4em 2em">Building the PDF…</p>'
        return _page(f"spindle preview: {edition}", body, key, name, "rebuilding…")
    g = view.generation

    def img(n: int | None) -> str:
        if n is None:
            return f'<img class="spindle-blank" src="/_pdf/{edition}/1.png?g={g}" alt="" width="300"/>'
        return (f'<img src="/_pdf/{edition}/{n}.png?g={g}" alt="page {n}" title="page {n}" width="300" '
                f'loading="lazy" data-page="{n}"/>')

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
        self.end_headers()
        self.wfile.write(body)


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
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise SpindleError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}; choose another --port") from None
    server.daemon_threads = True
    url = f"http://127.0.0.1:{server.server_address[1]}/"
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
        preview.stopping.set()
        with preview.changed:
            preview.changed.notify_all()
        server.server_close()
        announce("stopped")
