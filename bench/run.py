"""Benchmark spindle against pandoc → WeasyPrint, on three books, in one run (issue 16's table).

    python bench/run.py --runs 3 --out bench/results-16.md

The books, each built cold by spindle (`spindle build all`, `build pdf`, `build epub`) and, in the
same rounds, by pandoc → HTML5 → `weasyprint` (PDF) and pandoc → EPUB:

- **bench**: the synthetic book of `bench/generate.py` (`--pages`, default 600), which also gets
  the rebuilds: a no-op, one chapter edited, one CSS rule edited (`h2`, which every chapter but the
  interview has), then a rule only the interview chapter's elements match (`.speaker`) edited
  (`build pdf` after each);
- **trpl**: *The Rust Programming Language* (mdBook, code-heavy, about 740 A5 pages), from the
  real-book corpus at `$SPINDLE_CORPUS/trpl` (default `/work/corpus/trpl`; how to obtain it:
  `tests/corpus/SOURCES.md`), imported as a new user would, with `spindle init DIR --from SOURCE`;
- **small**: the mdBook guide (`$SPINDLE_CORPUS/mdbook-guide`) trimmed to about 45 screen pages: its
  SUMMARY.md cut before the *Theme* entry (introduction, user guide, command-line reference,
  SUMMARY.md format and configuration), imported the same way.

pandoc is given the same Markdown: each chapter in spindle's reading order with the book's
include directives already expanded by spindle (prepared before timing, `pandoc-src/`). pandoc
must be installed (`apt-get install pandoc`; measured with Debian's 2.17); without it the
comparison is skipped with a message and only spindle's absolute figures are shown. A corpus book
that is absent is skipped with a message. Nothing of the corpus is written outside the temporary
work folder.

Every measurement is repeated `--runs` times; the runs are interleaved (round 1 of every build, then
round 2, ...) so that spindle and pandoc meet the same load. Reported: medians of wall time, CPU
time (user + system of the command and all its processes) and peak RSS (of the process tree), and
every figure as a ratio to pandoc → WeasyPrint's PDF of the same book (wall and CPU; EPUB builds also
to pandoc's EPUB). A full run takes about 15 minutes on an idle 2-core machine.
Options: `--books bench,small,trpl`, `--pages`, `--single-pass` (adds the one-pass memory baseline of
issue 7), `--keep DIR`.
"""

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

PDF, EPUB = "pandoc → WeasyPrint (pdf)", "pandoc (epub)"
NARROW = "spindle pdf (one CSS rule edited, interview chapter only)"  # `.speaker`: one chapter of 24 reached

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


def corpus() -> Path:
    return Path(os.environ.get("SPINDLE_CORPUS", "/work/corpus"))


def clean(folder: Path) -> None:
    shutil.rmtree(folder / "build", ignore_errors=True)
    shutil.rmtree(folder / ".spindle-cache", ignore_errors=True)


def import_book(spindle: list[str], source: Path, dest: Path, env: dict) -> Path:
    out = subprocess.run(spindle + ["init", str(dest), "--from", str(source)], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"spindle init --from {source} failed:\n{out.stderr}")
    return dest


def prepare_trpl(work: Path, spindle: list[str], env: dict) -> Path | str:
    source = corpus() / "trpl"
    if not (source / "book.toml").is_file():
        return f"skipped: no trpl at {source} (set SPINDLE_CORPUS; see tests/corpus/SOURCES.md)"
    return import_book(spindle, source, work / "trpl", env)


def prepare_small(work: Path, spindle: list[str], env: dict) -> Path | str:
    source = corpus() / "mdbook-guide"
    if not (source / "guide" / "src" / "SUMMARY.md").is_file():
        return f"skipped: no mdbook-guide at {source} (set SPINDLE_CORPUS; see tests/corpus/SOURCES.md)"
    copy = work / "mdbook-guide-trimmed"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(source, copy)
    summary = copy / "guide" / "src" / "SUMMARY.md"
    lines = summary.read_text(encoding="utf-8").splitlines()
    cut = next(i for i, line in enumerate(lines) if line.strip().startswith("- [Theme]"))
    summary.write_text("\n".join(lines[:cut]) + "\n", encoding="utf-8")
    return import_book(spindle, copy / "guide", work / "small", env)


def pandoc_sources(root: Path) -> tuple[list[str], list[str]]:
    """The book's chapters in spindle's reading order, includes expanded, written to pandoc-src/
    (pandoc gets the same text spindle lays out); and the folders images are found in."""
    from spindle.manuscript import dialects
    from spindle.manuscript.load import reading_order
    from spindle.project.config import load

    project = load(root / "book.toml")
    out = root / "pandoc-src"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    files, folders = [], []
    for number, (entry, _, _) in enumerate(reading_order(project)):
        path = project.path(entry.file)
        text, found = dialects.expand(path.read_text(encoding="utf-8-sig"), path, project.root, entry.file)
        text = dialects.MARKER_ANYWHERE.sub(lambda m: _for_pandoc(found.blocks[int(m.group(1))]), text)
        target = out / f"{number:03d}.md"
        target.write_text(text + "\n", encoding="utf-8")
        files.append(str(target))
        if str(path.parent) not in folders:
            folders.append(str(path.parent))
    return files, folders


def _for_pandoc(block: tuple[str, object]) -> str:
    """What pandoc gets for one of spindle's block markers (an mdBook listing, a callout: spindle
    renders them itself): a plain <div>, with the listing's caption as a paragraph. Left as it was,
    the marker is an unknown element that HTML never closes, and WeasyPrint hits its recursion
    limit on trpl's 848 of them."""
    kind, data = block
    if kind == "end":
        return "</div>"
    if kind == "listing":
        caption = " ".join(x for x in (f"Listing {data.number}:" if data.number else "", data.caption) if x)
        return f'<div class="listing"><p>{caption}</p>' if caption else '<div class="listing">'
    return f'<div class="callout {data.kind}"><p>{data.title}</p>' if data.title else f'<div class="callout {data.kind}">'


class Book:
    def __init__(self, name: str, root: Path, label: str, fmt: str):
        self.name, self.root, self.label, self.fmt = name, root, label, fmt
        self.results: dict[str, list[dict]] = {}
        self.pages: dict[str, int | None] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", default="bench,small,trpl", help="which books (comma-separated)")
    parser.add_argument("--pages", type=int, default=600, help="size of the generated bench book")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--spindle", default=str(Path(sys.executable).parent / "spindle"))
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument("--no-pandoc", action="store_true", help="skip the pandoc comparison")
    parser.add_argument("--single-pass", action="store_true",
                        help="also the single-pass render of the bench book (spindle build pdf --single-pass), "
                             "issue 7's memory baseline")
    parser.add_argument("--large", type=int, default=0, metavar="PAGES",
                        help="also build all editions of a generated book of PAGES pages once, for its peak memory")
    parser.add_argument("--keep", type=Path, help="build the books here (kept) instead of a temporary folder")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="spindle-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}  # as an author builds: dated now
    spindle = [args.spindle]
    wanted = [b.strip() for b in args.books.split(",") if b.strip()]
    skipped: list[str] = []
    books: list[Book] = []
    for name in wanted:
        if name == "bench":
            root = generate(work / "bench", args.pages).parent
            books.append(Book("bench", root, f"synthetic book of about {args.pages} pages (bench/generate.py)", "markdown"))
        elif name in ("trpl", "small"):
            found = (prepare_trpl if name == "trpl" else prepare_small)(work, spindle, env)
            if isinstance(found, str):
                skipped.append(f"{name}: {found}")
                print(f"{name}: {found}", file=sys.stderr)
                continue
            label = ("The Rust Programming Language (mdBook, code-heavy; corpus `trpl`)" if name == "trpl" else
                     "the mdBook guide cut before its Theme entry (corpus `mdbook-guide`, trimmed)")
            books.append(Book(name, found, label, "gfm+footnotes"))
        else:
            raise SystemExit(f"--books: unknown book '{name}' (bench, small, trpl)")

    pandoc = None if args.no_pandoc else shutil.which("pandoc")
    if not pandoc and not args.no_pandoc:
        message = ("pandoc is not installed: the comparison with pandoc → WeasyPrint is skipped "
                   "(install it: apt-get install pandoc)")
        skipped.append(message)
        print(message, file=sys.stderr)
    weasy = Path(sys.executable).parent / "weasyprint"
    plans = {book.name: plan(book, spindle, pandoc, weasy, args) for book in books}
    # spindle's modules as an installed copy has them, compiled (pip compiles a package it installs; an
    # editable install under PYTHONDONTWRITEBYTECODE, as on the bench machine, compiled every module
    # anew in every process: ~0.15 s of CPU a build). Its dependencies are compiled by pip already.
    import importlib.util

    package = Path(importlib.util.find_spec("spindle").origin).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)

    for i in range(args.runs):  # round by round: every build of every book once, then again
        for book in books:
            for name, cmd, before in plans[book.name]:
                if before:
                    before(i)
                result = measure(cmd, book.root, env)
                book.results.setdefault(name, []).append(result)
                print(f"round {i + 1} {book.name:<6} {name:<40} wall {result['wall']:7.2f} s  cpu {result['cpu']:7.2f} s",
                      file=sys.stderr)
        for book in books:
            for undo in _restores.get(book.name, []):
                undo()

    for book in books:
        if book.results.get("spindle all (cold)"):
            clean(book.root)
            subprocess.run(spindle + ["build", "all", "-q"], cwd=book.root, env=env, check=True, capture_output=True)
            book.pages = {"pdf": _pages(book.root / "build", ".pdf", "-print.pdf", "-cover.pdf", "-imposed.pdf"),
                          "print": _pages(book.root / "build", "-print.pdf"),
                          "pandoc": _pages(book.root, "pandoc.pdf")}

    large = None
    if args.large:
        big = generate(work / f"large-{args.large}", args.large).parent
        clean(big)
        result = measure(spindle + ["build", "all", "-q"], big, env)
        large = (args.large, result, _pages(big / "build", ".pdf", "-print.pdf", "-cover.pdf", "-imposed.pdf"))

    text = table(books, args, skipped, large)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


_restores: dict[str, list] = {}


def plan(book: Book, spindle: list[str], pandoc: str | None, weasy: Path, args) -> list[tuple]:
    """(name, command, what to do before it) for one round of *book*'s builds."""
    root = book.root
    steps: list[tuple] = [
        ("spindle all (cold)", spindle + ["build", "all", "-q"], lambda i: clean(root)),
        ("spindle pdf (cold)", spindle + ["build", "pdf", "-q"], lambda i: clean(root)),
        ("spindle epub (cold)", spindle + ["build", "epub", "-q"], lambda i: clean(root)),
    ]
    if book.name == "bench":
        manuscript = sorted((root / "manuscript").glob("*.md"))
        chapter = manuscript[len(manuscript) // 2]
        css = root / "styles" / "custom.css"
        original, css_original = chapter.read_text(encoding="utf-8"), css.read_text(encoding="utf-8")

        def edit_chapter(i: int) -> None:
            chapter.write_text(original + f"\nAn added sentence, edit number {i}.\n", encoding="utf-8")

        def edit_css(i: int) -> None:
            css.write_text(css_original + f"\nh2 {{ letter-spacing: 0.0{i + 1}em; }}\n", encoding="utf-8")

        def edit_css_narrow(i: int) -> None:  # after edit_css: a rule only the interview chapter's elements match
            css.write_text(css_original + f"\nh2 {{ letter-spacing: 0.0{i + 1}em; }}\n"
                           f".speaker {{ letter-spacing: 0.0{i + 1}em; }}\n", encoding="utf-8")

        def restore() -> None:
            chapter.write_text(original, encoding="utf-8")
            css.write_text(css_original, encoding="utf-8")

        _restores.setdefault(book.name, []).append(restore)
        # the no-op and the edits follow the cold `build all` of the same round (no extra build)
        steps.insert(1, ("spindle all (no-op rebuild)", spindle + ["build", "all", "-q"], None))
        steps.insert(2, ("spindle pdf (one chapter edited)", spindle + ["build", "pdf", "-q"], edit_chapter))
        steps.insert(3, ("spindle pdf (one CSS rule edited)", spindle + ["build", "pdf", "-q"], edit_css))
        steps.insert(4, (NARROW, spindle + ["build", "pdf", "-q"], edit_css_narrow))
        steps[5] = ("spindle pdf (cold)", spindle + ["build", "pdf", "-q"], lambda i: (restore(), clean(root)))
        if args.single_pass:
            steps.append(("spindle pdf (cold, --single-pass)", spindle + ["build", "pdf", "-q", "--single-pass"],
                          lambda i: clean(root)))
    if pandoc:
        if book.name == "bench":
            chapters = [str(p) for p in sorted((root / "manuscript").glob("*.md"))]
            folders = [str(root / "manuscript")]
        else:
            chapters, folders = pandoc_sources(root)
        html, pdf, epub = root / "pandoc.html", root / "pandoc.pdf", root / "pandoc.epub"
        title = f"--metadata=title={book.name}"
        resources = "--resource-path=" + ":".join(folders)
        quoted = " ".join(f'"{c}"' for c in chapters)
        script = (f'"{pandoc}" -s "{title}" -f {book.fmt} -t html5 -o "{html}" {resources} {quoted} '
                  f'&& "{weasy}" "{html}" "{pdf}"')
        steps.append((PDF, ["sh", "-c", script], None))
        steps.append((EPUB, [pandoc, title, "-f", book.fmt, "-o", str(epub), resources, *chapters], None))
    return steps


def _pages(folder: Path, suffix: str, *unless: str) -> int | None:
    """Page count of the PDF in *folder* whose name ends with *suffix* (and none of *unless*)."""
    for path in sorted(folder.glob("*.pdf")):
        if path.name.endswith(suffix) and not any(path.name.endswith(u) for u in unless):
            out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True)
            for line in out.stdout.splitlines():
                if line.startswith("Pages:"):
                    return int(line.split()[1])
    return None


def table(books: list[Book], args, skipped: list[str], large=None) -> str:
    lines = [f"Medians of {args.runs} runs, interleaved round by round; {platform.machine()}, {os.cpu_count()} cores, "
             f"Python {platform.python_version()}, load average at the end {os.getloadavg()[0]:.1f}. "
             "Ratios: to pandoc → WeasyPrint's PDF of the same book in the same run (EPUB builds: also to "
             "pandoc's EPUB), by wall time and by CPU time (user + system of all processes).", ""]
    lines += [f"- {s}" for s in skipped]
    lines += ["", "| book | run | wall (s) | CPU (s) | peak RSS, all processes (MiB) | ratio to pandoc PDF (wall) "
              "| ratio to pandoc PDF (CPU) | ratio to pandoc EPUB (wall) |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    medians: dict[tuple[str, str], dict] = {}
    for book in books:
        for name, runs in book.results.items():
            medians[(book.name, name)] = median(runs)
    for book in books:
        base, ebase = medians.get((book.name, PDF)), medians.get((book.name, EPUB))
        for name in book.results:
            r = medians[(book.name, name)]
            ratio = f"{r['wall'] / base['wall']:.2f}×" if base else ""
            cpu = f"{r['cpu'] / base['cpu']:.2f}×" if base else ""
            eratio = f"{r['wall'] / ebase['wall']:.2f}×" if ebase and "epub" in name else ""
            lines.append(f"| {book.name} | {name} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['tree_mib']:.0f} | "
                         f"{ratio} | {cpu} | {eratio} |")
    lines += ["", "Books:", ""]
    for book in books:
        counts = ", ".join(f"{label}: {book.pages.get(key)}" for key, label in
                           (("pdf", "screen PDF (A5) pages"), ("print", "print pages"), ("pandoc", "pandoc → WeasyPrint (A4) pages"))
                           if book.pages.get(key))
        lines.append(f"- {book.name}: {book.label}; {counts}")
    if large:
        size, result, count = large
        lines.append(f"- spindle all (cold), generated {size}-page book ({count} screen pages), one run: "
                     f"wall {result['wall']:.1f} s, CPU {result['cpu']:.1f} s, peak RSS {result['tree_mib']:.0f} MiB")
    lines += ["", *targets(medians)]
    return "\n".join(lines)


def targets(medians: dict) -> list[str]:
    """Issue 16's targets, each with its measured value and whether it is met."""
    rows: list[str] = []

    def get(book: str, name: str, key: str = "wall"):
        found = medians.get((book, name))
        return found[key] if found else None

    def ratio(book: str, name: str, base: str = PDF):
        value, of = get(book, name), get(book, base)
        return value / of if value is not None and of else None

    def target(label: str, value, limit, unit: str = "×") -> None:
        if value is None:
            rows.append(f"- {label}: not measured")
            return
        shown = f"{value:.2f}{unit}" if unit == "×" else f"{value:.2f} {unit}"
        rows.append(f"- {label}: {shown} — {'met' if value <= limit else 'NOT met'}")

    target("bench book, spindle all (cold) ≤ 0.75 × pandoc → WeasyPrint", ratio("bench", "spindle all (cold)"), 0.75)
    target("bench book, pdf after a CSS edit ≤ 0.5 ×", ratio("bench", "spindle pdf (one CSS rule edited)"), 0.5)
    narrow = ratio("bench", NARROW)
    rows.append("- bench book, pdf after a CSS edit reaching one chapter (`.speaker`, no target): "
                + ("not measured" if narrow is None else f"{narrow:.2f}×"))
    target("bench book, pdf after a one-chapter edit ≤ 0.1 ×", ratio("bench", "spindle pdf (one chapter edited)"), 0.1)
    target("bench book, no-op rebuild ≤ 1 s", get("bench", "spindle all (no-op rebuild)"), 1.0, "s")
    target("bench book, epub (cold) ≤ 0.25 × pandoc's EPUB", ratio("bench", "spindle epub (cold)", EPUB), 0.25)
    peak = get("bench", "spindle all (cold)", "tree_mib")
    rows.append(f"- bench book, peak RSS of spindle all (cold), all processes: "
                f"{'not measured' if peak is None else f'{peak:.0f} MiB'} (no higher than before: compare)")
    target("trpl, spindle all (cold) ≤ 1.0 ×", ratio("trpl", "spindle all (cold)"), 1.0)
    target("small book (about 40 pages), spindle all (cold) ≤ 1.5 ×", ratio("small", "spindle all (cold)"), 1.5)
    return ["Targets (issue 16, wall-time ratios):", ""] + rows


if __name__ == "__main__":
    main()
