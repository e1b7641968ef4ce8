"""The docs cannot drift from the code: docs/config.md and docs/cli.md are what
scripts/gen_docs.py generates from the config schema and the commands' --help;
docs/css.md lists every custom property the theme declares and every class the
templates and the Markdown stage emit (read from rendered output), and the
stylesheets of each edition; docs/manuscript.md lists every lint code and
front-matter key; every link between the docs resolves."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from pathlib import Path

import pytest

from spindle.cli import refdocs

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
THEME = ROOT / "src" / "spindle" / "theme"


@pytest.mark.parametrize("name", ["config.md", "cli.md"])
def test_generated_docs_are_current(name):
    generated = refdocs.generated()[name]
    assert (DOCS / name).read_text(encoding="utf-8") == generated, \
        f"docs/{name} is out of date: run .venv/bin/python scripts/gen_docs.py"


def test_config_reference_lists_every_key():
    from spindle.project.config import Config, Entry, SpeakerEntry
    from spindle.project.schema import describe

    text = (DOCS / "config.md").read_text(encoding="utf-8")
    for key, _, help_text in describe(Config):
        assert f"| `{key}` |" in text and help_text in text
    for key, _, _ in describe(Entry):
        assert f"| `{key}` |" in text
    for key, _, _ in describe(SpeakerEntry):
        assert f"| `speakers.NAME.{key}` |" in text


def test_cli_reference_shows_every_command_and_option():
    from spindle.cli import main

    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        assert f"## `spindle {name}`" in text
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert opt in text, f"spindle {name} {opt}"


# --- docs/css.md ------------------------------------------------------------------------------------

def documented_classes() -> tuple[set[str], list[re.Pattern]]:
    """`.name` entries of docs/css.md; names with an upper-case part (`.kind-KIND`) are patterns."""
    names = set(re.findall(r"`\.([A-Za-z][\w-]*)`", (DOCS / "css.md").read_text(encoding="utf-8")))
    exact = {n for n in names if n == n.lower()}
    patterns = [re.compile("^" + re.sub(r"[A-Z]+", "[a-z0-9-]+", n) + "$") for n in names - exact]
    return exact, patterns


def is_documented(name: str, exact: set[str], patterns: list[re.Pattern]) -> bool:
    return name in exact or any(p.match(name) for p in patterns)


def classes_in(markup: str) -> set[str]:
    return {c for value in re.findall(r'\sclass="([^"]*)"', markup) for c in value.split()}


def template_classes() -> set[str]:
    """Class names written literally in the theme's templates (Jinja comments aside); a Jinja
    expression in a class is read as its quoted words, or as a pattern's placeholder."""
    found = set()
    for path in (THEME / "templates").rglob("*"):
        if path.suffix not in (".html", ".xhtml", ".svg"):
            continue
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        for value in re.findall(r'\sclass="([^"]*)"', text):
            for quoted in re.findall(r"\{\{(.*?)\}\}", value):
                found.update(re.findall(r"'([\w-]+)'", quoted))
            for word in re.sub(r"\{\{.*?\}\}", "X", value).split():
                if word != "X":
                    found.add(word.replace("X", "placeholder"))
    return found


FEATURES = """\
---
title: Features
kind: interview
timestamps: true
speakers:
  Q: {role: "Interviewer", interviewer: true}
  A: {role: "A guest", name: "Ann"}
---
{data-start="0:00:05"}
Q: A question, with a note.[^1] [laughs]

{data-start="0:00:09"}
A: An answer that calls the same note again.[^1]

A paragraph continuing the answer. ![A remote picture](https://example.org/a.png)

::: pullquote
A quote.
:::

::: box
A box.
:::

::: note
A note.
:::

::: full-bleed
![A picture](dot.png)
:::

<center>Centred the old way.</center>

[^1]: The note.
"""


@pytest.fixture(scope="module")
def emitted(tmp_path_factory) -> set[str]:
    """Every class in the rendered output: the sample book's paged HTML (pdf, print), its EPUB
    chapters, its cover (the EPUB's navigation: see the template test); and a chapter using every Markdown feature that adds a class."""
    from PIL import Image

    from spindle.editions.print import cover
    from spindle.theme import render
    from spindle.project.config import load
    from spindle.manuscript.load import load_book
    from spindle.theme import Theme

    found: set[str] = set()
    sample = load(ROOT / "book.toml")
    root = tmp_path_factory.mktemp("features")
    (root / "manuscript").mkdir()
    (root / "manuscript" / "01.md").write_text(FEATURES, encoding="utf-8")
    Image.new("RGB", (4, 4)).save(root / "manuscript" / "dot.png")
    (root / "book.toml").write_text(textwrap.dedent("""\
        [book]
        title = "Features"
        [contents]
        chapters = [{ title = "A part", chapters = ["manuscript/01.md"] }]
        """), encoding="utf-8")
    for project in (sample, load(root / "book.toml")):
        book, theme = load_book(project), Theme(project)
        for edition in ("pdf", "print"):
            found |= classes_in(render.paged_html(book, edition, theme, 0))
        for chapter in book.chapters:
            found |= classes_in(render.epub_chapter(book, chapter, theme, [], 0))
        found |= classes_in(cover.html(book, theme, cover.spine_for(book, 120), 0))
    return found


def test_every_class_the_output_carries_is_documented(emitted):
    exact, patterns = documented_classes()
    assert {"turn", "turn-cont", "time", "editorial", "noteref-again", "image-refused", "full-bleed", "center",
            "ean13", "qr", "part-title"} <= emitted  # the fixture reached what it meant to
    missing = sorted(c for c in emitted if not is_documented(c, exact, patterns))
    assert not missing, f"classes missing from docs/css.md: {missing}"


def test_every_class_in_the_templates_is_documented():
    exact, patterns = documented_classes()
    missing = sorted(c for c in template_classes() if not is_documented(c, exact, patterns))
    assert not missing, f"classes missing from docs/css.md: {missing}"


def test_every_custom_property_of_the_theme_is_documented():
    text = (DOCS / "css.md").read_text(encoding="utf-8")
    declared = set()
    for path in [*(THEME / "styles").glob("*.css"), THEME / "templates" / "page-settings.css"]:
        declared |= set(re.findall(r"(--[a-z][\w-]*)\s*:", path.read_text(encoding="utf-8")))
    assert {"--font-text", "--colour-accent", "--colour-paper", "--spine-width"} <= declared
    missing = sorted(p for p in declared if f"`{p}`" not in text)
    assert not missing, f"custom properties missing from docs/css.md: {missing}"


def test_the_stylesheets_per_edition_match_the_theme():
    from spindle.theme import CUSTOM, STYLESHEETS

    text = (DOCS / "css.md").read_text(encoding="utf-8")
    for edition, sheets in STYLESHEETS.items():
        row = re.search(rf"^\| `{edition}` \| (.*?) \|", text, re.M)
        assert row, f"no row for {edition}"
        listed = [s for s in re.findall(r"`([\w-]+\.css)`", row.group(1))]
        assert listed == [*sheets, CUSTOM], edition


# --- docs/manuscript.md -----------------------------------------------------------------------------

def test_every_lint_code_is_documented_with_its_level():
    from spindle.checks.lint import CODES

    text = (DOCS / "manuscript.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([A-Z]\d{3})` \| (error|warning) \|", text, re.M))
    assert rows == {code: entry.level for code, entry in CODES.items()}


def test_every_front_matter_key_is_documented():
    from spindle.manuscript.load import FrontMatter

    text = (DOCS / "manuscript.md").read_text(encoding="utf-8")
    for field in dataclasses.fields(FrontMatter):
        assert f"| `{field.name}` |" in text, field.name


# --- links ------------------------------------------------------------------------------------------

def test_links_between_the_docs_and_from_the_readme_resolve():
    pages = [ROOT / "README.md", *DOCS.glob("*.md")]
    for page in pages:
        prose = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)  # examples aside
        for target in re.findall(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)", prose):
            assert (page.parent / target).is_file(), f"{page.name} links to {target}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for doc in DOCS.glob("*.md"):
        assert f"(docs/{doc.name})" in readme, f"the README does not link docs/{doc.name}"
