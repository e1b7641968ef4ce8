"""A generated backlist: 20 books of mixed length in one series (series.toml), each made by
bench/generate.py, to build a whole series locally and on a Dask LocalCluster.

    python bench/backlist.py OUT_DIR                      # generate only (about 3,000 pages in all)
    python bench/backlist.py OUT_DIR --run --workers 2 --results bench/backlist-results.md

With --run it builds the series cold, twice, each time from a fresh copy: here (``spindle build``
at the root: one title after the other, each laid out by this machine's worker processes), and on
a ``dask.distributed.LocalCluster`` of --workers single-threaded worker processes (``--cluster``).
It reports the wall time of each, every title's own build time (pages, seconds here and on its
worker), and from those the expected time on a cluster of N one-core workers: the titles scheduled
longest first onto the least loaded worker (a book is the unit of work, so the longest title is
the floor), with the per-title overhead the LocalCluster run measured (sending the files, the
worker's start, sending the outputs back)."""

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


def expected(seconds: list[float], workers: int, overhead: float) -> float:
    """Wall time of *seconds* (one per title) on *workers* one-core workers, longest first."""
    loads = [0.0] * workers
    for s in sorted(seconds, reverse=True):
        loads[loads.index(min(loads))] += s + overhead
    return max(loads)


def _build(root: Path, cluster: str | None) -> tuple[float, list]:
    from spindle.build import series
    from spindle.project.series import load_series

    started = time.perf_counter()
    done = series.build(load_series(root / "series.toml"), cluster=cluster, epoch=EPOCH)
    wall = time.perf_counter() - started
    if done.failed:
        raise SystemExit(f"backlist build failed: {done.failed[0].error}")
    return wall, done.books


def run(source: Path, workers: int) -> str:
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp) / "here"
        shutil.copytree(source, here, ignore=shutil.ignore_patterns("build", ".spindle-cache"))
        wall_here, books_here = _build(here, None)
        there = Path(tmp) / "cluster"
        shutil.copytree(source, there, ignore=shutil.ignore_patterns("build", ".spindle-cache"))
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as c:
            wall_cluster, books_cluster = _build(there, c.scheduler_address)
    remote = {b.title.folder: b.seconds for b in books_cluster}
    pages = {b.title.folder: next((o.pages for o in b.result.outputs if o.edition == "print"), None)
             for b in books_here}
    on_workers = sorted(remote.values())
    overhead = max(0.0, (wall_cluster * workers - sum(on_workers)) / len(on_workers))
    lines = [f"Backlist: {len(books_here)} titles, {sum(p or 0 for p in pages.values())} print pages, every edition, "
             f"cold, SOURCE_DATE_EPOCH set; {os.cpu_count()} CPUs.", "",
             "| build | wall (s) |", "|---|---:|",
             f"| here (one title after the other, {os.cpu_count()} layout processes each) | {wall_here:.1f} |",
             f"| LocalCluster, {workers} single-threaded workers | {wall_cluster:.1f} |", "",
             "| title | print pages | here (s) | on a worker (s) |", "|---|---:|---:|---:|"]
    for b in books_here:
        lines.append(f"| {b.title.folder} | {pages[b.title.folder]} | {b.seconds:.1f} | {remote[b.title.folder]:.1f} |")
    lines += ["", f"Per-title overhead on the cluster (files out, outputs back, idle): {overhead:.1f} s. "
              f"Expected wall time on N one-core workers (longest title first; the longest, "
              f"{max(on_workers):.1f} s, is the floor while a book is the unit of work):", "",
              "| N | expected (s) | speed-up over here |", "|---:|---:|---:|"]
    for n in (1, 2, 4, 8, 16, 20):
        t = expected(on_workers, n, overhead)
        lines.append(f"| {n} | {t:.1f} | {wall_here / t:.2f}x |")
    return "\n".join(lines) + "\n"


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
