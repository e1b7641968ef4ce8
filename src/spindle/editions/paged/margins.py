"""A part's margin boxes (folios, running heads) laid out again once its page numbers are known.

worker._renumber lays out every kept page's margin boxes with the real page numbers. WeasyPrint 70's
``make_margin_boxes`` (weasyprint/layout/page.py) makes all sixteen boxes of every page, resolving
their percentages, and lays out the content of every side that has one: about 2.4 ms a page, some
8% of a part's layout and writing. :func:`margin_boxes` does what it does, in the same order and
with the same results, but

- a side none of whose three boxes has content, and a corner without content, is not made at all
  (WeasyPrint makes those boxes and drops them: nothing of them reaches the page);
- a side whose boxes have the same text as on an earlier page of the part that the same @page rules
  apply to (the same styles, the same page box) is not laid out again: a copy of that page's boxes is used
  (the book's title on every left-hand page, the chapter's on every right-hand one). Only boxes
  whose content is text are copied so; a box with an image or a running element is laid out again.
  When the content is only quoted text and named strings (``string()``), the strings are compared
  before the boxes are made, and the boxes are not made either.

tests/editions/test_finish.py compares the PDFs written with both on the sample book's parts.
"""

from __future__ import annotations

import copy

SIDES = (
    ("top", False, ("left", "center", "right")),
    ("bottom", False, ("left", "center", "right")),
    ("left", True, ("top", "middle", "bottom")),
    ("right", True, ("top", "middle", "bottom")),
)
CORNERS = ("@top-left-corner", "@top-right-corner", "@bottom-left-corner", "@bottom-right-corner")
EMPTY = ("normal", "inhibit", "none")


def _generated(context, page, at_keyword: str) -> bool:
    style = context.style_for(page.page_type, at_keyword)
    return style is not None and style["content"] not in EMPTY  # no style: an anonymous one, content normal


def margin_boxes(context, page, state, memo: dict) -> list:
    """The laid-out margin boxes of *page*, as WeasyPrint 70's make_margin_boxes yields them.

    *memo* is kept by the caller for the pages of one layout (one context): it holds the sides laid
    out so far, by page type, page box and text."""
    from weasyprint.formatting_structure import boxes, build
    from weasyprint.layout.page import (
        _standardize_page_based_counters,
        compute_fixed_dimension,
        compute_variable_dimension,
        margin_box_content_layout,
    )
    from weasyprint.layout.percent import resolve_percentages

    def make_box(at_keyword):  # WeasyPrint's make_box before resolve_percentages
        style = context.style_for(page.page_type, at_keyword)
        if style is None:
            style = page.style.anonymous_style
        _standardize_page_based_counters(style, at_keyword)
        box = boxes.MarginBox(at_keyword, style)
        box.is_generated = style["content"] not in EMPTY
        if box.is_generated:
            margin_state = copy.deepcopy(state)
            quote_depth, counter_values, counter_scopes, _page_groups = margin_state
            counter_scopes.append(set())
            build.update_counters(margin_state, box.style)
            box.children = build.content_to_boxes(
                box.style, box, quote_depth, counter_values, context.get_image_from_uri,
                context.target_collector, context.counter_style, context, page)
            box.process_whitespace()
            box.process_text_transform()
            box = build.create_anonymous_boxes(box)
        return box

    def resolve(box, containing_block):  # the rest of it
        resolve_percentages(box, containing_block)
        if not box.is_generated:
            box.width = box.height = 0
            for side in ("top", "right", "bottom", "left"):
                box._reset_spacing(side)
        return box

    margin_top, margin_bottom = page.margin_top, page.margin_bottom
    margin_left, margin_right = page.margin_left, page.margin_right
    max_box_width, max_box_height = page.border_width(), page.border_height()
    page_end_x, page_end_y = margin_left + max_box_width, margin_top + max_box_height
    geometry = (_rules(context, page.page_type), margin_top, margin_bottom, margin_left, margin_right,
                max_box_width, max_box_height)

    generated = []  # (box, laid out already)
    for prefix, vertical, suffixes in SIDES:
        keywords = [f"@{prefix}-{suffix}" for suffix in suffixes]
        if not any(_generated(context, page, k) for k in keywords):
            continue
        containing_block, position_x, position_y = {
            "top": ((max_box_width, margin_top), margin_left, 0),
            "bottom": ((max_box_width, margin_bottom), margin_left, page_end_y),
            "left": ((margin_left, max_box_height), 0, margin_top),
            "right": ((margin_right, max_box_height), page_end_x, margin_top),
        }[prefix]
        if vertical:
            fixed_outer, variable_outer = containing_block
        else:
            variable_outer, fixed_outer = containing_block
        strings = _strings_key(context, page, keywords)
        if strings is not None:
            strings = (prefix, geometry, strings)
            if strings in memo:  # the same strings: not even the boxes are made again
                generated.extend((box.deepcopy(), True) for box in memo[strings])
                continue
        side_boxes = [make_box(k) for k in keywords]
        key = _text_key(side_boxes)
        if key is not None:
            key = (prefix, geometry, key)
            if key in memo:
                generated.extend((box.deepcopy(), True) for box in memo[key])
                if strings is not None:
                    memo[strings] = memo[key]
                continue
        side_boxes = [resolve(box, containing_block) for box in side_boxes]
        compute_variable_dimension(context, side_boxes, vertical, variable_outer)
        laid = []
        for box, offset in zip(side_boxes, [0, 0.5, 1]):
            if not box.is_generated:
                continue
            box.position_x, box.position_y = position_x, position_y
            if vertical:
                box.position_y += offset * (variable_outer - box.margin_height())
            else:
                box.position_x += offset * (variable_outer - box.margin_width())
            compute_fixed_dimension(context, box, fixed_outer, not vertical, prefix in ("top", "left"))
            laid.append(margin_box_content_layout(context, page, box))
        if key is not None:
            memo[key] = [box.deepcopy() for box in laid]
            if strings is not None:
                memo[strings] = memo[key]
        generated.extend((box, True) for box in laid)

    corners = (
        (margin_left, margin_top, 0, 0),
        (margin_right, margin_top, page_end_x, 0),
        (margin_left, margin_bottom, 0, page_end_y),
        (margin_right, margin_bottom, page_end_x, page_end_y),
    )
    for at_keyword, (cb_width, cb_height, position_x, position_y) in zip(CORNERS, corners):
        if not _generated(context, page, at_keyword):
            continue
        box = resolve(make_box(at_keyword), (cb_width, cb_height))
        box.position_x, box.position_y = position_x, position_y
        compute_fixed_dimension(context, box, cb_height, True, "top" in at_keyword)
        compute_fixed_dimension(context, box, cb_width, False, "left" in at_keyword)
        generated.append((box, False))

    return [box if done else margin_box_content_layout(context, page, box) for box, done in generated]


def _rules(context, page_type) -> tuple:
    """The @page rules that apply to a page type: pages they pick alike have the same styles, margin
    boxes' included (a page type names its page's number: WeasyPrint computes its styles per page)."""
    style_for = context.style_for
    match = style_for._page_type_match
    chosen, number = [], 0
    for sheet, _origin, _specificity in style_for._sheets:
        for _rule, selectors, _declarations in sheet.page_rules:
            for selector in selectors:
                if match(selector[2], page_type):
                    chosen.append(number)
                number += 1
    return (page_type.side, page_type.blank, page_type.name, tuple(chosen))


def _strings_key(context, page, keywords: list[str]):
    """What the side's boxes show when their content is only quoted text and named strings (the
    running heads), read without making the boxes; None otherwise."""
    key = []
    for at_keyword in keywords:
        style = context.style_for(page.page_type, at_keyword)
        if style is None or style["content"] in EMPTY:
            key.append(None)
            continue
        values = []
        for item in style["content"]:
            if item[0] == "string":
                values.append(item[1])
            elif item[0] == "string()":
                values.append(context.get_string_set_for(page, *item[1]))
            else:
                return None
        key.append(tuple(values))
    return ("strings", tuple(key))


def _text_key(side_boxes: list):
    """What the side's boxes show, when it is text only (None otherwise: lay them out again)."""
    from weasyprint.formatting_structure import boxes

    key = []
    for box in side_boxes:
        if not box.is_generated:
            key.append(None)
            continue
        parts: list = []
        stack = list(box.children)
        while stack:
            child = stack.pop(0)
            if isinstance(child, boxes.TextBox):
                parts.append(("text", child.text))
            elif type(child) in (boxes.LineBox, boxes.InlineBox) and child.element is None:
                parts.append((type(child).__name__, len(child.children)))
                stack[:0] = child.children
            else:
                return None
        key.append(tuple(parts))
    return tuple(key)
