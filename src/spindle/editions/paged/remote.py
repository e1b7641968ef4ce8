"""Part layouts on a Dask distributed cluster: a Pool (scheduler.py's interface) whose workers are
the cluster's (``spindle build --cluster tcp://HOST:8786``; ``pip install 'spindle[cluster]'``).

The scheduler (scheduler.py) decides everything as with local worker processes: the layout cache is
read here before a part is sent and written here when its PDF comes back, and the merge runs here.
Only the two steps of one part's layout (worker.py) run on the cluster:

1. ``job``: a task lays the part out on some worker, keeps the layout there (keyed by the task) and
   answers with what it came to (``Laid``) and the worker's address;
2. ``number``: a task on that same worker numbers the held layout and writes its PDF. When that
   worker has died meanwhile, the task runs on another one, which lays the part out again first
   (layouts are deterministic: the same pages).

What travels: each task carries the files its part names (the images its HTML refers to, and SVGs'
own references); the project's stylesheets and the files they refer to (fonts, images) travel once
per edition, scattered and shared by every part's task. The built-in theme is not sent: the workers
run the same spindle. A file travels under its "place" (``@@root@@/figures/x.png``, ``@@shared0@@/...``)
and a worker keeps it in its own folder for the build; the part's paths and URLs stay this machine's
(WeasyPrint names an image in the PDF after its URL: the same URLs give the same bytes), and the
worker's fetcher reads each of them from its copy (``Styles.folders``). Errors and warnings come
back with this machine's paths.

A worker that dies takes its tasks back to the Dask scheduler, which runs them elsewhere; a task
the scheduler gives up on (KilledWorker) is sent again, up to RETRIES times. A worker lays out one
part at a time (WeasyPrint's layout is patched while it runs): start workers with ``--nthreads 1``.
"""

from __future__ import annotations

import html as htmlparse
import queue
import re
import threading
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from spindle.core.errors import BuildError, SpindleError
from spindle.editions.paged.worker import Job, Styles

RETRIES = 2  # sends of a task after the Dask scheduler gave up on it (its workers kept dying)
_ATTR = re.compile(r"""\b(?:src|href|data|poster|xlink:href)\s*=\s*(["'])(.*?)\1""", re.I | re.S)
_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_IMPORT = re.compile(r"""@import\s+(['"])(.*?)\1""")


# --- this machine: what a part names, in places ----------------------------------------------------------

class Places:
    """The folders a part's paths lie in (the project, a series' shared theme folders, the built-in
    theme), each by a name the workers map to their own folders."""

    def __init__(self, styles: Styles):
        from spindle.theme import BUILTIN

        self.folders = {"root": Path(styles.root).resolve(), "builtin": BUILTIN.resolve()}
        for index, folder in enumerate(styles.shared):
            self.folders[f"shared{index}"] = Path(folder).resolve()

    def place(self, path: Path) -> str | None:
        """``@@name@@/relative`` for a file in one of the folders (the innermost), else None."""
        best = None
        for name, folder in self.folders.items():
            if path == folder or folder in path.parents:
                if best is None or len(folder.parts) > len(self.folders[best].parts):
                    best = name
        if best is None:
            return None
        return f"{token(best)}/{path.relative_to(self.folders[best]).as_posix()}"

    def mapped(self, styles: Styles) -> Styles:
        """*styles* as sent: its paths as they are here, each folder mapped to its place (a worker
        reads them from its copies, so the URLs, which name images in the PDF, stay the same)."""
        return replace(styles, folders=tuple((str(folder), token(name)) for name, folder in self.folders.items()))

    def here(self, text: str) -> str:
        """*text* from a worker, its places written as this machine's paths."""
        for name, folder in self.folders.items():
            text = text.replace(f"file://{token(name)}", folder.as_uri()).replace(token(name), str(folder))
        return text


def token(name: str) -> str:
    """How a place is written in what travels (a worker writes its own folder there)."""
    return f"@@{name}@@"


def _untoken(text: str) -> tuple[str, str] | None:
    """(place, the rest) of a path written from a place, else None."""
    m = re.match(r"@@(\w+)@@(.*)$", text, re.S)
    return (m.group(1), m.group(2)) if m else None


def _targets(text: str, css: bool) -> list[str]:
    found = [m.group(2) for m in _URL.finditer(text)]
    if css:
        found += [m.group(2) for m in _IMPORT.finditer(text)]
    else:
        found += [htmlparse.unescape(m.group(2)) for m in _ATTR.finditer(text)]
    return found


def _resolve(base: Path, target: str) -> Path | None:
    target = target.strip()
    if not target or target.startswith("#"):
        return None
    parts = urlsplit(target)
    if parts.scheme and len(parts.scheme) > 1:  # http:, data:, mailto:, file: (refused or not, as here)
        return None
    return (base / unquote(parts.path)).resolve() if parts.path else None


def named_files(places: Places, start: list[tuple[Path, str, bool]]) -> dict[str, bytes]:
    """The files that *start* (pairs of the folder a text is read from, the text, whether it is CSS)
    names, and the files those name in turn (stylesheets, SVGs), keyed by place; files of the
    built-in theme, and files outside the places, are not sent (a worker refuses the latter as
    this machine does)."""
    files: dict[str, bytes] = {}
    todo = list(start)
    while todo:
        base, text, css = todo.pop()
        for target in _targets(text, css):
            path = _resolve(base, target)
            if path is None or not path.is_file():
                continue
            where = places.place(path)
            if where is None or where.startswith(token("builtin")) or where in files:
                continue
            files[where] = path.read_bytes()
            if path.suffix.lower() in (".css", ".svg"):
                todo.append((path.parent, files[where].decode("utf-8", errors="replace"), path.suffix.lower() == ".css"))
    return files


def styles_files(places: Places, styles: Styles) -> dict[str, bytes]:
    """The stylesheets of an edition (not the built-in ones) and the files they name."""
    files: dict[str, bytes] = {}
    start = [(Path(styles.root), styles.settings, True)]
    for sheet in map(Path, styles.sheets):
        where = places.place(sheet.resolve())
        if where is None or where.startswith(token("builtin")):
            start.append((sheet.parent, sheet.read_text(encoding="utf-8", errors="replace"), True))
            continue
        files[where] = sheet.read_bytes()
        start.append((sheet.parent, files[where].decode("utf-8", errors="replace"), True))
    files.update(named_files(places, start))
    return files


# --- on a worker ---------------------------------------------------------------------------------------------

_SESSIONS: dict[str, Path] = {}  # a build's session -> its folder on this worker
_HELD: dict[str, object] = {}  # a job task's key -> worker.Held
_IMAGES: dict[str, dict] = {}  # a build's session -> WeasyPrint's images by URL (the URLs are the build's own:
                               # another build, of another version of the files, must not find them)
LAYOUT_LOCK = threading.Lock()  # WeasyPrint is patched while a part is laid out


def _folder(session: str, files: dict[str, bytes]) -> Path:
    import tempfile

    folder = _SESSIONS.get(session)
    if folder is None:
        folder = _SESSIONS[session] = Path(tempfile.mkdtemp(prefix="spindle-parts-"))
    (folder / "root").mkdir(exist_ok=True)
    for where, data in files.items():
        name, rest = _untoken(where)
        path = folder / name / rest.lstrip("/")
        if name != "builtin" and not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return folder


def _on_worker(job: Job, folder: Path) -> Job:
    """*job* with its places mapped to this worker's folders (the styles' key changed too: a
    parsed stylesheet cached for another build, reading another folder, is not this one's)."""
    from spindle.theme import BUILTIN

    def local(place: str) -> str:
        name, _ = _untoken(place)
        return str(BUILTIN) if name == "builtin" else str(folder / name)

    styles = job.styles
    folders = tuple((named, local(place)) for named, place in styles.folders)
    return replace(job, styles=replace(styles, key=f"{styles.key}:{folder}", folders=folders))


def _portable_text(text: str, folder: Path) -> str:
    """*text* (a message) with this worker's folders written as places."""
    from spindle.theme import BUILTIN

    places = {p.name: p for p in folder.iterdir() if p.is_dir()}
    places["builtin"] = BUILTIN
    for name, path in places.items():
        text = text.replace(path.as_uri(), f"file://{token(name)}").replace(str(path), token(name))
    return text


def _address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "?"


def _answer(kind: str, payload, folder: Path):
    if kind == "error":
        payload.message = _portable_text(payload.message, folder)
        payload.args = (payload.message,)
        if payload.path is not None:
            payload.path = _portable_text(str(payload.path), folder)
        payload.__context__ = payload.__cause__ = payload.__traceback__ = None
    elif kind == "crash":
        payload = _portable_text(payload, folder)
    elif kind in ("laid", "done"):
        warnings = payload.warnings if kind == "done" else None
        if warnings is not None:
            payload.warnings = [_portable_text(w, folder) for w in warnings]
    return kind, payload, _address()


def _guarded(step, session: str, shared: dict, files: dict, *args):
    """Run *step* in this worker's folder of the build *session*; its answer, an error or a crash."""
    import traceback

    from spindle.editions.paged import worker as partlayout

    with LAYOUT_LOCK:
        folder = _folder(session, {**shared, **files})
        partlayout._IMAGES = _IMAGES.setdefault(session, {})
        try:
            return _answer(*step(folder, *args), folder)
        except SpindleError as exc:
            return _answer("error", exc, folder)
        except Exception:  # a bug: its traceback goes back rather than the task being retried
            return _answer("crash", traceback.format_exc(), folder)


def _lay_out(folder: Path, job: Job, held_key: str):
    from spindle.editions.paged import worker as partlayout

    held = partlayout.lay_out(_on_worker(job, folder))
    _HELD[held_key] = held
    return "laid", held.laid


def _number(folder: Path, job: Job, held_key: str, numbering):
    import gc

    from spindle.editions.paged import worker as partlayout

    held = _HELD.pop(held_key, None)
    if held is None:  # laid out on a worker that died since: laid out again here
        held = partlayout.lay_out(_on_worker(job, folder))
    done = partlayout.finish(held, numbering)
    del held
    gc.collect()
    return "done", done


def lay_out_task(session: str, shared: dict, files: dict, job: Job, held_key: str):
    """The task of a part's layout (step 1), kept on the worker under *held_key*."""
    return _guarded(_lay_out, session, shared, files, job, held_key)


def number_task(session: str, shared: dict, files: dict, job: Job, held_key: str, numbering):
    """The task numbering a held layout and writing its PDF (step 2)."""
    return _guarded(_number, session, shared, files, job, held_key, numbering)


def drop_task(held_key: str) -> None:
    _HELD.pop(held_key, None)


def forget(session: str) -> None:
    """The end of a build: its held layouts, images and files go. (Run in the worker's event loop:
    it never waits for the layout lock, which a title's whole build may hold for minutes.)"""
    import shutil

    for key in [k for k in _HELD if k.startswith(session)]:
        del _HELD[key]
    _IMAGES.pop(session, None)
    folder = _SESSIONS.pop(session, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


# --- this machine: the pool ------------------------------------------------------------------------------------

@dataclass
class _Sent:
    slot: "_Slot"
    kind: str  # "job" or "number"
    job: Job  # with places
    held_key: str
    places: Places
    files: dict
    numbering: object = None
    address: str | None = None  # the worker that laid it out
    attempts: int = 1
    stale: bool = False  # sent before the pool was closed: its answer is not wanted


class _Slot:
    """One part at a time, as a local worker process takes it (the scheduler counts what it holds)."""

    def __init__(self, pool: "ClusterPool"):
        self.pool = pool
        self.outstanding = 0
        self.held = 0

    def send(self, message) -> None:
        kind, key = message[0], message[1]
        if kind == "job":
            self.outstanding += 1
            self.pool._send_job(self, key, message[2])
        elif kind == "number":
            self.outstanding += 1
            self.pool._send_number(self, key, message[2])
        elif kind == "drop":
            self.pool._drop(key)


class ClusterPool:
    """scheduler.Pool's interface on a Dask client: ``jobs`` slots (the cluster's threads)."""

    def __init__(self, client, jobs: int | None = None):
        self.client = client
        threads = sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values())
        self.jobs = max(1, jobs or threads)
        self.session = f"spindle-{uuid.uuid4().hex}"
        self.slots: list[_Slot] = []
        self.sent: dict = {}  # the scheduler's key -> _Sent
        self.answers: queue.Queue = queue.Queue()
        self.scattered: dict[str, object] = {}  # styles key -> future of its files
        self.bundles: dict[str, dict] = {}  # styles key -> its files (scattered again if the cluster lost them)
        self.places: dict[str, Places] = {}
        self.futures: dict = {}  # Dask key -> (scheduler's key, future)
        self.tasks: list[str] = []  # the Dask keys sent (what was laid out and numbered on the cluster)
        self.shipped: set[str] = set()  # every file sent, by place ("@@root@@/manuscript/figures/x.png")
        self.waited = 0.0  # seconds this machine waited for the cluster's answers
        self.laid_out = 0  # parts laid out on the cluster (layouts; numberings are not counted)

    def summary(self) -> str | None:
        """What the build note says of the cluster's share of the work."""
        if not self.tasks:
            return None
        return (f"{self.laid_out} part layout(s) on the cluster ({self.jobs} worker thread(s)); this machine "
                f"waited {self.waited:.1f} s for them")

    # scheduler.Pool's interface
    def start(self, every: bool = False, warm: list | tuple = ()) -> "ClusterPool":
        return self

    def fit(self, html_bytes: int) -> "ClusterPool":
        """(A small book is laid out on the cluster all the same: it was asked for.)"""
        return self

    def idle(self):
        for slot in self.slots:
            if slot.outstanding == 0 and slot.held < 1:
                return slot
        if len(self.slots) < self.jobs:
            self.slots.append(_Slot(self))
            return self.slots[-1]
        return None

    def live(self) -> int:
        """No worker process runs here: this machine may merge while the cluster lays out."""
        return 0

    def receive(self, wait: bool = True):
        while True:
            if not any(s.outstanding for s in self.slots):
                return None
            started = time.perf_counter()
            try:
                key, sent, future = self.answers.get(block=wait)
            except queue.Empty:
                return None
            finally:
                self.waited += time.perf_counter() - started
            if sent.stale:
                continue
            message = self._read(key, sent, future)
            if message is not None:
                sent.slot.outstanding -= 1
                return message

    def close(self) -> None:
        for sent in self.sent.values():
            sent.stale = True
        for _, future in list(self.futures.values()):
            future.cancel()
        self.futures.clear()
        self.scattered.clear()
        self.bundles.clear()
        self.places.clear()
        self.slots.clear()
        self.sent.clear()
        try:
            self.client.run(forget, self.session)
        except Exception:  # noqa: BLE001 - a worker gone meanwhile: nothing of this build is left there
            pass

    def __enter__(self) -> "ClusterPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # sending
    def _shared(self, job: Job):
        styles = job.styles
        if styles.key not in self.scattered:
            places = self.places[styles.key] = Places(styles)
            bundle = styles_files(places, styles)
            self.shipped.update(bundle)
            self.bundles[styles.key] = bundle
            self.scattered[styles.key] = self._scatter(bundle)
        return self.places[styles.key], self.scattered[styles.key]

    def _scatter(self, bundle: dict):
        """The stylesheets' files on every worker (a worker that dies does not take the only copy)."""
        return self.client.scatter([bundle], hash=False, broadcast=True)[0]

    def _send_job(self, slot: _Slot, key, job: Job) -> None:
        places, _ = self._shared(job)
        root = Path(job.styles.root)
        files = named_files(places, [(root, job.html, False)])
        self.shipped.update(files)
        portable = replace(job, styles=places.mapped(job.styles))
        held_key = f"{self.session}-{uuid.uuid4().hex}"
        sent = _Sent(slot, "job", portable, held_key, places, files)
        self.sent[key] = sent
        self._submit(key, sent)

    def _send_number(self, slot: _Slot, key, numbering) -> None:
        sent = self.sent[key]
        sent.slot, sent.kind, sent.numbering, sent.attempts = slot, "number", numbering, 1
        self._submit(key, sent)

    def _submit(self, key, sent: _Sent) -> None:
        import dask

        _, shared = self._shared_of(sent)
        def clean(text: str) -> str:
            return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)[:40]

        # spindle-part-NAME@BOOK-… (the book by its folder's name: the scheduler's task stream tells them apart)
        book = clean(Path(sent.places.folders["root"]).name)
        dask_key = (f"spindle-{'part' if sent.kind == 'job' else 'number'}-{clean(sent.job.name)}@{book}-"
                    f"{uuid.uuid4().hex}")
        with dask.config.set({"distributed.admin.large-graph-warning-threshold": "4GB"}):
            if sent.kind == "job":
                future = self.client.submit(lay_out_task, self.session, shared, sent.files, sent.job, sent.held_key,
                                            key=dask_key, pure=False)
            else:  # on the worker that holds the layout; elsewhere (laid out again) when it is gone
                future = self.client.submit(number_task, self.session, shared, sent.files, sent.job, sent.held_key,
                                            sent.numbering, key=dask_key, pure=False, priority=1,
                                            workers=[sent.address] if sent.address else None,
                                            allow_other_workers=True)
        self.tasks.append(dask_key)
        self.futures[dask_key] = (key, future)
        future.add_done_callback(lambda f, key=key, sent=sent: self.answers.put((key, sent, f)))

    def _shared_of(self, sent: _Sent):
        styles_key = next(k for k, p in self.places.items() if p is sent.places)
        if self.scattered[styles_key].status != "finished":  # lost with the workers that held it
            self.scattered[styles_key] = self._scatter(self.bundles[styles_key])
        return sent.places, self.scattered[styles_key]

    def _drop(self, key) -> None:
        from distributed import fire_and_forget

        sent = self.sent.get(key)
        if sent is None or sent.address is None:
            return
        fire_and_forget(self.client.submit(drop_task, sent.held_key, key=f"spindle-drop-{uuid.uuid4().hex}",
                                           pure=False, workers=[sent.address], allow_other_workers=True))

    # answers
    def _read(self, key, sent: _Sent, future):
        """The scheduler's message for an answered task, or None when it was sent again."""
        self.futures.pop(future.key, None)
        try:
            if future.status == "cancelled":  # (the scheduler lost what it needed: its workers died)
                raise OSError("the task was cancelled by the Dask scheduler")
            kind, payload, address = future.result()
        except Exception as exc:  # noqa: BLE001 - the workers that ran it died (KilledWorker), or it could not run
            if _worker_died(exc) and sent.attempts <= RETRIES:
                sent.attempts += 1
                self._submit(key, sent)
                return None
            reason = " ".join(str(exc).split())
            return "error", key, BuildError(f"the cluster could not lay out {sent.job.name} ({sent.attempts} "
                                            f"attempt(s)): {type(exc).__name__}: {reason}")
        finally:
            future.release()
        if kind == "laid":
            sent.address = address
            self.laid_out += 1
        if kind == "error":
            payload.message = sent.places.here(payload.message)
            payload.args = (payload.message,)
            if payload.path is not None:
                payload.path = sent.places.here(str(payload.path))
        elif kind == "crash":
            payload = f"(on the cluster worker {address})\n{sent.places.here(payload)}"
        elif kind == "done":
            payload.warnings = [sent.places.here(w) for w in payload.warnings]
        return kind, key, payload


def _worker_died(exc: BaseException) -> bool:
    from distributed.comm import CommClosedError
    from distributed.scheduler import KilledWorker

    return isinstance(exc, (KilledWorker, CommClosedError, OSError))
