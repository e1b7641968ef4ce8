"""Work WeasyPrint 70 repeats while it lays a part out, done once: the same pages, less CPU.

Five functions of WeasyPrint 70 are replaced by versions that keep an answer which depends only
on a computed style (kept on the style object, so it goes with the style) or on a kind of page,
instead of working it out again at every line or page (issue 16: a part's layout, bench book).

WeasyPrint lays text out through Pango layouts (``weasyprint.text.line_break.Layout``). Breaking
one line of a justified, hyphenated paragraph makes two to five of them (a draft of the line,
the next word tried on it, hyphenation attempts, the line again at unlimited width), and
drawing makes one more per text box; each new one made a Pango context, a font description
(the family list joined and copied to C), the language, the OpenType feature list and, for
underlined text, the font metrics: the same for every layout of one computed style.

1. ``Layout.setup``: what a style's layouts share is made once per computed style and every
   layout of the style is made from it: its own Pango layout and attribute list, as before, on
   the style's one Pango context. A context is never changed after it is made (WeasyPrint sets
   its language, direction and glyph rounding only here), so a shared one lays text out as a
   new one would.
2. Justification (``layout.inline.add_word_spacing``) made a whole Pango layout for every
   justified text box and dropped its Pango objects at once (``deactivate``), keeping only the
   text and the spacing, which drawing lays out again (``reactivate``). It now keeps a
   deactivated layout without making the Pango objects: the same text (as ``set_text`` would
   have stored it), spacing and decoration metrics.
3. ``strut`` (a line's height and baseline from its style, asked for every line and every inline
   box) built a string of fifteen style values to look its answer up; the answer is now kept on
   the style.
4. ``resolve_percentages`` (a box's margins, paddings, sizes and borders from its style and its
   containing block's size, at every layout of every box, every line's boxes included) is kept
   on the style per containing-block size: its answer depends on nothing else (tables with
   collapsed borders, whose border widths come from elsewhere, are left to WeasyPrint).
5. ``StyleFor.add_page_declarations`` (the @page rules matched against every page, margin boxes
   included: about half a millisecond a page) is answered once per kind of page (side, blank,
   first, name) in a document, when no @page selector counts pages (``:nth()``), and its
   declarations are added in the order WeasyPrint adds them.

``install`` also puts ``linebreak.split_first_line`` in place (fewer Pango layouts per line
broken: its docstring).

All five give byte-identical PDFs (tests/editions/test_textlayout.py compares books laid out with
and without them; the bench book's 27 parts were compared too); installed only on WeasyPrint 70,
whose functions they stand in for. A computed style's values do not change once computed
(WeasyPrint changes only fresh copies of a style), so what is kept on a style stays right for it.
"""

from __future__ import annotations

_SAVED: dict = {}
_KEY = "_spindle_text"  # the attribute of a computed style that holds its shared Pango objects
_STRUT = "_spindle_strut"  # ... and its strut
_PERCENT = "_spindle_percentages"  # ... and its used lengths per containing-block size
# what resolve_percentages sets on a box
_USED = tuple(f"{kind}_{side}" for kind in ("margin", "padding") for side in ("top", "right", "bottom", "left")) + (
    "width", "min_width", "max_width", "height", "min_height", "max_height") + tuple(
    f"border_{side}_width" for side in ("top", "right", "bottom", "left"))
_USERS = ("percent", "inline", "page", "float", "grid", "absolute", "block", "column", "table")  # weasyprint.layout.*


def supported() -> bool:
    import weasyprint

    return weasyprint.__version__.split(".")[0] == "70"


def install() -> None:
    """Put the five in place (once per process; nothing on another WeasyPrint)."""
    if _SAVED or not supported():
        return
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    _SAVED["setup"] = line_break.Layout.setup
    _SAVED["create_layout"] = inline.create_layout
    _SAVED["strut"] = inline.strut
    line_break.Layout.setup = _setup
    inline.create_layout = _deactivated_layout
    inline.strut = _strut
    _SAVED["resolve_percentages"] = _replace("resolve_percentages", _resolve_percentages)
    from weasyprint.css import StyleFor

    _SAVED["add_page_declarations"] = StyleFor.add_page_declarations
    StyleFor.add_page_declarations = _add_page_declarations
    from spindle.editions.paged import linebreak

    linebreak.install()


def uninstall() -> None:
    """WeasyPrint's own functions back (tests compare the two)."""
    if not _SAVED:
        return
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    line_break.Layout.setup = _SAVED.pop("setup")
    inline.create_layout = _SAVED.pop("create_layout")
    inline.strut = _SAVED.pop("strut")
    _replace("resolve_percentages", _SAVED.pop("resolve_percentages"))
    from weasyprint.css import StyleFor

    StyleFor.add_page_declarations = _SAVED.pop("add_page_declarations")
    from spindle.editions.paged import linebreak

    linebreak.uninstall()


def _shared(style):
    """The Pango objects every layout of *style* shares, made as WeasyPrint 70's Layout.setup
    makes them."""
    shared = style.__dict__.get(_KEY)
    if shared is not None:
        return shared
    from weasyprint.text.constants import LST_TO_ISO, PANGO_DIRECTION
    from weasyprint.text.ffi import FROM_UNITS, ffi, gobject, pango, unicode_to_char_p
    from weasyprint.text.fonts import font_features, get_font_description

    context = ffi.gc(pango.pango_font_map_create_context(style.font_config.font_map), gobject.g_object_unref)
    pango.pango_context_set_round_glyph_positions(context, False)
    pango.pango_context_set_base_dir(context, PANGO_DIRECTION[style["direction"]])
    if style["font_language_override"] != "normal":
        lang_p, lang = unicode_to_char_p(LST_TO_ISO.get(
            style["font_language_override"].lower(), style["font_language_override"]))
    elif style["lang"]:
        lang_p, lang = unicode_to_char_p(style["lang"])
    else:
        lang = None
        language = pango.pango_language_get_default()
    if lang:
        language = pango.pango_language_from_string(lang_p)
        pango.pango_context_set_language(context, language)
    assert not isinstance(style["font_family"], str), "font_family should be a list"
    description = get_font_description(style)
    metrics = {"ascent": None, "underline_position": None, "strikethrough_position": None}
    if style["text_decoration_line"] != "none":
        font_metrics = ffi.gc(pango.pango_context_get_metrics(context, description, language),
                              pango.pango_font_metrics_unref)
        metrics = {
            "ascent": FROM_UNITS * pango.pango_font_metrics_get_ascent(font_metrics),
            "underline_position": FROM_UNITS * pango.pango_font_metrics_get_underline_position(font_metrics),
            "strikethrough_position": FROM_UNITS * pango.pango_font_metrics_get_strikethrough_position(font_metrics),
            "underline_thickness": FROM_UNITS * pango.pango_font_metrics_get_underline_thickness(font_metrics),
            "strikethrough_thickness": FROM_UNITS * pango.pango_font_metrics_get_strikethrough_thickness(font_metrics),
        }
    features = font_features(
        style["font_kerning"], style["font_variant_ligatures"], style["font_variant_position"],
        style["font_variant_caps"], style["font_variant_numeric"], style["font_variant_alternates"],
        style["font_variant_east_asian"], style["font_feature_settings"])
    attribute = None
    if features:
        features = ",".join(f"{key} {value}" for key, value in features.items()).encode()
        cache = style.font_config.font_features  # WeasyPrint's own: one attribute per feature list
        attribute = cache.get(features)
        if attribute is None:
            attribute = cache[features] = pango.pango_attr_font_features_new(features)
    shared = (context, language, description, metrics, attribute)
    style.__dict__[_KEY] = shared
    return shared


def _setup(self, style) -> None:
    """WeasyPrint 70's Layout.setup, from the style's shared objects."""
    from weasyprint.text.ffi import ffi, gobject, pango

    context, language, description, metrics, attribute = _shared(style)
    self.style = style
    self.first_line_direction = 0
    self.language = language
    self.layout = ffi.gc(pango.pango_layout_new(context), gobject.g_object_unref)
    pango.pango_layout_set_auto_dir(self.layout, False)
    pango.pango_layout_set_font_description(self.layout, description)
    self.__dict__.update(metrics)
    if attribute is not None:
        attr_list = pango.pango_attr_list_new()
        pango.pango_attr_list_insert(attr_list, attribute)
        pango.pango_layout_set_attributes(self.layout, attr_list)


def _deactivated_layout(text, style, context, max_width, justification_spacing):
    """What ``create_layout(...)`` followed by ``deactivate()`` leaves (add_word_spacing's only
    use of it), without making the Pango objects that deactivate drops."""
    from weasyprint.text.line_break import Layout

    layout = Layout.__new__(Layout)
    layout.justification_spacing = justification_spacing
    layout.max_width = max_width
    layout.first_line_direction = 0
    layout.__dict__.update(_shared(style)[3])
    index = text.find("\n")  # Layout.set_text keeps the first line and one character
    if index != -1:
        text = text[:index + 2]
    if style["word_spacing"] and text.encode().replace(b"\x00", b"") == b" ":
        text = " \u200b"  # set_text: one space needs a zero-width space after it to take word spacing
    layout.text = text
    layout.layout = layout.language = layout.style = None  # for deactivate() to delete
    return layout


def _strut(style):
    """WeasyPrint's strut(style), kept on the style."""
    found = style.__dict__.get(_STRUT)
    if found is None:
        found = style.__dict__[_STRUT] = _SAVED["strut"](style)
    return found


def _replace(name: str, function):
    """Put *function* in place of weasyprint.layout.percent's *name* in every module that imported
    it; returns the one it replaced."""
    import importlib

    modules = [importlib.import_module(f"weasyprint.layout.{module}") for module in _USERS]
    replaced = getattr(modules[0], name)
    for module in modules:
        if getattr(module, name) is replaced:
            setattr(module, name, function)
    return replaced


def _resolve_percentages(box, containing_block):
    """WeasyPrint's resolve_percentages, its answer kept on the box's style per containing-block size."""
    from weasyprint.formatting_structure.boxes import Box, PageBox

    style = box.style
    if style["border_collapse"] == "collapse":  # border widths may come from the table's border conflicts
        return _SAVED["resolve_percentages"](box, containing_block)
    if isinstance(containing_block, Box):
        key = (containing_block.width, containing_block.height, isinstance(box, PageBox))
    else:
        key = (*containing_block, isinstance(box, PageBox))
    known = style.__dict__.get(_PERCENT)
    if known is None:
        known = style.__dict__[_PERCENT] = {}
    used = known.get(key)
    if used is None:
        _SAVED["resolve_percentages"](box, containing_block)
        known[key] = {name: getattr(box, name) for name in _USED}
    else:
        box.__dict__.update(used)


def _add_page_declarations(self, page_type) -> None:
    """WeasyPrint's StyleFor.add_page_declarations, answered once per kind of page."""
    kinds = self.__dict__.get("_spindle_pages")
    if kinds is None:
        selectors = [selector for sheet, _, _ in self._sheets for _, selector_list, _ in sheet.page_rules
                     for selector in selector_list]
        counted = any(selector[2].index is not None for selector in selectors)  # :nth(): per page
        kinds = self.__dict__["_spindle_pages"] = (counted, {selector[1] for selector in selectors}, {})
    counted, pseudo_types, known = kinds
    if counted:
        return _SAVED["add_page_declarations"](self, page_type)
    cascaded = self._cascaded_styles
    kind = (page_type.side, page_type.blank, page_type.index == 0, page_type.name)
    found = known.get(kind)
    fresh = not any((page_type, pseudo) in cascaded for pseudo in pseudo_types)
    if found is None or not fresh:
        before = len(cascaded)
        _SAVED["add_page_declarations"](self, page_type)
        if found is None and fresh:  # what it added, in the order it added it
            known[kind] = [(key[1], dict(cascaded[key])) for key in list(cascaded)[before:]]
        return
    for pseudo, declarations in found:
        cascaded[page_type, pseudo] = dict(declarations)
