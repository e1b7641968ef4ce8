"""Booklet imposition for saddle stitching: two pages side by side on a sheet
twice the trim size (A5 pages on A4 landscape), in the order that folds into
the book, front and back of each sheet in turn, ready for duplex printing
(flip on the short edge).

Each page of the print PDF becomes a form XObject whose bounding box is its
BleedBox (pikepdf's ``as_form_xobject`` uses the TrimBox and would cut the
bleed), placed with its trim against the fold and clipped at the fold, with
the bleed kept on the three outer sides. Creep compensation moves the pages
of inner sheets towards the spine."""

from __future__ import annotations

import io
from dataclasses import dataclass

from spindle.core.errors import BuildError
from spindle.editions.print.finish import save, stamp
from spindle.editions.print.marks import MM, Marker, Sheet, _fmt


@dataclass(frozen=True)
class Side:
    sheet: int  # 0 = the outermost sheet
    side: str  # "front" or "back"
    left: int  # page numbers, 1-based
    right: int


def saddle_stitch_order(pages: int) -> list[Side]:
    """The sides of the sheets, outermost first, front then back."""
    if pages <= 0 or pages % 4:
        raise ValueError(f"saddle stitching needs a multiple of 4 pages, got {pages}")
    sides = []
    for i in range(pages // 4):
        sides.append(Side(i, "front", pages - 2 * i, 2 * i + 1))
        sides.append(Side(i, "back", 2 * i + 2, pages - 2 * i - 1))
    return sides


def _box(page, name: str) -> tuple[float, float, float, float]:
    box = page.obj.get(name) or page.obj.MediaBox
    return tuple(float(v) for v in box)  # type: ignore[return-value]


def _form(pdf, page):
    """The page as a form XObject that keeps its bleed."""
    import pikepdf

    contents = page.obj.get("/Contents")
    if contents is None:
        data = b""
    elif isinstance(contents, pikepdf.Array):
        data = b"\n".join(stream.read_bytes() for stream in contents)
    else:
        data = contents.read_bytes()
    form = pikepdf.Stream(pdf, data)
    form.Type = pikepdf.Name.XObject
    form.Subtype = pikepdf.Name.Form
    form.BBox = list(_box(page, "/BleedBox"))
    form.Resources = page.obj.get("/Resources", pikepdf.Dictionary())
    if "/Group" in page.obj:
        form.Group = page.obj.Group
    return pdf.make_indirect(form)


def impose(data: bytes, *, creep_mm: float = 0.0, marks: bool = True, identifier: str = "",
           epoch: int | None = None) -> bytes:
    """Impose a print PDF (a multiple of 4 pages, all of one trim size) for saddle stitching."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as source:
        count = len(source.pages)
        try:
            order = saddle_stitch_order(count)
        except ValueError as exc:
            raise BuildError(f"imposition: {exc}; set editions.print.signature to 4, 8, 16 or 32") from None
        tx0, ty0, tx1, ty1 = _box(source.pages[0], "/TrimBox")
        bx0, by0, bx1, by1 = _box(source.pages[0], "/BleedBox")
        width, height = tx1 - tx0, ty1 - ty0
        bleed = max(tx0 - bx0, 0.0)
        out = pikepdf.new()
        forms = [out.copy_foreign(_form(source, page)) for page in source.pages]
        sheet = Sheet(width=2 * width, height=height, bleed=bleed, folds=(width,))
        marker = Marker(out, sheet, marks)
        for side in order:
            shift = side.sheet * creep_mm * MM
            resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(
                P0=forms[side.left - 1], P1=forms[side.right - 1]))
            ops = []
            for name, number, clip, dx in (
                ("/P0", side.left, (-bleed, width), shift),  # left page: fold on its right edge
                ("/P1", side.right, (width, 2 * width + bleed), -shift),
            ):
                px0, py0, _, _ = _box(source.pages[number - 1], "/TrimBox")
                x = (0.0 if name == "/P0" else width) + dx - px0
                y = -py0
                ops.append(f"q {_fmt(clip[0])} {_fmt(-bleed)} {_fmt(clip[1] - clip[0])} {_fmt(height + 2 * bleed)} re W n "
                           f"1 0 0 1 {_fmt(x)} {_fmt(y)} cm {name} Do Q")
            page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 2 * width, height],
                                      Resources=resources,
                                      Contents=out.make_stream(("\n".join(ops) + "\n").encode()))
            out.pages.append(pikepdf.Page(page))
            marker.apply(out.pages[-1], 0.0, 0.0)
        _copy_document_info(source, out)
        stamp(out, identifier + "|imposed", epoch)
        return save(out, min_version=source.pdf_version)


def _copy_document_info(source, out) -> None:
    """Title, dates, the output intent and XMP (with its PDF/X claim) carry over."""
    for key, value in source.docinfo.items():
        out.docinfo[key] = _copy(out, value)
    for key in ("/OutputIntents", "/Metadata"):
        if key in source.Root:
            out.Root[key] = _copy(out, source.Root[key])


def _copy(out, value):
    """Copy an object from another PDF: indirect objects through copy_foreign, arrays item by item."""
    import pikepdf

    if getattr(value, "is_indirect", False):
        return out.copy_foreign(value)
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_copy(out, item) for item in value])
    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({k: _copy(out, v) for k, v in value.items()})
    return value
