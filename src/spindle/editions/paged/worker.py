"""Lay out one part of a paged edition with WeasyPrint, then number its pages.

A part (parts.py) is laid out before the page number of its first page is
known: the chapters of a book are laid out side by side, and a chapter's first
page number depends on how many pages all earlier chapters made. So the layout
happens in two steps, usually in a worker process (pipeline.py):

1. :func:`lay_out` lays the part out after a *lead page*: a page, dropped
   later, that stands for the end of the previous part. It is a ``body::before``
   box on a page of its own (the part's first element forces a page break, as
   every chapter does), on the side given by ``html { break-before: left|right }``,
   so a chapter that must open on a right-hand page gets the blank left-hand page
   WeasyPrint inserts before it, as in a single-pass layout. It reports the page
   count, the last value of each named string (running heads) and whether the
   first page after the lead is such a blank page.
2. :func:`finish` is told the real number of the lead page (which earlier parts
   now fix), whether the blank page is kept, and the named strings the earlier
   parts leave; it shifts the page counters, lays out the margin boxes (folios,
   running heads) again with those values, and writes the PDF of the kept pages.

The front part (title pages and table of contents) has no lead page: it starts
the book. Its table of contents refers to pages in other parts: ``target-counter()``
is given those page numbers through WeasyPrint's target collector (*externals*).
Links to other parts are kept by giving each such target a stand-in anchor; the
merge (merge.py) points them at the real destinations.

This module uses WeasyPrint 70's layout internals (the layout context's page
maker, margin boxes and target collector); pipeline.py falls back to a single
pass with any other major version.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib
import traceback
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from spindle.core import faults
from spindle.core.errors import BuildError, SpindleError
from spindle.editions.paged.engine import Collect, relevant

LEAD_CSS = """
body::before { content: ""; display: block; height: 1px; margin: 0; padding: 0; border: 0;
               break-before: auto; break-after: auto; float: none; position: static; }
"""
PLACEHOLDER = 888  # a page number for targets not known yet (a first layout of the table of contents)
SCALE = 0.75  # PDF points per CSS pixel


@dataclass(frozen=True)
class Styles:
    """What every part of an edition shares: stylesheets, page settings, options."""

    key: str  # a hash of all of it, and of the files the stylesheets refer to
    sheets: tuple[str, ...]  # stylesheet paths in cascade order; the last is custom.css
    settings: str  # the generated @page settings, inserted before the last sheet
    root: str  # the project folder
    allow_remote: bool = False
    variant: str | None = None  # a WeasyPrint pdf_variant ("pdf/x-4")
    identifier: str = ""
    shared: tuple[str, ...] = ()  # a series' shared theme folders, readable besides root
    # (a folder as the build names it, where its files are in this process): on a cluster worker
    # (remote.py), the paths and URLs stay the build's own (they name images in the PDF) and are
    # read from the worker's copies
    folders: tuple[tuple[str, str], ...] = ()
    base: str = ""  # what of the key is not the stylesheets' rules (the code, options, files referred to)


@dataclass(frozen=True)
class Job:
    name: str  # the part's name ("front" or the chapter id): prefixes its table-header ids
    html: str
    styles: Styles
    lead: str | None = None  # side of the lead page ("left"/"right"); None: the front part, no lead
    number: int = 1  # page number assumed for the lead page (or the first page of the front)
    externals: tuple[tuple[str, int], ...] = ()  # page numbers of targets in other parts
    page_starts: bool = False  # read where each page begins (the EPUB's page-list)
    stop_after: int = 0  # lay out this many pages only, the lead page included (0: all; a preview's first look)


@dataclass
class Laid:
    """A part laid out, not yet numbered."""

    pages: int  # pages after the lead page (a blank page before the content included)
    blank_lead: bool = False  # the first of them is a blank page inserted to open the content on its side
    first_side: str = "right"  # side of the first page after the lead
    strings: dict[str, str] = field(default_factory=dict)  # last value of each named string set in the part
    entry_strings: tuple[str, ...] = ()  # named strings the margin boxes take from earlier parts
    lookups: tuple[str, ...] = ()  # targets of target-counter() outside the part
    numbered_content: bool = False  # page numbers appear in the content (not only in margin boxes)
    problem: str | None = None  # why this part cannot be laid out on its own
    anchors: dict[str, int] = field(default_factory=dict)  # id -> page (0: the first after the lead)


@dataclass(frozen=True)
class Numbering:
    lead: int  # the page number of the lead page (of the first page for the front)
    keep_blank: bool = True  # keep the blank page before the content
    strings: tuple[tuple[str, str], ...] = ()  # named strings carried in from earlier parts


@dataclass
class Done:
    """A finished part: its PDF and what the merge and the build need to know."""

    pdf: bytes
    pages: int
    anchors: dict[str, tuple[int, float, float]]  # id -> (page index in the part, x, y in PDF points)
    stubs: tuple[str, ...]  # stand-in anchors for links to other parts (not real destinations)
    bookmarks: list[tuple[int, int, str, float, float, str]]  # (page index, level, label, x, y, state)
    starts: list | None = None  # pagemap.PageStart per page (numbered from 1 within the part)
    warnings: list[str] = field(default_factory=list)
    spills: list = field(default_factory=list)  # overflow.Spill, page = index in the part


# --- per-process state: stylesheets, fonts and images are parsed once and shared by every part ------

_STYLES: dict[str, tuple] = {}
_IMAGES: dict = {}


def reset() -> None:
    """Forget parsed stylesheets and fetched images (at the start of a build: files may have changed)."""
    _STYLES.clear()
    _IMAGES.clear()


def _styles(styles: Styles):
    if styles.key not in _STYLES:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        from spindle.editions.paged.fetcher import ProjectFetcher
        from spindle.theme import BUILTIN

        root = Path(styles.root)
        fetcher = ProjectFetcher([root, *map(Path, styles.shared), BUILTIN], allow_remote=styles.allow_remote,
                                 folders={Path(a): Path(b) for a, b in styles.folders})
        font_config = FontConfiguration()
        profiles: dict = {}
        common = dict(url_fetcher=fetcher, font_config=font_config, color_profiles=profiles)

        def sheet(path: str):  # through the fetcher when the files are copies (their URLs stay the build's)
            return CSS(url=Path(path).as_uri(), **common) if styles.folders else CSS(filename=path, **common)

        sheets = [sheet(p) for p in styles.sheets[:-1]]
        sheets.append(CSS(string=styles.settings, base_url=root.as_uri() + "/", **common))
        sheets.append(sheet(styles.sheets[-1]))
        for profile in profiles.values():
            _freeze(profile)
        if len(_STYLES) >= 2:  # a build lays out at most two paged editions
            _STYLES.clear()
        _STYLES[styles.key] = (fetcher, font_config, profiles, sheets)
    return _STYLES[styles.key]


def _freeze(profile) -> None:
    """An output profile read once: LittleCMS writes a profile out differently the second time
    (WeasyPrint asks for its bytes at every PDF written, and a worker writes many)."""
    data = profile.content
    base = type(profile)
    profile.__class__ = type("FrozenColorProfile", (base,), {"content": property(lambda self: data)})


# --- step 1: lay out --------------------------------------------------------------------------------------

@dataclass
class Held:
    job: Job
    document: object  # WeasyPrint Document (for its metadata and fonts)
    context: object  # WeasyPrint LayoutContext, kept to lay out margin boxes again
    boxes: list  # page boxes, the lead page first
    laid: Laid
    warnings: list[str]


def lay_out(job: Job) -> Held:
    """The part laid out keeping notes on their call's page (footnotes.notes_kept). That layout
    differs from WeasyPrint's own only where WeasyPrint would move a note to a later page, so it is
    the one layout of almost every part; only when a note is still off its call's page is the part
    laid out WeasyPrint's way as well, and the one with fewer such notes kept (as before)."""
    from spindle.editions.paged import footnotes

    faults.point("part")  # (SPINDLE_RAISE_AT=part: a bug in a layout worker, for the tests)
    with footnotes.notes_kept() as able:
        kept = _lay_out_once(job)
    moved = footnotes.displaced_in(kept.laid.anchors)
    if not able or not moved:
        return kept
    held = _lay_out_once(job)
    return kept if len(moved) < len(footnotes.displaced_in(held.laid.anchors)) else held


def _lay_out_once(job: Job) -> Held:
    import weasyprint.document as wdoc
    from weasyprint import CSS, HTML, LOGGER

    from spindle.editions.paged import imageids, textlayout
    from spindle.editions.paged.fetcher import RefusedURL

    textlayout.install()  # Pango layouts made with less repeated work (textlayout.py)
    imageids.use(Path(job.styles.root), tuple(job.styles.shared))  # (images named by their place in the project)
    try:
        fetcher, font_config, profiles, sheets = _styles(job.styles)
    except RefusedURL as exc:  # a stylesheet imports a file from outside the project
        raise BuildError(str(exc)) from None
    root = Path(job.styles.root)
    extra = ""
    if job.lead is not None:
        extra = LEAD_CSS + f"html {{ break-before: {job.lead}; }}\n@page :first {{ counter-reset: page {job.number}; }}\n"
    captured: dict = {}
    collector = Collect()
    externals = dict(job.externals)
    looked_up: set[str] = set()
    flags: set[str] = set()
    entry: set[str] = set()
    original_layout, original_collector = wdoc.layout_document, wdoc.TargetCollector

    class Collector(_external_collector(original_collector)):
        def __init__(self):
            super().__init__(externals, looked_up, flags)

    def capture(html, root_box, context, *args, **kwargs):
        captured["context"] = context
        _watch_strings(context, 1 if job.lead is not None else 0, entry)
        captured["boxes"] = boxes = list(original_layout(html, root_box, context, *args, **kwargs))
        return boxes

    import weasyprint.layout as wlayout

    original_margins, original_pages = wlayout.make_margin_boxes, wlayout.make_all_pages
    wdoc.layout_document, wdoc.TargetCollector = capture, Collector
    if job.stop_after:
        import itertools

        wlayout.make_all_pages = lambda *args: itertools.islice(original_pages(*args), job.stop_after)
    if job.lead is not None:  # margin boxes are laid out once the page numbers are known (finish)
        wlayout.make_margin_boxes = _margin_strings
    LOGGER.addHandler(collector)
    try:
        stylesheets = sheets + ([CSS(string=extra)] if extra else [])
        document = HTML(string=job.html, base_url=root.as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=stylesheets, font_config=font_config, pdf_tags=True, cache=_IMAGES,
            color_profiles=profiles, pdf_variant=job.styles.variant,
        )
    except RefusedURL as exc:
        raise BuildError(str(exc)) from None
    finally:
        wdoc.layout_document, wdoc.TargetCollector = original_layout, original_collector
        wlayout.make_margin_boxes, wlayout.make_all_pages = original_margins, original_pages
        LOGGER.removeHandler(collector)
    context, boxes = captured["context"], captured["boxes"]
    del context.get_string_set_for  # the watch (an attribute of this context) goes
    laid = _describe(job, context, boxes, looked_up, flags)
    laid.entry_strings = tuple(sorted(entry))
    lead = 1 if job.lead is not None else 0
    for index, page in enumerate(document.pages[lead:]):
        for name in page.anchors:
            laid.anchors.setdefault(name, index)
    return Held(job, document, context, boxes, laid, relevant(collector.messages))


MARGIN_BOXES = tuple(
    [f"@{side}-{place}" for side in ("top", "bottom") for place in ("left", "center", "right")]
    + [f"@{side}-{place}" for side in ("left", "right") for place in ("top", "middle", "bottom")]
    + [f"@{corner}-corner" for corner in ("top-left", "top-right", "bottom-left", "bottom-right")])


def _margin_strings(context, page, state):
    """Stands in for WeasyPrint's make_margin_boxes in a part's first layout: lays out no
    margin box (finish does, with the real page numbers), but looks up the named strings
    the margin boxes show, so _watch_strings learns which ones come from earlier parts."""
    for at_keyword in MARGIN_BOXES:
        style = context.style_for(page.page_type, at_keyword)
        if style is None:
            continue
        content = style["content"]
        if content in ("normal", "inhibit", "none") or not isinstance(content, (list, tuple)):
            continue
        for item in content:
            if item[0] == "string()":
                context.get_string_set_for(page, *item[1])
    return iter(())


def _watch_strings(context, lead: int, entry: set[str]) -> None:
    """Note the named strings a margin box looks up where the part itself has set none yet:
    their values come from earlier parts."""
    original = context.get_string_set_for

    def lookup(page, name, keyword="first"):
        store = context.string_set[name]
        if not any(store.get(p) for p in range(lead + 1, context.current_page + 1)):
            entry.add(name)
        return original(page, name, keyword)

    context.get_string_set_for = lookup


def _external_collector(base):
    """A TargetCollector that knows the page numbers of targets in other parts."""
    from weasyprint.css.targets import TargetLookupItem, anchor_name_from_token
    from weasyprint.urls import get_url_tuple

    class _Target:  # stands in for a target box in another part
        cached_counter_values: dict = {}

        def __init__(self, flags: set[str]):
            self.flags = flags

        def extract_text(self, *args) -> str:
            self.flags.add("target-text")
            return ""

    class Collector(base):
        def __init__(self, externals: dict[str, int], looked_up: set[str], flags: set[str]):
            super().__init__()
            self.externals, self.looked_up, self.flags = externals, looked_up, flags
            self.injected: set[str] = set()

        def collect_anchor(self, anchor_name):
            if anchor_name in self.injected:  # defined here after all
                self.injected.discard(anchor_name)
                self.looked_up.discard(anchor_name)
                del self.target_lookup_items[anchor_name]
            super().collect_anchor(anchor_name)

        def lookup_target(self, anchor_token, source_box, css_token, parse_again):
            token = anchor_token
            if token[0] == "attr()":
                attr_name, type_, fallback = token[1]
                value = source_box.element.get(attr_name, fallback)
                token = ("string", value) if type_ == "string" else ("url", get_url_tuple(value, source_box.style.base_url))
            name = anchor_name_from_token(token)
            if isinstance(name, str) and name not in self.target_lookup_items:
                item = TargetLookupItem("up-to-date")
                item.target_box = _Target(self.flags)
                item.cached_page_counter_values = {"page": [self.externals.get(name, PLACEHOLDER)]}
                self.target_lookup_items[name] = item
                self.injected.add(name)
                self.looked_up.add(name)
            return super().lookup_target(anchor_token, source_box, css_token, parse_again)

    return Collector


def _describe(job: Job, context, boxes: list, looked_up: set[str], flags: set[str]) -> Laid:
    lead = 1 if job.lead is not None else 0
    problem = None
    if lead and (len(boxes) < 2 or _has_content(boxes[0])):
        problem = "a chapter does not open on a new page (its first element forces no page break)"
    if "target-text" in flags:
        problem = "target-text() refers to another chapter"
    strings: dict[str, str] = {}
    for name, by_page in context.string_set.items():
        assigned = [p for p, values in by_page.items() if values and p > lead]
        if assigned:
            strings[name] = by_page[max(assigned)][-1]
    numbered = False
    for item in context.target_collector.counter_lookup_items.values():
        if "page" in item.missing_counters or any("page" in v for v in item.missing_target_counters.values()):
            numbered = True
            break
    first = boxes[lead] if len(boxes) > lead else None
    return Laid(
        pages=len(boxes) - lead,
        blank_lead=bool(lead and first is not None and first.page_type.blank),
        first_side=first.page_type.side if first is not None else "right",
        strings=strings,
        lookups=tuple(sorted(looked_up)),
        numbered_content=numbered,
        problem=problem,
    )


def _has_content(page_box) -> bool:
    """Whether the lead page holds anything of the document besides the lead box."""
    root = page_box.children[0]

    def visit(box) -> bool:
        for child in getattr(box, "children", None) or ():
            tag = getattr(child, "element_tag", None) or ""
            if tag not in ("", "html", "body", "body::before"):
                return True
            if visit(child):
                return True
        return False

    return visit(root)


# --- step 2: number and write -----------------------------------------------------------------------------

def finish(held: Held, numbering: Numbering) -> Done:
    from weasyprint import LOGGER
    from weasyprint.document import Document, Page

    from spindle.editions.paged import glyphs
    from spindle.editions.paged.fetcher import RefusedURL

    job, context, boxes = held.job, held.context, held.boxes
    lead = 1 if job.lead is not None else 0
    kept = list(range(lead, len(boxes)))
    if lead and held.laid.blank_lead and not numbering.keep_blank:
        kept = kept[1:]
    if lead:
        _renumber(context, boxes, kept, numbering.lead - job.number, dict(numbering.strings))
    pages = [Page(boxes[i]) for i in kept]
    from spindle.editions.paged import overflow

    spills = overflow.find([boxes[i] for i in kept]) + overflow.underfull([boxes[i] for i in kept])
    own: set[str] = set()
    for page in pages:
        own.update(page.anchors)
    targets = {target for page in pages for kind, target, _, _ in page.links if kind == "internal"}
    stubs = tuple(sorted(targets - own))
    if stubs and pages:
        for name in stubs:
            pages[0].anchors[name] = (0, 0, 0, 0)
    document = held.document
    out = Document(pages, document.metadata, document.url_fetcher, document.font_config,
                   document.color_profiles, document.output_intent)
    collector = Collect()
    LOGGER.addHandler(collector)
    try:
        pdf_id = hashlib.sha256(job.styles.identifier.encode()).hexdigest()[:32].encode()
        with _faster_compression(), _page_references_kept(), glyphs.faster():
            data = out.write_pdf(pdf_tags=True, pdf_identifier=pdf_id, pdf_variant=job.styles.variant,
                                 finisher=_unique_header_ids(job.name))
    except RefusedURL as exc:
        raise BuildError(str(exc)) from None
    finally:
        LOGGER.removeHandler(collector)
    anchors: dict[str, tuple[int, float, float]] = {}
    bookmarks: list[tuple[int, int, str, float, float, str]] = []
    for index, page in enumerate(pages):
        height = page.height
        for name, (x, y, _, _) in page.anchors.items():
            if name not in anchors and name not in stubs:
                anchors[name] = (index, x * SCALE, (height - y) * SCALE)
        for level, label, (x, y), state in page.bookmarks:
            bookmarks.append((index, level, label, x * SCALE, (height - y) * SCALE, state))
    starts = None
    if job.page_starts:
        from spindle.editions.paged import pagemap

        starts = pagemap.page_starts(out)
    warnings = held.warnings + [m for m in relevant(collector.messages) if m not in held.warnings]
    return Done(pdf=data, pages=len(pages), anchors=anchors, stubs=stubs, bookmarks=bookmarks, starts=starts,
                warnings=warnings, spills=spills)


class _Zlib:
    """zlib as pydyf sees it while a part is written: its level 9 asked for as level 6, which
    takes a third of the time for streams about 2% larger (the content is the same)."""

    def __getattr__(self, name):
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level: int = -1, *args, **kwargs):
        return zlib.compressobj(min(level, 6), *args, **kwargs)


@contextlib.contextmanager
def _faster_compression():
    import pydyf

    saved = pydyf.zlib
    pydyf.zlib = _Zlib()
    try:
        yield
    finally:
        pydyf.zlib = saved


@contextlib.contextmanager
def _page_references_kept():
    """pydyf's ``PDF.page_references`` builds the tuple of every page's reference each time it is
    read, and WeasyPrint's tagging reads it for every structure element (pdf/tags.py) and link:
    quadratic in a part's pages, some 1.8 million references built for the bench book. While a part
    is written the tuple is kept until a page is added (the pages' list is only ever extended)."""
    import pydyf

    original = pydyf.PDF.__dict__.get("page_references")
    if not isinstance(original, property):  # another pydyf: leave it
        yield
        return

    def page_references(pdf):
        kids = pdf.pages["Kids"]
        kept = pdf.__dict__.get("_spindle_page_references")
        if kept is None or kept[0] is not kids or kept[1] != len(kids):
            kept = pdf.__dict__["_spindle_page_references"] = (kids, len(kids), original.fget(pdf))
        return kept[2]

    pydyf.PDF.page_references = property(page_references)
    try:
        yield
    finally:
        pydyf.PDF.page_references = original


def _unique_header_ids(prefix: str):
    """WeasyPrint names table header cells in the structure tree after PDF object numbers, which
    repeat from part to part: prefix them with the part's name so they stay unique once merged."""
    import pydyf

    def rename(value):
        return pydyf.String(f"{prefix}-{value.string}") if isinstance(value, pydyf.String) else value

    def finisher(document, pdf) -> None:
        for obj in pdf.objects:
            if not isinstance(obj, pydyf.Dictionary) or obj.get("Type") != "/StructElem":
                continue
            if "ID" in obj:
                obj["ID"] = rename(obj["ID"])
            attributes = obj.get("A")
            if isinstance(attributes, pydyf.Dictionary) and "Headers" in attributes:
                attributes["Headers"] = pydyf.Array([rename(h) for h in attributes["Headers"]])

    return finisher


def _renumber(context, boxes: list, kept: list[int], delta: int, strings: dict[str, str]) -> None:
    """Shift the page counters by *delta*, carry in *strings*, and lay out the kept pages' margin boxes again."""
    from weasyprint.formatting_structure import boxes as box_types
    from weasyprint.layout.background import layout_box_backgrounds

    from spindle.editions.paged import margins

    if delta:
        for item in context.page_maker:
            counters = item[3][1]
            if "page" in counters:
                counters["page"] = [value + delta for value in counters["page"]]
    for name, value in strings.items():  # as if set on the lead page, before the part's own assignments
        context.string_set[name][1] = [value]
    memo: dict = {}  # sides laid out already, by page type and text (margins.py)
    for index in kept:
        page = boxes[index]
        context.current_page = index + 1
        state = context.page_maker[index + 1][3]
        content = [child for child in page.children if not isinstance(child, box_types.MarginBox)]
        laid = margins.margin_boxes(context, page, state, memo)
        for margin in laid:
            layout_box_backgrounds(page, margin, context.get_image_from_uri)
        page.children = tuple(content + laid)


# --- the worker process -----------------------------------------------------------------------------------

def _die_with_parent() -> None:
    """On Linux, ask to be killed when the build's process dies (killed, it cannot stop us)."""
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def warm(styles: Styles) -> None:
    """Read *styles* (parse the stylesheets, load their fonts) while the build reads the manuscript:
    the first part laid out then finds them read, as any later part does. (Laying out a few lines as
    well, to pay WeasyPrint's other first-use costs, measured slower: this process, importing
    WeasyPrint, is the later of the two to be ready after a one-chapter edit.) Nothing is answered:
    a problem here is met again, and reported, by the first part laid out."""
    try:
        _styles(styles)
    except Exception:  # noqa: BLE001 - see above
        pass


def serve(conn, scratch: str | None = None) -> None:
    """A worker: lay out jobs, number and write them when told, until told to stop; its temporary
    files go in the folder *scratch* (which the build removes: this process may be killed)."""
    held: dict = {}
    _die_with_parent()
    if scratch is not None:
        import tempfile

        tempfile.tempdir = scratch
    reset()
    for module in ("weasyprint.document", "weasyprint.layout", "spindle.editions.paged.pagemap"):
        importlib.import_module(module)  # while the build reads the manuscript
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        kind, key = message[0], message[1]
        if kind == "stop":
            return
        try:
            if kind == "job":
                held[key] = lay_out(message[2])
                conn.send(("laid", key, held[key].laid))
            elif kind == "number":
                done = finish(held.pop(key), message[2])
                conn.send(("done", key, done))
                del done
                gc.collect()  # after answering: the layout's cycles go while the build goes on
            elif kind == "drop":
                held.pop(key, None)
                gc.collect()
            elif kind == "warm":
                warm(message[2])
        except SpindleError as exc:
            held.pop(key, None)
            # the message is the answer: what it was raised from stays here (pickled along, as it is
            # once tblib's pickling is installed, an exception it came from may not be rebuilt there)
            exc.__context__ = exc.__cause__ = exc.__traceback__ = None
            conn.send(("error", key, exc))
        except (KeyboardInterrupt, SystemExit):
            return
        except BaseException:  # a bug: report it with its traceback rather than hang the build
            held.pop(key, None)
            conn.send(("crash", key, traceback.format_exc()))
