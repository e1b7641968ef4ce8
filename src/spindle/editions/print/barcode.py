"""Vector barcodes for the back cover, as HTML the cover template places:
the EAN-13 of the print ISBN (written here, after GS1's specification) and
an optional QR code (modules from segno, drawn as rectangles).

Bars are absolutely positioned boxes in millimetres, so WeasyPrint draws
them as filled rectangles in the cover stylesheet's colour (pure black K)."""

from __future__ import annotations

import html
import re

from markupsafe import Markup

# Module patterns of the digits: L (odd parity), G (even parity), R (right half).
_L = ("0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011", "0110111", "0001011")
_R = tuple("".join("1" if b == "0" else "0" for b in code) for code in _L)
_G = tuple(code[::-1] for code in _R)
# The first digit is not drawn: it selects the parity of the left six.
_PARITY = ("LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL")

MODULE_MM = 0.33  # GS1 nominal (100 % magnification)
BAR_HEIGHT_MM = 20.0
GUARD_EXTRA_MM = 5 * MODULE_MM  # guard bars reach down between the digits
QUIET_LEFT, QUIET_RIGHT = 11, 7  # modules of white either side


def digits(isbn: str) -> str:
    value = re.sub(r"[\s-]", "", isbn)
    if not re.fullmatch(r"\d{13}", value):
        raise ValueError(f"an EAN-13 needs 13 digits, got {isbn!r}")
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(value[:12]))
    if (10 - total % 10) % 10 != int(value[12]):
        raise ValueError(f"{isbn!r}: wrong check digit")
    return value


def ean13_modules(isbn: str) -> str:
    """The 95 modules of an EAN-13 as a string of '1' (bar) and '0' (space)."""
    code = digits(isbn)
    parity = _PARITY[int(code[0])]
    left = "".join((_L if p == "L" else _G)[int(d)] for p, d in zip(parity, code[1:7]))
    right = "".join(_R[int(d)] for d in code[7:])
    return "101" + left + "01010" + right + "101"


def _runs(bits: str) -> list[tuple[int, int]]:
    """(start, length) of every run of '1's."""
    return [(m.start(), m.end() - m.start()) for m in re.finditer("1+", bits)]


def _mm(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + "mm"


def ean13_html(isbn: str, module: float = MODULE_MM, height: float = BAR_HEIGHT_MM) -> Markup:
    """An EAN-13 symbol with its quiet zones and human-readable digits."""
    code = digits(isbn)
    bits = ean13_modules(code)
    guards = {i for span in ((0, 3), (45, 50), (92, 95)) for i in range(*span)}
    text_size = 9 * module  # the digits' height
    width = (QUIET_LEFT + 95 + QUIET_RIGHT) * module
    total_height = height + GUARD_EXTRA_MM + text_size * 0.4
    parts = [f'<div class="ean13" role="img" aria-label="EAN-13 {code}" '
             f'style="width: {_mm(width)}; height: {_mm(total_height)}">']
    for start, length in _runs(bits):
        long = start in guards
        parts.append(f'<span class="bar" style="left: {_mm((QUIET_LEFT + start) * module)}; '
                     f'width: {_mm(length * module)}; height: {_mm(height + (GUARD_EXTRA_MM if long else 0))}"></span>')
    # Human-readable digits: the first left of the symbol, then two groups of six.
    positions = [(code[0], QUIET_LEFT - 7, 7)]
    positions += [(d, 3 + 7 * i + QUIET_LEFT, 7) for i, d in enumerate(code[1:7])]
    positions += [(d, 50 + 7 * i + QUIET_LEFT, 7) for i, d in enumerate(code[7:])]
    for digit, start, span in positions:
        parts.append(f'<span class="digit" style="left: {_mm(start * module)}; width: {_mm(span * module)}; '
                     f'top: {_mm(height + 0.4)}; font-size: {_mm(text_size)}">{digit}</span>')
    parts.append("</div>")
    return Markup("".join(parts))


def qr_html(text: str, module: float = 0.5) -> Markup:
    """A QR code (error correction M, 4-module quiet zone) as rectangles, one per run of dark modules."""
    import segno

    qr = segno.make(text, error="m", micro=False, boost_error=False)
    border = 4
    rows = [bytes(row) for row in qr.matrix]
    size = (len(rows) + 2 * border) * module
    parts = [f'<div class="qr" role="img" aria-label="QR code: {html.escape(text)}" '
             f'style="width: {_mm(size)}; height: {_mm(size)}">']
    for y, row in enumerate(rows):
        bits = "".join("1" if v else "0" for v in row)
        for start, length in _runs(bits):
            parts.append(f'<span class="module" style="left: {_mm((border + start) * module)}; '
                         f'top: {_mm((border + y) * module)}; width: {_mm(length * module)}; '
                         f'height: {_mm(module)}"></span>')
    parts.append("</div>")
    return Markup("".join(parts))
