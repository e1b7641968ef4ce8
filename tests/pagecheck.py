"""Issue 13's "What it must show", read from a built PDF with pdfplumber (not from spindle's own
layout records), shared by the page tests of the fixtures, the corpus chapters and the corpus books:

- :func:`scan` reads every page once: glyphs and images past the text block, each page's lines of
  text inside it and the images there, and the small superscript digit runs (footnote calls);
- :func:`displaced_notes`: every note's text is on a page that holds its call;
- :func:`separated_captions`: every figure, listing and table caption has a line (or the image) of
  what it captions beside it on its page, on the side the caption is written;
- :func:`font_problems`: .notdef glyphs and fonts not embedded (spindle's preflight reads the font
  programs; the tests of the preflight itself plant both).

The text block is book.toml's margins (``render.text_margins``) inside the TrimBox (the MediaBox when
there is none), the inside margin on the left of odd pages."""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

MM = 72 / 25.4
TOLERANCE = 1.0  # pt


def normalize(text: str) -> str:
    """Letters and digits only, lower-cased: immune to line breaks, hyphenation and spacing."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


@dataclass
class Line:
    top: float
    bottom: float
    text: str  # normalized


@dataclass
class Page:
    number: int  # 1-based
    lines: list[Line] = field(default_factory=list)  # inside the text block's height, top down
    images: list[tuple[float, float]] = field(default_factory=list)  # (top, bottom) of images in the block
    drawings: list[tuple[float, float]] = field(default_factory=list)  # (top, bottom) of vector shapes there
    calls: list[tuple[str, float]] = field(default_factory=list)  # superscript digit runs: (digits, top)

    @property
    def text(self) -> str:
        return "".join(line.text for line in self.lines)


@dataclass
class Scan:
    path: Path
    pages: list[Page]
    outside: list[str]  # "page N: 'x' at x …" for every glyph and image past the text block


def printed_numbers(path: Path) -> list[int | None]:
    """Each page's printed number, from the PDF's /PageLabels (a screen PDF made from the print
    layout leaves the blank print pages out, so its page 4 may be printed page 5); None: no label."""
    from pypdf import PdfReader

    labels = PdfReader(path).page_labels
    return [int(label) if label.isdigit() else None for label in labels]


def text_block(page, margins: tuple[float, float, float, float], number: int | None = None
               ) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of *page*'s text block in pdfplumber's coordinates; *margins* in mm
    (top, inside, bottom, outside); *number*: its printed number (its side of the spread), else its
    position."""
    top, inside, bottom, outside = margins
    media = [float(v) for v in page.page_obj.attrs["MediaBox"]]
    trim = [float(v) for v in page.page_obj.attrs.get("TrimBox", media)]
    x0, y0 = trim[0], float(page.bbox[1]) + media[3] - trim[3]
    width, height = trim[2] - trim[0], trim[3] - trim[1]
    left, right = (inside, outside) if (number or page.page_number) % 2 else (outside, inside)
    return (x0 + left * MM, y0 + top * MM, x0 + width - right * MM, y0 + height - bottom * MM)


def scan(path: Path, margins: tuple[float, float, float, float]) -> Scan:
    import pdfplumber

    pages, outside = [], []
    numbers = printed_numbers(path)
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            left, top, right, bottom = text_block(page, margins, numbers[page.page_number - 1])
            chars = page.chars
            for char in chars:
                if char["text"].strip() and (char["x0"] < left - TOLERANCE or char["x1"] > right + TOLERANCE):
                    outside.append(f"page {page.page_number}: {char['text']!r} at x {char['x0']:.1f}–{char['x1']:.1f}"
                                   f" (block {left:.1f}–{right:.1f})")
            trim_width = float(page.page_obj.attrs.get("TrimBox", page.page_obj.attrs["MediaBox"])[2]) - \
                float(page.page_obj.attrs.get("TrimBox", page.page_obj.attrs["MediaBox"])[0])
            found = Page(page.page_number)
            for image in page.images:
                if image["x1"] - image["x0"] >= trim_width - TOLERANCE:
                    continue  # a full-bleed image: meant to reach the trim
                if (image["x0"] < left - TOLERANCE or image["x1"] > right + TOLERANCE
                        or image["top"] < top - TOLERANCE or image["bottom"] > bottom + TOLERANCE):
                    outside.append(f"page {page.page_number}: image {image['srcsize']} at "
                                   f"{image['x0']:.0f},{image['top']:.0f}–{image['x1']:.0f},{image['bottom']:.0f}")
                if image["bottom"] > top - TOLERANCE and image["top"] < bottom + TOLERANCE:
                    found.images.append((image["top"], image["bottom"]))
            for shape in page.rects + page.curves + page.lines:
                if shape["bottom"] > top - TOLERANCE and shape["top"] < bottom + TOLERANCE:
                    found.drawings.append((shape["top"], shape["bottom"]))
            inside = [c for c in chars if top - TOLERANCE <= c["top"] and c["bottom"] <= bottom + TOLERANCE]
            if inside:
                sizes: dict[float, int] = {}
                for c in inside:
                    sizes[round(c["size"], 1)] = sizes.get(round(c["size"], 1), 0) + 1
                body = max(sizes, key=sizes.get)
                run, run_top, last_x = "", 0.0, None
                for c in inside:  # in the content stream's order: a call's digits come together
                    small = c["size"] < 0.75 * body and c["text"].isdigit()
                    if small and run and last_x is not None and abs(c["x0"] - last_x) < 1.5:
                        run += c["text"]
                    else:
                        if run:
                            found.calls.append((run, run_top))
                        run, run_top = (c["text"], c["top"]) if small else ("", 0.0)
                    last_x = c["x1"] if small else None
                if run:
                    found.calls.append((run, run_top))
                for line in page.extract_text_lines(return_chars=False, strip=True):
                    if line["top"] >= top - TOLERANCE and line["bottom"] <= bottom + TOLERANCE:
                        text = normalize(line["text"])
                        if text:
                            found.lines.append(Line(line["top"], line["bottom"], text))
            pages.append(found)
            page.flush_cache()
    return Scan(path, pages, outside)


def _plain(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment))


def displaced_notes(result: Scan, chapters) -> list[str]:
    """Notes whose text is set on a page that does not hold their call (the superscript number).
    *chapters*: the loaded book's chapters, in reading order (their notes are numbered per chapter)."""
    problems, start = [], 0
    for chapter in chapters:
        for note in chapter.notes:
            snippet = normalize(_plain(note.html))[:30]
            if len(snippet) < 4:
                continue
            # notes can open with the same words (selinux-notebook's notes 2 and 3 of
            # embedded_systems.md, on facing pages): the page of the note is the one where a line
            # opens with its number and its text, else the first that holds its text
            marked = f"{note.number}{snippet}"
            found = next((p for pages in (result.pages[start:], result.pages) for p in pages
                          if marked in p.text and any(line.text.startswith(marked[:12]) for line in p.lines)),
                         None)
            if found is None:
                found = next((p for pages in (result.pages[start:], result.pages) for p in pages
                              if snippet in p.text), None)
            if found is None:
                problems.append(f"{chapter.display}: note {note.number} ('{snippet}') is in no page's text")
                continue
            start = found.number - 1
            # the note's first line (a note can repeat words of the text above: the last such line,
            # preferably the one that starts with the note's number)
            marked = [line.top for line in found.lines if f"{note.number}{snippet[:12]}" in line.text]
            plain = [line.top for line in found.lines if snippet[:12] in line.text]
            note_top = (marked or plain or [None])[-1]
            calls = [top for digits, top in found.calls if digits == str(note.number)
                     and (note_top is None or top < note_top)]
            if not calls:
                problems.append(f"{chapter.display}: note {note.number} is on page {found.number}, "
                                f"its call is not (calls there: {[d for d, _ in found.calls]})")
    return problems


_FIGURE = re.compile(r"<(figure|table)\b[^>]*>(.*?)</\1>", re.S)
_CAPTION = re.compile(r"<(figcaption|caption)\b[^>]*>(.*?)</\1>", re.S)
_SIDE = re.compile(r'<p class="listing-file">.*?</p>', re.S)


@dataclass(frozen=True)
class Caption:
    where: str  # the chapter's file
    text: str  # normalized
    before: bool  # written before what it captions
    body: str  # normalized text of what it captions ("" for an image)
    image: bool


def captions(chapters) -> list[Caption]:
    """Every <figcaption> and table <caption> of the book, in reading order."""
    out = []
    for chapter in chapters:
        for match in _FIGURE.finditer(chapter.html):
            inner = match.group(2)
            caption = _CAPTION.search(inner)
            if caption is None:
                continue
            text = normalize(_plain(caption.group(2)))
            rest = _SIDE.sub("", inner[:caption.start()] + inner[caption.end():])
            before = not inner[:caption.start()].strip()
            if not text:
                continue
            out.append(Caption(chapter.display, text, before, normalize(_plain(rest)),
                               bool(re.search(r"<(img|svg|object)\b", rest))))
    return out


def separated_captions(result: Scan, chapters) -> list[str]:
    """Captions with nothing of what they caption beside them on their page: the caption written
    first needs the start of its body (or its image) below it, the caption written last the end of
    its body (or its image) above it."""
    problems, start = [], 0
    for caption in captions(chapters):
        head, tail = caption.text[:24], caption.text[-24:]
        # a caption starts a line (the text may name it before, mid-line)
        found = next((p for p in result.pages[start:] if head in p.text
                      and any(line.text.startswith(head[:10]) for line in p.lines)), None) \
            or next((p for p in result.pages[start:] if head in p.text), None)
        if found is None:
            problems.append(f"{caption.where}: caption '{caption.text[:40]}' is in no page's text")
            continue
        start = found.number - 1
        joined, owner = "", []
        for index, line in enumerate(found.lines):
            joined += line.text
            owner += [index] * len(line.text)
        at = next((len("".join(x.text for x in found.lines[:i])) for i, line in enumerate(found.lines)
                   if "".join(x.text for x in found.lines[i:i + 4]).startswith(head)),
                  joined.find(head))
        first = owner[at]
        end = joined.find(tail, at)
        last = owner[end + len(tail) - 1] if end >= 0 else first
        top, bottom = found.lines[first].top, found.lines[last].bottom
        if caption.before:
            below = "".join(line.text for line in found.lines[last + 1:])
            ok = (caption.body and caption.body[:12] in below[:200]) or \
                (caption.image and (last + 1 < len(found.lines)
                                    or any(t >= bottom - TOLERANCE for t, _ in found.images + found.drawings)))
        elif caption.image:  # an image's caption (it may be an SVG: shapes and text) is not first on its page
            ok = first > 0 or any(b <= top + TOLERANCE for _, b in found.images + found.drawings)
        else:
            above = "".join(line.text for line in found.lines[:first])
            ok = above.endswith(caption.body[-12:]) or caption.body[-12:] in above[-200:]
        if not ok:
            problems.append(f"{caption.where}: caption '{caption.text[:40]}' on page {found.number} "
                            f"is parted from what it captions ({'below' if caption.before else 'above'} it)")
    return problems


def font_problems(path: Path) -> list[str]:
    """.notdef glyphs and fonts not embedded, as spindle's preflight reads them from the font programs."""
    from spindle.editions.print import preflight

    path = Path(path)
    expect = preflight.Expect(str(path), (0, 0), 0, checks=("fonts", "glyphs"))
    return [f"{f.check}: {f.message}" for f in preflight.check(path, expect) if f.level == "error"]
