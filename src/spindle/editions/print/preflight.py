"""Preflight: check the print outputs as a printer's prepress would.

Every page's TrimBox and BleedBox against book.toml; every font embedded; no
glyph missing from its font (text that would print as empty boxes); every
image's effective resolution at its placed size; the page count a multiple
of the signature; the PDF/X-4 claim and its output intent when a profile is
configured. Reads the PDFs themselves (pikepdf), so it checks what the
printer gets, whoever made it. ``spindle check print`` and ``spindle build
--strict`` run it."""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from spindle.core.errors import SpindleError
from spindle.core.findings import Findings

MM = 72 / 25.4
TOLERANCE_MM = 0.1
CHECKS = ("boxes", "fonts", "glyphs", "images", "textblock", "signature", "pdfx")


@dataclass(frozen=True)
class Finding:
    file: str
    check: str
    level: str  # "error", "warning", "info" or "ok"
    message: str
    page: int | None = None


@dataclass(frozen=True)
class Expect:
    """What one PDF should be, from book.toml."""

    name: str  # shown in the report, e.g. "build/book-print.pdf"
    trim: tuple[float, float]  # mm
    bleed: float  # mm
    signature: int | None = None
    pdfx: bool = False
    min_ppi: int = 300
    images: dict[tuple[int, int], tuple[str, ...]] = field(default_factory=dict)  # pixel size -> project files
    checks: tuple[str, ...] = CHECKS
    margins: tuple[float, float, float, float] | None = None  # mm: top, inside, bottom, outside (the text block)


@dataclass
class Report(Findings):
    def table(self) -> str:
        rows = [(f.file, f.check, f.level.upper() if f.level in ("error", "warning") else f.level,
                 (f"page {f.page}: " if f.page else "") + f.message) for f in self.findings]
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(("file", "check", "result"))]
        lines = [f"{'file':<{widths[0]}}  {'check':<{widths[1]}}  {'result':<{widths[2]}}  details"]
        lines += [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}" for a, b, c, d in rows]
        lines.append(self.summary())
        return "\n".join(lines)

    def as_json(self) -> str:
        return json.dumps({"errors": len(self.errors), "warnings": len(self.warnings),
                           "findings": [asdict(f) for f in self.findings]}, indent=2, ensure_ascii=False)


# --- running ---------------------------------------------------------------------------------------

def check(data: bytes | Path, expect: Expect) -> list[Finding]:
    import pikepdf

    source = data.read_bytes() if isinstance(data, Path) else data
    try:
        pdf = pikepdf.open(io.BytesIO(source))
    except pikepdf.PdfError as exc:
        return [Finding(expect.name, "pdf", "error", f"not a readable PDF: {exc}")]
    with pdf:
        findings: list[Finding] = []
        content = _Content(pdf) if {"glyphs", "images", "textblock"} & set(expect.checks) else None
        for name in expect.checks:
            found = list(_CHECKS[name](pdf, expect, content))
            findings += found
        return findings


def _ok(expect: Expect, check: str, message: str) -> Finding:
    return Finding(expect.name, check, "ok", message)


def _pages(numbers: list[int], limit: int = 8) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


# --- boxes --------------------------------------------------------------------------------------------

def _box(page, name: str):
    value = page.obj.get(name)
    return None if value is None else [float(v) for v in value]


def check_boxes(pdf, expect: Expect, _content=None):
    width, height = expect.trim
    problems: dict[str, list[int]] = {}
    for number, page in enumerate(pdf.pages, 1):
        trim, bleed, media = _box(page, "/TrimBox"), _box(page, "/BleedBox"), _box(page, "/MediaBox")
        if trim is None or bleed is None:
            problems.setdefault(f"no {'TrimBox' if trim is None else 'BleedBox'}", []).append(number)
            continue
        w, h = (trim[2] - trim[0]) / MM, (trim[3] - trim[1]) / MM
        if abs(w - width) > TOLERANCE_MM or abs(h - height) > TOLERANCE_MM:
            problems.setdefault(f"TrimBox {w:.1f} × {h:.1f} mm, expected {width:g} × {height:g} mm", []).append(number)
        sides = [(trim[0] - bleed[0]) / MM, (trim[1] - bleed[1]) / MM, (bleed[2] - trim[2]) / MM, (bleed[3] - trim[3]) / MM]
        if any(abs(s - expect.bleed) > TOLERANCE_MM for s in sides):
            shown = " / ".join(f"{s:.1f}" for s in sides)
            problems.setdefault(f"bleed {shown} mm (left / bottom / right / top), expected {expect.bleed:g} mm", []).append(number)
        if media and (media[0] > bleed[0] + 0.01 or media[1] > bleed[1] + 0.01
                      or media[2] < bleed[2] - 0.01 or media[3] < bleed[3] - 0.01):
            problems.setdefault("BleedBox reaches beyond the MediaBox", []).append(number)
    for message, numbers in problems.items():
        yield Finding(expect.name, "boxes", "error", f"{message} on page{'s' if len(numbers) > 1 else ''} {_pages(numbers)}",
                      numbers[0] if len(numbers) == 1 else None)
    if not problems:
        count = len(pdf.pages)
        yield _ok(expect, "boxes", f"{count} page{'s' if count != 1 else ''}: TrimBox {width:g} × {height:g} mm, bleed {expect.bleed:g} mm on every side")


# --- fonts --------------------------------------------------------------------------------------------

def _resources_tree(pdf):
    """(page number, resources) for every page, form XObject, Type 3 font and annotation appearance."""
    import pikepdf

    seen: set = set()

    def visit(resources, number):
        if not isinstance(resources, pikepdf.Dictionary):
            return
        key = resources.objgen if resources.objgen != (0, 0) else id(resources)
        if (key, number) in seen:
            return
        seen.add((key, number))
        yield number, resources
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == pikepdf.Name.Form:
                yield from visit(xobject.get("/Resources"), number)
        for font in resources.get("/Font", {}).values():
            if font.get("/Subtype") == pikepdf.Name.Type3:
                yield from visit(font.get("/Resources"), number)

    for number, page in enumerate(pdf.pages, 1):
        yield from visit(page.obj.get("/Resources"), number)
        for annot in page.obj.get("/Annots", []):
            appearance = annot.get("/AP", {}).get("/N")
            if isinstance(appearance, pikepdf.Stream):
                yield from visit(appearance.get("/Resources"), number)


def _font_name(font) -> str:
    return re.sub(r"^[A-Z]{6}\+", "", str(font.get("/BaseFont", "(unnamed)")).lstrip("/"))


def _embedded(font) -> bool:
    import pikepdf

    subtype = font.get("/Subtype")
    if subtype == pikepdf.Name.Type3:
        return True
    if subtype == pikepdf.Name.Type0:
        font = font.DescendantFonts[0]
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def check_fonts(pdf, expect: Expect, _content=None):
    fonts: dict = {}
    for number, resources in _resources_tree(pdf):
        for font in resources.get("/Font", {}).values():
            entry = fonts.setdefault(font.objgen if font.objgen != (0, 0) else id(font), [font, []])
            if number not in entry[1]:
                entry[1].append(number)
    missing = [(font, pages) for font, pages in fonts.values() if not _embedded(font)]
    for font, pages in missing:
        yield Finding(expect.name, "fonts", "error",
                      f"font {_font_name(font)} is not embedded (used on page{'s' if len(pages) > 1 else ''} "
                      f"{_pages(pages)}); embed it or use another font", pages[0] if len(pages) == 1 else None)
    if not missing:
        yield _ok(expect, "fonts", f"{len(fonts)} font(s), all embedded")


# --- content: text and images -------------------------------------------------------------------

def _multiply(m, n):
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


@dataclass
class _Shown:
    page: int
    font: object
    data: bytes
    span: tuple[float, float, float, float] | None = None  # box of its visible glyphs on the page (pt), when known


@dataclass
class _Placed:
    page: int
    image: object
    ctm: tuple


class _Content:
    """Text shown and images placed on every page, with the CTM (forms followed)."""

    def __init__(self, pdf):
        self.text: list[_Shown] = []
        self.images: list[_Placed] = []
        self.metrics: dict = {}  # font -> _Metrics
        for number, page in enumerate(pdf.pages, 1):
            self._run(page, page.obj.get("/Resources"), (1, 0, 0, 1, 0, 0), number, depth=0)

    def _run(self, target, resources, ctm, number, depth):
        import pikepdf

        if depth > 12:
            return
        fonts = resources.get("/Font", {}) if resources is not None else {}
        xobjects = resources.get("/XObject", {}) if resources is not None else {}
        stack, font = [], None
        size, spacing, matrix = 0.0, 0.0, (1, 0, 0, 1, 0, 0)
        for instruction in pikepdf.parse_content_stream(target):
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                self.images.append(_Placed(number, instruction.iimage, ctm))
                continue
            op, operands = str(instruction.operator), instruction.operands
            if op == "q":
                stack.append((ctm, font))
            elif op == "Q" and stack:
                ctm, font = stack.pop()
            elif op == "cm" and len(operands) == 6:
                ctm = _multiply(tuple(float(v) for v in operands), ctm)
            elif op == "Tf" and operands:
                font = fonts.get(str(operands[0]))
                size = float(operands[1]) if len(operands) > 1 else size
            elif op == "Tm" and len(operands) == 6:
                matrix = tuple(float(v) for v in operands)
            elif op == "Tc" and operands:
                spacing = float(operands[0])
            elif op == "BT":
                matrix = (1, 0, 0, 1, 0, 0)
            elif op in ("Tj", "'", '"') and operands and font is not None:
                data = bytes(operands[-1])
                self.text.append(_Shown(number, font, data, self._span(font, [data], size, spacing, matrix, ctm)))
            elif op == "TJ" and operands and font is not None:
                items = [bytes(item) if isinstance(item, pikepdf.String) else float(item) for item in operands[0]]
                data = b"".join(item for item in items if isinstance(item, bytes))
                self.text.append(_Shown(number, font, data, self._span(font, items, size, spacing, matrix, ctm)))
            elif op == "Do" and operands:
                xobject = xobjects.get(str(operands[0]))
                if xobject is None:
                    continue
                if xobject.get("/Subtype") == pikepdf.Name.Image:
                    self.images.append(_Placed(number, xobject, ctm))
                elif xobject.get("/Subtype") == pikepdf.Name.Form:
                    matrix = tuple(float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0]))
                    self._run(xobject, xobject.get("/Resources", resources), _multiply(matrix, ctm), number, depth + 1)


    def _span(self, font, items, size: float, spacing: float, matrix, ctm):
        """The x extent on the page of the visible glyphs a TJ/Tj shows (None for fonts not measured)."""
        key = font.objgen if font.objgen != (0, 0) else id(font)
        metrics = self.metrics.get(key)
        if metrics is None:
            metrics = self.metrics[key] = _Metrics(font)
        if not metrics.ok:
            return None
        a, b, c, d, e, f = _multiply(matrix, ctm)
        advance, low, high = 0.0, None, None
        for item in items:
            if isinstance(item, float):
                advance -= item / 1000 * size
                continue
            for i in range(0, len(item) - 1, 2):
                code = int.from_bytes(item[i:i + 2], "big")
                width = metrics.width(code) / 1000 * size
                if not metrics.blank(code):
                    for x in (advance, advance + width):
                        page_x = a * x + e
                        low = page_x if low is None else min(low, page_x)
                        high = page_x if high is None else max(high, page_x)
                advance += width + spacing
        if low is None:
            return None
        height = abs(d) * size
        return (low, f - 0.25 * height, high, f + 0.8 * height)


class _Metrics:
    """Glyph widths of a Type0 font (its /W array) and which codes are blank (spaces)."""

    def __init__(self, font):
        import pikepdf

        self.ok = font.get("/Subtype") == pikepdf.Name.Type0
        self.widths: dict[int, float] = {}
        self.default = 1000.0
        self.blanks: set[int] = set()
        if not self.ok:
            return
        descendant = font.DescendantFonts[0]
        self.default = float(descendant.get("/DW", 1000))
        w = list(descendant.get("/W", []))
        i = 0
        while i < len(w):
            first = int(w[i])
            if i + 1 < len(w) and isinstance(w[i + 1], pikepdf.Array):
                for offset, value in enumerate(w[i + 1]):
                    self.widths[first + offset] = float(value)
                i += 2
            elif i + 2 < len(w):
                for code in range(first, int(w[i + 1]) + 1):
                    self.widths[code] = float(w[i + 2])
                i += 3
            else:
                break
        if isinstance(font.get("/ToUnicode"), pikepdf.Stream):
            try:
                mapping = _parse_to_unicode(font.ToUnicode.read_bytes())
            except Exception:
                mapping = {}
            self.blanks = {code for code, text in mapping.items() if text and not text.strip()}

    def width(self, code: int) -> float:
        return self.widths.get(code, self.default)

    def blank(self, code: int) -> bool:
        return code in self.blanks


# --- glyphs ---------------------------------------------------------------------------------------

_HEX = r"<([0-9A-Fa-f]+)>"


def _cmap_pairs(text: str, section: str):
    for block in re.findall(rf"begin{section}(.*?)end{section}", text, re.S):
        yield block


def _parse_cid_cmap(data: bytes) -> dict[int, int]:
    """code -> CID from an embedded CMap (cidchar / cidrange)."""
    text = data.decode("latin-1")
    mapping: dict[int, int] = {}
    for block in _cmap_pairs(text, "cidchar"):
        for code, cid in re.findall(_HEX + r"\s+(\d+)", block):
            mapping[int(code, 16)] = int(cid)
    for block in _cmap_pairs(text, "cidrange"):
        for start, end, cid in re.findall(_HEX + r"\s*" + _HEX + r"\s+(\d+)", block):
            for offset, code in enumerate(range(int(start, 16), int(end, 16) + 1)):
                mapping[code] = int(cid) + offset
    return mapping


def _parse_to_unicode(data: bytes) -> dict[int, str]:
    text = data.decode("latin-1")
    mapping: dict[int, str] = {}

    def chars(hex_text: str) -> str:
        raw = bytes.fromhex(hex_text)
        return raw.decode("utf-16-be", errors="replace")

    for block in _cmap_pairs(text, "bfchar"):
        for code, dest in re.findall(_HEX + r"\s*" + _HEX, block):
            mapping[int(code, 16)] = chars(dest)
    for block in _cmap_pairs(text, "bfrange"):
        for start, end, dest in re.findall(_HEX + r"\s*" + _HEX + r"\s*" + _HEX, block):
            base = chars(dest)
            for offset, code in enumerate(range(int(start, 16), int(end, 16) + 1)):
                mapping[code] = base[:-1] + chr(ord(base[-1]) + offset) if base else ""
    return mapping


class _FontInfo:
    """How to tell whether a code shown in a font has a glyph."""

    def __init__(self, font):
        import pikepdf

        self.name = _font_name(font)
        self.type0 = font.get("/Subtype") == pikepdf.Name.Type0
        self.to_unicode = {}
        if isinstance(font.get("/ToUnicode"), pikepdf.Stream):
            try:
                self.to_unicode = _parse_to_unicode(font.ToUnicode.read_bytes())
            except Exception:  # a damaged ToUnicode only loses the character names
                self.to_unicode = {}
        self.code_to_cid = None  # None: identity
        self.cid_to_gid = None
        self.glyphs = None
        self.notdef_codes: set[int] = set()
        if self.type0:
            encoding = font.get("/Encoding")
            if isinstance(encoding, pikepdf.Stream):
                self.code_to_cid = _parse_cid_cmap(encoding.read_bytes())
            descendant = font.DescendantFonts[0]
            mapping = descendant.get("/CIDToGIDMap")
            if isinstance(mapping, pikepdf.Stream):
                raw = mapping.read_bytes()
                self.cid_to_gid = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw) - 1, 2)]
            self.glyphs = _glyph_count(descendant.get("/FontDescriptor"))
        else:
            encoding = font.get("/Encoding")
            if isinstance(encoding, pikepdf.Dictionary):
                code = 0
                for item in encoding.get("/Differences", []):
                    if isinstance(item, int):
                        code = int(item)
                    else:
                        if str(item) == "/.notdef":
                            self.notdef_codes.add(code)
                        code += 1
            if font.get("/Subtype") != pikepdf.Name.Type3:
                first, last = int(font.get("/FirstChar", 0)), int(font.get("/LastChar", 255))
                self.notdef_codes |= set(range(0, first)) | set(range(last + 1, 256))

    def missing(self, data: bytes) -> list[int]:
        """The codes in *data* that would print as .notdef."""
        if not self.type0:
            return [b for b in data if b in self.notdef_codes]
        out = []
        for i in range(0, len(data) - 1, 2):
            code = int.from_bytes(data[i:i + 2], "big")
            cid = code if self.code_to_cid is None else self.code_to_cid.get(code, 0)
            if self.cid_to_gid is None:
                gid = cid
            else:
                gid = self.cid_to_gid[cid] if cid < len(self.cid_to_gid) else 0
            if gid == 0 or (self.glyphs is not None and gid >= self.glyphs):
                out.append(code)
        return out

    def character(self, code: int) -> str:
        text = self.to_unicode.get(code, "")
        if not text:
            return f"code {code:#06x}"
        return ", ".join(f"U+{ord(ch):04X} {ch!r}" if ch.isprintable() else f"U+{ord(ch):04X}" for ch in text)


def _glyph_count(descriptor) -> int | None:
    """Glyphs in an embedded font program (None when it cannot be read)."""
    if descriptor is None:
        return None
    try:
        from fontTools.ttLib import TTFont

        if "/FontFile2" in descriptor or ("/FontFile3" in descriptor and str(descriptor.FontFile3.get("/Subtype")) == "/OpenType"):
            stream = descriptor.get("/FontFile2") or descriptor.FontFile3
            return TTFont(io.BytesIO(stream.read_bytes()), lazy=True)["maxp"].numGlyphs
        if "/FontFile3" in descriptor:
            from fontTools.cffLib import CFFFontSet

            cff = CFFFontSet()
            cff.decompile(io.BytesIO(descriptor.FontFile3.read_bytes()), None)
            return len(cff[cff.fontNames[0]].charset)
    except Exception:  # an unreadable program: only glyph 0 (.notdef) is checked
        return None
    return None


def check_glyphs(pdf, expect: Expect, content: _Content):
    infos: dict = {}
    problems: dict[tuple[str, str], list[int]] = {}
    shown = 0
    for item in content.text:
        key = item.font.objgen if item.font.objgen != (0, 0) else id(item.font)
        info = infos.get(key)
        if info is None:
            info = infos[key] = _FontInfo(item.font)
        shown += 1
        for code in info.missing(item.data):
            pages = problems.setdefault((info.name, info.character(code)), [])
            if item.page not in pages:
                pages.append(item.page)
    for (font, char), pages in problems.items():
        yield Finding(expect.name, "glyphs", "error",
                      f"{char} has no glyph in {font}: it prints as an empty box on page{'s' if len(pages) > 1 else ''} "
                      f"{_pages(pages)}; use a font that has it", pages[0] if len(pages) == 1 else None)
    if not problems:
        yield _ok(expect, "glyphs", f"{shown} text runs, every glyph in its font")


# --- images ---------------------------------------------------------------------------------------

def check_images(pdf, expect: Expect, content: _Content):
    low = 0
    lowest = None
    for placed in content.images:
        image = placed.image
        if hasattr(image, "image_mask"):  # an inline image
            if image.image_mask:
                continue
            px_w, px_h = int(image.width), int(image.height)
        else:
            if image.get("/ImageMask"):
                continue  # stencil masks (bitmap glyphs) have no resolution of their own to judge
            px_w, px_h = int(image.get("/Width", 0)), int(image.get("/Height", 0))
        if not px_w or not px_h:
            continue
        a, b, c, d, _, _ = placed.ctm
        width_in, height_in = math.hypot(a, b) / 72, math.hypot(c, d) / 72
        if width_in <= 0 or height_in <= 0:
            continue
        ppi = min(px_w / width_in, px_h / height_in)
        lowest = ppi if lowest is None else min(lowest, ppi)
        if ppi + 0.5 < expect.min_ppi:
            low += 1
            files = expect.images.get((px_w, px_h), ())
            what = " or ".join(files) if files else "an image"
            yield Finding(expect.name, "images", "warning",
                          f"{what} ({px_w} × {px_h} px) is placed at {width_in * 25.4:.0f} × {height_in * 25.4:.0f} mm: "
                          f"{ppi:.0f} ppi, below {expect.min_ppi} ppi; use a larger image or place it smaller",
                          placed.page)
    if not low:
        detail = f"lowest {lowest:.0f} ppi" if lowest is not None else "no raster images"
        yield _ok(expect, "images", f"{len(content.images)} placed image(s), {detail} (at least {expect.min_ppi})")


# --- the text block -------------------------------------------------------------------------------

TEXT_BLOCK_TOLERANCE_MM = 0.5


def check_textblock(pdf, expect: Expect, content: _Content):
    """Nothing printed past the text block (book.toml's margins inside the TrimBox): a glyph run or
    an image that does is cut off, or lands in the gutter. Full-bleed images (as wide as the trim
    or wider) are meant to."""
    if expect.margins is None:
        return
    found: dict[int, list[str]] = {}
    for number, what, over, _ in spills(pdf, expect.margins, content):
        found.setdefault(number, []).append(f"{what} {over / MM:.1f} mm")
    for number, items in sorted(found.items()):
        shown = ", ".join(dict.fromkeys(items[:4])) + (f" and {len(items) - 4} more" if len(items) > 4 else "")
        yield Finding(expect.name, "textblock", "error", f"past the text block: {shown}; "
                      "run 'spindle build' to see which manuscript line, and 'spindle proof' to see it marked", number)
    if not found:
        yield _ok(expect, "textblock", f"{len(content.text)} text runs and {len(content.images)} images inside the text block")


def printed_numbers(pdf) -> list[int]:
    """Each page's printed number: from the /PageLabels a screen PDF made from the print layout
    carries (its blank pages are left out, so a page's side is its label's, not its place's);
    otherwise its place, 1, 2, ..."""
    count = len(pdf.pages)
    labels = pdf.Root.get("/PageLabels")
    nums = labels.get("/Nums") if labels is not None else None
    if nums is None:
        return list(range(1, count + 1))
    ranges = sorted((int(nums[i]), int(nums[i + 1].get("/St", 1))) for i in range(0, len(nums) - 1, 2))
    out, current = [], (0, 1)
    for index in range(count):
        while ranges and ranges[0][0] <= index:
            current = ranges.pop(0)
        out.append(current[1] + index - current[0])
    return out


def text_blocks(pdf, margins: tuple[float, float, float, float]) -> dict[int, tuple]:
    """Page number -> (x0, y0, x1, y1, trim) of its text block in PDF points; *margins* in mm
    (top, inside, bottom, outside; the inside is on the left of odd pages)."""
    top, inside, bottom, outside = (m * MM for m in margins)
    blocks = {}
    printed = printed_numbers(pdf)
    for number, page in enumerate(pdf.pages, 1):
        trim = _box(page, "/TrimBox") or _box(page, "/MediaBox")
        left, right = (inside, outside) if printed[number - 1] % 2 else (outside, inside)
        blocks[number] = (trim[0] + left, trim[1] + bottom, trim[2] - right, trim[3] - top, trim)
    return blocks


def spills(pdf, margins: tuple[float, float, float, float], content: "_Content | None" = None):
    """(page, "text"/"an image", how far in pt, box in PDF points) for every glyph run and image
    past the text block (full-bleed images, as wide as the trim, excepted). Also what
    ``spindle proof`` marks."""
    content = content or _Content(pdf)
    blocks = text_blocks(pdf, margins)
    tolerance = TEXT_BLOCK_TOLERANCE_MM * MM
    for shown in content.text:
        if shown.span is None or shown.page not in blocks:
            continue
        x0, _, x1, _, _ = blocks[shown.page]
        over = max(x0 - shown.span[0], shown.span[2] - x1)
        if over > tolerance:
            yield shown.page, "text", over, shown.span
    for placed in content.images:
        if placed.page not in blocks:
            continue
        a, b, c, d, e, f = placed.ctm
        xs, ys = (e, a + e, c + e, a + c + e), (f, b + f, d + f, b + d + f)
        x0, y0, x1, y1, trim = blocks[placed.page]
        if max(xs) - min(xs) >= trim[2] - trim[0] - tolerance:
            continue  # full bleed
        over = max(x0 - min(xs), max(xs) - x1, y0 - min(ys), max(ys) - y1)
        if over > tolerance:
            yield placed.page, "an image", over, (min(xs), min(ys), max(xs), max(ys))


def spill_marks(path: Path, margins: tuple[float, float, float, float]) -> dict[int, list[tuple]]:
    """Page number -> boxes (PDF points) of what runs past the text block, read from the PDF at *path*."""
    import pikepdf

    marks: dict[int, list[tuple]] = {}
    with pikepdf.open(path) as pdf:
        for number, _, _, box in spills(pdf, margins):
            marks.setdefault(number, []).append(box)
    return marks


# --- signature and PDF/X ------------------------------------------------------------------------------

def check_signature(pdf, expect: Expect, _content=None):
    if expect.signature is None:
        return
    count = len(pdf.pages)
    if count % expect.signature:
        yield Finding(expect.name, "signature", "error",
                      f"{count} pages is not a multiple of the signature ({expect.signature}); rebuild with spindle")
    else:
        yield _ok(expect, "signature", f"{count} pages = {count // expect.signature} × {expect.signature}")


def check_pdfx(pdf, expect: Expect, _content=None):
    import pikepdf

    xmp = pdf.Root.Metadata.read_bytes().decode("utf-8", "replace") if "/Metadata" in pdf.Root else ""
    claimed = re.search(r"<pdfxid:GTS_PDFXVersion>([^<]+)<", xmp)
    intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == pikepdf.Name.GTS_PDFX]
    if not expect.pdfx:
        if claimed:
            yield Finding(expect.name, "pdfx", "warning", f"claims {claimed.group(1)} but no editions.print.icc_profile is configured")
        else:
            yield Finding(expect.name, "pdfx", "info",
                          "not claimed: no editions.print.icc_profile, so no PDF/X declaration and no output intent "
                          "(colours are DeviceCMYK for an unspecified press)")
        return
    problems = []
    if not claimed or claimed.group(1) != "PDF/X-4":
        problems.append("no PDF/X-4 declaration (pdfxid:GTS_PDFXVersion) in the XMP metadata")
    if not intents:
        problems.append("no /GTS_PDFX output intent")
    for intent in intents:
        profile = intent.get("/DestOutputProfile")
        if not isinstance(profile, pikepdf.Stream) or int(profile.get("/N", 0)) != 4:
            problems.append("the output intent has no CMYK (N 4) DestOutputProfile")
        if not str(intent.get("/OutputConditionIdentifier", "")):
            problems.append("the output intent has no OutputConditionIdentifier")
    if str(pdf.docinfo.get("/Trapped", "")) not in ("/True", "/False"):
        problems.append("/Trapped is not set to True or False")
    if not str(pdf.docinfo.get("/Title", "")):
        problems.append("no document title")
    if not pdf.trailer.get("/ID"):
        problems.append("no /ID in the trailer")
    for problem in problems:
        yield Finding(expect.name, "pdfx", "error", problem)
    if not problems:
        condition = str(intents[0].get("/OutputConditionIdentifier"))
        info = str(intents[0].get("/Info", ""))
        yield _ok(expect, "pdfx", f"PDF/X-4 declared, output intent {condition}" + (f" ({info})" if info and info != condition else ""))


_CHECKS = {
    "boxes": check_boxes, "fonts": check_fonts, "glyphs": check_glyphs,
    "images": check_images, "textblock": check_textblock, "signature": check_signature, "pdfx": check_pdfx,
}


# --- the print edition's files ----------------------------------------------------------------------

def image_sizes(book) -> dict[tuple[int, int], tuple[str, ...]]:
    """Pixel size -> project-relative paths of the raster images the manuscript uses."""
    from PIL import Image

    sizes: dict[tuple[int, int], tuple[str, ...]] = {}
    for relative in book.resources:
        path = book.project.path(relative)
        if path.suffix.lower() == ".svg" or not path.is_file():
            continue
        try:
            with Image.open(path) as image:
                size = image.size
        except Exception:  # not a raster image PIL knows: nothing to match
            continue
        sizes[size] = sizes.get(size, ()) + (relative,)
    return sizes


def expectations(book, files: dict[str, tuple[str, int | None]]) -> dict[str, Expect]:
    """Expect objects for the print files present: *files* maps role -> (shown name, page count)."""
    from spindle.editions.print.cover import sheet_size, spine_for

    p = book.project.config.editions.print
    common = dict(bleed=p.bleed.mm, pdfx=p.icc_profile is not None, min_ppi=p.min_image_ppi)
    images = image_sizes(book)
    out = {}
    name, pages = files["print"]
    out["print"] = Expect(name, p.size, signature=p.signature, images=images, **common,
                          margins=(p.margin_top.mm, p.margin_inside.mm + p.gutter.mm, p.margin_bottom.mm, p.margin_outside.mm))
    if "cover" in files and pages is not None:
        out["cover"] = Expect(files["cover"][0], sheet_size(book, spine_for(book, pages)), images=images, **common,
                              checks=("boxes", "fonts", "glyphs", "images", "pdfx"))
    if "imposed" in files:
        width, height = p.size
        out["imposed"] = Expect(files["imposed"][0], (2 * width, height), **common, checks=("boxes", "fonts", "pdfx"))
    return out


def run(book, data: dict[str, bytes], names: dict[str, str]) -> Report:
    """Preflight the print files given as bytes (role -> data)."""
    import pikepdf

    pages = None
    if "print" in data:
        try:
            with pikepdf.open(io.BytesIO(data["print"])) as pdf:
                pages = len(pdf.pages)
        except pikepdf.PdfError:
            pages = None
    expects = expectations(book, {role: (names[role], pages) for role in data})
    report = Report()
    for role in ("print", "cover", "imposed"):
        if role in data:
            report.findings += check(data[role], expects[role])
    return report


def check_project(project, out_dir: Path | None = None) -> Report:
    """``spindle check print``: preflight the built files in build/ (or *out_dir*)."""
    from spindle.manuscript.load import load_book

    out = out_dir or project.root / "build"
    stem = project.config.book.file_stem
    paths = {"print": out / f"{stem}-print.pdf", "cover": out / f"{stem}-cover.pdf"}
    if project.config.editions.print.imposition == "saddle-stitch":
        paths["imposed"] = out / f"{stem}-print-imposed.pdf"
    if not paths["print"].is_file():
        raise SpindleError(f"{project.display(paths['print'])}: not found; run 'spindle build print' first")
    book = load_book(project)
    data = {role: path.read_bytes() for role, path in paths.items() if path.is_file()}
    report = run(book, data, {role: project.display(path) for role, path in paths.items()})
    for role, path in paths.items():
        if role not in data:
            report.findings.append(Finding(project.display(path), "file", "error",
                                           "not found; run 'spindle build print' to make it"))
    return report
