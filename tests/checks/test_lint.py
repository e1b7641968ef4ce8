"""spindle check (manuscript lint): every code of spindle.checks.lint.CODES caught in a
fixture project, at its file and line, and nothing else (the fixture's correct
links, images, notes and turns raise nothing); the sample book lints clean."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from spindle.cli import run
from spindle.project.config import load
import wordfiles
from spindle.checks.lint import CODES, lint

ROOT = Path(__file__).resolve().parents[2]

FILES = {
    "01-links.md": """\
        ---
        title: Links
        ---
        {#start}
        ## Start

        Fine: [the headings chapter](06-headings.md), [its section](06-headings.md#two),
        [as a page](06-headings.html#two), [here](#start) and [a slug](#start).
        Broken: [a file](nowhere.md) and [an anchor](06-headings.md#no-such-place).
        [Not here either](#nothing-here). [Outside](https://example.org/) is fine.
        [Two hashes](https://example.org/#/a.md#b) is mended,
        [no host](https:///x) is not.
        """,
    "02-images.md": """\
        ---
        title: Images
        ---
        ## Pictures

        ![A real figure](figures/dot.png)

        ![](figures/dot.png)

        Inline ![a missing one](figures/missing.png) and
        ![](figures/gone.png).
        """,
    "03-notes.md": """\
        ---
        title: Notes
        ---
        A defined note.[^1] An undefined one.[^two] Escaped: \\[^x] and code `[^y]`.

        Another undefined,
        on a second line [^three].

        [^1]: Defined and used.

        [^unused]: Nobody refers to this.
        """,
    "04-front.md": """\
        ---
        title: Front matter
        subtitel: A typo
        colour: red
        ---
        Body.
        """,
    "05-bad-yaml.md": """\
        ---
        title: "unclosed
        ---
        Body.
        """,
    "10-untitled.md": """\
        Just a paragraph: no front matter and no heading to take a title from.
        """,
    "06-headings.md": """\
        ---
        title: Headings
        ---
        ## Two

        #### Four, skipping three

        ### Three is fine after four

        # One inside a chapter
        """,
    "07-interview.md": """\
        ---
        title: An interview
        kind: interview
        speakers:
          Q: {role: "Interviewer", interviewer: true}
          ANA: {role: "An activist"}
          SILENT: {role: "Never speaks"}
        ---
        Q: The first question?

        ANA: An answer.

        A paragraph continuing the answer.

        ANNA: A typo in the label.
        """,
    "09-dialects.md": """\
        ---
        title: Dialects
        ---
        ```rust
        {{#include code/missing.rs}}
        ```

        {{#include code/lib.rs:nowhere}}

        {{#frobnicate a thing}} is kept as text.

        <center>Old HTML</center> {% custom %}

        ![A remote picture](https://example.org/p.png) and [an empty link]().

        <Listing number="9-1" caption="Never closed">
        """,
}

TRANSCRIPT = """\
This opening line names nobody.

Alice: Hello Bob.
Bob: Hi Alice.
Carol: I am here too.
Alice: Welcome, Carol.
Carol: Thanks.
Bob: Indeed.
"""

TOML = """\
[book]
title = "Lint Fixture"

[contents]
chapters = [
  "manuscript/01-links.md", "manuscript/02-images.md", "manuscript/03-notes.md",
  "manuscript/04-front.md", "manuscript/05-bad-yaml.md", "manuscript/06-headings.md",
  "manuscript/07-interview.md", "manuscript/08-missing.md", "manuscript/09-dialects.md",
  "manuscript/10-untitled.md",
  "manuscript/foreword.docx",
  { file = "manuscript/wide.txt", title = "UTF-16", format = "text" },
  { file = "manuscript/talk.txt", title = "A talk", speakers = { Alice = "Host", Bob = "Guest", Dave = "Absent guest" } },
]
"""

# (file, line, code): everything the fixture must raise, and nothing more.
EXPECTED = {
    ("manuscript/01-links.md", 9, "L001"),
    ("manuscript/01-links.md", 9, "L002"),
    ("manuscript/01-links.md", 10, "L002"),
    ("manuscript/01-links.md", 11, "L004"),
    ("manuscript/01-links.md", 12, "L004"),
    ("manuscript/02-images.md", 8, "I002"),
    ("manuscript/02-images.md", 10, "I001"),
    ("manuscript/02-images.md", 11, "I001"),
    ("manuscript/02-images.md", 11, "I002"),
    ("manuscript/03-notes.md", 4, "N001"),
    ("manuscript/03-notes.md", 7, "N001"),
    ("manuscript/03-notes.md", 11, "N002"),
    ("manuscript/04-front.md", 3, "M001"),
    ("manuscript/04-front.md", 4, "M001"),
    ("manuscript/05-bad-yaml.md", 2, "M002"),
    ("manuscript/06-headings.md", 6, "H001"),
    ("manuscript/06-headings.md", 10, "H002"),
    ("manuscript/10-untitled.md", None, "H003"),
    ("manuscript/07-interview.md", 1, "T002"),
    ("manuscript/07-interview.md", 15, "T003"),
    ("manuscript/08-missing.md", None, "C001"),
    ("manuscript/foreword.docx", None, "W001"),
    ("manuscript/foreword.docx", 2, "W002"),
    ("manuscript/foreword.docx", 4, "W002"),
    ("manuscript/foreword.docx", None, "W003"),
    ("manuscript/foreword.docx", None, "W004"),
    ("manuscript/talk.txt", 1, "T004"),
    ("manuscript/talk.txt", 5, "T001"),
    ("manuscript/talk.txt", None, "T002"),
    ("manuscript/09-dialects.md", 5, "D002"),
    ("manuscript/09-dialects.md", 8, "D003"),
    ("manuscript/09-dialects.md", 10, "D001"),
    ("manuscript/09-dialects.md", 12, "X001"),
    ("manuscript/09-dialects.md", 12, "D001"),
    ("manuscript/09-dialects.md", 14, "I003"),
    ("manuscript/09-dialects.md", 14, "L003"),
    ("manuscript/09-dialects.md", 16, "D004"),
    ("manuscript/wide.txt", None, "T005"),
    ("styles/custom.css", 2, "S001"),
}


def make_fixture(root: Path) -> Path:
    from PIL import Image

    (root / "manuscript" / "figures").mkdir(parents=True)
    Image.new("RGB", (4, 4), (200, 0, 0)).save(root / "manuscript" / "figures" / "dot.png")
    for name, text in FILES.items():
        (root / "manuscript" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    (root / "manuscript" / "talk.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (root / "manuscript" / "code").mkdir()
    (root / "manuscript" / "code" / "lib.rs").write_text("// ANCHOR: here\nfn main() {}\n// ANCHOR_END: here\n")
    (root / "manuscript" / "wide.txt").write_bytes("Alice: Hello.\nBob: Hi.\n".encode("utf-16-le"))
    (root / "manuscript" / "foreword.docx").write_bytes(wordfiles.revised_document())
    (root / "styles").mkdir()
    (root / "styles" / "custom.css").write_text("p { color: red }\nh2 { color: blue;\n", encoding="utf-8")
    (root / "book.toml").write_text(TOML, encoding="utf-8")
    return root / "book.toml"


@pytest.fixture(scope="module")
def fixture_config(tmp_path_factory) -> Path:
    return make_fixture(tmp_path_factory.mktemp("lint"))


@pytest.fixture(scope="module")
def report(fixture_config):
    return lint(load(fixture_config))


def found(report, code: str) -> list:
    return [f for f in report.findings if f.code == code]


def test_the_fixture_raises_exactly_the_expected_findings(report):
    assert {(f.path, f.line, f.code) for f in report.findings} == EXPECTED


def test_every_code_is_caught_by_the_fixture(report):
    assert {f.code for f in report.findings} == set(CODES)


def test_codes_are_stable_and_well_formed():
    for code, entry in CODES.items():
        assert entry.code == code and entry.level in ("error", "warning") and entry.summary
        assert len(code) == 4 and code[0].isupper() and code[1:].isdigit()


# --- one test per code ----------------------------------------------------------------------------

def test_c001_unreadable_file(report):
    (finding,) = found(report, "C001")
    assert finding.path == "manuscript/08-missing.md" and "not found" in finding.message


def test_m001_unknown_front_matter_key_with_a_hint(report):
    typo, other = found(report, "M001")
    assert "'subtitel'" in typo.message and "did you mean 'subtitle'" in typo.message
    assert "'colour'" in other.message and "known keys" in other.message


def test_m002_invalid_front_matter(report):
    (finding,) = found(report, "M002")
    assert finding.path == "manuscript/05-bad-yaml.md" and "invalid YAML" in finding.message


def test_l001_link_to_a_file_that_is_no_chapter(report):
    (finding,) = found(report, "L001")
    assert "'nowhere.md'" in finding.message


def test_l002_link_to_a_missing_anchor(report):
    messages = sorted(f.message for f in found(report, "L002"))
    assert any("'06-headings.md#no-such-place'" in m and "no id 'no-such-place'" in m for m in messages)
    assert any("'#nothing-here'" in m for m in messages)
    assert len(messages) == 2  # the fine links (file, file#id, page#id, #id) raise nothing


def test_l004_web_link_that_is_no_valid_url(report):
    messages = sorted(f.message for f in found(report, "L004"))
    assert len(messages) == 2
    assert "'https://example.org/#/a.md%23b'" in messages[1], "a second '#' is percent-encoded"
    assert "'https:///x' is not a valid URL and cannot be mended; it became plain text" in messages[0]


def test_i001_missing_images(report):
    messages = [f.message for f in found(report, "I001")]
    assert any("'figures/missing.png' not found" in m for m in messages)
    assert any("'figures/gone.png' not found" in m for m in messages)


def test_i002_image_without_alt_text(report):
    lines = [f.line for f in found(report, "I002")]
    assert lines == [8, 11]  # the figure with alt text (line 6) is fine


def test_n001_reference_without_definition(report):
    messages = [f.message for f in found(report, "N001")]
    assert len(messages) == 2 and "'[^two]'" in messages[0] and "'[^three]'" in messages[1]
    # neither the escaped \[^x] nor `[^y]` in code counts


def test_n002_unused_definition(report):
    (finding,) = found(report, "N002")
    assert "'[^unused]'" in finding.message


def test_t001_transcript_speaker_not_in_the_map(report):
    (finding,) = found(report, "T001")
    assert finding.path == "manuscript/talk.txt" and "'Carol'" in finding.message


def test_t002_speakers_who_never_speak(report):
    messages = sorted(f.message for f in found(report, "T002"))
    assert any("'Dave'" in m for m in messages) and any("'SILENT'" in m for m in messages)


def test_t003_unknown_turn_label_in_an_interview(report):
    (finding,) = found(report, "T003")
    assert "'ANNA:'" in finding.message


def test_t004_turns_without_a_speaker(report):
    (finding,) = found(report, "T004")
    assert "1 turn(s) name no speaker" in finding.message


def test_h001_heading_skips_a_level(report):
    (finding,) = found(report, "H001")
    assert "level 4" in finding.message and "follows level 2" in finding.message


def test_h002_level_one_heading_in_a_chapter(report):
    (finding,) = found(report, "H002")
    assert finding.line == 10


def test_h003_a_file_without_a_heading_is_titled_after_its_name(report):
    (finding,) = found(report, "H003")
    assert finding.path == "manuscript/10-untitled.md" and "'Untitled'" in finding.message


# --- the command --------------------------------------------------------------------------------------

def test_check_prints_path_line_code_message_and_fails(fixture_config, capsys):
    assert run(["check", "--config", str(fixture_config)]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert "manuscript/01-links.md:9: L001 link 'nowhere.md' does not point to a chapter of this book" in lines[0]
    assert "manuscript/08-missing.md: C001 " in out
    assert len(lines) == len(EXPECTED)
    assert "error(s)" in err and "warning(s)" in err


def test_check_json(fixture_config, capsys):
    assert run(["check", "manuscript", "--format", "json", "--config", str(fixture_config)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == sum(1 for f in EXPECTED if CODES[f[2]].level == "error")
    assert {(f["path"], f["line"], f["code"]) for f in data["findings"]} == EXPECTED
    assert {f["level"] for f in data["findings"]} == {"error", "warning"}


def test_warnings_fail_only_with_strict(tmp_path, capsys):
    (tmp_path / "manuscript").mkdir()
    (tmp_path / "manuscript" / "01.md").write_text("---\ntitle: One\n---\n## A\n\n#### C\n", encoding="utf-8")
    (tmp_path / "book.toml").write_text('[book]\ntitle = "W"\n[contents]\nchapters = ["manuscript/01.md"]\n')
    assert run(["check", "--config", str(tmp_path / "book.toml")]) == 0
    assert "H001" in capsys.readouterr().out
    assert run(["check", "--strict", "--config", str(tmp_path / "book.toml")]) == 1


def test_the_sample_book_lints_clean(capsys):
    assert run(["check", "--strict", "--config", str(ROOT / "book.toml")]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_check_print_still_preflights(tmp_path, capsys):
    from printbook import chapter, write

    config = write(tmp_path, '[book]\ntitle = "Unbuilt"\n', {"01.md": chapter("One")})
    assert run(["check", "print", "--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "run 'spindle build print' first" in err


def test_a_book_without_chapters_is_a_configuration_error(tmp_path, capsys):
    (tmp_path / "book.toml").write_text('[book]\ntitle = "Empty"\n', encoding="utf-8")
    assert run(["check", "--config", str(tmp_path / "book.toml")]) == 2
    assert "contents: no manuscript files listed" in capsys.readouterr().err


def test_w001_to_w004_the_word_report(report):
    """A Word chapter's report, as findings: tracked changes counted, each comment with its author, text
    and paragraph, the unknown style and what it became, the dropped field."""
    (changes,) = found(report, "W001")
    assert "6 tracked change(s) accepted" in changes.message and "2 insertion(s), 2 deletion(s)" in changes.message
    comments = found(report, "W002")
    assert [(c.line, "Ada Editor" in c.message, "Check this figure" in c.message) for c in comments][0] == (2, True, True)
    assert "Bo Reviewer" in comments[1].message and "Too long; cut?" in comments[1].message
    assert "Partners wrote back within weeks." in comments[1].message
    (style,) = found(report, "W003")
    assert "'Director Note' became a plain paragraph" in style.message
    (field_,) = found(report, "W004")
    assert "PAGE" in field_.message
