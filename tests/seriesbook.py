"""A small series of our own writing for the series and cluster tests: tiny books (one short
chapter each) under one series.toml with a shared theme."""

from __future__ import annotations

import hashlib
from pathlib import Path

SERIES_NAME = "Civic Space Notes"
PUBLISHER = "Partos Press"
SHARED_CSS = ":root { --colour-accent: #004488; } /* the series' shared theme */\n"
OWN_CSS = ":root { --colour-accent: #8a2432; } /* book two's own styles */\n"


def make_book(folder: Path, n: int, extra_book_toml: str = "", body: str = "") -> Path:
    (folder / "manuscript").mkdir(parents=True, exist_ok=True)
    text = body or (f"Title {n} of the series opens here.[^1] A second sentence follows, with *emphasis*.\n\n"
                    f"## A section\n\nMore text for book {n}.\n\n[^1]: A note in book {n}.\n")
    (folder / "manuscript" / "01-opening.md").write_text(f"---\ntitle: Opening of book {n}\n---\n{text}",
                                                        encoding="utf-8")
    (folder / "book.toml").write_text(
        f'[book]\ntitle = "Small Book {n}"\nauthors = ["Author {n}"]\ndate = "2020-0{n}-01"\n'
        f'description = "The blurb of small book {n}."\nsubjects = ["civil society"]\n{extra_book_toml}\n'
        f'[contents]\nchapters = ["manuscript/01-opening.md"]\n', encoding="utf-8")
    return folder / "book.toml"


def make_series(root: Path, count: int = 3, editions: tuple[str, ...] | None = None) -> Path:
    """*count* books: one-a, two-b (its own custom.css; number 5 in the list), three-c (its own
    series name in book.toml), four-d, ...; a shared theme in theme/."""
    names = ["one-a", "two-b", "three-c", "four-d", "five-e", "six-f"][:count]
    for i, name in enumerate(names, 1):
        extra = '\n[book.series]\nname = "Its Own Series"\n' if name == "three-c" else ""
        make_book(root / name, i, extra)
    if count >= 2:
        (root / "two-b" / "styles").mkdir(exist_ok=True)
        (root / "two-b" / "styles" / "custom.css").write_text(OWN_CSS, encoding="utf-8")
    (root / "theme" / "styles").mkdir(parents=True, exist_ok=True)
    (root / "theme" / "styles" / "custom.css").write_text(SHARED_CSS, encoding="utf-8")
    books = ", ".join('{folder = "two-b", number = 5}' if n == "two-b" else f'"{n}"' for n in names)
    build = f'\n[build]\neditions = [{", ".join(repr(e) for e in editions)}]\n'.replace("'", '"') if editions else ""
    (root / "series.toml").write_text(
        f'books = [{books}]\n\n[series]\nname = "{SERIES_NAME}"\npublisher = "{PUBLISHER}"\n'
        f'description = "Small books about civic space."\n\n[theme]\nstyles = "theme/styles"\n'
        f'templates = "theme/templates"\n{build}', encoding="utf-8")
    return root / "series.toml"


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under *folder*, by relative path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


class WorkerKiller:
    """Kills (SIGKILL) the first worker of a Dask cluster seen running a task whose key starts with
    one of *prefixes*, from a thread, while the test builds: ``with WorkerKiller(client, ("spindle-",))
    as killer: build(...)``; then ``killer.killed`` holds the worker's address and its running keys
    (empty if no worker was seen busy within *seconds*). *client*: a distributed.Client of the cluster."""

    def __init__(self, client, prefixes: tuple[str, ...], seconds: float = 60, poll: float = 0.02):
        import os

        self.client, self.prefixes, self.seconds, self.poll = client, prefixes, seconds, poll
        self.pids = client.run(os.getpid)
        self.killed: dict = {}
        self._thread = None

    @staticmethod
    def _executing(dask_worker) -> list[str]:
        return [str(ts.key) for ts in dask_worker.state.executing]

    def _watch(self) -> None:
        import os
        import signal
        import time

        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline and not self.killed:
            busy = {address: keys for address, keys in self.client.run(self._executing).items()
                    if address in self.pids and any(k.startswith(self.prefixes) for k in keys)}
            if busy:
                address, keys = sorted(busy.items())[0]
                os.kill(self.pids[address], signal.SIGKILL)
                self.killed.update(address=address, keys=keys)
                return
            time.sleep(self.poll)

    def __enter__(self) -> "WorkerKiller":
        import threading

        self._thread = threading.Thread(target=self._watch)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._thread.join()
