"""Proof images for the designer (pypdfium2 renders, Pillow draws):

- ``print``: facing-page spreads of the print PDF as the reader sees them
  (page 1 alone on the right, then 2–3, 4–5, …), each page cut at the spine
  and showing its bleed on the outer edges, shaded, with the trim line drawn;
  and the cover with its trim, bleed and spine folds.
- ``pdf``: one image per page of the screen PDF."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from spindle.core.errors import SpindleError
from spindle.core.output import write_bytes

TRIM = (0, 160, 220)  # trim line: cyan
BLEED = (236, 0, 140)  # bleed edge: magenta
SHADE = (255, 255, 255, 110)  # veil over the bleed, which the guillotine cuts away
MARGIN = 24  # px of grey around each spread
SPILL = (230, 0, 0)  # what runs past the text block: red frames (preflight.spills)
SPILL_WIDTH = 3  # px


@dataclass(frozen=True)
class Proof:
    folder: Path
    files: list[Path]


def _render(page, scale: float):
    """The whole page (its MediaBox) as an RGB image, and the scale's origin."""
    import pypdfium2

    media = [float(v) for v in page.get_mediabox()]
    image = page.render(scale=scale, crop=(0, 0, 0, 0), may_draw_forms=False).to_pil().convert("RGB")
    return image, media


def _box(page, name: str, fallback):
    getter = {"trim": page.get_trimbox, "bleed": page.get_bleedbox}[name]
    try:
        return [float(v) for v in getter(fallback_ok=True)]
    except Exception:  # pdfium raises when the box is absent
        return fallback


def _to_px(box, media, scale: float, height_px: int):
    x0, y0, x1, y1 = box
    return (round((x0 - media[0]) * scale), height_px - round((y1 - media[1]) * scale),
            round((x1 - media[0]) * scale), height_px - round((y0 - media[1]) * scale))


def _mark(image, media, scale: float, boxes) -> None:
    """Red frames round *boxes* (PDF points) on a rendered page: what runs past the text block."""
    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    pad = 2 * SPILL_WIDTH
    for box in boxes or ():
        x0, y0, x1, y1 = _to_px(box, media, scale, image.height)
        draw.rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), outline=SPILL, width=SPILL_WIDTH)


def _page_piece(page, scale: float, side: str, marks=None):
    """The page cut to what a spread shows: its bleed except at the spine side."""
    from PIL import Image, ImageDraw

    image, media = _render(page, scale)
    _mark(image, media, scale, marks)
    trim = _box(page, "trim", media)
    bleed = _box(page, "bleed", media)
    t = _to_px(trim, media, scale, image.height)
    b = _to_px(bleed, media, scale, image.height)
    left = t[0] if side == "right" else b[0]
    right = t[2] if side == "left" else b[2]
    piece = image.crop((left, b[1], right, b[3])).convert("RGBA")
    veil = Image.new("RGBA", piece.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(veil)
    tx0, ty0, tx1, ty1 = t[0] - left, t[1] - b[1], t[2] - left, t[3] - b[1]
    draw.rectangle((0, 0, piece.width, ty0 - 1), fill=SHADE)
    draw.rectangle((0, ty1, piece.width, piece.height), fill=SHADE)
    if side != "right":
        draw.rectangle((0, ty0, tx0 - 1, ty1 - 1), fill=SHADE)
    if side != "left":
        draw.rectangle((tx1, ty0, piece.width, ty1 - 1), fill=SHADE)
    piece = Image.alpha_composite(piece, veil)
    draw = ImageDraw.Draw(piece)
    draw.rectangle((0, 0, piece.width - 1, piece.height - 1), outline=BLEED, width=1)
    draw.rectangle((tx0, ty0, tx1 - 1, ty1 - 1), outline=TRIM, width=1)
    return piece.convert("RGB"), (tx0, ty0, tx1, ty1)


def spill_marks(pdf_path: Path, project, edition: str) -> dict[int, list]:
    """What runs past the text block in a built paged edition (page -> boxes), to mark in red."""
    from spindle.editions.print import preflight
    from spindle.theme.render import text_margins

    if not pdf_path.is_file():
        return {}
    return preflight.spill_marks(pdf_path, text_margins(project.config.editions, edition))


def spreads(pages: int) -> list[tuple[int | None, int | None]]:
    """Facing pages, 1-based: (None, 1), (2, 3), …, and (n, None) when the count is even."""
    out: list[tuple[int | None, int | None]] = [(None, 1)] if pages else []
    for left in range(2, pages + 1, 2):
        out.append((left, left + 1 if left + 1 <= pages else None))
    return out


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _clear(folder: Path, pattern: str) -> None:
    if folder.is_dir():
        for old in folder.glob(pattern):
            old.unlink()


def _open(path: Path, shown: str):
    import pypdfium2

    if not path.is_file():
        raise SpindleError(f"{shown}: not found; build it first")
    return pypdfium2.PdfDocument(str(path))


def print_spreads(pdf_path: Path, cover_path: Path | None, folder: Path, dpi: int = 100, shown: str = "",
                  marks: dict[int, list] | None = None) -> Proof:
    """Spreads of the print PDF; *marks* (page number -> boxes in PDF points, from
    preflight.spill_marks) are framed in red."""
    from PIL import Image, ImageDraw

    scale = dpi / 72
    document = _open(pdf_path, shown or str(pdf_path))
    files = []
    _clear(folder, "spread-*.png")
    try:
        for left, right in spreads(len(document)):
            pieces = {}
            for number, side in ((left, "left"), (right, "right")):
                if number is not None:
                    pieces[side] = _page_piece(document[number - 1], scale, side, (marks or {}).get(number))
            any_piece = next(iter(pieces.values()))[0]
            half = any_piece.width
            canvas = Image.new("RGB", (2 * half + 2 * MARGIN, any_piece.height + 2 * MARGIN + 16), (128, 128, 128))
            if "left" in pieces:
                image = pieces["left"][0]
                canvas.paste(image, (MARGIN + half - image.width, MARGIN))
            if "right" in pieces:
                canvas.paste(pieces["right"][0], (MARGIN + half, MARGIN))
            label = " - ".join(str(n) for n in (left, right) if n is not None)
            ImageDraw.Draw(canvas).text((MARGIN, canvas.height - MARGIN + 2), f"pages {label}", fill=(255, 255, 255))
            path = folder / f"spread-{(left or 0):03d}-{(right or 0):03d}.png"
            write_bytes(path, _png(canvas))
            files.append(path)
    finally:
        document.close()
    if cover_path is not None and cover_path.is_file():
        files.append(cover_proof(cover_path, folder / "cover.png", scale))
    return Proof(folder, files)


def cover_proof(path: Path, target: Path, scale: float) -> Path:
    from PIL import ImageDraw

    document = _open(path, str(path))
    try:
        page = document[0]
        image, media = _render(page, scale)
        draw = ImageDraw.Draw(image)
        trim = _to_px(_box(page, "trim", media), media, scale, image.height)
        bleed = _to_px(_box(page, "bleed", media), media, scale, image.height)
        draw.rectangle(bleed, outline=BLEED, width=1)
        draw.rectangle(trim, outline=TRIM, width=1)
        write_bytes(target, _png(image))
    finally:
        document.close()
    return target


def pdf_pages(pdf_path: Path, folder: Path, dpi: int = 100, shown: str = "", marks: dict[int, list] | None = None) -> Proof:
    """One image per page; *marks* as for :func:`print_spreads`."""
    scale = dpi / 72
    document = _open(pdf_path, shown or str(pdf_path))
    files = []
    _clear(folder, "page-*.png")
    try:
        for index in range(len(document)):
            image, media = _render(document[index], scale)
            _mark(image, media, scale, (marks or {}).get(index + 1))
            path = folder / f"page-{index + 1:03d}.png"
            write_bytes(path, _png(image))
            files.append(path)
    finally:
        document.close()
    return Proof(folder, files)


# --- contact sheets: the whole book at a glance ---------------------------------------------------

SHEET_BACKGROUND = (128, 128, 128)
SHEET_GAP = 12  # px between cells
SHEET_LABEL = 14  # px under each cell for its page numbers


@dataclass(frozen=True)
class Sheet:
    path: Path
    pages: int
    cells: int  # thumbnails (pdf) or spreads (print)
    columns: int
    cell: tuple[int, int]  # width, height of one cell's picture in px


def sheet_size(cells: int, columns: int, cell: tuple[int, int]) -> tuple[int, int]:
    """The contact sheet's size in px for *cells* pictures of *cell* size, *columns* to a row."""
    rows = -(-cells // columns) if cells else 0
    used = min(columns, cells)
    return (2 * MARGIN + used * cell[0] + max(used - 1, 0) * SHEET_GAP,
            2 * MARGIN + rows * (cell[1] + SHEET_LABEL) + max(rows - 1, 0) * SHEET_GAP)


def thumbnail(page, width: int, trim: bool):
    """The page (cut at its TrimBox when *trim*) scaled to *width* px."""
    media = [float(v) for v in page.get_mediabox()]
    box = _box(page, "trim", media) if trim else media
    scale = width / (box[2] - box[0])
    image, _ = _render(page, scale)
    if trim:
        image = image.crop(_to_px(box, media, scale, image.height))
    size = (width, round((box[3] - box[1]) * scale))
    return image if image.size == size else image.resize(size)


def contact_sheet(pdf_path: Path, target: Path, *, spreads_of_print: bool = False, width: int = 110,
                  columns: int | None = None, shown: str = "") -> Sheet:
    """One PNG with a thumbnail of every page ('pdf'), or of every spread of
    facing pages cut at the trim ('print'), in reading order, numbered."""
    from PIL import Image, ImageDraw

    document = _open(pdf_path, shown or str(pdf_path))
    try:
        count = len(document)
        thumbs = [thumbnail(document[i], width, spreads_of_print) for i in range(count)]
    finally:
        document.close()
    height = max((t.height for t in thumbs), default=0)
    if spreads_of_print:
        groups = spreads(count)
        columns = columns or 4
        cell = (2 * width, height)
    else:
        groups = [(n, None) for n in range(1, count + 1)]
        columns = columns or 10
        cell = (width, height)
    canvas = Image.new("RGB", sheet_size(len(groups), columns, cell), SHEET_BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for index, (first, second) in enumerate(groups):
        x = MARGIN + (index % columns) * (cell[0] + SHEET_GAP)
        y = MARGIN + (index // columns) * (cell[1] + SHEET_LABEL + SHEET_GAP)
        if spreads_of_print:
            if first is not None:
                canvas.paste(thumbs[first - 1], (x, y))
            if second is not None:
                canvas.paste(thumbs[second - 1], (x + width, y))
            label = " - ".join(str(n) for n in (first, second) if n is not None)
        else:
            canvas.paste(thumbs[first - 1], (x, y))
            label = str(first)
        draw.text((x, y + cell[1] + 2), label, fill=(255, 255, 255))
    write_bytes(target, _png(canvas))
    return Sheet(target, count, len(groups), columns, cell)
