"""WeasyPrint 70's drawing of a line of text, its loop over glyphs made cheaper.

Writing a part's PDF spends about a third of its time in WeasyPrint's ``draw_first_line``
(weasyprint/draw/text.py), most of it in Python for every glyph: four attribute reads through
cffi per glyph, a string grown one glyph at a time. :func:`faster` puts in its place, while a part
is written, a version that reads each run's glyphs from Pango's array at once (``struct``) and
joins the run's operators once; what it writes is the same, operator for operator and byte for
byte (tests/editions/test_glyphs.py compares the PDFs of the same layouts written both ways).

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
    unpack = _GLYPH.iter_unpack
    buffer = ffi.buffer

    def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
        if text_overflow == "ellipsis" or block_ellipsis != "none":
            return original(stream, textbox, text_overflow, block_ellipsis, matrix)
        if not textbox.text.strip():
            return []
        style = textbox.style
        if style["font_size"] < 1e-6:
            return []
        layout = textbox.pango_layout
        pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
        first_line, _ = layout.get_first_line()

        # Read every run first: anything this does not draw goes to WeasyPrint's function before a
        # byte is written (stream.add_font only adds the font, as WeasyPrint's loop does, in order).
        runs = []
        previous = None
        font = font_size = None
        run = first_line.runs[0]
        while run != null:
            glyph_item = run.data
            run = run.next
            glyph_string = glyph_item.glyphs
            count = glyph_string.num_glyphs
            pango_font = glyph_item.item.analysis.font
            changed = pango_font != previous
            if changed:
                previous = pango_font
                font, font_size = stream.add_font(pango_font)
                if font.svg or font.png or font.colr:
                    return original(stream, textbox, text_overflow, block_ellipsis, matrix)
                if old_pango:
                    font_size = style["font_size"]
            glyphs = list(unpack(buffer(glyph_string.glyphs, count * _GLYPH.size))) if count else []
            for glyph_id, _, _, rise, _ in glyphs:
                if rise or (glyph_id & unknown and glyph_id != empty):
                    return original(stream, textbox, text_overflow, block_ellipsis, matrix)
            runs.append((changed, pango_font, font, font_size, glyph_item, glyph_string, glyphs))

        stream.set_text_matrix(*matrix.values)
        string = ""
        utf8_text = None
        for changed, pango_font, font, font_size, glyph_item, glyph_string, glyphs in runs:
            if changed:
                if string:
                    stream.show_text(string)
                string = ""
                stream.set_font_size(font.hash, 1 if font.bitmap else font_size)
            to_unicode, widths = font.to_unicode, font.widths
            digits = "02x" if font.bitmap else "04x"
            out = ["<"]
            append = out.append
            last = len(glyphs) - 1
            for i, (glyph_id, width, x_offset, _, _) in enumerate(glyphs):
                if glyph_id == empty:  # a zero-width empty glyph
                    append(f">{-width / font_size}<")
                    continue
                if glyph_id not in to_unicode:  # the glyph's text, for copying text out of the PDF
                    item = glyph_item.item
                    clusters = glyph_string.log_clusters
                    t1 = clusters[i]
                    if item.analysis.level % 2:  # right to left
                        t2 = item.length if i == 0 else clusters[i - 1]
                    else:
                        t2 = item.length if i == last else clusters[i + 1]
                    utf8_text = utf8_text or layout.text.encode()
                    to_unicode[glyph_id] = utf8_text[item.offset + t1:item.offset + t2].decode()
                offset = x_offset / font_size
                if offset:
                    append(f">{-offset}<")
                append(format(glyph_id, digits))
                if glyph_id in widths:
                    logical_width = widths[glyph_id]
                else:
                    pango.pango_font_get_glyph_extents(pango_font, glyph_id, stream.ink_rect, stream.logical_rect)
                    logical_width = widths[glyph_id] = round(
                        stream.logical_rect.width * 1000 * FROM_UNITS / font_size)
                kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size
                if kerning:
                    append(f">{int(kerning)}<")
            string += "".join(out)
            if string[-1] == "<":
                string = string[:-1]
            else:
                string += ">"
        stream.show_text(string)
        return []

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
