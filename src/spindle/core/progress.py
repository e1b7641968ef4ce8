"""Progress of long work and the closing summary, for the command line.

The build reports through one callback taking a string (``report``). The
messages it sends about its progress are :class:`Progress` strings that also
say what they are about (an edition starting, a chapter read), so a plain
``list.append`` still works as a callback while :class:`Display` can draw a
status line. WeasyPrint's own page-by-page steps come from its progress
logger while a :class:`Display` is live.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from typing import IO, Iterable


class Progress(str):
    """A progress message: the text, plus its *step* ('edition' or 'chapter'),
    the edition it concerns, and its place (*index* of *total*) when known."""

    step: str
    edition: str | None
    index: int | None
    total: int | None

    def __new__(cls, message: str, step: str, edition: str | None = None, index: int | None = None,
                total: int | None = None) -> "Progress":
        self = super().__new__(cls, message)
        self.step, self.edition, self.index, self.total = step, edition, index, total
        return self


def edition(name: str) -> Progress:
    return Progress(f"building {name} …", "edition", edition=name)


def chapter(display: str, index: int, total: int) -> Progress:
    return Progress(f"reading {display} ({index}/{total})", "chapter", index=index, total=total)


_PAGE_RE = re.compile(r"Step 5 - Creating layout - Page (\d+)")


class Display:
    """Shows progress: on a terminal one status line, rewritten in place (edition
    n of N, then the chapter read, the part laid out, the pages laid out); elsewhere,
    with *verbose*, one plain line per message; otherwise nothing."""

    def __init__(self, stream: IO[str], live: bool, verbose: bool = False, editions: int | None = None,
                 interval: float = 0.1):
        self.stream = stream
        self.interval = interval  # at most one page update per interval (seconds)
        self.live = live
        self.verbose = verbose
        self.editions = editions
        self.started = 0
        self.current = ""
        self.note = ""  # the last remark, e.g. 'pdf: laying out 03-shifting-power'
        self.laid = 0  # pages laid out since the last edition started
        self.detail = ""
        self.shown = ""
        self.last = 0.0

    def __call__(self, message: str) -> None:
        step = getattr(message, "step", None)
        if step == "edition":
            self.started += 1
            self.current, self.note, self.detail, self.laid = getattr(message, "edition", "") or "", "", "", 0
        elif step == "chapter":
            self.note, self.detail = "", str(message)
        elif self.live:  # a remark (what the build lays out, what it skipped): the status, and with -v a line
            if self.verbose:
                self._erase()
                self.stream.write(f"{message}\n")
            self.note = self.detail = str(message)
        if not self.live:
            if self.verbose:
                self.stream.write(f"{message}\n")
                self.stream.flush()
            return
        self._draw(force=True)

    def page(self, number: int) -> None:
        """WeasyPrint laid out a page (parts may be laid out side by side: count them all)."""
        self.laid += 1
        self.detail = f"{self.note} ({self.laid} pages laid out)" if self.note else f"{self.laid} pages laid out"
        self._draw(force=self.laid == 1)  # (the first page at once: a short layout may end within the interval)

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        of = f"/{self.editions}" if self.editions else ""
        head = f"[{self.started}{of}] {self.current}" if self.current else "spindle"
        line = f"{head}: {self.detail}" if self.detail else head
        self._erase()
        self.stream.write(line[:200])
        self.stream.flush()
        self.shown = line

    def _erase(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.shown = ""

    def close(self) -> None:
        if self.live:
            self._erase()
            self.stream.flush()

    @contextlib.contextmanager
    def pages(self):
        """While live, follow WeasyPrint's layout page by page (its progress logger)."""
        if not self.live:
            yield self
            return
        logger = logging.getLogger("weasyprint.progress")
        handler = _PageHandler(self)
        saved = logger.level, logger.propagate
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.addHandler(handler)
        try:
            yield self
        finally:
            logger.removeHandler(handler)
            logger.setLevel(saved[0])
            logger.propagate = saved[1]
            self.close()


class _PageHandler(logging.Handler):
    def __init__(self, display: Display):
        super().__init__(logging.INFO)
        self.display = display

    def emit(self, record: logging.LogRecord) -> None:
        m = _PAGE_RE.match(str(record.msg) % record.args if record.args else str(record.msg))
        if m:
            self.display.page(int(m.group(1)))


def table(rows: Iterable[dict]) -> str:
    """The closing summary: edition, file, pages, size and time of each file built
    (rows as in the build manifest)."""
    head = ("edition", "file", "pages", "size", "time")
    body = [(r["edition"], r["path"], "" if r["pages"] is None else str(r["pages"]),
             size(r["bytes"]), f"{r['seconds']:.1f} s") for r in rows]
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(head)]
    right = (False, False, True, True, True)

    def line(cells) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(head), rule, *(line(row) for row in body)])


def size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:,.0f} KiB"
    return f"{count / 1024 / 1024:,.1f} MiB"
