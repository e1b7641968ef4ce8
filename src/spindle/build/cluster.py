"""Build a series' titles on a Dask distributed cluster (``spindle build --cluster tcp://HOST:8786``,
or ``build.cluster`` in series.toml; needs ``pip install spindle[cluster]`` here and on the workers).

Two units of work go to the cluster:

- a **title**: the task carries the bytes of the files the title names: the book's folder (without
  its build/ and .spindle-cache/ folders and hidden files) and the series' shared theme folders. A
  worker writes them to a temporary folder, builds the book there (one process, no layout cache) and
  sends back the bytes of every file it made and the list of what the build read;
- the **parts of a large title**: a title whose manuscript is more than one worker's share of the
  series (:func:`large`) is built here, as a single book is with ``--cluster``: its manuscript is
  read and rendered here, its parts are laid out on the workers (``editions.paged.remote``; the
  layout cache is read and written here), and merged here. So one long title among short ones is
  spread over the cluster instead of keeping one worker busy after the others are done.

The up-to-date check, the outputs and their record stay on this machine: an unchanged title is not
sent at all, and a title built on the cluster is a no-op for the next build here (its record holds
what its build read, as a build here records it). Each title's build lock (``core.lock``) is held
here from its up-to-date check until its outputs are written.

Failures: a worker that dies takes its title back to the scheduler, which gives it to another
worker; when the scheduler gives up (``KilledWorker``) the title is sent again, up to
``build.retries`` times. The scheduler and the workers need the same spindle (and Dask) as this
machine: the scheduler unpickles each task, the workers run it. A title whose build fails reports
its one-line error; the others' outputs are written as they arrive.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Callable

from spindle.build.result import Output, Result
from spindle.build.outcome import Built, one_line
from spindle.core import progress
from spindle.core.errors import SpindleError
from spindle.core.output import write_bytes
from spindle.project.config import Project
from spindle.project.series import SeriesConfig, Title, Workspace, book_project

SKIPPED = {"build", ".spindle-cache", "__pycache__"}  # never sent: outputs and caches
MANUSCRIPT = {".md", ".markdown", ".txt", ".docx", ".vtt", ".srt", ".json"}  # what a title's size is counted in


def files_for(workspace: Workspace, title: Title, project: Project) -> dict[str, bytes]:
    """The files a worker needs for *title*, keyed by their path relative to the series root."""
    root = workspace.root
    out = workspace.out.resolve()
    folders = [project.root, *project.shared]
    files: dict[str, bytes] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED and not d.startswith(".")
                                 and (here / d).resolve() != out)
            for name in sorted(filenames):
                path = here / name
                if name.startswith(".") or not path.is_file():
                    continue
                resolved = path.resolve()
                if root not in resolved.parents:  # a link out of the series is not followed
                    continue
                files[resolved.relative_to(root).as_posix()] = resolved.read_bytes()
    return files


def build_on_worker(files: dict[str, bytes], config: SeriesConfig, title: Title, editions: list[str],
                    options: dict) -> dict:
    """Run on a Dask worker: build *title* from *files* in a temporary folder and return what it made.
    A SpindleError comes back as data (it is the user's to fix: retrying would not help)."""
    import time

    from spindle.build import orchestrate
    from spindle.editions.paged.remote import LAYOUT_LOCK

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="spindle-cluster-"))
    try:
        for relative, data in files.items():
            path = tmp / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        workspace = Workspace(root=tmp, config_path=tmp / "series.toml", config=config, titles=(title,))
        try:
            project = book_project(workspace, title)
            with LAYOUT_LOCK:  # one layout at a time in this worker process (part tasks take it too)
                made = orchestrate.build(project, editions, tmp / ".spindle-out", cache=False, jobs=1, **options)
        except SpindleError as exc:
            def here(text):  # paths as they read on the machine that sent the work
                return text.replace(str(tmp / title.folder) + "/", "").replace(str(tmp) + "/", "")

            return {"error": here(exc.message), "path": here(str(exc.path)) if exc.path is not None else None,
                    "line": exc.line}

        def described(items):
            return [{"edition": o.edition, "data": o.path.read_bytes(), "seconds": o.seconds, "pages": o.pages}
                    for o in items]

        read = []  # what the build read, relative to the series root (as this machine has it)
        for kind, path in made.inputs:
            try:
                read.append((kind, Path(path).resolve().relative_to(tmp.resolve()).as_posix()))
            except ValueError:  # outside the files sent (the built-in theme is spindle's own)
                continue
        return {"outputs": described(made.outputs), "extras": described(made.extras),
                "warnings": made.warnings, "notes": made.notes, "findings": list(made.diagnostics),
                "inputs": read, "worker": _worker_address(),
                "seconds": time.perf_counter() - started}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "?"


def build(workspace: Workspace, todo: list[tuple[Title, Project]], editions: list[str], address: str, *,
          report: Callable[[str], None], strict: bool, allow_remote: bool, epoch: int | None,
          single_pass: bool) -> list[Built]:
    """Build *todo* on the cluster at *address*; each title's outputs are written here as it arrives."""
    from spindle.build import orchestrate, remote, uptodate
    from spindle.core import cache as caching
    from spindle.core import lock

    editions = [e for e in orchestrate.EDITIONS if e in set(editions)]
    options = dict(strict=strict, allow_remote=allow_remote, epoch=epoch, single_pass=single_pass)
    done: list[Built] = []
    waiting: dict[Title, tuple] = {}  # title -> (project, cache, record's key)
    with contextlib.ExitStack() as held:
        locks: dict[Title, contextlib.ExitStack] = {}
        for title, project in todo:
            out = orchestrate.check_out_dir(project, workspace.out_for(title))
            locks[title] = held.enter_context(contextlib.ExitStack())
            try:  # another build of this title (here) is running: this one waits, then fails alone
                locks[title].enter_context(lock.held(project.root / caching.FOLDER, report))
            except SpindleError as exc:
                done.append(Built(title, error=one_line(title, exc)))
                locks.pop(title).close()
                continue
            store, key = uptodate.slot(project, editions, out, **options)
            found = uptodate.check(project, store, key) if key is not None else None
            if found is not None:
                report(f"{title.folder}: nothing changed since the last build")
                done.append(Built(title, found))
                locks.pop(title).close()
                continue
            waiting[title] = (project, store, key)
        if not waiting:
            return done
        with remote.connect(address) as client:
            spread = large(waiting, _workers(client)) if not single_pass and {"pdf", "print"} & set(editions) else []
            for title in spread:  # built here, its parts on the cluster: orchestrate holds its lock
                locks.pop(title).close()
            here = _Here(workspace, [(t, waiting.pop(t)[0]) for t in spread], editions, client, report, options)
            try:
                if waiting:
                    done += _run(client, workspace, waiting, editions, options, report)
            finally:
                done += here.join()
    return done


def _workers(client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def size(project: Project) -> int:
    """A title's size: the bytes of its manuscript files (Markdown, transcripts, Word)."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(project.root):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED and not d.startswith(".")]
        for name in filenames:
            if os.path.splitext(name)[1].lower() in MANUSCRIPT:
                try:
                    total += os.path.getsize(os.path.join(dirpath, name))
                except OSError:
                    pass
    return total


def large(waiting: dict, workers: int) -> list[Title]:
    """The titles built here with their parts on the cluster: those whose manuscript is more than
    one worker's share of what is to be built (sent whole, such a title would keep one worker busy
    after the others are done). With one worker, none: the parts would queue on it all the same."""
    if workers < 2:
        return []
    sizes = {title: size(slot[0]) for title, slot in waiting.items()}
    share = sum(sizes.values()) / workers
    return [title for title, n in sizes.items() if n > share]


class _Here:
    """The large titles, one after the other in a thread of this process, their parts laid out on
    the cluster, while the other titles are built there whole."""

    def __init__(self, workspace: Workspace, titles: list, editions: list[str], client, report, options: dict):
        self.books: list[Built] = []
        self.failure: BaseException | None = None
        self.thread = None
        if titles:
            self.thread = threading.Thread(target=self._run, args=(workspace, titles, editions, client, report, options),
                                           name="spindle-large-titles", daemon=True)
            self.thread.start()

    def _run(self, workspace, titles, editions, client, report, options) -> None:
        import time

        from spindle.build import orchestrate

        try:
            for title, project in titles:
                report(f"{title.folder}: building here, its parts laid out on the cluster")
                started = time.perf_counter()
                try:
                    made = orchestrate.build(project, editions, workspace.out_for(title), report=report,
                                             cluster=client, **options)
                except SpindleError as exc:
                    self.books.append(Built(title, error=one_line(title, exc), seconds=time.perf_counter() - started))
                    continue
                self.books.append(Built(title, made, where="here, parts on the cluster",
                                        seconds=time.perf_counter() - started))
        except BaseException as exc:  # noqa: BLE001 - raised again in the main thread (join)
            self.failure = exc

    def join(self) -> list[Built]:
        if self.thread is not None:
            self.thread.join()
        if self.failure is not None:
            raise self.failure
        return self.books


def _run(client, workspace: Workspace, waiting: dict, editions: list[str], options: dict, report) -> list[Built]:
    import dask
    from distributed import as_completed

    retries = workspace.config.build.retries
    attempts: dict[Title, int] = {}
    by_future = {}
    queue = list(waiting)
    # A few titles per worker in flight: each task carries its files, which the scheduler holds until it runs.
    in_flight = 2 * max(1, len(client.scheduler_info().get("workers", {})))

    def send(title: Title):
        attempts[title] = attempts.get(title, 0) + 1
        files = files_for(workspace, title, waiting[title][0])  # read now, not all titles at once
        with dask.config.set({"distributed.admin.large-graph-warning-threshold": "4GB"}):
            future = client.submit(build_on_worker, files, workspace.config, title, editions, options, pure=False,
                                   key=f"spindle-{title.folder.replace('/', '-')}-{uuid.uuid4().hex}")
        by_future[future.key] = title
        report(f"{title.folder}: sent to the cluster ({progress.size(sum(map(len, files.values())))})")
        return future

    done: list[Built] = []
    pending = as_completed([send(queue.pop(0)) for _ in range(min(in_flight, len(queue)))])
    for future in pending:
        if queue:
            pending.add(send(queue.pop(0)))
        title = by_future[future.key]
        try:
            answer = future.result()
        except Exception as exc:  # the worker died (KilledWorker), or the task could not run there
            if _worker_died(exc) and attempts[title] <= retries:
                report(f"{title.folder}: its worker died ({type(exc).__name__}); sending it again")
                pending.add(send(title))
                continue
            reason = " ".join(str(exc).split())  # one line (Dask's messages run over several)
            done.append(Built(title, error=f"{title.folder}: the cluster could not build it ({attempts[title]} "
                                           f"attempt(s)): {type(exc).__name__}: {reason}"))
            continue
        finally:
            future.release()
        done.append(_arrived(workspace, title, waiting[title], answer))
        report(f"{title.folder}: built on {done[-1].where}" if done[-1].error is None else done[-1].error)
    return done


def _worker_died(exc: BaseException) -> bool:
    """Whether *exc* says the work was lost with its worker (worth sending again), not that it cannot run."""
    from distributed.comm import CommClosedError
    from distributed.scheduler import KilledWorker

    return isinstance(exc, (KilledWorker, CommClosedError, OSError))


def _arrived(workspace: Workspace, title: Title, slot: tuple, answer: dict) -> Built:
    """Write what a worker made for *title* into its output folder, and record it for the up-to-date check."""
    from spindle.build import orchestrate, uptodate

    project, store, key = slot
    if "error" in answer:
        return Built(title, error=one_line(title, SpindleError(answer["error"], answer["path"], answer["line"])))
    out = workspace.out_for(title)
    result = Result(warnings=list(answer["warnings"]), notes=list(answer["notes"]),
                    diagnostics=list(answer.get("findings", ())))
    for group, into in (("outputs", result.outputs), ("extras", result.extras)):
        for made in answer[group]:
            path = orchestrate.target(project, made["edition"], out)
            into.append(Output(made["edition"], path, len(made["data"]), made["seconds"], made["pages"]))
    for output, made in zip(result.outputs + result.extras, answer["outputs"] + answer["extras"]):
        write_bytes(output.path, made["data"])
    if key is not None:  # what the worker's build read, as this machine has it (the files sent)
        result.inputs = [(kind, workspace.root / relative) for kind, relative in answer["inputs"]]
        uptodate.record(project, store, key, result)
    return Built(title, result, where=answer.get("worker", "?"), seconds=answer.get("seconds", 0.0))
