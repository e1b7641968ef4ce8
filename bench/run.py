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

# Runs a command and prints its wall time, CPU time and peak RSS as JSON
# (resource usage of the children of this small wrapper process only).
MEASURE = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
wall = time.perf_counter() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_mib": ru.ru_maxrss / 1024}))
"""


def measure(cmd: list[str], cwd: Path, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], cwd=cwd, env=env, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{out.stderr}")
    return result


def median(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu", "rss_mib")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spindle", default=str(Path(sys.executable).parent / "spindle"))
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument("--no-pandoc", action="store_true", help="skip the pandoc comparison")
    parser.add_argument("--keep", type=Path, help="build the book here (kept) instead of a temporary folder")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="spindle-bench-"))
    config = generate(work, args.pages)
    root = config.parent
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1539216000"}
    spindle = [args.spindle]
    results: dict[str, dict] = {}
    chapter = sorted((root / "manuscript").glob("*.md"))[len(list((root / "manuscript").glob("*.md"))) // 2]
    css = root / "styles" / "custom.css"

    def clean() -> None:
        shutil.rmtree(root / "build", ignore_errors=True)
        shutil.rmtree(root / ".spindle-cache", ignore_errors=True)

    def run(name: str, cmd: list[str], before=None) -> None:
        runs = []
        for i in range(args.runs):
            if before:
                before(i)
            runs.append(measure(cmd, root, env))
        results[name] = median(runs)
        print(f"{name:<32} {results[name]['wall']:7.2f} s", file=sys.stderr)

    for edition in ("pdf", "epub", "print", "all"):
        run(f"spindle {edition} (cold)", spindle + ["build", edition, "-q"], before=lambda i: clean())
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

    print(table(results, args))
    if args.out:
        args.out.write_text(table(results, args) + "\n", encoding="utf-8")


def table(results: dict[str, dict], args) -> str:
    base_pdf = results.get("pandoc → WeasyPrint (pdf)")
    base_epub = results.get("pandoc (epub)")
    lines = [
        f"Synthetic book of about {args.pages} pages; medians of {args.runs} runs; "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "| run | wall (s) | CPU (s) | peak RSS (MiB) | ratio to pandoc |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        base = base_epub if "epub" in name else base_pdf
        ratio = f"{r['wall'] / base['wall']:.2f}×" if base and not name.startswith("pandoc") else ""
        lines.append(f"| {name} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss_mib']:.0f} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
