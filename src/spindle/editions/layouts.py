"""Lay out the requested paged editions (screen PDF, print): part by part
(pipeline.py: cached, in parallel) or, with ``--single-pass`` or when a book's
stylesheets need it, as one WeasyPrint document. Both give the same book;
tests/editions/test_fastpath.py compares them."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

from spindle.core import cache as caching
from spindle.core import faults
from spindle.manuscript.model import Book
from spindle.editions.paged.engine import Laid
from spindle.theme import BUILTIN, Theme

UNDATED = 0  # the date the part-by-part layouts' HTML carries (the merged PDF gets the build's)
_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_IMPORT = re.compile(r"""@import\s+(['"])([^'"]+)\1""")


def identifier(book: Book, edition: str) -> str:
    return f"{book.meta.title}|{edition}|{book.meta.isbn.print or book.meta.identifier}"


def lay_out(book: Book, theme: Theme, editions: list[str], *, epoch: int | None, allow_remote: bool,
            pool, single_pass: bool, store: caching.Cache, report: Callable[[str], None],
            font_config=None) -> tuple[dict[str, Laid], list[str]]:
    """Every edition in *editions* ("pdf", "print") laid out, part by part with *pool*
    (a pipeline.Pool) unless *single_pass*; and notes on how."""
    from spindle.editions.paged import scheduler as pipeline

    jobs = pool.jobs
    notes: list[str] = []
    laid: dict[str, Laid] = {}
    todo = to_lay_out(book.project, editions)
    how = ""  # how the screen PDF was finished from the print layout
    screen = "pdf" in editions and "pdf" not in todo  # the screen PDF is finished from the print layout
    finish_print = "print" in editions
    raw: dict = {}  # the print layout before it is finished (what the screen PDF is made from)
    reason = "--single-pass" if single_pass else pipeline.supported_engine()
    if reason is None and todo:
        specs, problems = {}, {}
        for name in todo:
            guess = _last_padding(book, store) if name == "print" else None
            spec = _edition(book, theme, name, epoch, allow_remote, guess, finish_print=finish_print,
                            screen=screen and name == "print", guessed=guess is not None, store=store)
            if isinstance(spec, str):
                problems[name] = spec
            else:
                specs[name] = spec
        while specs:
            try:
                outcomes = pipeline.lay_out(list(specs.values()), pool, store, report)
            except pipeline.Unsplittable as exc:
                bad = _which(exc, specs)
                problems[bad] = str(exc)
                del specs[bad]
                continue
            for name, outcome in outcomes.items():
                laid[name] = _from_outcome(book, name, outcome, finish_print)
                if name == "print":
                    _remember_padding(book, store, laid[name].padding)
                if outcome.derived is not None:
                    laid["pdf"] = _screen_laid(laid[name], *outcome.derived)
                    how = (f"; part by part: {outcome.derived_now} finished now, the others from the cache"
                           if outcome.derived_now is not None else "; from the whole layout")
                notes.append(f"{name}: laid out in {outcome.parts} parts ({outcome.laid_out} laid out now, "
                             f"the others from the cache), {jobs} worker{'s' if jobs != 1 else ''}")
            break
        for name, problem in problems.items():
            notes.append(f"{name}: laid out in one pass: {problem}")
    elif todo:
        notes += [f"{name}: laid out in one pass: {reason}" for name in todo]
    for name in todo:
        if name not in laid:
            report(f"{name}: laying out in one pass …")
            laid[name] = _single_pass(book, theme, name, epoch, allow_remote, font_config)
            if name == "print":
                raw["pdf"] = laid[name].pdf
    if screen:
        if "pdf" not in laid:
            laid["pdf"] = _screen(book, theme, laid["print"], raw["pdf"], epoch)
        notes.append(f"pdf: made from the print edition's layout: {laid['pdf'].pages} pages "
                     f"({laid['print'].pages - laid['pdf'].pages} blank print pages left out; printed page numbers "
                     f"as page labels){how}")
    return laid, notes


def to_lay_out(project, editions) -> list[str]:
    """The layouts that *editions* need: the print edition's alone for a screen PDF made from it
    (book.toml's editions.pdf.layout, project.config.Editions.screen_layout)."""
    wanted = [e for e in ("pdf", "print") if e in editions]
    if "pdf" in wanted and project.config.editions.screen_layout == "print":
        wanted = ["print"]
    return wanted


def _screen(book: Book, theme: Theme, printed: Laid, raw: bytes, epoch: int | None) -> Laid:
    """The screen PDF finished from the print layout (editions/print/screen)."""
    from spindle.editions.print import screen

    faults.point("screen")
    starts = printed.starts or []
    blanks = [s.blank for s in starts] if len(starts) == printed.pages else None
    made = screen.derive(raw, blanks, identifier(book, "pdf"), epoch, _link_colour(theme))
    return _screen_laid(printed, made.pdf, made.numbers)


def _screen_laid(printed: Laid, pdf: bytes, numbers: tuple[int, ...]) -> Laid:
    return Laid(pdf=pdf, pages=len(numbers), where=dict(printed.where), warnings=list(printed.warnings),
                spills=list(printed.spills), finished=True, numbers=numbers, from_print=True)


def _padding_slot(book: Book) -> str:
    return caching.digest(str(book.project.root.resolve()), "print", "padding")


def _last_padding(book: Book, store: caching.Cache):
    """The print edition's signature padding in the last build (signatures.Padding), or None: a
    rebuild lays out its first round with it (see _Rounds.next), not without padding first."""
    from spindle.editions.print import signatures

    value = store.read_json("padding", _padding_slot(book))
    if not isinstance(value, dict):
        return None
    try:
        padding = signatures.Padding(**value)
    except TypeError:
        return None
    return padding if padding.added and padding.signature == book.project.config.editions.print.signature else None


def _remember_padding(book: Book, store: caching.Cache, padding) -> None:
    import dataclasses

    if store.enabled and padding is not None:
        value = dataclasses.asdict(padding)
        if store.read_json("padding", _padding_slot(book)) != value:
            store.write_json("padding", _padding_slot(book), value)


def _link_colour(theme: Theme) -> tuple[float, float, float] | None:
    """The colour of external links in the screen PDF made from the print layout: the print
    stylesheets' accent, in RGB (print/screen.accent)."""
    from spindle.editions.print import screen

    sheets = theme.stylesheets("print") + [theme.custom_stylesheet()]
    return screen.accent([p.read_text(encoding="utf-8", errors="replace") for p in sheets])


def _derivation(book: Book, theme: Theme, epoch: int | None):
    """The screen PDF finished from the print layout part by part (scheduler.Derivation): each
    part's pages cut, turned RGB (external links in the accent colour) and its blank pages left
    out, cached beside the part (an edit finishes the parts that changed), then the merged book
    labelled, dated and given its ids. (The finished parts' cache key has the link colour: a part's
    layout key may be one from before a stylesheet edit that did not reach it, paged/reach.py.)"""
    from spindle.editions.paged import scheduler as pipeline
    from spindle.editions.print import screen

    name = identifier(book, "pdf")
    link = _link_colour(theme)

    def part(done, last: bool):
        starts = done.starts or []
        if len(starts) != done.pages:
            return None
        made = screen.derive_part(done.pdf, [s.blank for s in starts], done.bookmarks, last, link)
        return None if made is None else pipeline.Derived(pdf=made.pdf, kept=made.kept, bookmarks=made.bookmarks)

    def whole(raw: bytes, blanks):
        faults.point("screen")
        made = screen.derive(raw, blanks, name, epoch, link)
        return made.pdf, made.numbers

    def finishing(pdf, numbers) -> None:
        faults.point("screen")
        screen.finish_book(pdf, numbers, name, epoch)

    return pipeline.Derivation(part=part, finishing=finishing, whole=whole, key=repr(link))


def _which(exc, specs: dict) -> str:
    edition = getattr(exc, "edition", None)
    return edition if edition in specs else next(iter(specs))


# --- part by part --------------------------------------------------------------------------------------

class _Settings:
    """What the page settings, the print variant and the identifier read of a book: its project
    and metadata (so the stylesheets' key is known before the manuscript is read)."""

    def __init__(self, project):
        self.project = project
        self.meta = project.config.book


def styles_for(project, theme: Theme, name: str, allow_remote: bool):
    """(Styles, whether left and right pages differ) of edition *name*, or why it cannot be laid
    out part by part. Its key covers the stylesheets, the page settings and the files they use."""
    from spindle.editions.paged import scheduler as pipeline
    from spindle.editions.print import printing
    from spindle.theme import render
    from spindle.editions.paged.worker import Styles

    book = _Settings(project)
    variant = printing.variant_for(book) if name == "print" else None
    sheets = theme.stylesheets(name) + [theme.custom_stylesheet()]
    settings = render.page_settings(book, name, theme)
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sheets] + [settings]
    problem, sides = pipeline.check_styles(texts)
    if problem:
        return problem
    # base: what of the key is not the stylesheets' rules (editions/paged/reach.py compares those)
    files, imported = _referenced(book, sheets, settings)
    base = caching.digest(caching.code_fingerprint(), name, str(variant), str(allow_remote), identifier(book, name),
                          *files)
    key = caching.digest(base, *texts, *imported)
    styles = Styles(key=key, sheets=tuple(str(p) for p in sheets), settings=settings, root=str(project.root),
                    allow_remote=allow_remote, variant=variant, identifier=identifier(book, name),
                    shared=tuple(str(p) for p in project.shared), base=base)
    return styles, sides


def styles_changed(project, theme: Theme, editions: list[str], allow_remote: bool, store: caching.Cache,
                   styles: list | None = None) -> bool:
    """Whether the stylesheets of *editions* differ from the last build's (every chapter will
    be laid out again); records the new ones (and adds each edition's Styles to *styles*)."""
    changed = False
    for name in editions:
        found = styles_for(project, theme, name, allow_remote)
        if styles is not None and not isinstance(found, str):
            styles.append(found[0])
        key = found[0].key if not isinstance(found, str) else found
        slot = caching.digest(str(project.root.resolve()), name)
        if store.read_json("styles", slot) != key:
            changed = True
            store.write_json("styles", slot, key)
    return changed


def _edition(book: Book, theme: Theme, name: str, epoch: int | None, allow_remote: bool, padding=None,
             rounds: "_Rounds | None" = None, raw: dict | None = None, finish_print: bool = True,
             screen: bool = False, guessed: bool = False, store: caching.Cache | None = None):
    """The pipeline's description of an edition, or why it cannot be laid out part by part
    (*store*: the chapters' bodies are kept there, render.paged_html; and what a stylesheet edit
    reaches is read there, paged/reach.py)."""
    from spindle.editions.paged import split as parts
    from spindle.editions.paged import scheduler as pipeline
    from spindle.theme import render

    found = styles_for(book.project, theme, name, allow_remote)
    if isinstance(found, str):
        return found
    styles, sides = found
    # Laid out undated (the merged PDF is dated afterwards), so that a part's layout, cached
    # by its HTML, serves every later build and the print edition's second round.
    if rounds is not None:
        store = rounds.store
    html = render.paged_html(book, name, theme, UNDATED, padding=padding, store=store)
    split = parts.split(html, [c.id for c in book.chapters])
    if split.problem:
        return split.problem
    images = _images(book, html)
    split_parts = tuple(parts.Part(p.name, p.html, images.get(p.name, ""), p.blank) for p in split.parts)
    linked = _linked(book, html)
    if linked:  # stylesheets a template links to: their content is in every part's key, as the theme's is
        styles = dataclasses.replace(styles, key=caching.digest(styles.key, *linked),
                                     base=caching.digest(styles.base, *linked))

    if rounds is not None:
        raw, finish_print, screen, store = rounds.raw, rounds.finish_print, rounds.screen, rounds.store
    # with *store*, a part that this build's stylesheet changes cannot reach keeps its cached layout (paged/reach.py)
    part_keys = _reach(book.project, name, styles, store).keys(split_parts) if store is not None else {}
    edition = pipeline.Edition(name=name, styles=styles, parts=split_parts, page_starts=name == "print",
                               sides=sides, padding=padding, part_keys=part_keys,
                               finishing=_finishing(book, name, epoch, raw, finish_print),
                               derive=_derivation(book, theme, epoch) if screen else None,
                               wanted=name != "print" or finish_print or raw is not None)
    if name == "print":
        rounds = rounds or _Rounds(book, theme, epoch, allow_remote, raw, finish_print, screen,
                                   guess=padding if guessed else None, store=store)
        edition.again = lambda pages: rounds.next(pages, padding)
    return edition


def reach_slot(project, name: str) -> str:
    """The cache slot of edition *name*'s record of which key each part's layout is filed under."""
    return caching.digest(str(project.root.resolve()), name)


def _reach(project, name: str, styles, store: caching.Cache):
    """What decides which parts a stylesheet edit reaches: the stylesheets in cascade order (the
    page settings before the last, as the workers read them) and the folders an @import may read."""
    from spindle.editions.paged import reach

    paths = [Path(p) for p in styles.sheets]
    sheets = [(str(p), p.read_text(encoding="utf-8", errors="replace")) for p in paths]
    sheets.insert(len(sheets) - 1, (None, styles.settings))
    folders = (project.root, BUILTIN, *project.shared)
    return reach.Reach(store, reach_slot(project, name), styles.key, styles.base, sheets, folders)


def _finishing(book: Book, name: str, epoch: int | None, raw: dict | None = None, finish_print: bool = True):
    """What is done to the merged PDF before it is saved: the print edition is finished there
    (boxes, marks, output condition, ids, dates: read and written once), after a copy of it as
    laid out is kept in *raw* (the screen PDF is made from it) when asked for; the screen PDF
    with a layout of its own is dated."""
    from spindle.editions.print import finish
    from spindle.editions.print import printing

    if name == "print":
        spec = printing.finish_spec(book, identifier(book, name), epoch)

        def apply(pdf) -> None:
            if raw is not None:
                raw["pdf"] = finish.save(pdf)
            if finish_print:
                finish.apply(pdf, spec)
        return apply
    return lambda pdf: finish.date(pdf, epoch)


class _Rounds:
    """The print edition's rounds: padded to whole signatures, as printing.lay_out pads a single
    pass (a second round differs from the first only in the closing part and the contents)."""

    def __init__(self, book: Book, theme: Theme, epoch: int | None, allow_remote: bool, raw: dict | None = None,
                 finish_print: bool = True, screen: bool = False, guess=None, store: caching.Cache | None = None):
        self.book, self.theme, self.epoch, self.allow_remote = book, theme, epoch, allow_remote
        self.store = store
        self.raw, self.finish_print, self.screen = raw, finish_print, screen
        self.guess = guess  # the padding the last round was laid out with, to be checked (a rebuild)
        self.direct = False  # a round was laid out with the padding a guess implied
        self.count = 1

    def next(self, pages: int, padding):
        from spindle.editions.paged import scheduler as pipeline
        from spindle.editions.print import printing
        from spindle.editions.print import signatures

        signature = self.book.project.config.editions.print.signature
        if self.guess is not None:
            # Laid out with the last build's padding, which is kept when it is the padding that rounds
            # from none come to: the layout without padding has this one's pages less the blanks (what
            # signatures.plan assumes of every round), and with it a whole number of signatures. When it
            # is not, the padding for that page count is laid out at once (once; then from none).
            guess, self.guess = self.guess, None
            wanted = signatures.plan(pages - guess.added, signature, self.book)
            if pages % signature == 0 and wanted == guess:
                return None
            start = None
            if not self.direct:
                self.direct, self.guess = True, wanted
                start = wanted if wanted.added else None
            following = _edition(self.book, self.theme, "print", self.epoch, self.allow_remote, start, self)
            if isinstance(following, str):
                raise pipeline.Unsplittable(following)
            return following
        if pages % signature == 0:
            return None
        if self.count >= printing.MAX_LAYOUTS:
            printing.check_padded(pages, signature)
        self.count += 1
        plan = signatures.plan(pages, signature, self.book, padding)
        following = _edition(self.book, self.theme, "print", self.epoch, self.allow_remote, plan, self)
        if isinstance(following, str):
            raise pipeline.Unsplittable(following)
        return following


def _referenced(book: Book, sheets: list[Path], settings: str) -> tuple[list[str], list[str]]:
    """Hashes of the files the stylesheets refer to (fonts, images, the output profile), and of the
    sheets they import (with ``url()`` or a plain string; their rules are compared rule by rule,
    reach.py), and what those refer to."""
    root = book.project.root.resolve()
    found: list[str] = []
    imported: list[str] = []
    sources = [(p, p.read_text(encoding="utf-8", errors="replace")) for p in sheets] + [(root / "book.toml", settings)]
    seen: set[Path] = set()
    while sources:
        sheet, text = sources.pop(0)
        targets = [m.group(2) for m in _URL.finditer(text)] + [m.group(2) for m in _IMPORT.finditer(text)]
        for target in targets:
            target = target.strip()
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                continue
            path = (sheet.parent / unquote(target.split("#")[0].split("?")[0])).resolve()
            allowed = (root, BUILTIN.resolve(), *(p.resolve() for p in book.project.shared))
            if path.is_file() and any(folder in path.parents for folder in allowed):
                css = path.suffix.lower() == ".css"
                (imported if css else found).append(f"{path.name}:{caching.file_digest(path)}")
                if css and path not in seen and len(seen) < 64:
                    seen.add(path)
                    sources.append((path, path.read_text(encoding="utf-8", errors="replace")))
    return found, imported


_LINK = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""\b(rel|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)


def _linked(book: Book, html: str) -> list[str]:
    """Hashes of the project's stylesheets that *html* links to (``<link rel="stylesheet">`` in a
    template of the project), of the sheets they import and of the files they refer to: WeasyPrint
    applies them, so a part's layout depends on them as on the theme's stylesheets."""
    import html as markup

    root = book.project.root.resolve()
    sheets: list[Path] = []
    for tag in _LINK.findall(html):
        found = {m.group(1).lower(): markup.unescape(next(g for g in m.groups()[1:] if g is not None))
                 for m in _ATTRIBUTE.finditer(tag)}
        href = found.get("href", "").strip()
        if "stylesheet" not in found.get("rel", "").lower().split() or not href:
            continue
        if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I):
            continue  # (a remote sheet, fetched only with --allow-remote: its address is in the HTML)
        path = (root / unquote(href.split("#")[0].split("?")[0])).resolve()
        allowed = (root, BUILTIN.resolve(), *(p.resolve() for p in book.project.shared))
        if path.is_file() and any(folder in path.parents for folder in allowed) and path not in sheets:
            sheets.append(path)
    if not sheets:
        return []
    files, imported = _referenced(book, sheets, "")
    return [f"{p.name}:{caching.file_digest(p)}" for p in sheets] + files + imported


def _images(book: Book, html: str) -> dict[str, str]:
    """Per chapter, a hash of the files its HTML refers to (images change without changing the HTML)."""
    root = book.project.root.resolve()
    out: dict[str, str] = {}
    for chapter in book.chapters:
        names = sorted(set(chapter.resources))
        if names:
            stamps = []
            for name in names:
                path = (root / name).resolve()
                stamps.append(f"{name}:{caching.file_digest(path) if path.is_file() else '-'}")
            out[chapter.id] = caching.digest(*stamps)
    return out


def _from_outcome(book: Book, name: str, outcome, finished: bool = True) -> Laid:
    from spindle.editions.print import signatures

    padding = None
    if name == "print":
        signature = book.project.config.editions.print.signature
        padding = getattr(outcome.edition, "padding", None)
        if padding is None:
            padding = signatures.Padding(pages=outcome.pages, signature=signature)
    from spindle.editions.print import printing

    return Laid(pdf=outcome.pdf, pages=outcome.pages, where=outcome.anchors, starts=outcome.starts,
                warnings=outcome.warnings, padding=padding,
                variant=printing.variant_for(book) if name == "print" else None,
                finished=name == "print" and finished,
                spills=outcome.spills)


# --- in one pass -----------------------------------------------------------------------------------------

def _single_pass(book: Book, theme: Theme, name: str, epoch: int | None, allow_remote: bool, font_config) -> Laid:
    from spindle.editions.paged import footnotes
    from spindle.editions.paged import engine as paged
    from spindle.editions.print import printing
    from spindle.theme import render

    if font_config is None:
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
    if name == "print":
        return printing.lay_out(book, theme, epoch, allow_remote, font_config, identifier(book, name))
    html = render.paged_html(book, name, theme, epoch)
    settings = render.page_settings(book, name, theme)
    sheets = theme.stylesheets(name) + [theme.custom_stylesheet()]
    layout = paged.layout(html, sheets, [settings], book.project.root, allow_remote, font_config,
                          shared=book.project.shared)
    data = paged.write(layout, identifier(book, name))
    return Laid(pdf=data, pages=layout.pages, where=footnotes.pages_of(layout.document), warnings=layout.warnings,
                spills=layout.spills)
