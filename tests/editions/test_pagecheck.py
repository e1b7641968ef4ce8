"""The page checks of tests/pagecheck.py find what they look for: a PDF laid out wrong on purpose
(an image and a line past the text block, a note on the page after its call, a caption on the page
after its figure, another before its listing) and the same PDF laid out right."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import pagecheck

pytest.importorskip("pdfplumber")

MARGINS = (20.0, 15.0, 20.0, 15.0)  # mm: top, inside, bottom, outside
PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC")
FILL = "<p>" + "Words to fill the page with, line after line of them. " * 12 + "</p>"


@dataclass(frozen=True)
class Note:
    number: int
    html: str


@dataclass(frozen=True)
class Chapter:
    display: str
    html: str
    notes: tuple = ()


def _pdf(tmp_path, body: str, name: str):
    from weasyprint import HTML

    css = ("@page { size: A5; margin: 20mm 15mm; } body { font: 10pt serif; margin: 0; } "
           "sup { font-size: 6pt; } .note { font-size: 8pt; } pre { font: 8pt monospace; }")
    path = tmp_path / f"{name}.pdf"
    HTML(string=f"<html><head><style>{css}</style></head><body>{body}</body></html>").write_pdf(path)
    return pagecheck.scan(path, MARGINS)


FIGURE = f'<figure><img src="{PNG}" style="width: 40mm; height: 20mm" alt=""/><figcaption>A figure caption that must stay</figcaption></figure>'
LISTING = ('<figure class="listing"><figcaption>Listing 1: a listing caption above its code</figcaption>'
           '<pre>let listing_body = 1;\nlet more = 2;</pre></figure>')
NOTE = Note(1, "<p>The text of the note that belongs with its call.</p>")


def test_the_checks_find_what_is_wrong(tmp_path):
    wrong = (f'<p>Text with a call<sup>1</sup> at the end of the page.</p>'
             f'<p style="margin-left: -30mm">A line that starts in the margin.</p>'
             f'<img src="{PNG}" style="display: block; width: 125mm; height: 5mm" alt=""/>'
             f'<figure><img src="{PNG}" style="width: 40mm; height: 20mm" alt=""/>'
             f'<figcaption style="break-before: page">A figure caption that must stay</figcaption></figure>'
             f'<p class="note">1. The text of the note that belongs with its call.</p>'
             f'{FILL}{FILL}{FILL}'
             '<figure class="listing"><figcaption>Listing 1: a listing caption above its code</figcaption>'
             '<pre style="break-before: page">let listing_body = 1;\nlet more = 2;</pre></figure>')
    scanned = _pdf(tmp_path, wrong, "wrong")
    chapter = Chapter("wrong.md", FIGURE + LISTING, (NOTE,))
    assert any("'A'" in o for o in scanned.outside) and any("image" in o for o in scanned.outside)
    notes = pagecheck.displaced_notes(scanned, [chapter])
    assert len(notes) == 1 and "note 1 is on page 2" in notes[0], notes
    parted = pagecheck.separated_captions(scanned, [chapter])
    assert len(parted) == 2 and "below it" in parted[1] and "above it" in parted[0], parted


def test_the_checks_pass_a_right_pdf(tmp_path):
    right = (f'<p>Text with a call<sup>1</sup> near the top of the page.</p>{FIGURE}'
             f'<p class="note">1. The text of the note that belongs with its call.</p>{LISTING}')
    scanned = _pdf(tmp_path, right, "right")
    chapter = Chapter("right.md", FIGURE + LISTING, (NOTE,))
    assert scanned.outside == []
    assert pagecheck.displaced_notes(scanned, [chapter]) == []
    assert pagecheck.separated_captions(scanned, [chapter]) == []


def test_notes_that_open_alike_are_told_apart(tmp_path):
    # selinux-notebook's embedded_systems.md: notes 2 and 3 open with the same 32 letters and sit on
    # consecutive pages, each with its call; note 3 was taken for the note on note 2's page
    first = Note(1, "<p>The policy store holds policy modules in package format.</p>")
    second = Note(2, "<p>The policy store holds policy modules as compressed text files.</p>")
    body = (f'<p>A first call<sup>1</sup> here.</p>{FILL}<p class="note">1. The policy store holds policy modules in '
            f'package format.</p><p style="break-before: page">A second call<sup>2</sup> here.</p>{FILL}'
            f'<p class="note">2. The policy store holds policy modules as compressed text files.</p>')
    scanned = _pdf(tmp_path, body, "alike")
    assert pagecheck.displaced_notes(scanned, [Chapter("alike.md", "", (first, second))]) == []
    # the same notes on the wrong pages are still found
    swapped = body.replace('<p style="break-before: page">A second', '<p>A second').replace(
        '<p class="note">1.', '<p class="note" style="break-before: page">1.')
    scanned = _pdf(tmp_path, swapped, "alike-wrong")
    problems = pagecheck.displaced_notes(scanned, [Chapter("alike.md", "", (first, second))])
    assert len(problems) == 1 and "note 1 is on page 2" in problems[0], problems
