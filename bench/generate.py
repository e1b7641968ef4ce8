"""Generate a realistic synthetic book project of about N printed pages.

    python bench/generate.py OUT_DIR --pages 600

Chapters of prose with footnotes, a table and a figure each, one interview,
Dutch and English chapters, deterministic for a given size."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

WORDS_PER_PAGE = 420  # A5, 10.5 pt Libertine, with headings and notes (measured)
EN = ("civil society organisations funders partners trust power collaboration network activists "
      "entrepreneurs grantees accountability resources legitimacy learning risk coalition community "
      "movement programme evaluation dialogue capacity local global southern northern platform data "
      "attention reputation time knowledge money governance alliance strategy influence change the of "
      "and to in that is for with as on by it are this be from at not but have they which or their").split()
NL = ("maatschappelijke organisaties financiers partners vertrouwen macht samenwerking netwerk activisten "
      "ondernemers verantwoording middelen legitimiteit leren risico coalitie gemeenschap beweging programma "
      "de het een en van in dat is voor met als op door niet maar zij die of hun wij ook meer").split()
FIGURE = """<svg xmlns="http://www.w3.org/2000/svg" width="600" height="300" viewBox="0 0 600 300">
<title>Bench figure</title><rect x="10" y="10" width="580" height="280" fill="#f3efe7" stroke="#8a2432"/>
<circle cx="300" cy="150" r="90" fill="none" stroke="#8a2432" stroke-width="4"/>
<text x="300" y="158" text-anchor="middle" font-family="sans-serif" font-size="24">Figure</text></svg>
"""


def sentence(rng: random.Random, vocab: list[str]) -> str:
    words = [rng.choice(vocab) for _ in range(rng.randint(9, 24))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.15:
        words[rng.randrange(len(words))] = f'"{rng.choice(vocab)}"'
    return " ".join(words) + rng.choice([".", ".", ".", "?"])


def paragraph(rng: random.Random, vocab: list[str], words: int) -> str:
    out, count = [], 0
    while count < words:
        s = sentence(rng, vocab)
        out.append(s)
        count += len(s.split())
    return " ".join(out)


def _title(rng: random.Random, vocab: list[str], words: int) -> str:
    """A heading's words: a short paragraph without quotes or closing punctuation (safe in YAML)."""
    return paragraph(rng, vocab, words).replace('"', "").rstrip(".?")


def chapter(rng: random.Random, number: int, words: int, lang: str) -> str:
    vocab = NL if lang == "nl" else EN
    parts = [f"---\ntitle: \"{'Hoofdstuk' if lang == 'nl' else 'Chapter'} {number}: {_title(rng, vocab, 4)}\"\n"
             f"lang: {lang}\n---\n"]
    written, notes, section = 0, 0, 0
    while written < words:
        if written // 900 >= section:
            section += 1
            parts.append(f"\n## {_title(rng, vocab, 3)} {section}\n")
        text = paragraph(rng, vocab, rng.randint(80, 160))
        if rng.random() < 0.25:
            notes += 1
            text += f"[^n{notes}]"
            parts.append(text + "\n")
            parts.append(f"[^n{notes}]: {paragraph(rng, vocab, rng.randint(12, 40))}\n")
        else:
            parts.append(text + "\n")
        written += len(text.split())
        if section == 2 and "| Actor" not in "".join(parts):
            parts.append("\n| Actor | Resources | Legitimacy |\n|---|---|---|\n| NGOs | high | medium |\n| Activists | low | high |\n")
    parts.append('\n![A schematic figure used by the benchmark](figure.svg "Figure. A benchmark figure")\n')
    return "\n".join(parts)


def interview(rng: random.Random, words: int) -> str:
    head = ("---\ntitle: \"An interview\"\nkind: interview\nlang: en\nstandfirst: \"A conversation.\"\n"
            "speakers:\n  Q: {role: \"Interviewer\", short: \"Q\", interviewer: true}\n"
            "  A: {role: \"Director of a network\", short: \"A\"}\n---\n")
    turns, written = [], 0
    while written < words:
        q = sentence(rng, EN)
        a = paragraph(rng, EN, rng.randint(60, 140))
        turns += [f"Q: {q}\n", f"A: {a}\n"]
        written += len(q.split()) + len(a.split())
    return head + "\n".join(turns)


def generate(out: Path, pages: int, seed: int = 2018) -> Path:
    rng = random.Random(seed)
    manuscript = out / "manuscript"
    manuscript.mkdir(parents=True, exist_ok=True)
    (manuscript / "figure.svg").write_text(FIGURE, encoding="utf-8")
    total = pages * WORDS_PER_PAGE
    n_chapters = max(3, pages // 25)
    per = total // n_chapters
    files = []
    for i in range(1, n_chapters + 1):
        name = f"{i:03d}-chapter.md"
        if i == 3:
            (manuscript / name).write_text(interview(rng, per), encoding="utf-8")
        else:
            lang = "nl" if i % 7 == 0 else "en"
            (manuscript / name).write_text(chapter(rng, i, per, lang), encoding="utf-8")
        files.append(f"manuscript/{name}")
    listing = ",\n  ".join(f'"{f}"' for f in files)
    (out / "book.toml").write_text(
        f'[book]\ntitle = "Benchmark Book of {pages} Pages"\nauthors = ["The Bench"]\nlanguage = "en"\n'
        f'date = "2018-10-11"\n\n[contents]\nchapters = [\n  {listing},\n]\n', encoding="utf-8")
    (out / "styles").mkdir(exist_ok=True)
    (out / "styles" / "custom.css").write_text(":root { --colour-accent: #8a2432; }\n", encoding="utf-8")
    return out / "book.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--seed", type=int, default=2018)
    args = parser.parse_args()
    print(generate(args.out, args.pages, args.seed))


if __name__ == "__main__":
    main()
