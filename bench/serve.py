"""Measure the designer's loop of `spindle serve`: stylesheet saved -> the page in view updated.

    python bench/serve.py [--pages 600] [--runs 3] [--books sample,bench] [--out FILE]

For the sample book (this repository's project) and the generated bench book, a `spindle serve`
is started on a copy, its /pdf view opened in Debian's chromium (Playwright; scripts/setup.sh
installs both) and scrolled to the middle page. Then, *runs* times, styles/custom.css is saved
with a new body text colour, and two times are taken in the browser: until the image of the page
in view shows the new layout (the part holding it laid out first), and until the whole PDF is
rebuilt (the rest followed). Each run waits for the previous rebuild to finish. Prints a Markdown
table (medians and every run) with the load average before and after."""

from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def sample(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "book.toml", dest / "book.toml")
    for name in ("manuscript", "templates", "styles"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name)
    return dest


class Serve:
    """`spindle serve --port 0 -v` in *root*, its output kept."""

    def __init__(self, root: Path):
        self.output: list[str] = []
        lines: queue.Queue[str] = queue.Queue()
        self.proc = subprocess.Popen([sys.executable, "-m", "spindle", "serve", "--port", "0", "-v"], cwd=root,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     env=dict(os.environ),
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

        def read():
            for line in self.proc.stdout:
                self.output.append(line)
                lines.put(line)

        threading.Thread(target=read, daemon=True).start()
        while True:
            line = lines.get(timeout=120)
            found = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
            if found:
                self.url = found.group(1)
                return

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def state(tab, serve: Serve) -> dict:
    return tab.request.get(serve.url + "_state").json()


def measure(root: Path, runs: int, browser, log) -> dict:
    css = root / "styles" / "custom.css"  # (made before the preview starts: it follows styles/ if it is there)
    css.parent.mkdir(exist_ok=True)
    original = css.read_text(encoding="utf-8") if css.is_file() else ""
    css.write_text(original, encoding="utf-8")
    serve = Serve(root)
    tab = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        start = time.monotonic()
        tab.goto(serve.url + "pdf")
        tab.wait_for_selector(".spindle-pages[data-pages]", timeout=3_600_000)  # the first build: cold
        log(f"  first build: {time.monotonic() - start:.1f} s")
        box = tab.locator(".spindle-pages")
        pages = int(box.get_attribute("data-pages"))
        middle = pages // 2
        tab.evaluate("n => document.querySelector(`img[data-page='${n}']`).scrollIntoView({block: 'center'})", middle)
        tab.wait_for_function("n => { const i = document.querySelector(`img[data-page='${n}']`);"
                              " return i.complete && i.naturalWidth > 0; }", arg=middle)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            viewed = state(tab, serve)["pdf"]["pdf"]["viewing"]
            if viewed and abs(viewed - middle) <= 4:
                break
            time.sleep(0.05)
        else:
            raise SystemExit("the page view did not report the page in view")
        image = f"img[data-page='{viewed}']"
        first, whole, parts, cpu = [], [], [], []
        for run in range(runs):
            generation = box.get_attribute("data-generation")
            lines = len(serve.output)
            saved = time.monotonic()
            css.write_text(original + f"\nbody {{ color: rgb(0, {60 + 30 * run}, 160); }}\n", encoding="utf-8")
            tab.wait_for_function("s => { const i = document.querySelector(s); return i.getAttribute('src')"
                                  ".includes('&e=') && i.complete && i.naturalWidth > 0; }", arg=image,
                                  timeout=600_000)
            first.append(time.monotonic() - saved)
            tab.wait_for_function("g => document.querySelector('.spindle-pages').getAttribute('data-generation')"
                                  " !== g", arg=generation, timeout=3_600_000)
            whole.append(time.monotonic() - saved)
            said = re.search(r"pages (\d+)-(\d+) \((\S+)\) laid out first, in ([\d.]+) s \(([\d.]+) s of CPU\)",
                             "".join(serve.output[lines:]))
            parts.append(f"{said.group(3)}, pages {said.group(1)}-{said.group(2)}" if said else "?")
            cpu.append(float(said.group(5)) if said else float("nan"))
            log(f"  run {run + 1}: page {viewed} in {first[-1]:.2f} s ({parts[-1]}, laid out in {cpu[-1]:.2f} s of CPU),"
                f" whole PDF in {whole[-1]:.1f} s; load {os.getloadavg()[0]:.1f}")
        return {"pages": pages, "viewed": viewed, "first": first, "whole": whole, "parts": parts, "cpu": cpu}
    finally:
        tab.close()
        css.write_text(original, encoding="utf-8")
        serve.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=600, help="pages of the generated bench book")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--books", default="sample,bench")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for name in args.books.split(","):
                log(f"{name} book:")
                root = sample(Path(tmp) / "sample") if name == "sample" else generate(Path(tmp) / "bench", args.pages).parent
                result = measure(root, args.runs, browser, log)
                rows.append((name, result))
        finally:
            browser.close()
    load_after = os.getloadavg()
    out = ["| book | PDF pages | page in view | runs | save → page in view updated (s), median | each run (s) "
           "| CPU of the part laid out first (s), median | save → whole PDF rebuilt (s), median | each run (s) "
           "| part laid out first |",
           "|---|---:|---:|---:|---:|---|---:|---:|---|---|"]
    for name, r in rows:
        out.append(f"| {name} | {r['pages']} | {r['viewed']} | {len(r['first'])} | {statistics.median(r['first']):.2f} "
                   f"| {', '.join(f'{v:.2f}' for v in r['first'])} | {statistics.median(r['cpu']):.2f} "
                   f"| {statistics.median(r['whole']):.1f} "
                   f"| {', '.join(f'{v:.1f}' for v in r['whole'])} | {r['parts'][0]} |")
    out.append("")
    out.append(f"Load average (1, 5, 15 min) before: {', '.join(f'{v:.2f}' for v in load_before)}; "
               f"after: {', '.join(f'{v:.2f}' for v in load_after)}; {os.cpu_count()} CPUs.")
    text = "\n".join(out)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
