"""Smoke test: the benchmark generates a buildable book and its runner
measures every scenario (timings themselves are the bench's job, not a test's)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_on_a_tiny_book(tmp_path):
    out = tmp_path / "results.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--books", "bench", "--pages", "3", "--runs", "1",
         "--no-pandoc", "--keep", str(tmp_path / "work"), "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    table = out.read_text(encoding="utf-8")
    assert "| book | run | wall (s) | CPU (s) | peak RSS, all processes (MiB) | ratio to pandoc PDF (wall) |" in table
    for scenario in ("spindle pdf (cold)", "spindle epub (cold)", "spindle all (cold)",
                     "spindle all (no-op rebuild)", "spindle pdf (one chapter edited)", "spindle pdf (one CSS rule edited)",
                     "spindle pdf (one CSS rule edited, interview chapter only)"):
        row = next(line for line in table.splitlines() if line.startswith(f"| bench | {scenario} |"))
        wall, cpu, tree = (float(cell) for cell in row.split("|")[3:6])
        assert wall > 0 and cpu > 0 and tree > 10
    targets = table[table.index("Targets (issue 16, wall-time ratios):"):]
    assert re.search(r"- bench book, no-op rebuild ≤ 1 s: \d+\.\d\d s — (met|NOT met)", targets)
    assert "- bench book, spindle all (cold) ≤ 0.75 × pandoc → WeasyPrint: not measured" in targets  # --no-pandoc
    assert "- trpl, spindle all (cold) ≤ 1.0 ×: not measured" in targets  # not asked for
    built = tmp_path / "work" / "bench" / "build"
    assert (built / "benchmark-book-of-3-pages.pdf").stat().st_size > 1000
    manuscript = tmp_path / "work" / "bench" / "manuscript"
    texts = [p.read_text(encoding="utf-8") for p in manuscript.glob("*.md")]
    assert any("kind: interview" in t for t in texts)
    assert any("[^n1]" in t for t in texts)
    assert all("edit number" not in t for t in texts)  # the edited chapter is put back


def test_the_backlist_is_a_series_of_twenty_titles_of_mixed_length(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import backlist
    finally:
        sys.path.remove(str(ROOT / "bench"))
    from spindle.project.series import book_project, load_series

    workspace = load_series(backlist.backlist(tmp_path, scale=0.05))  # a twentieth of the pages: text only
    assert [t.number for t in workspace.titles] == list(range(1, 21))
    words = [sum(len(p.read_text(encoding="utf-8").split()) for p in (tmp_path / t.folder / "manuscript").glob("*.md"))
             for t in workspace.titles]
    assert max(words) > 5 * min(words)  # mixed lengths, not in length order
    assert words != sorted(words) and words != sorted(words, reverse=True)
    titles = {book_project(workspace, t).config.book.title for t in workspace.titles}
    assert len(titles) == 20
    assert book_project(workspace, workspace.titles[4]).config.book.series.number == 5
    # the expected time on N workers: longest first onto the least loaded worker
    assert backlist.expected([5.0, 4.0, 3.0, 3.0], 2, 0.0) == 8.0
    assert backlist.expected([5.0, 1.0], 4, 0.5) == 5.5
    # with parts: a title over one worker's share is spread in chapter-sized units; its local work bounds it
    whole, pages, sizes = {"a": 10.0, "b": 2.0, "c": 2.0}, {"a": 100, "b": 20, "c": 20}, {"a": 1000, "b": 100, "c": 100}
    assert backlist.model(whole, pages, sizes, part=0.1, local=0.02, workers=1, overhead=0.0) == (14.0, [])
    assert backlist.model(whole, pages, sizes, part=0.1, local=0.02, workers=4, overhead=0.0) == (4.0, ["a"])
    assert backlist.model(whole, pages, sizes, part=0.1, local=0.2, workers=4, overhead=0.0) == (20.0, ["a"])
