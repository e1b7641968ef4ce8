"""WeasyPrint 70's drawing of a line of text, its loop over glyphs made cheaper.

Writing a part's PDF spends about a third of its time in WeasyPrint's ``draw_first_line``
(weasyprint/draw/text.py), most of it in Python for every glyph: four attribute reads through
cffi per glyph, a string grown one glyph at a time. :func:`faster` puts in its place, while a part
is written, a version that reads each run's glyphs from Pango's array at once (ffi.unpack), keeps
what a glyph writes for each font, size, advance and offset it is met with (the same glyph, advance
and offset always write the same: WeasyPrint's loop computes it from those alone, and the first
meeting records the glyph's width and text in the font as WeasyPrint does), and builds the whole
line before writing it; what it writes is the same, operator for operator and byte for byte
(tests/editions/test_glyphs.py compares the PDFs of the same layouts written both ways).

It draws only the common case itself: no ellipsis (``text-overflow``, ``block-ellipsis``), no
glyph raised or lowered by the shaper, no glyph missing from the fonts (WeasyPrint warns and
draws .notdef), no colour or bitmap emoji font (SVG, PNG, COLR). A line with any of these is
handed to WeasyPrint's own function, which lays the line out again (the same layout) and draws
it; nothing of it has been written by then, and the fonts it met were added to the page's fonts
in the order WeasyPrint adds them.

Only with WeasyPrint 70 (whose function this copies); with any other version nothing is replaced.
"""

from __future__ import annotations

import contextlib
import struct

# PangoGlyphInfo: glyph (guint32), geometry (width, x_offset, y_offset: gint32), attributes (guint bits)
_GLYPH = struct.Struct("=IiiiI")


def _replacement(original):
    """A draw_first_line drawing the common case itself, or None if Pango's glyph layout is not
    the one this reads."""
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango

    if ffi.sizeof("PangoGlyphInfo") != _GLYPH.size:
        return None
    empty, unknown = pango.PANGO_GLYPH_EMPTY, pango.PANGO_GLYPH_UNKNOWN_FLAG
    old_pango = pango.pango_version() < 14802
    null = ffi.NULL
    ints = ffi.typeof("int32_t *")
    backend = getattr(ffi, "_backend", None)  # cffi's C functions, without the FFI object's wrappers
    cast = getattr(backend, "cast", ffi.cast)
    unpack = getattr(backend, "unpack", ffi.unpack)
    fragments: dict = {}  # (font, size) -> {(glyph, width, x offset): what the glyph writes}

    def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
        if text_overflow == "ellipsis" or block_ellipsis != "none":
            return fall_back(stream, textbox, text_overflow, block_ellipsis, matrix)
        if not textbox.text.strip():
            return []
        style = textbox.style
        if style["font_size"] < 1e-6:
            return []
        layout = textbox.pango_layout
        pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
        first_line, _ = layout.get_first_line()

        # Nothing is written to the stream before the whole line is read: a line this does not draw
        # goes to WeasyPrint's function as it is. (What was recorded in the fonts by then, the widths
        # and text of the glyphs before, is what WeasyPrint's loop records first, in the same order.)
        operations = []  # show_text's strings and set_font_size's arguments, in order
        pieces: list[str] = []  # the string of the current font
        previous = None
        font = font_size = known = None
        utf8_text = None
        run = first_line.runs[0]
        while run != null:
            glyph_item = run.data
            run = run.next
            glyph_string = glyph_item.glyphs
            count = glyph_string.num_glyphs
            pango_font = glyph_item.item.analysis.font
            if pango_font != previous:
                previous = pango_font
                font, font_size = stream.add_font(pango_font)
                if font.svg or font.png or font.colr:
                    return fall_back(stream, textbox, text_overflow, block_ellipsis, matrix)
                if old_pango:
                    font_size = style["font_size"]
                if pieces:
                    operations.append("".join(pieces))
                    pieces = []
                operations.append((font.hash, 1 if font.bitmap else font_size))
                known = fragments.setdefault((font, font_size), {})
            if not count:  # WeasyPrint opens and closes an empty list: nothing
                continue
            fields = unpack(cast(ints, glyph_string.glyphs), count * 5)  # 5 ints a glyph
            ids = fields[0::5]
            # raised glyphs; missing glyphs (the flag; invalid input is negative here; empty is neither)
            if any(fields[3::5]) or max(ids) >= unknown or min(ids) < 0:
                return fall_back(stream, textbox, text_overflow, block_ellipsis, matrix)
            pieces.append("<")
            for i, glyph in enumerate(zip(ids, fields[1::5], fields[2::5])):
                fragment = known.get(glyph)
                if fragment is None:  # WeasyPrint's loop, for a glyph first met with this advance and offset
                    glyph_id, width, x_offset = glyph
                    if glyph_id == empty:  # a zero-width empty glyph
                        fragment = f">{-width / font_size}<"
                    else:
                        to_unicode, widths = font.to_unicode, font.widths
                        if glyph_id not in to_unicode:  # the glyph's text, for copying text out of the PDF
                            item = glyph_item.item
                            clusters = glyph_string.log_clusters
                            t1 = clusters[i]
                            if item.analysis.level % 2:  # right to left
                                t2 = item.length if i == 0 else clusters[i - 1]
                            else:
                                t2 = item.length if i == count - 1 else clusters[i + 1]
                            utf8_text = utf8_text or layout.text.encode()
                            to_unicode[glyph_id] = utf8_text[item.offset + t1:item.offset + t2].decode()
                        offset = x_offset / font_size
                        fragment = f">{-offset}<" if offset else ""
                        fragment += format(glyph_id, "02x" if font.bitmap else "04x")
                        if glyph_id in widths:
                            logical_width = widths[glyph_id]
                        else:
                            pango.pango_font_get_glyph_extents(
                                pango_font, glyph_id, stream.ink_rect, stream.logical_rect)
                            logical_width = widths[glyph_id] = round(
                                stream.logical_rect.width * 1000 * FROM_UNITS / font_size)
                        kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size
                        if kerning:
                            fragment += f">{int(kerning)}<"
                    known[glyph] = fragment
                pieces.append(fragment)
            last = pieces[-1]  # WeasyPrint closes the list, or drops the "<" a spacing left open
            if last[-1] == "<":
                pieces[-1] = last[:-1]
            else:
                pieces.append(">")

        stream.set_text_matrix(*matrix.values)
        for operation in operations:
            if isinstance(operation, str):
                stream.show_text(operation)
            else:
                stream.set_font_size(*operation)
        stream.show_text("".join(pieces))
        return []

    def fall_back(*args):
        # WeasyPrint's function may give a missing glyph a width of its own (font.widths): what was
        # kept of the glyphs goes
        fragments.clear()
        return original(*args)

    return draw_first_line


@contextlib.contextmanager
def faster():
    """WeasyPrint draws lines of text with :func:`_replacement`'s function meanwhile (WeasyPrint 70)."""
    import weasyprint
    import weasyprint.draw.text as text

    original = text.draw_first_line
    replacement = _replacement(original) if weasyprint.__version__.split(".")[0] == "70" else None
    if replacement is None:
        yield
        return
    text.draw_first_line = replacement
    try:
        yield
    finally:
        text.draw_first_line = original
