"""Printer's marks and page boxes, drawn into a PDF with pikepdf.

WeasyPrint draws its crop marks inside the bleed, on top of any artwork that
bleeds, in RGB black. Printers want them outside the bleed, in the slug area,
in registration colour (every separation): so spindle lays pages out with a
bleed and no marks, then widens the MediaBox and draws the marks here. The
same code marks the cover (with fold marks at the spine) and the imposed
sheets (with a fold mark at the centre)."""

from __future__ import annotations

from dataclasses import dataclass

MM = 72 / 25.4
LINE_WIDTH = 0.25  # pt
MARK_LENGTH = 5.0  # mm
SLUG_EXTRA = 1.0  # mm of paper beyond the end of the marks
XOBJECT = "/SpindleMarks"


@dataclass(frozen=True)
class Sheet:
    """A page's trim size, bleed and fold positions, in points."""

    width: float
    height: float
    bleed: float
    folds: tuple[float, ...] = ()  # x positions of vertical folds, from the trim's left edge

    @property
    def offset(self) -> float:
        """Distance from the trim to where the marks start: never inside the bleed."""
        return max(self.bleed, 2 * MM) + 1 * MM

    @property
    def slug(self) -> float:
        return self.offset + MARK_LENGTH * MM + SLUG_EXTRA * MM


def registration_colour(pdf):
    """The /All separation: marks print on every plate."""
    import pikepdf

    tint = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[1, 1, 1, 1], N=1)
    return pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name.All, pikepdf.Name.DeviceCMYK, tint])


def _fmt(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def drawing(sheet: Sheet) -> bytes:
    """Crop marks at the four trim corners and fold marks, in trim coordinates."""
    w, h, o, length = sheet.width, sheet.height, sheet.offset, MARK_LENGTH * MM
    lines = []
    for x in (0.0, w):
        outward = -1 if x == 0 else 1
        for y in (0.0, h):
            upward = -1 if y == 0 else 1
            lines.append((x + outward * o, y, x + outward * (o + length), y))  # horizontal mark
            lines.append((x, y + upward * o, x, y + upward * (o + length)))  # vertical mark
    for fold in sheet.folds:
        lines.append((fold, -o, fold, -o - length))
        lines.append((fold, h + o, fold, h + o + length))
    ops = [f"/Reg CS 1 SCN {_fmt(LINE_WIDTH)} w 0 J"]
    ops += [f"{_fmt(x0)} {_fmt(y0)} m {_fmt(x1)} {_fmt(y1)} l S" for x0, y0, x1, y1 in lines]
    return ("\n".join(ops) + "\n").encode()


def marks_form(pdf, sheet: Sheet):
    """A form XObject with the marks, drawn with the trim's lower-left corner at the origin."""
    import pikepdf

    s = sheet.slug
    form = pikepdf.Stream(pdf, drawing(sheet))
    form.Type = pikepdf.Name.XObject
    form.Subtype = pikepdf.Name.Form
    form.BBox = [-s, -s, sheet.width + s, sheet.height + s]
    form.Resources = pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(Reg=registration_colour(pdf)))
    return pdf.make_indirect(form)


def rect(x0: float, y0: float, x1: float, y1: float) -> list[float]:
    return [round(v, 6) for v in (x0, y0, x1, y1)]


class Marker:
    """Sets the boxes of pages laid out with their TrimBox at (x, y) and draws the marks.

    One form XObject and two small wrapping streams are shared by every page of the
    same sheet, so marking a 400-page book adds a few hundred bytes."""

    def __init__(self, pdf, sheet: Sheet, marks: bool = True):
        import pikepdf

        self.pdf, self.sheet, self.marks = pdf, sheet, marks
        self.form = marks_form(pdf, sheet) if marks else None
        self.open = pdf.make_indirect(pikepdf.Stream(pdf, b"q\n"))
        self._close: dict[tuple[float, float], object] = {}

    def close(self, x: float, y: float):
        import pikepdf

        key = (round(x, 4), round(y, 4))
        if key not in self._close:
            data = b"Q\n"
            if self.form is not None:
                data += (f"/Artifact BMC q 1 0 0 1 {_fmt(x)} {_fmt(y)} cm {XOBJECT} Do Q EMC\n").encode()
            self._close[key] = self.pdf.make_indirect(pikepdf.Stream(self.pdf, data))
        return self._close[key]

    def apply(self, page, x: float = 0.0, y: float = 0.0) -> None:
        """Mark *page*, whose trim's lower-left corner is at (x, y) in its user space."""
        import pikepdf

        sheet = self.sheet
        b = sheet.bleed
        page.obj.TrimBox = rect(x, y, x + sheet.width, y + sheet.height)
        page.obj.BleedBox = rect(x - b, y - b, x + sheet.width + b, y + sheet.height + b)
        m = sheet.slug if self.marks else b
        page.obj.MediaBox = rect(x - m, y - m, x + sheet.width + m, y + sheet.height + m)
        for key in ("/CropBox", "/ArtBox"):
            if key in page.obj:
                del page.obj[key]
        if self.form is not None:
            resources = page.obj.get("/Resources")
            if resources is None:
                page.obj.Resources = resources = pikepdf.Dictionary()
            if "/XObject" not in resources:
                resources.XObject = pikepdf.Dictionary()
            resources.XObject[XOBJECT] = self.form
        page.contents_add(self.open, prepend=True)
        page.contents_add(self.close(x, y), prepend=False)


def trim_origin(page) -> tuple[float, float]:
    """The lower-left corner of a page's TrimBox (or MediaBox)."""
    box = page.obj.get("/TrimBox") or page.obj.MediaBox
    return float(box[0]), float(box[1])
