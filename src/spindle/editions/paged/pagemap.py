"""Where each printed page begins, carried into the EPUB as a page-list.

The print edition's layout (WeasyPrint's Document) is read page by page: the
first piece of text (or image) in the main flow of page N is located by its
nearest ancestor element with an id, the number of letters and digits of that
element's text before it, and the first letters of the page as a probe. Only
letters and digits are counted, so hyphenation, whitespace and quote styles do
not matter; generated content (page numbers, running heads, footnote calls,
list markers) and the footnotes themselves are left out on both sides.

The EPUB writer then inserts ``<span epub:type="pagebreak" role="doc-pagebreak"
id="page-N" aria-label="N"/>`` at that place in the XHTML (checked against the
probe, searched for near it when the two editions' text differs, e.g. in the
table of contents) and lists the markers in the navigation document's
page-list. A page without text (a blank verso) shares the place of the next
page that has some. Pages whose text has no counterpart in the EPUB (the half
title) do too.
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass

from lxml import etree

XHTML = "http://www.w3.org/1999/xhtml"
EPUB = "http://www.idpf.org/2007/ops"
PROBE = 16
# elements whose text one edition has and the other has not, or has elsewhere
_SKIP_CLASSES = frozenset({"footnote", "footnotes", "noteref", "noteref-again", "pagebreak"})


@dataclass(frozen=True)
class PageStart:
    number: int  # the printed page (1-based, as counted by the print edition)
    anchor: str | None  # nearest ancestor id of the page's first text or image; None: none found
    chars: int = 0  # letters and digits of the anchor's text before that place
    images: int = 0  # images inside the anchor before that place
    image: bool = False  # the page starts with an image rather than text
    probe: str = ""  # the page's first letters and digits, lower-cased
    blank: bool = False  # a page left blank on purpose (signature padding, a verso before a right-hand start)


def alnum(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


# --- reading the print layout ----------------------------------------------------------------------

def page_starts(document) -> list[PageStart]:
    """One PageStart per page of a WeasyPrint Document."""
    from weasyprint.formatting_structure import boxes

    chars: dict[str, int] = {}
    images: dict[str, int] = {}
    seen_heads: set[int] = set()
    starts: list[PageStart] = []
    for number, page in enumerate(document.pages, 1):
        first: PageStart | None = None
        probe = ""
        heads_here: set[int] = set()
        roots = [c for c in page._page_box.children if getattr(c, "element_tag", None) == "html"]
        for box, anchors in _leaves(roots, [], boxes, seen_heads, heads_here):
            if isinstance(box, boxes.TextBox):
                letters = alnum(box.text)
                if not letters:
                    continue
                if first is None:
                    first = PageStart(number, anchors[-1] if anchors else None,
                                      chars.get(anchors[-1], 0) if anchors else 0,
                                      images.get(anchors[-1], 0) if anchors else 0, False)
                if len(probe) < PROBE:
                    probe += letters.lower()
                for anchor in anchors:
                    chars[anchor] = chars.get(anchor, 0) + len(letters)
            else:  # an image
                if first is None:
                    first = PageStart(number, anchors[-1] if anchors else None,
                                      chars.get(anchors[-1], 0) if anchors else 0,
                                      images.get(anchors[-1], 0) if anchors else 0, True)
                for anchor in anchors:
                    images[anchor] = images.get(anchor, 0) + 1
        seen_heads |= heads_here
        if first is None:
            starts.append(PageStart(number, None, blank=_blank(page._page_box)))
        else:
            starts.append(dataclasses.replace(first, probe=probe[:PROBE] if not first.image else ""))
    return starts


def _blank(page_box) -> bool:
    """Whether a page without text or images was left blank on purpose: the page WeasyPrint
    inserts so that the next opens on its side, or a signature-padding page (print.css)."""
    page_type = getattr(page_box, "page_type", None)
    return bool(page_type is not None and (page_type.blank or page_type.name == "signature-blank"))


def _leaves(children, anchors: list[str], boxes, seen_heads: set[int], heads_here: set[int]):
    """Text and image boxes in document order, each with the ids of its ancestors."""
    for box in children:
        tag = getattr(box, "element_tag", "") or ""
        if "::" in tag or isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
            continue  # generated content: markers, footnote calls, leaders
        element = getattr(box, "element", None)
        own: list[str] = []
        if element is not None and not isinstance(box, (boxes.LineBox, boxes.TextBox)):
            classes = set((element.get("class") or "").split())
            if classes & _SKIP_CLASSES:
                continue
            if tag == "thead":  # a table header repeated on the next page is not new text
                if id(element) in seen_heads:
                    continue
                heads_here.add(id(element))
            ident = element.get("id")
            if ident and (not anchors or anchors[-1] != ident):
                own = [ident]
        if isinstance(box, boxes.TextBox):
            yield box, anchors
        elif isinstance(box, boxes.ReplacedBox):
            yield box, anchors + own
        else:
            yield from _leaves(getattr(box, "children", None) or [], anchors + own, boxes, seen_heads, heads_here)


# --- marking the EPUB -------------------------------------------------------------------------------

@dataclass
class _Document:
    href: str
    tree: etree._ElementTree
    changed: bool = False
    ids: set[str] | None = None
    index: dict | None = None

    def by_id(self, ident: str):
        if self.index is None:
            self.index = {}
            for element in self.tree.iter():
                value = element.get("id") if isinstance(element.tag, str) else None
                if value is not None:
                    self.index.setdefault(value, element)
        return self.index.get(ident)

    def marker_id(self, number: int) -> str:
        """page-N, unless the document already has that id (a chapter 'page' with a heading '1')."""
        if self.ids is None:
            self.ids = set(self.tree.xpath("//@id"))
        candidate, n = f"page-{number}", 2
        while candidate in self.ids:
            candidate, n = f"page-{number}-{n}", n + 1
        self.ids.add(candidate)
        return candidate


def mark(documents: dict[str, str], starts: list[PageStart], where: dict[str, str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Insert page-break markers into the EPUB's XHTML documents.

    *documents* maps file names to XHTML, *where* maps ids to the file holding
    them. Returns the changed documents and the page-list entries (label, href)
    in page order."""
    parsed: dict[str, _Document] = {}

    def doc(href: str) -> _Document:
        if href not in parsed:
            parser = etree.XMLParser(remove_blank_text=False, resolve_entities=False)
            parsed[href] = _Document(href, etree.ElementTree(etree.fromstring(documents[href].encode("utf-8"), parser)))
        return parsed[href]

    places: list[tuple[_Document, etree._Element] | None] = []
    for start in starts:
        href = where.get(start.anchor) if start.anchor else None
        if href is None or href not in documents:
            places.append(None)
            continue
        d = doc(href)
        element = d.by_id(start.anchor)
        places.append(None if element is None else (d, element))
    # Every place is found in the documents as they are, then the markers go in: each
    # element's text is read once, so the work grows with the book, not with its square.
    texts: dict[int, _Text] = {}
    inserts: list[tuple[object, object, int, str]] = []
    entries: list[tuple[str, str]] = []
    pending: list[PageStart] = []
    last_place = None
    for start, place in zip(starts, places):
        if place is None:
            pending.append(start)
            continue
        d, element = place
        owner, at = _locate(element, start, texts)
        group = [(page.number, d.marker_id(page.number)) for page in [*pending, start]]
        inserts += [(owner, at, number, ident) for number, ident in group]
        entries += [(str(number), f"{d.href}#{ident}") for number, ident in group]
        d.changed = True
        pending = []
        last_place = d
    _insert_all(inserts)
    if pending and last_place is not None:  # trailing pages without text: at the end of the last document
        body = last_place.tree.getroot().find(f"{{{XHTML}}}body")
        target = body[-1] if len(body) else body
        for page in pending:
            ident = last_place.marker_id(page.number)
            target.append(_marker(page.number, ident))
            entries.append((str(page.number), f"{last_place.href}#{ident}"))
        last_place.changed = True
    entries.sort(key=lambda e: int(e[0]))
    out = dict(documents)
    for d in parsed.values():
        if d.changed:
            out[d.href] = _serialise(d.tree, documents[d.href])
    return out, entries


def _skipped(element) -> bool:
    classes = set((element.get("class") or "").split())
    return bool(classes & _SKIP_CLASSES) or element.get(f"{{{EPUB}}}type") in ("footnote", "pagebreak")


def _text_slots(element):
    """(owner, 'text'|'tail', text) in document order inside *element*, skipping notes."""
    if element.text:
        yield element, "text", element.text
    for child in element:
        if isinstance(child.tag, str) and not _skipped(child):  # comments keep only their tails
            yield from _text_slots(child)
        if child.tail:
            yield child, "tail", child.tail


def _images(element):
    for child in element.iter(f"{{{XHTML}}}img", "{http://www.w3.org/2000/svg}svg"):
        if not any(_skipped(a) for a in child.iterancestors()):
            yield child


class _Text:
    """An element's text, read once: its slots, their letters, and where each slot's letters begin."""

    def __init__(self, element):
        self.slots = list(_text_slots(element))
        self.begins: list[int] = []
        parts, total = [], 0
        for _, _, text in self.slots:
            self.begins.append(total)
            letters = alnum(text)
            parts.append(letters)
            total += len(letters)
        self.total = total
        self.letters = "".join(parts).lower()


def _locate(element, start: PageStart, texts: dict[int, _Text] | None = None):
    """Where the marker goes: (element, child index) or (element, ('text'|'tail'|'end', offset))."""
    if start.image:
        images = list(_images(element))
        if start.images < len(images):
            img = images[start.images]
            return img.getparent(), img.getparent().index(img)
        return element, 0
    texts = {} if texts is None else texts
    text = texts.get(id(element))
    if text is None:
        text = texts[id(element)] = _Text(element)
    target = start.chars
    if start.probe and text.letters[target:target + len(start.probe)] != start.probe:
        target = _nearest(text.letters, start.probe, target)
    return _at_letter(text, target, element)


def _nearest(letters: str, probe: str, around: int) -> int:
    """The occurrence of *probe* nearest to *around* (or *around* if none)."""
    best, pos = None, letters.find(probe)
    while pos != -1:
        if best is None or abs(pos - around) < abs(best - around):
            best = pos
        pos = letters.find(probe, pos + 1)
    if best is None and len(probe) > 6:
        return _nearest(letters, probe[:6], around)
    return around if best is None else best


def _at_letter(text: _Text, target: int, element):
    """(owner, 'text'|'tail', offset) of the target-th letter, moved back over
    the punctuation that opens its word (an opening quote stays with its word)."""
    if not 0 <= target < text.total:
        return element, ("end", 0)
    index = bisect.bisect_right(text.begins, target) - 1
    owner, kind, value = text.slots[index]
    seen = text.begins[index]
    for offset, ch in enumerate(value):
        if ch.isalnum():
            if seen == target:
                while offset > 0 and not value[offset - 1].isspace() and not value[offset - 1].isalnum():
                    offset -= 1
                return owner, (kind, offset)
            seen += 1
    return element, ("end", 0)


def _marker(number: int, ident: str):
    span = etree.Element(f"{{{XHTML}}}span", nsmap={None: XHTML})
    span.set(f"{{{EPUB}}}type", "pagebreak")
    span.set("role", "doc-pagebreak")
    span.set("id", ident)
    span.set("aria-label", str(number))
    return span


def _insert_all(inserts: list[tuple[object, object, int, str]]) -> None:
    """Insert markers at places found in the unchanged documents, in an order that keeps
    every place valid: before child elements (from the last), at elements' ends, then in
    tails and texts (from the last offset). Markers sharing a place stay in page order."""
    def kind(at) -> str:
        return "child" if isinstance(at, int) else at[0]

    ordered = (
        sorted((i for i in inserts if kind(i[1]) == "child"), key=lambda i: (-i[1], -i[2]))
        + sorted((i for i in inserts if kind(i[1]) == "end"), key=lambda i: i[2])
        + sorted((i for i in inserts if kind(i[1]) == "tail"), key=lambda i: (-i[1][1], -i[2]))
        + sorted((i for i in inserts if kind(i[1]) == "text"), key=lambda i: (-i[1][1], -i[2]))
    )
    for owner, at, number, ident in ordered:
        _insert(owner, at, number, ident)


def _insert(owner, where, number: int, ident: str) -> None:
    span = _marker(number, ident)
    if isinstance(where, int):  # before a child element
        owner.insert(where, span)
        return
    kind, offset = where
    if kind == "end":
        owner.append(span)
    elif kind == "text":
        text = owner.text or ""
        owner.text, span.tail = text[:offset], text[offset:]
        owner.insert(0, span)
    else:  # in the tail of owner: after owner, inside its parent
        text = owner.tail or ""
        owner.tail, span.tail = text[:offset], text[offset:]
        parent = owner.getparent()
        parent.insert(parent.index(owner) + 1, span)


def _serialise(tree, original: str) -> str:
    body = etree.tostring(tree.getroot(), encoding="unicode")
    head = original[: original.index("<html")]
    return head + body + "\n"
