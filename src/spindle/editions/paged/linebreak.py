"""WeasyPrint 70's ``split_first_line`` without the Pango layouts whose answer is already known.

Breaking one line of a justified, hyphenated paragraph, WeasyPrint 70 lays the text out with
Pango again and again (issue 16, the bench book): a draft of the line with the text that follows
it, then the draft's first line with the next word appended ("the next word may fit without the
space after it"), then, longest first, each hyphenation of the next word appended, and at last
(``first_line_metrics``) the kept text again at unlimited width. Counted on a 60-page bench book:
32,071 Pango texts laid out, 23,373 with this module, the same lines.

1. A "next word" or hyphenation try is skipped when the draft shows it too wide: the draft's
   second line begins with the word tried, shaped as on the first line, so

       width of the draft's first line (Pango leaves its final space out)
       + the position, on the draft's second line, of the end of the word (or word part) tried
       >  the line's width + a margin (a quarter of the font size)

   means the try does not fit. Everything the try adds is left out of that sum (the space
   between the two, the hyphen); what could make the sum larger than the try is shaping that
   joins the pieces differently (kerning or a ligature at the end of the word tried, followed
   by a space on the draft's second line, by the text's end or the hyphen in the try): a few
   hundredths of the font size where measured (the bench book, trpl, the mdBook guide, the
   sample book, tests/fixtures/pages: no wrong skip among about 100,000 audited), far below the
   margin. Conditions keep out what this does not cover: scripts other than Latin, Greek,
   Cyrillic and general punctuation (whose shaping may span words), tabs, soft hyphens and new
   lines, negative word or letter spacing, right-to-left lines, an empty first line (where
   WeasyPrint keeps the try whatever its width).

   A skipped "next word" try leaves the draft's first line where WeasyPrint 70 would have kept
   the try's: the same line, as the try, too wide, breaks at the draft's break (the last
   opportunity before the word tried, which has none inside it), and Pango shapes a line's
   part of a broken item again on its own. That line is laid out again by
   ``first_line_metrics`` or replaced by a hyphenation's layout either way. A skipped
   hyphenation try leaves nothing behind: WeasyPrint keeps only the try that fits.

2. ``first_line_metrics`` lays the kept text out again at unlimited width; when the layout
   already holds that very text in one line (a next word that fitted; each word of a
   min-content width, as of a page's margin boxes) the line is measured as it is: Pango makes
   the line of an unbroken text the same at any width (every item inserted as shaped; no line
   end adjusted, as nothing was wrapped).

``AUDIT`` (tests only) makes every skipped try run as well and every line measured without a
relayout laid out again, and counts in ``AUDIT["wrong"]`` any answer that would have differed.
"""

from __future__ import annotations

import re
from math import inf

# (imported only by textlayout.install, where WeasyPrint is in use: names bound once, not per line)
import pyphen
from weasyprint.layout.percent import percentage
from weasyprint.text.constants import PANGO_WRAP_MODE
from weasyprint.text.ffi import FROM_UNITS, TO_UNITS, ffi, pango
from weasyprint.text.line_break import (
    create_layout, first_line_metrics, get_next_break_point, get_next_break_point_from_text, get_next_word_boundaries,
    line_size)

AUDIT: dict | None = None  # tests: {"skipped": tries skipped, "kept": lines not laid out again, "wrong": n}

_SIMPLE = re.compile("[^\x20-\x7e\xa0-\xac\xae-\u058f\u2010-\u2027\u2030-\u205e]")  # text outside these: no skip
_MARGIN = 0.25  # of the font size: above any kerning or ligature difference at the joins

_SAVED: dict = {}
_USERS = ("weasyprint.text.line_break", "weasyprint.layout.inline", "weasyprint.layout.preferred")


def install() -> None:
    import importlib

    if _SAVED:
        return
    from weasyprint.text import line_break

    _SAVED["split_first_line"] = original = line_break.split_first_line
    _ffi()
    for name in _USERS:
        module = importlib.import_module(name)
        if getattr(module, "split_first_line", None) is original:
            setattr(module, "split_first_line", split_first_line)


def uninstall() -> None:
    import importlib

    if not _SAVED:
        return
    original = _SAVED.pop("split_first_line")
    for name in _USERS:
        module = importlib.import_module(name)
        if getattr(module, "split_first_line", None) is split_first_line:
            setattr(module, "split_first_line", original)


_LIB: tuple = ()  # (cffi.FFI, Pango) with pango_layout_line_index_to_x


def _ffi() -> tuple:
    """Pango's pango_layout_line_index_to_x, which WeasyPrint's bindings leave out."""
    global _LIB
    if not _LIB:
        import cffi
        from weasyprint.text import ffi as wffi

        own = cffi.FFI()
        own.include(wffi.ffi)
        own.cdef("void pango_layout_line_index_to_x (PangoLayoutLine *line, int index_, int trailing, int *x_pos);")
        _LIB = (own, wffi._dlopen(own, "libpango-1.0-0", "pango-1.0-0", "pango-1.0", "libpango-1.0.so.0",
                                  "libpango-1.0.dylib", "libpango-1.0-0.dll"))
    return _LIB


def _simple(style) -> bool:
    """Whether this style's text may be measured from its draft (the conditions of the docstring)."""
    known = style.__dict__.get("_spindle_simple")
    if known is None:
        letter, word = style["letter_spacing"], style["word_spacing"]
        known = (letter == "normal" or letter >= 0) and word >= 0 and style["direction"] == "ltr" and bool(style["font_size"])
        style.__dict__["_spindle_simple"] = known
    return known


class _Draft:
    """What the tries are measured on: a layout whose first line is *first_text* and whose
    second line begins with the words tried (the draft, while no try was made on it); its first
    line measured once."""

    __slots__ = ("text", "chars", "start", "width", "second", "end", "x")

    def __init__(self, layout, first_text: str, style) -> None:
        self.width = None
        if not first_text or not _simple(style) or _SIMPLE.search(first_text) or not layout.text.startswith(first_text):
            return
        self.text, self.chars, self.start = layout.text, len(first_text), len(first_text.encode())
        second = pango.pango_layout_get_line_readonly(layout.layout, 1)
        if second == ffi.NULL or second.start_index != self.start:
            return
        first = pango.pango_layout_get_line_readonly(layout.layout, 0)
        if first.length != self.start or first.resolved_dir != 0 or second.resolved_dir != 0:  # 0: LTR
            return
        lffi, _ = _ffi()
        rectangle = ffi.new("PangoRectangle *")  # a draft's own (a cluster's worker may break lines in threads)
        pango.pango_layout_line_get_extents(first, ffi.NULL, rectangle)
        self.x = lffi.new("int *")
        self.second, self.end = lffi.cast("PangoLayoutLine *", second), self.start + second.length
        self.width = rectangle.width

    def too_wide(self, end_text: str, max_width, style) -> bool:
        """Whether the first line and *end_text* (which the second line begins with), laid out
        alone, would be wider than *max_width* by the margin."""
        width = self.measured(end_text)
        return width is not None and width > (max_width + _MARGIN * style["font_size"]) * TO_UNITS

    def measured(self, end_text: str) -> int | None:
        """The width, in Pango units, of the first line and of the second line up to the end of
        *end_text*; None where the conditions are not met."""
        if self.width is None or _SIMPLE.search(end_text) or not self.text.startswith(end_text, self.chars):
            return None
        end = self.start + len(end_text.encode())
        if end > self.end:
            return None
        _, lib = _ffi()
        lib.pango_layout_line_index_to_x(self.second, end, 0, self.x)
        return self.width + self.x[0]


def split_first_line(text, style, context, max_width, justification_spacing,
                     is_line_start=True, minimum=False):
    """WeasyPrint 70's split_first_line (weasyprint/text/line_break.py), the same answers, with
    the tries that cannot fit skipped (see the module's docstring): its code, with the skips
    marked."""
    text_wrap = style['white_space'] in ('normal', 'pre-wrap', 'pre-line')
    space_collapse = style['white_space'] in ('normal', 'nowrap', 'pre-line')

    original_max_width = max_width
    if not text_wrap:
        max_width = None

    # Step #1: Get a draft layout with the first line.
    ratio = 4
    short_text = text
    if max_width is not None and max_width != inf and style['font_size']:
        if style['font_size'] * ratio > max_width:
            space_index = text.find(' ')
            if space_index != -1:
                short_text = text[:space_index+2]
        else:
            short_text = text[:int(max_width / style['font_size'] * ratio)]
        layout = create_layout(
            short_text, style, context, max_width, justification_spacing)
        first_line, resume_index = layout.get_first_line()
        if resume_index is None and short_text != text:
            short_text = text
            layout.set_text(text)
            first_line, resume_index = layout.get_first_line()
        else:
            first_line_text = short_text.encode()[:resume_index].decode()
            if first_line_text != short_text:
                start, end = len(first_line_text) + 1, len(short_text)
                text_end_log_attrs = pango.pango_layout_get_log_attrs_readonly(
                    layout.layout, ffi.NULL)[start:end]
                if get_next_break_point(text_end_log_attrs) is not None:
                    text = short_text
    else:
        layout = create_layout(
            text, style, context, original_max_width, justification_spacing)
        first_line, resume_index = layout.get_first_line()

    # Step #2: Don't split lines when it's not needed.
    if max_width is None:
        return _first_line_metrics(
            first_line, text, layout, resume_index, space_collapse, style)
    first_line_width, _ = line_size(first_line, style)
    if resume_index is None and first_line_width <= max_width:
        return _first_line_metrics(
            first_line, text, layout, resume_index, space_collapse, style)

    # Step #3: Try to put the first word of the second line on the first line
    if first_line_width <= max_width:
        encoded_text = text.encode()
        first_line_text = encoded_text[:resume_index].decode()
        second_line_text = encoded_text[resume_index:].decode()
    else:
        first_line_text = ''
        second_line_text = text
    if first_line_text == short_text:
        break_point = None
    else:
        log_attrs = pango.pango_layout_get_log_attrs_readonly(layout.layout, ffi.NULL)
        start, end = len(first_line_text) + 1, len(short_text)
        second_line_log_attrs = log_attrs[start:end]
        break_point = get_next_break_point(second_line_log_attrs)
    next_word = second_line_text[:break_point].rstrip(' ')
    draft = None  # spindle: what the tries are measured on (_Draft)
    if next_word:
        if space_collapse and second_line_text[break_point or -1] == ' ':
            new_first_line_text = first_line_text + next_word
            # spindle: the try is skipped when the draft shows it too wide; WeasyPrint would
            # have kept its first line, the draft's (module docstring)
            draft = _Draft(layout, first_line_text, style)
            skip = '\xad' not in text and draft.too_wide(next_word, max_width, style)
            if skip and AUDIT is not None:
                _audit_next_word(new_first_line_text, first_line, style, context, max_width,
                                 justification_spacing)
            if not skip:
                draft = None  # its layout holds the try now
                layout.set_text(new_first_line_text)
                first_line, resume_index = layout.get_first_line()
                if resume_index is None:
                    if first_line_text:
                        resume_index = len(new_first_line_text.encode()) + 1
                        return _first_line_metrics(
                            first_line, text, layout, resume_index, space_collapse, style)
                    else:
                        resume_index = first_line.length + 1
                        if resume_index >= len(text.encode()):
                            resume_index = None
    elif first_line_text:
        return _first_line_metrics(
            first_line, text, layout, resume_index, space_collapse, style)

    # Step #4: Try to hyphenate
    hyphens = style['hyphens']
    lang = style['lang'] and pyphen.language_fallback(style['lang'])
    total, left, right = style['hyphenate_limit_chars']
    hyphenated = False
    soft_hyphen = '\xad'

    auto_hyphenation = manual_hyphenation = False

    if hyphens != 'none':
        manual_hyphenation = soft_hyphen in first_line_text + second_line_text

    if hyphens == 'auto' and lang:
        next_text = second_line_text
        if (next_break_point := get_next_break_point_from_text(second_line_text, lang)):
            next_text = next_text[:next_break_point]

        next_text_index = 0
        while next_text:
            next_word_boundaries = get_next_word_boundaries(next_text, lang)
            if next_word_boundaries:
                start_word, stop_word = next_word_boundaries
                next_word = next_text[start_word:stop_word]
                if stop_word - start_word >= total:
                    first_line_width, _ = line_size(first_line, style)
                    space = max_width - first_line_width
                    limit_zone = percentage(
                        style['hyphenate_limit_zone'], style, max_width)
                    if space > limit_zone or space < 0:
                        auto_hyphenation = True
                        next_text_index += start_word
                        break

                next_text = next_text[stop_word:]
                next_text_index += stop_word
            else:
                break

    if manual_hyphenation:
        if first_line_text.endswith(soft_hyphen):
            first_line_text, second_line_text = '', first_line_text
        soft_hyphen_indexes = [
            match.start() for match in re.finditer(soft_hyphen, second_line_text)]
        soft_hyphen_indexes.reverse()
        dictionary_iterations = [second_line_text[:i+1] for i in soft_hyphen_indexes]
    elif auto_hyphenation:
        dictionary_key = (lang, left, right, total)
        dictionary = context.dictionaries.get(dictionary_key)
        if dictionary is None:
            dictionary = pyphen.Pyphen(lang=lang, left=left, right=right)
            context.dictionaries[dictionary_key] = dictionary
        previous_words = second_line_text[:next_text_index]
        dictionary_iterations = [
            previous_words + start for start, end in dictionary.iterate(next_word)]
    else:
        dictionary_iterations = []

    if dictionary_iterations:
        for first_word_part in dictionary_iterations:
            new_first_line_text = first_line_text + first_word_part
            hyphenated_first_line_text = (
                new_first_line_text + style['hyphenate_character'])
            # spindle: a try the draft shows too wide is skipped (module docstring): it would
            # not have been kept, the last one included (the line breaks before the word)
            if draft is None and not manual_hyphenation:
                draft = _Draft(layout, first_line_text, style)
            if not manual_hyphenation and draft.too_wide(first_word_part, max_width, style):
                if AUDIT is not None:
                    _audit_hyphenation(hyphenated_first_line_text, first_word_part == dictionary_iterations[-1],
                                       style, context, max_width, justification_spacing)
                continue
            new_layout = create_layout(
                hyphenated_first_line_text, style, context, max_width,
                justification_spacing)
            new_first_line, index = new_layout.get_first_line()
            new_first_line_width, _ = line_size(new_first_line, style)
            new_space = max_width - new_first_line_width
            hyphenated = index is None and (
                new_space >= 0 or first_word_part == dictionary_iterations[-1])
            if hyphenated:
                layout = new_layout
                first_line = new_first_line
                resume_index = len(new_first_line_text.encode())
                break

        if not hyphenated and not first_line_text:
            hyphenated = True
            layout.set_text(hyphenated_first_line_text)
            pango.pango_layout_set_width(layout.layout, -1)
            first_line, _ = layout.get_first_line()
            resume_index = len(new_first_line_text.encode())
            if text[len(first_line_text)] == soft_hyphen:
                resume_index += len(soft_hyphen.encode())

    if not hyphenated and first_line_text.endswith(soft_hyphen):
        hyphenated = True
        hyphenated_first_line_text = (
            first_line_text + style['hyphenate_character'])
        layout.set_text(hyphenated_first_line_text)
        pango.pango_layout_set_width(layout.layout, -1)
        first_line, _ = layout.get_first_line()
        resume_index = len(first_line_text.encode())

    # Step 5: Try to break word if it's too long for the line
    overflow_wrap = style['overflow_wrap']
    first_line_width, _ = line_size(first_line, style)
    space = max_width - first_line_width
    can_break = (
        style['word_break'] == 'break-all' or (
            is_line_start and (
                overflow_wrap == 'anywhere' or
                (overflow_wrap == 'break-word' and not minimum))))
    if space < 0 and can_break:
        hyphenated = False
        layout.set_text(text)
        pango.pango_layout_set_width(layout.layout, int(max_width * TO_UNITS))
        pango.pango_layout_set_wrap(layout.layout, PANGO_WRAP_MODE['WRAP_CHAR'])
        first_line, index = layout.get_first_line()
        resume_index = index or first_line.length
        if resume_index >= len(text.encode()):
            resume_index = None

    return _first_line_metrics(
        first_line, text, layout, resume_index, space_collapse, style,
        hyphenated, style['hyphenate_character'])


def _first_line_metrics(first_line, text, layout, resume_at, space_collapse, style, hyphenated=False,
                        hyphenation_character=None):
    """WeasyPrint 70's first_line_metrics, without laying the kept text out again when the layout
    holds that very text in one line: Pango makes the line of a text that is not broken the
    same at any width (each item's glyphs as shaped; no line end to adjust), and WeasyPrint's
    relayout only lifts the width."""
    if resume_at and not hyphenated:
        kept = text.encode()[:first_line.length].decode()
        if space_collapse:
            kept = kept.rstrip(' ')
        if (kept == layout.text and pango.pango_layout_get_line_readonly(layout.layout, 1) == ffi.NULL
                and first_line == pango.pango_layout_get_line_readonly(layout.layout, 0)):
            if AUDIT is not None:
                return _audit_metrics(first_line, text, layout, resume_at, space_collapse, style)
            width, height = line_size(first_line, style)
            baseline = pango.pango_layout_get_baseline(layout.layout) * FROM_UNITS
            layout.first_line_direction = first_line.resolved_dir
            length = first_line.length
            layout.deactivate()
            return layout, length, resume_at, width, height, baseline
    return first_line_metrics(first_line, text, layout, resume_at, space_collapse, style, hyphenated,
                              hyphenation_character)


def _audit_metrics(first_line, text, layout, resume_at, space_collapse, style):
    """Tests: the kept line measured as _first_line_metrics measures it and laid out again as
    WeasyPrint does; wrong if they differ. WeasyPrint's answer is returned."""
    ours = (first_line.length, *line_size(first_line, style), pango.pango_layout_get_baseline(layout.layout) * FROM_UNITS,
            first_line.resolved_dir, layout.text)
    answer = first_line_metrics(first_line, text, layout, resume_at, space_collapse, style)
    theirs = (answer[1], answer[3], answer[4], answer[5], layout.first_line_direction, layout.text)
    AUDIT["kept"] = AUDIT.get("kept", 0) + 1
    if ours != theirs:
        AUDIT["wrong"] = AUDIT.get("wrong", 0) + 1
    return answer


def _audit_next_word(new_text, draft_line, style, context, max_width, justification_spacing) -> None:
    """Tests: the skipped "next word" try made anyway, on a layout of its own; wrong if it fits
    or breaks elsewhere than the draft or gives its first line another width."""

    AUDIT["skipped"] = AUDIT.get("skipped", 0) + 1
    layout = create_layout(new_text, style, context, max_width, justification_spacing)
    line, index = layout.get_first_line()
    if index is None or line.length != draft_line.length or line_size(line, style) != line_size(draft_line, style):
        AUDIT["wrong"] = AUDIT.get("wrong", 0) + 1


def _audit_hyphenation(hyphenated_text, last, style, context, max_width, justification_spacing) -> None:
    """Tests: the skipped hyphenation try made anyway; wrong if WeasyPrint would have kept it."""
    AUDIT["skipped"] = AUDIT.get("skipped", 0) + 1
    layout = create_layout(hyphenated_text, style, context, max_width, justification_spacing)
    line, index = layout.get_first_line()
    if index is None and (max_width - line_size(line, style)[0] >= 0 or last):
        AUDIT["wrong"] = AUDIT.get("wrong", 0) + 1
