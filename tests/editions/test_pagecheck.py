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
