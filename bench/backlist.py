"""A generated backlist: 20 books of mixed length in one series (series.toml), each made by
bench/generate.py, to build a whole series locally and on a Dask LocalCluster.

    python bench/backlist.py OUT_DIR                      # generate only (about 3,000 pages in all)
    python bench/backlist.py OUT_DIR --run --workers 2 --results bench/backlist-results.md

With --run it builds the series cold, twice, each time from a fresh copy: here (``spindle build``
at the root: one title after the other, each laid out by this machine's worker processes), and on
a ``dask.distributed.LocalCluster`` of --workers single-threaded worker processes (``--cluster``).
Then it builds the longest title alone with its parts laid out on that cluster. It reports the
wall time of each, every title's own build time (pages, seconds here and on its worker, from the
Dask scheduler's task stream), the cost of a part per print page and of a spread title's work on
this machine per print page, and from those the expected time on a cluster of N one-core workers
(:func:`model`: as ``spindle build --cluster`` divides the work, titles larger than one worker's
share spread as parts, the others whole, scheduled longest first onto the least loaded worker)."""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

EPOCH = 1539216000
# Mixed lengths (printed pages at A5): a few long monographs, many mid-length titles, short reports.
LENGTHS = (480, 360, 300, 260, 220, 200, 180, 160, 150, 140, 120, 110, 100, 90, 80, 60, 50, 40, 30, 20)


def backlist(out: Path, books: int = 20, seed: int = 2018, scale: float = 1.0) -> Path:
    """Write *books* titles (folders t01 … t20) and series.toml into *out*; returns series.toml.
    *scale* shrinks every title (the tests use a tiny backlist)."""
    rng = random.Random(seed)
    lengths = [max(2, round(LENGTHS[i % len(LENGTHS)] * scale)) for i in range(books)]
    rng.shuffle(lengths)  # series order is not length order
    folders = []
    for number, pages in enumerate(lengths, 1):
        folder = f"t{number:02d}"
        config = generate(out / folder, pages, seed=seed + number)
        text = config.read_text(encoding="utf-8")
        text = text.replace(f'title = "Benchmark Book of {pages} Pages"',
                            f'title = "Backlist Title {number}: {pages} Pages"\n'
                            f'description = "Title {number} of the generated backlist."')
        config.write_text(text, encoding="utf-8")
        shutil.rmtree(out / folder / "styles", ignore_errors=True)  # the series' shared theme instead
        folders.append(folder)
    (out / "theme" / "styles").mkdir(parents=True, exist_ok=True)
    (out / "theme" / "styles" / "custom.css").write_text(":root { --colour-accent: #8a2432; }\n", encoding="utf-8")
    listing = ", ".join(f'"{f}"' for f in folders)
    series = out / "series.toml"
    series.write_text(f'books = [{listing}]\n\n[series]\nname = "The Generated Backlist"\npublisher = "The Bench"\n'
                      f'description = "{books} titles of mixed length."\n\n[theme]\nstyles = "theme/styles"\n'
                      f'templates = "theme/templates"\n', encoding="utf-8")
    return series


def expected(units: list[float], workers: int, overhead: float) -> float:
    """Wall time of *units* (seconds each) on *workers* one-core workers, longest first onto the
    least loaded worker, each unit costing *overhead* more (sending it, its answer, idle time)."""
    loads = [0.0] * workers
    for s in sorted(units, reverse=True):
        loads[loads.index(min(loads))] += s + overhead
    return max(loads)


def model(whole: dict[str, float], pages: dict[str, int], sizes: dict[str, int], part: float, local: float,
          workers: int, overhead: float) -> tuple[float, list[str]]:
    """Expected wall time of the series on *workers* one-core workers, as ``spindle build --cluster``
    divides it (build.cluster.large): a title larger than one worker's share of the manuscript is built
    on the machine running spindle with its parts on the workers, the others are sent whole.

    *whole*: each title's measured time as one task on a worker; *part*: the measured cost of one part
    per print page (layout and numbering on a worker); *local*: the measured cost per print page of
    what a spread title does on the machine running spindle (reading, rendering, merging, the EPUB
    and the print finishing). A spread title becomes units of one chapter's worth of part cost (its
    pages x *part*, in as many units as it has chapters: pages / 20); the machine running spindle does
    the spread titles' local work one after the other, while the workers lay out. So the expected
    time is the larger of the workers' schedule and that local work."""
    share = sum(sizes.values()) / workers
    spread = [t for t in whole if workers > 1 and sizes[t] > share]
    units = [whole[t] for t in whole if t not in spread]
    for t in spread:
        chunks = max(1, round(pages[t] / 20))
        units += [pages[t] * part / chunks] * chunks
    here = sum(pages[t] * local for t in spread)
    return max(expected(units, workers, overhead), here), spread


def _build(root: Path, cluster: str | None) -> tuple[float, list]:
    from spindle.build import series
    from spindle.project.series import load_series

    started = time.perf_counter()
    done = series.build(load_series(root / "series.toml"), cluster=cluster, epoch=EPOCH)
    wall = time.perf_counter() - started
    if done.failed:
        raise SystemExit(f"backlist build failed: {done.failed[0].error}")
    return wall, done.books


def _computed(stream: list[dict]) -> dict[str, float]:
    """Seconds of computing per Dask key (the scheduler's task stream)."""
    found: dict[str, float] = {}
    for task in stream:
        for step in task.get("startstops", ()):
            if step["action"] == "compute":
                found[str(task["key"])] = found.get(str(task["key"]), 0.0) + step["stop"] - step["start"]
    return found


def run(source: Path, workers: int) -> str:
    import re

    from distributed import Client, LocalCluster, get_task_stream

    from spindle.build import cluster as remote
    from spindle.build import orchestrate
    from spindle.project.series import book_project, load_series

    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp) / "here"
        shutil.copytree(source, here, ignore=shutil.ignore_patterns("build", ".spindle-cache"))
        wall_here, books_here = _build(here, None)
        there = Path(tmp) / "cluster"
        shutil.copytree(source, there, ignore=shutil.ignore_patterns("build", ".spindle-cache"))
        pages = {b.title.folder: next((o.pages for o in b.result.outputs if o.edition == "print"), 0) or 0
                 for b in books_here}
        longest = max(pages, key=pages.get)
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as c, \
                Client(c) as client:
            with get_task_stream(client) as stream:
                wall_cluster, books_cluster = _build(there, c.scheduler_address)
            titles = _computed(stream.data)
            # the parts: the longest title alone, its parts on the cluster (a fresh copy: no cache)
            alone = Path(tmp) / "alone"
            shutil.copytree(source, alone, ignore=shutil.ignore_patterns("build", ".spindle-cache"))
            workspace = load_series(alone / "series.toml")
            with get_task_stream(client) as stream:
                started = time.perf_counter()
                made = orchestrate.build(book_project(workspace, workspace.title(longest)), epoch=EPOCH,
                                         cluster=client, out_dir=alone / "build")
                wall_alone = time.perf_counter() - started
            parts = {k: v for k, v in _computed(stream.data).items() if k.startswith(("spindle-part-", "spindle-number-"))}
        workspace = load_series(there / "series.toml")
        sizes = {t.folder: remote.size(book_project(workspace, t)) for t in workspace.titles}
    where = {b.title.folder: b.where for b in books_cluster}
    whole = {}
    for b in books_cluster:
        keys = [k for k in titles if re.fullmatch(rf"spindle-{re.escape(b.title.folder)}-[0-9a-f]{{32}}", k)]
        whole[b.title.folder] = sum(titles[k] for k in keys) if keys else b.seconds
    waited = next((float(m.group(1)) for n in made.notes for m in [re.search(r"waited ([0-9.]+) s", n)] if m), 0.0)
    part = sum(parts.values()) / max(1, pages[longest])  # seconds of workers' time per print page, in parts
    local = max(0.0, wall_alone - waited) / max(1, pages[longest])  # seconds here per print page of a spread title
    on_workers = sorted(whole.values())
    tasks = len(on_workers)
    overhead = max(0.0, (wall_cluster * workers - sum(titles.values())) / max(1, tasks + len(
        [k for k in titles if k.startswith(("spindle-part-", "spindle-number-"))])))
    lines = [f"Backlist: {len(books_here)} titles, {sum(pages.values())} print pages, every edition, "
             f"cold, SOURCE_DATE_EPOCH set; {os.cpu_count()} CPUs.", "",
             "| build | wall (s) |", "|---|---:|",
             f"| here (one title after the other, {os.cpu_count()} layout processes each) | {wall_here:.1f} |",
             f"| LocalCluster, {workers} single-threaded workers | {wall_cluster:.1f} |",
             f"| the longest title ({longest}, {pages[longest]} print pages) alone, its parts on that cluster | "
             f"{wall_alone:.1f} |", "",
             "| title | print pages | here (s) | on the cluster (s) | built |", "|---|---:|---:|---:|---|"]
    for b in books_here:
        t = b.title.folder
        lines.append(f"| {t} | {pages[t]} | {b.seconds:.1f} | {whole[t]:.1f} | "
                     f"{'here, parts on the cluster' if where[t].startswith('here') else 'whole, on a worker'} |")
    lines += ["", f"Measured costs: a title sent whole, its time on a worker (above); the parts of {longest}: "
              f"{len(parts)} layout and numbering tasks, {sum(parts.values()):.1f} s of workers' time, "
              f"{part:.3f} s per print page; what building {longest} did on this machine besides waiting "
              f"for them: {wall_alone - waited:.1f} s, {local:.3f} s per print page; the cluster's overhead "
              f"per task (files out, answers back, idle): {overhead:.2f} s.", "",
              "Expected wall time on N one-core workers (bench/backlist.py `model`: titles larger than one "
              "worker's share spread as parts, the rest whole, scheduled longest first; never less than "
              "the spread titles' work on the machine running spindle):", "",
              "| N | spread titles | expected (s) | speed-up over here |", "|---:|---|---:|---:|"]
    for n in (1, 2, 4, 8, 16, 20, 32):
        t, spread = model(whole, pages, sizes, part, local, n, overhead)
        lines.append(f"| {n} | {', '.join(spread) or '-'} | {t:.1f} | {wall_here / t:.2f}x |")
    lines += ["", EXPLAINED]
    return "\n".join(lines) + "\n"


EXPLAINED = """How the expected time on N workers is computed (an estimate from the measured costs above, not a
measurement of N machines). Each title is built as `spindle build --cluster` would build it on N
workers (`build.cluster.large`): a title whose manuscript is more than 1/N of the series' is spread
(built on the machine running spindle, its parts on the workers), the others are sent whole.
A title sent whole is one unit of work costing its measured time as one task on a worker (the task
stream's compute time, column "on the cluster"). A spread title is split into pages/20 units (about
one chapter each) costing, together, its print pages x the measured part cost per page (the workers'
compute time in the longest title's layout and numbering tasks, divided by its print pages); it also
leaves pages x the measured local cost per page (the longest title's build time on this machine minus
the time it waited for the cluster) to the machine running spindle. The units are scheduled longest
first onto the least loaded of N one-core workers, each costing the measured per-task overhead more
(the cluster run's idle worker time shared out over its tasks); the expected time is the largest
worker's load, or the spread titles' local work if that is longer (this machine does it one title after
the other). Speed-up: the measured time here divided by that. What it leaves out: the time to send
the files (measured within the overhead on a LocalCluster, where it is a local copy), workers slower
or faster than this machine's cores, and the first part on each worker paying for WeasyPrint's start
and the stylesheets (inside the measured part cost, spread over the longest title's parts)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the backlist into")
    parser.add_argument("--books", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink every title (0.1: a tenth of the pages)")
    parser.add_argument("--run", action="store_true", help="build it here and on a LocalCluster, and report")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers for --run")
    parser.add_argument("--results", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    print(backlist(args.out, args.books, args.seed, args.scale))
    if args.run:
        report = run(args.out, args.workers)
        print(report)
        if args.results:
            args.results.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
