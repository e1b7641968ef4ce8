"""Benchmark spindle against pandoc + WeasyPrint on a synthetic book.

    python bench/run.py --pages 600 --runs 3 [--out bench/results.md]

Measures, side by side in one run on this machine: `spindle build pdf`,
`epub`, `print` and `all` from cold; a no-op rebuild; a rebuild after editing
one chapter; a rebuild after editing one CSS rule; and, where pandoc is
installed, pandoc → HTML → WeasyPrint and pandoc → EPUB on the same Markdown.
Reports medians of wall time, CPU time and peak RSS, and ratios, as Markdown."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

# Runs a command and prints its wall time, CPU time and peak memory as JSON: the largest
# peak RSS of any one process (getrusage of the children), and the peak of the sum of the
# RSS of the whole process tree (sampled from /proc every 50 ms, and never less than the
# largest process's peak), which counts worker processes that run at the same time together.
MEASURE = r"""
import json, os, resource, subprocess, sys, time

def tree_rss(root):
    children, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm") as fh:
                rss[int(entry)] = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total

import tempfile
errors = tempfile.TemporaryFile()
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=errors)
peak = 0
while proc.poll() is None:
    peak = max(peak, tree_rss(proc.pid))
    time.sleep(0.05)
errors.seek(0)
err = errors.read()
wall = time.perf_counter() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
# (sampling can miss a short peak; the tree's peak is at least the largest process's)
print(json.dumps({"code": proc.returncode, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime,
                  "rss_mib": ru.ru_maxrss / 1024, "tree_mib": max(peak / 1024 / 1024, ru.ru_maxrss / 1024),
                  "stderr": err.decode(errors="replace")[-2000:]}))
"""


def measure(cmd: list[str], cwd: Path, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], cwd=cwd, env=env, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{result['stderr']}{out.stderr}")
    return result


def median(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu", "rss_mib", "tree_mib")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spindle", default=str(Path(sys.executable).parent / "spindle"))
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument("--no-pandoc", action="store_true", help="skip the pandoc comparison")
    parser.add_argument("--no-single-pass", action="store_true",
                        help="skip the single-pass render (spindle build pdf --single-pass), the memory baseline")
    parser.add_argument("--large", type=int, default=0, metavar="PAGES",
                        help="also build all editions of a book of PAGES pages once, for its peak memory")
    parser.add_argument("--keep", type=Path, help="build the book here (kept) instead of a temporary folder")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="spindle-bench-"))
    config = generate(work, args.pages)
    root = config.parent
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}  # as an author builds: dated now
    spindle = [args.spindle]
    results: dict[str, dict] = {}
    chapter = sorted((root / "manuscript").glob("*.md"))[len(list((root / "manuscript").glob("*.md"))) // 2]
    css = root / "styles" / "custom.css"

    def clean(folder: Path = root) -> None:
        shutil.rmtree(folder / "build", ignore_errors=True)
        shutil.rmtree(folder / ".spindle-cache", ignore_errors=True)

    def run(name: str, cmd: list[str], before=None, runs: int | None = None, cwd: Path = root) -> None:
        measured = []
        for i in range(runs or args.runs):
            if before:
                before(i)
            measured.append(measure(cmd, cwd, env))
        results[name] = median(measured)
        print(f"{name:<36} {results[name]['wall']:7.2f} s", file=sys.stderr)

    for edition in ("pdf", "epub", "print", "all"):
        run(f"spindle {edition} (cold)", spindle + ["build", edition, "-q"], before=lambda i: clean())
    pages = {"pdf": _pages(root / "build", ".pdf", "-print.pdf", "-cover.pdf", "-imposed.pdf"),
             "print": _pages(root / "build", "-print.pdf")}
    subprocess.run(spindle + ["build", "all", "-q"], cwd=root, env=env, check=True)
    run("spindle all (no-op rebuild)", spindle + ["build", "all", "-q"])
    original = chapter.read_text(encoding="utf-8")

    def edit_chapter(i: int) -> None:
        chapter.write_text(original + f"\nAn added sentence, edit number {i}.\n", encoding="utf-8")

    run("spindle pdf (one chapter edited)", spindle + ["build", "pdf", "-q"], before=edit_chapter)
    css_original = css.read_text(encoding="utf-8")

    def edit_css(i: int) -> None:
        css.write_text(css_original + f"\nh2 {{ letter-spacing: 0.0{i + 1}em; }}\n", encoding="utf-8")

    run("spindle pdf (one CSS rule edited)", spindle + ["build", "pdf", "-q"], before=edit_css)
    chapter.write_text(original, encoding="utf-8")
    css.write_text(css_original, encoding="utf-8")
    if not args.no_single_pass:
        run("spindle pdf (cold, --single-pass)", spindle + ["build", "pdf", "-q", "--single-pass"],
            before=lambda i: clean())

    pandoc = None if args.no_pandoc else shutil.which("pandoc")
    weasy = Path(sys.executable).parent / "weasyprint"
    if pandoc:
        chapters = [str(p) for p in sorted((root / "manuscript").glob("*.md"))]
        html = root / "pandoc.html"
        script = (f'"{pandoc}" -s --metadata title=Bench -f markdown -t html5 -o "{html}" {" ".join(chapters)} '
                  f'--resource-path=manuscript && "{weasy}" "{html}" "{root / "pandoc.pdf"}"')
        run("pandoc → WeasyPrint (pdf)", ["sh", "-c", script])
        run("pandoc (epub)", [pandoc, "--metadata", "title=Bench", "-f", "markdown", "-o", str(root / "pandoc.epub"),
                              "--resource-path=manuscript", *chapters])
        pages["pandoc"] = _pages(root, "pandoc.pdf")

    large = None
    if args.large:
        big = generate(work / f"large-{args.large}", args.large).parent
        clean(big)
        run(f"spindle all (cold), {args.large}-page book", spindle + ["build", "all", "-q"], runs=1, cwd=big)
        large = (args.large, _pages(big / "build", ".pdf", "-print.pdf", "-cover.pdf", "-imposed.pdf"))

    text = table(results, args, pages, large)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


def _pages(folder: Path, suffix: str, *unless: str) -> int | None:
    """Page count of the PDF in *folder* whose name ends with *suffix* (and none of *unless*)."""
    for path in sorted(folder.glob("*.pdf")):
        if path.name.endswith(suffix) and not any(path.name.endswith(u) for u in unless):
            out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True)
            for line in out.stdout.splitlines():
                if line.startswith("Pages:"):
                    return int(line.split()[1])
    return None


def table(results: dict[str, dict], args, pages: dict | None = None, large=None) -> str:
    pages = pages or {}
    base_pdf = results.get("pandoc → WeasyPrint (pdf)")
    base_epub = results.get("pandoc (epub)")
    counts = ", ".join(f"{name}: {n} pages" for name, n in (("spindle's screen PDF (A5)", pages.get("pdf")),
                                                           ("print (A5)", pages.get("print")),
                                                           ("pandoc → WeasyPrint (A4)", pages.get("pandoc")))
                       if n)
    lines = [
        f"Synthetic book generated for about {args.pages} pages ({counts}); medians of {args.runs} runs; "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "| run | wall (s) | CPU (s) | peak RSS, largest process (MiB) | peak RSS, all processes (MiB) | ratio to pandoc |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        base = base_epub if "epub" in name else base_pdf
        ratio = f"{r['wall'] / base['wall']:.2f}×" if base and not name.startswith("pandoc") else ""
        lines.append(f"| {name} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss_mib']:.0f} | {r['tree_mib']:.0f} | {ratio} |")
    lines += ["", *targets(results, large)]
    return "\n".join(lines)


def targets(results: dict[str, dict], large=None) -> list[str]:
    """The issue's targets, each with its measured value and whether it is met."""
    def get(name: str, key: str = "wall"):
        return results[name][key] if name in results else None

    pdf = get("pandoc → WeasyPrint (pdf)")
    epub = get("pandoc (epub)")
    single = get("spindle pdf (cold, --single-pass)", "tree_mib")
    rows = []

    def target(label: str, value, limit, unit: str = "×") -> None:
        if value is None or limit is None:
            rows.append(f"- {label}: not measured")
            return
        shown = f"{value:.2f}{unit}" if unit == "×" else f"{value:.2f} {unit}"
        rows.append(f"- {label}: {shown} — {'met' if value <= limit else 'NOT met'}")

    ratio = (lambda name: get(name) / pdf) if pdf else (lambda name: None)
    target("spindle all (cold) ≤ 0.5 × pandoc → WeasyPrint", ratio("spindle all (cold)"), 0.5)
    target("pdf after a one-chapter edit ≤ 0.1 × pandoc → WeasyPrint", ratio("spindle pdf (one chapter edited)"), 0.1)
    target("no-op rebuild ≤ 1 s", get("spindle all (no-op rebuild)"), 1.0, "s")
    target("pdf after a CSS edit ≤ 0.6 × pandoc → WeasyPrint", ratio("spindle pdf (one CSS rule edited)"), 0.6)
    target("epub (cold) ≤ 0.3 × pandoc's EPUB", get("spindle epub (cold)") / epub if epub else None, 0.3)
    memory = get("spindle pdf (cold)", "tree_mib")
    target("peak RSS of spindle pdf (cold), all processes, ≤ 0.5 × the single-pass render's",
           memory / single if single else None, 0.5)
    if large:
        size, count = large
        peak = get(f"spindle all (cold), {size}-page book", "tree_mib")
        target(f"{size}-page book ({count} pages in the screen PDF), spindle all: peak RSS of all processes < 1 GiB",
               peak, 1024, "MiB")
    return ["Targets (issue 7):", ""] + rows


if __name__ == "__main__":
    main()
