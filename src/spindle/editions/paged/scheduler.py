"""Lay out the paged editions part by part: in parallel worker processes, from
the cache where nothing changed, numbered in reading order, merged into one PDF.

An edition's HTML is split into parts (parts.py): the front matter and one part
per chapter. Every part is laid out on its own (partlayout.py), in worker
processes (``--jobs``, default: the number of CPUs), before its page numbers are
known; as soon as every earlier part has been laid out, the part's first page
number follows, and the worker lays out its margin boxes (folios, running heads)
with that number and writes its PDF. The front matter is laid out first with
stand-in page numbers in its table of contents (to learn how many pages it
takes) and again, at the end, with the real ones.

The cache (cache.py) holds, per part, what its layout came to (page count,
named strings, ...), keyed by the part's HTML and the stylesheets, and the
written PDF, keyed also by its numbering: after an edit, only the chapters that
changed, and those whose page numbers moved, are laid out again.

Editions are laid out together, sharing the workers (the print edition's
signature padding may take a second round: only the closing part changes; it
starts as soon as the page count is known, while the last parts are written).
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from spindle.core import cache as caching
from spindle.core import crash
from spindle.core import progress
from spindle.core.errors import BuildError, SpindleError
from spindle.editions.paged.split import Part
from spindle.editions.paged.worker import Done, Job, Laid, Numbering, Styles
from spindle.core import faults

MAX_HELD = 1  # parts a worker keeps laid out while it waits for their page numbers
# Below this much chapter HTML a book is laid out in the build's own process (Pool.fit). Measured
# (bench/results.md, 2026-12-01): the worker pool costs about 0.6 s of CPU more than one process,
# and laying out 89 kB of chapter HTML (the 45-page small book, both paged editions) about 12 s,
# so two workers are faster once a book's layout takes more than twice their cost: from about 5 kB.
INLINE_BELOW = 5_000


class Unsplittable(Exception):
    """The edition cannot be laid out part by part: lay it out in one pass."""


@dataclass
class Edition:
    """One paged edition (one round of the print edition's signature padding)."""

    name: str  # "pdf" or "print"
    styles: Styles
    parts: tuple[Part, ...]
    page_starts: bool = False  # read where each page begins (the print edition, for the EPUB)
    sides: bool = False  # the stylesheets treat left and right pages differently
    again: Callable[[int], "Edition | None"] | None = None  # the next round, given the page count
    padding: object = None  # signatures.Padding this round was laid out with (the print edition)
    finishing: Callable[[object], None] | None = None  # finishes the merged pikepdf.Pdf in place (dates it)
    derive: "Derivation | None" = None  # another edition finished from this layout (the screen PDF)
    wanted: bool = True  # the edition's own merged PDF is wanted (not only what is derived from it)
    # part digest -> the stylesheets' key its layout is filed under, when not styles.key: a part a
    # stylesheet edit cannot reach keeps the key of its cached layout (reach.py)
    part_keys: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Derived:
    """One part's pages finished for another edition (print/screen.PartScreen)."""

    pdf: bytes
    kept: tuple[int, ...]  # indices of the part's pages that edition keeps
    bookmarks: list  # (page index among those kept, level, label, x, y, state)


@dataclass
class Derivation:
    """Another edition finished from this one's layout, part by part (the screen PDF from the print
    layout; layouts.py gives the functions, print/screen does the work): each part as soon as it is
    laid out, cached beside it, so that an edit finishes the parts that changed and the merge copies
    the others in. *part* (a part's Done, whether it is the last part) returns None when the part
    cannot be finished on its own: the whole merged layout is then finished by *whole* (its bytes,
    the pages' blanks -> PDF bytes, printed number of each page kept). *finishing* is given the merged
    pikepdf.Pdf and the printed number of each of its pages."""

    part: Callable[[Done, bool], Derived | None]
    finishing: Callable[[object, tuple[int, ...]], None]
    whole: Callable[[bytes, list | None], tuple[bytes, tuple[int, ...]]]
    key: str = ""  # what else the finished parts depend on (the link colour): in their cache key


@dataclass
class Outcome:
    """A laid-out edition: the merged PDF and what the build reports from it."""

    pdf: bytes
    pages: int
    anchors: dict[str, int]  # id -> page number (1-based), first occurrence
    starts: list | None  # pagemap.PageStart per page (the print edition)
    warnings: list[str]
    parts: int
    laid_out: int  # parts laid out in this build (the others came from the cache)
    edition: Edition | None = None  # the last round
    spills: list = field(default_factory=list)  # overflow.Spill per box past the text block (page numbers)
    derived: tuple[bytes, tuple[int, ...]] | None = None  # Edition.derive's PDF and its pages' printed numbers
    derived_now: int | None = None  # parts finished for it in this build (None: from the whole layout)


def side_of(number: int) -> str:
    return "right" if number % 2 else "left"


# --- the cache's records ----------------------------------------------------------------------------

def _laid_to_json(laid: Laid, lead: str | None, number: int) -> dict:
    return {"laid": dataclasses.asdict(laid), "lead": lead, "number": number}


def _laid_from_json(value: dict) -> tuple[Laid, str | None, int]:
    raw = dict(value["laid"])
    raw["lookups"] = tuple(raw.get("lookups", ()))
    raw["anchors"] = dict(raw.get("anchors", {}))
    raw["entry_strings"] = tuple(raw.get("entry_strings", ()))
    return Laid(**raw), value["lead"], value["number"]


def _done_meta(done: Done) -> dict:
    return {
        "pages": done.pages,
        "anchors": {k: list(v) for k, v in done.anchors.items()},
        "stubs": list(done.stubs),
        "bookmarks": [list(b) for b in done.bookmarks],
        "starts": [dataclasses.asdict(s) for s in done.starts] if done.starts is not None else None,
        "warnings": done.warnings,
        "spills": [dataclasses.asdict(s) for s in done.spills],
    }


def _done_from(meta: dict, pdf: bytes) -> Done:
    from spindle.editions.paged.overflow import Spill
    from spindle.editions.paged.pagemap import PageStart

    return Done(
        pdf=pdf, pages=meta["pages"], anchors={k: tuple(v) for k, v in meta["anchors"].items()},
        stubs=tuple(meta["stubs"]), bookmarks=[tuple(b) for b in meta["bookmarks"]],
        starts=[PageStart(**s) for s in meta["starts"]] if meta["starts"] is not None else None,
        warnings=list(meta["warnings"]), spills=[Spill(**s) for s in meta.get("spills", ())],
    )


# --- one edition's parts ----------------------------------------------------------------------------

@dataclass
class _State:
    index: int
    part: Part
    layout_key: str
    info: Laid | None = None
    lead: str | None = None  # lead side the info was laid out with
    number: int = 1  # lead page number the info was laid out with
    externals: tuple = ()  # externals the held layout was made with
    job: str | None = None  # None, "queued", "running", "held" (laid out, waiting), "writing" (numbered)
    worker: object = None
    final: bool = False  # the queued/held layout is the one to number (not a first look at the front)
    numbering: Numbering | None = None
    key: str | None = None  # the cache key of the numbered part
    writing: str | None = None  # the cache key of the numbering the worker is writing
    done: Done | None = None
    want_lead: str = "right"
    want_number: int = 1
    gone: bool = False  # no longer a part of the edition (rebased, _Run.rebase): what comes back is let go


class _Run:
    def __init__(self, edition: Edition, store: caching.Cache, memory: dict, previous: "_Run | None" = None):
        self.edition = edition
        self.store = store
        self.memory = memory  # this build's parts and what their layouts came to (for a second round)
        self.states = [_State(i, part, self._layout_key(edition, part)) for i, part in enumerate(edition.parts)]
        self.queue: list[tuple[_State, Job]] = []
        self.numbering: list[_State] = []
        self.drops: list[_State] = []
        self.laid_out = 0
        self.finished = False
        self.final_layouts = 0
        self.merger = None  # merge.Merger: parts are read as they are done and copied in, in order
        self.prepared: set[int] = set()
        self.dmerger = None  # the same for Edition.derive's parts
        self.dprepared: set[int] = set()
        self.whole = False  # a part cannot be derived on its own: the derivation is made from the whole
        self.asked: int | None = None  # the page count Edition.again was asked about (and answered None)
        self.counted: int | None = None  # the pages of every part, when the last advance numbered them all
        if previous is not None:
            self._opens_as_before([(s.part.name, s.layout_key, s.done.pages if s.done is not None else 0)
                                   for s in previous.states])
        for state in self.states:
            self._predict(state, either_side=previous is None)

    @staticmethod
    def _layout_key(edition: Edition, part: Part) -> str:
        return caching.digest(part.digest, edition.part_keys.get(part.digest, edition.styles.key),
                              str(edition.page_starts))

    def _opens_as_before(self, previous: list[tuple[str, str, int]], only: set | None = None) -> None:
        """A second round (the print edition's padding) changes a part or two; each changed part
        opens where it did in the first round (the parts before it are the same), so it is laid
        out after a lead page of that number and side at once, not first on a guess. *previous*:
        the first round's parts (name, layout key, pages); *only*: the ids of the states to place."""
        starts: dict[str, tuple[str, int]] = {}
        number = 1
        for name, key, pages in previous:
            starts[name] = (key, number)
            number += pages
        for state in self.states[1:]:
            if only is not None and id(state) not in only:
                continue
            if state.part.name not in starts:  # new (signature padding): where the next part opened, or at the end
                after = (starts[s.part.name][1] for s in self.states[state.index + 1:] if s.part.name in starts)
                starts[state.part.name] = ("", next(after, number))
            key, start = starts[state.part.name]
            if key != state.layout_key and start > 1:
                state.want_lead, state.want_number = side_of(start - 1), start - 1

    def known_pages(self) -> int | None:
        """The edition's page count as soon as it is settled, before every part is written: the last
        :meth:`advance` numbered every part, and the front matter is laid out with the page numbers it
        shows (being written, or written); else None."""
        front = self.states[0]
        if self.counted is None or front.info is None:
            return None
        if front.done is not None:
            pages = front.done.pages
        elif front.job == "writing" and front.writing == front.key and front.final:
            pages = front.info.pages
        else:
            return None
        return self.counted if pages == front.info.pages else None

    def rebase(self, edition: Edition) -> None:
        """The edition's next round (the print edition's padding, given the page count before the
        parts are all written, :meth:`known_pages`) in this run: the parts whose HTML it keeps keep
        their state (a layout held or being written in a worker, their numbering, what is done);
        a changed or new part opens where it did in this round, as a second run would lay it out
        (_opens_as_before); a part it no longer has is let go (what a worker sends back of it is
        dropped or only kept in the build's memory)."""
        old = {(s.part.name, s.layout_key): s for s in self.states}
        before = [(s.part.name, s.layout_key, self._pages(s)) for s in self.states]
        self.close()  # (a merge under way has the old parts' count)
        states, fresh = [], set()
        for index, part in enumerate(edition.parts):
            layout_key = self._layout_key(edition, part)
            state = old.pop((part.name, layout_key), None)
            if state is None:
                state = _State(index, part, layout_key)
                fresh.add(id(state))
            state.index, state.part = index, part
            states.append(state)
        for state in old.values():
            state.gone = True
            if state.job == "held" or (state.job == "writing" and any(s is state for s in self.numbering)):
                self.drops.append(state)  # (numbered but not yet sent: the worker still holds it)
                state.job = None
        self.numbering = [s for s in self.numbering if not s.gone]
        for state, _ in self.queue:  # (not yet sent: decided again with the new round's numbers)
            state.job = None if state.job == "queued" else state.job
        self.queue = []
        self.edition, self.states, self.finished, self.asked = edition, states, False, None
        self.whole, self.final_layouts = False, 0  # (decided afresh for the new round's parts, as a new run would)
        self._opens_as_before(before, only=fresh)
        for state in states:
            if id(state) in fresh:
                self._predict(state)

    def settled(self) -> bool:
        """Nothing is left to lay out: every part is written or being written with its final numbers,
        and the page count is the padding's (Edition.again answered None for it)."""
        if self.queue or any(s.done is None and not (s.job == "writing" and s.writing == s.key) for s in self.states):
            return False
        return self.edition.again is None or (self.asked is not None and self.asked == self.known_pages())

    def _pages(self, state: _State) -> int:
        if state.done is not None:
            return state.done.pages
        if state.info is None:
            return 0
        return state.info.pages if state.index == 0 else self._kept(state)

    # the table: what a part's layout came to, by its HTML and lead side
    def _table_key(self, state: _State, lead: str | None) -> str:
        return caching.digest(state.layout_key, str(lead))

    def _predict(self, state: _State, either_side: bool = False) -> None:
        """What the part's layout after a lead page on the wanted side comes to, from this build or the
        cache. *either_side* (a first guess): else what it came to after a lead page on the other
        side, which is then the side wanted (a part the last build laid out after a left-hand lead
        page: the print edition's closing part, padded, in a round laid out with the last build's
        padding); the numbering asks for the other side again when the part's pages need it."""
        lead = None if state.index == 0 else state.want_lead
        key = self._table_key(state, lead)
        value = self.memory.get(("table", key)) or self.store.read_json("table", key)
        if value is None and lead is not None and either_side:
            other = "left" if lead == "right" else "right"
            key = self._table_key(state, other)
            value = self.memory.get(("table", key)) or self.store.read_json("table", key)
            if isinstance(value, dict) and value.get("lead") == other and isinstance(value.get("number"), int):
                state.want_lead, state.want_number = other, value["number"]
            else:
                value = None
        if value is not None:
            try:
                state.info, state.lead, state.number = _laid_from_json(value)
            except (KeyError, TypeError):
                state.info = None

    def _job(self, state: _State, final: bool, externals: tuple = ()) -> Job:
        lead = None if state.index == 0 else state.want_lead
        return Job(name=state.part.name, html=state.part.html, styles=self.edition.styles, lead=lead,
                   number=1 if state.index == 0 else state.want_number, externals=externals,
                   page_starts=self.edition.page_starts)

    def _queue(self, state: _State, final: bool, externals: tuple = ()) -> None:
        state.job, state.final, state.externals = "queued", final, externals
        self.queue.append((state, self._job(state, final, externals)))

    # --- decisions ------------------------------------------------------------------------------

    def advance(self) -> None:
        if self.finished:
            return
        self.counted = None
        states = self.states
        front = states[0]
        if front.info is None and front.job is None:
            self._queue(front, final=False)
        for state in states[1:]:
            if state.info is None and state.job is None:
                self._queue(state, final=False)
        if front.info is None:
            return
        number = front.info.pages + 1
        strings = dict(front.info.strings)
        for state in states[1:]:
            numbering = self._number(state, number, strings) if state.info is not None else None
            if numbering is None:  # (not laid out yet, or being laid out again: on the other side or
                self._front_before_padding(state.index)  # with the right numbers)
                return
            if state.numbering != numbering:
                state.numbering, state.done = numbering, None
                state.key = caching.digest(state.layout_key, str(state.lead), str(numbering.lead),
                                           str(numbering.keep_blank), json.dumps(numbering.strings))
                state.externals = ()
            self._fetch(state)
            number += self._kept(state)
            strings.update(state.info.strings)
        if any(s.numbering is None for s in states[1:]):
            return
        self.counted = number - 1
        self._finish_with_externals(front, self._externals())
        if all(s.done is not None for s in states):
            for state in states[1:]:
                if state.done.pages != self._kept(state):
                    raise Unsplittable(f"{state.part.name}: the page numbers of other chapters change its length")
            self.finished = True

    @staticmethod
    def _kept(state: _State) -> int:
        """Pages of a part that stay in the book (a blank page before its content may go)."""
        numbering, info = state.numbering, state.info
        return info.pages - (1 if info.blank_lead and numbering is not None and not numbering.keep_blank else 0)

    def _number(self, state: _State, number: int, strings: dict[str, str]) -> Numbering | None:
        info = state.info
        if info.problem:
            raise Unsplittable(info.problem)
        if info.blank_lead:
            content_side = "left" if info.first_side == "right" else "right"
            keep = side_of(number) != content_side
            lead = number - 1 if keep else number - 2
        else:
            keep, lead = True, number - 1
            if self.edition.sides and info.first_side != side_of(number):
                if self._relayout(state, lead_side=side_of(number - 1), number=lead):
                    return self._number(state, number, strings)
                return None
        if info.numbered_content and state.number != lead:
            if self._relayout(state, lead_side=state.lead or "right", number=lead):
                return self._number(state, number, strings)
            return None
        entry = tuple((name, strings[name]) for name in info.entry_strings if name in strings)
        return Numbering(lead=lead, keep_blank=keep, strings=entry)

    def _relayout(self, state: _State, lead_side: str, number: int) -> bool:
        """Lay *state* out again after a lead page on *lead_side* numbered *number*; True when
        the cache already knows what that layout comes to."""
        if state.want_lead == lead_side and state.want_number == number and state.job in ("queued", "running"):
            return False
        if state.want_lead == lead_side and state.want_number == number and state.lead == lead_side \
                and state.number == number:
            raise Unsplittable("a chapter's layout depends on its side of the spread in a way spindle cannot follow")
        if state.job == "held":
            self.drops.append(state)
            state.job = None
        state.want_lead, state.want_number = lead_side, number
        state.info, state.numbering, state.done, state.key = None, None, None, None
        self._predict(state)
        if state.info is not None and (state.lead != lead_side or (state.info.numbered_content and state.number != number)):
            state.info = None
        if state.info is None:
            if state.job is None:  # (a part still being written is laid out again once it is back)
                self._queue(state, final=False)
            return False
        return True

    def _fetch(self, state: _State) -> None:
        """The numbered part: from this build, the cache, the worker holding it, or a new layout."""
        if state.done is not None and state.job == "held":  # (found while a layout of it was on its way: a
            self.drops.append(state)                         # part kept by a rebased round, rebase)
            state.job = None
        if state.done is not None or state.key is None or state.job == "writing":
            return
        found = self.memory.get(state.key) or self._load(state.key)
        if found is not None:
            self._completed(state, found)
            self.memory[state.key] = found
            if state.job == "held":
                self.drops.append(state)
                state.job = None
            return
        if state.job == "held" and state.lead == (state.want_lead if state.index else None):
            self._write(state)
        elif state.job is None:
            self._queue(state, final=True)

    def _load(self, key: str) -> Done | None:
        meta = self.store.read_json("parts", key)
        if meta is None:
            return None
        pdf = self.store.read("parts", key, ".pdf")
        if pdf is None:
            return None
        try:
            return _done_from(meta, pdf)
        except (KeyError, TypeError, ValueError):
            return None

    def _front_before_padding(self, stop: int) -> None:
        """The front matter laid out with its page numbers while the parts from *stop* on, signature
        padding alone after every other part (split.Part.blank: no id in them), are still laid out:
        they add no page number to it (the print edition's closing blank pages, laid out again when
        the book's length changed their side, or for the next round of padding)."""
        states = self.states
        if stop > 1 and all(s.part.blank for s in states[stop:]) \
                and all(s.info is not None and s.numbering is not None for s in states[1:stop]):
            self._finish_with_externals(states[0], self._externals(stop))

    def _externals(self, stop: int | None = None) -> dict[str, int]:
        """Page numbers of every id in the chapters' parts (for target-counter()), known as soon
        as every chapter is laid out and numbered: the front matter need not wait for their PDFs.
        (*stop*: the parts from that one on hold no id.)"""
        found: dict[str, int] = {}
        for state in self.states[1:stop]:
            for name, index in state.info.anchors.items():
                found.setdefault(name, state.numbering.lead + 1 + index)
        return found

    def _finish_with_externals(self, state: _State, externals: dict[str, int]) -> None:
        """A part that refers to pages of other parts (the table of contents), laid out with their numbers."""
        required = tuple((name, externals.get(name, 0)) for name in state.info.lookups)
        if (state.done is not None or state.job == "writing") and state.externals == required:
            return
        numbering = Numbering(lead=1) if state.index == 0 else state.numbering
        key = caching.digest(state.layout_key, "externals", json.dumps(required), repr(numbering))
        found = self.memory.get(key) or self._load(key)
        state.key, state.numbering = key, numbering
        if found is not None:
            state.externals = required
            self._completed(state, found)
            self.memory[key] = found
            if state.job == "held":
                self.drops.append(state)
                state.job = None
            return
        state.done = None
        if state.job == "held" and state.externals == required and state.final:
            self._write(state)
            return
        if state.job == "held":
            self.drops.append(state)
            state.job = None
        if state.job is None:
            self.final_layouts += 1
            if self.final_layouts > 3 * len(self.states):
                raise Unsplittable("the table of contents keeps changing length")
            state.want_number = numbering.lead
            self._queue(state, final=True, externals=required)

    # --- events -----------------------------------------------------------------------------------------

    def on_laid(self, state: _State, laid: Laid, job: Job) -> None:
        state.info, state.lead, state.number = laid, job.lead, job.number
        state.job = "held"
        self.laid_out += 1
        key, value = self._table_key(state, job.lead), _laid_to_json(laid, job.lead, job.number)
        self.memory[("table", key)] = value  # (a second round reads it even without a cache folder)
        self.store.write_json("table", key, value)
        if state.gone:  # (a part of the round before: its layout is not wanted)
            self.drops.append(state)
            state.job = None
            return
        if laid.problem:
            raise Unsplittable(laid.problem)
        if state.index > 0 and laid.lookups:
            raise Unsplittable(f"{state.part.name} refers to page numbers in other chapters (target-counter)")
        if state.index == 0 and not state.final:
            self.drops.append(state)  # a first look at the front matter: its page count is what was wanted
            state.job = None

    def _completed(self, state: _State, done: Done) -> None:
        state.done = done
        self.prepared.discard(state.index)
        self.dprepared.discard(state.index)
        if self.merger is not None and self.merger.copied > state.index:
            self._close_own()  # a part already copied into the merged PDF has changed: start the merge again
        if self.dmerger is not None and self.dmerger.copied > state.index:
            self._close_derived()

    @property
    def merging(self) -> bool:
        return self.merger is not None or self.dmerger is not None

    def merge_one(self) -> bool:
        """One step of the merge, done while the workers are busy: read a finished part, or copy
        the next one (in reading order, so the bytes never depend on which worker was first).
        The derived edition's parts are merged here when the edition's own PDF is not wanted
        (otherwise after it, in :meth:`outcome`: two merges at once would double the memory)."""
        if self.edition.wanted:
            return self._merge_own()
        return self.edition.derive is not None and self._merge_derived()

    def _merge_own(self) -> bool:
        from spindle.editions.paged.merge import Merger, Piece

        if self.merger is None:
            if not any(s.done is not None for s in self.states):
                return False
            self.merger = Merger(len(self.states))
            self.prepared = set()
        for state in self.states:
            if state.done is not None and state.index not in self.prepared:
                done = state.done
                self.merger.prepare(state.index, Piece(done.pdf, done.stubs, done.bookmarks))
                self.prepared.add(state.index)
                return True
        return self.merger.copy_next()

    def _merge_derived(self) -> bool:
        from spindle.editions.paged.merge import Merger, Piece

        if self.whole:
            return False
        if self.dmerger is None:
            if not any(s.done is not None for s in self.states):
                return False
            self.dmerger = Merger(len(self.states))
            self.dprepared = set()
        for state in self.states:
            if state.done is not None and state.index not in self.dprepared:
                derived = self._derived(state)
                if derived is None:  # finished from the whole layout instead
                    self.whole = True
                    self._close_derived()
                    return False
                self.dmerger.prepare(state.index, Piece(derived.pdf, state.done.stubs, derived.bookmarks))
                self.dprepared.add(state.index)
                return True
        return self.dmerger.copy_next()

    def derive_one(self) -> bool:
        """Finish one more part laid out for the derived edition (cached: the merge reads it there)."""
        if self.edition.derive is None or self.whole:
            return False
        made = self.memory.setdefault("derived seen", set())
        for state in self.states:
            if state.done is not None and state.key is not None and self._derived_key(state) not in made:
                made.add(self._derived_key(state))
                if self._derived(state) is None:
                    self.whole = True
                    self._close_derived()
                return True
        return False

    def _derived_key(self, state: _State) -> str:
        # (a part a stylesheet edit did not reach keeps its layout's key, reach.py: what the stylesheets
        # give the finishing besides the layout is in the derivation's own key)
        return caching.digest(state.key, "derived", str(state.index == len(self.states) - 1), self.edition.derive.key)

    def _derived(self, state: _State) -> Derived | None:
        """Part *state* finished for the derived edition: from this build, the cache, or made now."""
        key = self._derived_key(state)
        found = self.memory.get(("derived", key))
        if found is None:
            meta, pdf = self.store.read_json("derived", key), self.store.read("derived", key, ".pdf")
            if isinstance(meta, dict) and pdf is not None:
                try:
                    found = Derived(pdf=pdf, kept=tuple(meta["kept"]), bookmarks=[tuple(b) for b in meta["bookmarks"]])
                except (KeyError, TypeError):
                    found = None
        if found is None:
            found = self.edition.derive.part(state.done, state.index == len(self.states) - 1)
            if found is None:
                return None
            self.store.write_json("derived", key, {"kept": list(found.kept), "bookmarks": [list(b) for b in found.bookmarks]})
            self.store.write("derived", key, found.pdf, ".pdf")
            self.memory.setdefault("derived now", set()).add(key)
        self.memory[("derived", key)] = found
        return found

    def close(self) -> None:
        self._close_own()
        self._close_derived()

    def _close_own(self) -> None:
        if self.merger is not None:
            self.merger.close()
            self.merger = None
        self.prepared = set()

    def _close_derived(self) -> None:
        if self.dmerger is not None:
            self.dmerger.close()
            self.dmerger = None
        self.dprepared = set()

    def _write(self, state: _State) -> None:
        """Send the held layout its numbers: the worker writes it."""
        state.job, state.writing = "writing", state.key
        self.numbering.append(state)

    def on_done(self, state: _State, done: Done) -> None:
        state.job, written = None, state.writing
        state.writing = None
        if written != state.key or state.gone:  # numbered again meanwhile (the front matter changed length): keep, lay out anew
            self.memory[written] = done
            self._store(written, done)
            return
        self._completed(state, done)
        self.memory[state.key] = done
        self._store(state.key, done)

    def _store(self, key: str, done: Done) -> None:
        faults.point("layout")
        self.store.write_json("parts", key, _done_meta(done))
        self.store.write("parts", key, done.pdf, ".pdf")

    def outcome(self) -> Outcome:
        anchors, starts, warnings, spills = {}, [] if self.edition.page_starts else None, [], []
        number = 0
        for state in self.states:
            done = state.done
            for name, (index, _, _) in done.anchors.items():
                anchors.setdefault(name, number + index + 1)
            if starts is not None and done.starts is not None:
                starts += [dataclasses.replace(s, number=number + s.number) for s in done.starts]
            warnings += [w for w in done.warnings if w not in warnings]
            spills += [s.at(number + s.page + 1) for s in done.spills]
            number += done.pages
        pdf, derived, now = b"", None, None
        try:
            if self.edition.wanted:
                while self._merge_own():
                    pass
                pdf = self.merger.finish(self.edition.finishing)
                self._close_own()
                if self.edition.derive is not None:
                    _give_back_memory()  # (before the derived edition's merge)
            if self.edition.derive is not None:
                derived = self._finish_derived()
                made = self.memory.get("derived now", set())
                now = None if self.whole else sum(self._derived_key(s) in made for s in self.states)
        finally:
            self.close()
        return Outcome(pdf=pdf, pages=number, anchors=anchors, starts=starts, warnings=warnings,
                       parts=len(self.states), laid_out=self.laid_out, edition=self.edition, spills=spills,
                       derived=derived, derived_now=now)

    def _finish_derived(self) -> tuple[bytes, tuple[int, ...]]:
        """The derived edition: its parts merged, or (a part could not be derived on its own) derived
        from the whole layout, merged again without finishing."""
        from spindle.editions.paged.merge import merge, Piece

        derive = self.edition.derive
        while self._merge_derived():
            pass
        if not self.whole:
            numbers: list[int] = []
            base = 0
            for state in self.states:
                derived = self._derived(state)
                numbers += [base + i + 1 for i in derived.kept]
                base += state.done.pages
            numbers = tuple(numbers)
            return self.dmerger.finish(lambda pdf: derive.finishing(pdf, numbers)), numbers
        self._close_derived()
        blanks: list | None = []
        for state in self.states:
            done = state.done
            if blanks is not None and done.starts is not None and len(done.starts) == done.pages:
                blanks += [s.blank for s in done.starts]
            else:
                blanks = None
        raw = merge([Piece(s.done.pdf, s.done.stubs, s.done.bookmarks) for s in self.states])
        return derive.whole(raw, blanks)


# --- workers -----------------------------------------------------------------------------------------------

# What a worker imports before its first job. Forked workers inherit them from this process when
# it has them: WeasyPrint's import alone costs about a second of CPU (its cffi declarations are
# parsed anew by every process), paid once here instead of once in every worker; a build that
# makes a print edition imports it here anyway, for the cover.
PRELOAD = ("weasyprint", "weasyprint.document", "weasyprint.layout", "weasyprint.text.fonts",
           "spindle.editions.paged.worker", "spindle.editions.paged.pagemap", "spindle.editions.paged.footnotes",
           "spindle.editions.paged.overflow", "spindle.editions.paged.fetcher")


def preload() -> None:
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)


class _Worker:
    def __init__(self, context):
        from spindle.editions.paged.worker import serve

        import tempfile

        self.conn, child = context.Pipe()
        # the worker's temporary files (WeasyPrint copies the stylesheets' fonts into a folder that only
        # its font configuration's __del__ removes, which a worker stopped or killed never runs: 2.5 MB
        # left in /tmp per worker and build) go in a folder of its own, removed here (join)
        self.scratch = tempfile.mkdtemp(prefix="spindle-worker-")
        self.process = context.Process(target=serve, args=(child, self.scratch), daemon=True)
        forked = context.get_start_method() == "fork"
        if forked:  # what the worker inherits (WeasyPrint, the book) is never garbage in it: its
            gc.freeze()  # collections leave those objects alone (and their pages stay shared)
        try:
            self.process.start()
        finally:
            if forked:
                gc.unfreeze()
        child.close()
        self.outstanding = 0
        self.held = 0

    def send(self, message) -> None:
        self.outstanding += 1 if message[0] in ("job", "number") else 0
        self.conn.send(message)

    def stop(self) -> None:
        """Stop the worker: asked, and terminated at once when still alive (after its last answer it
        tidies its memory, which nothing wants any more: waiting for it cost every build 50 ms)."""
        try:
            self.conn.send(("stop", None))
        except (OSError, ValueError):
            pass
        if self.process.is_alive():
            self.process.terminate()
        self.conn.close()

    def join(self) -> None:
        import shutil

        self.process.join(timeout=5)
        shutil.rmtree(self.scratch, ignore_errors=True)


class _Inline:
    """--jobs 1: the same protocol, in this process."""

    def __init__(self):
        from spindle.editions.paged import worker as partlayout

        self.partlayout = partlayout
        partlayout.reset()
        self.layouts: dict = {}
        self.replies: list = []
        self.outstanding = 0
        self.held = 0
        self.conn = None

    def send(self, message) -> None:
        kind, key = message[0], message[1]
        try:
            if kind == "job":
                self.outstanding += 1
                self.layouts[key] = self.partlayout.lay_out(message[2])
                self.replies.append(("laid", key, self.layouts[key].laid))
            elif kind == "number":
                self.outstanding += 1
                self.replies.append(("done", key, self.partlayout.finish(self.layouts.pop(key), message[2])))
            elif kind == "drop":
                self.layouts.pop(key, None)
        except (SpindleError, KeyboardInterrupt, SystemExit):
            raise
        except Exception:  # a bug: answered as a worker process answers it (worker.serve)
            import traceback

            self.layouts.pop(key, None)
            self.replies.append(("crash", key, traceback.format_exc()))

    def stop(self) -> None:
        self.layouts.clear()
        self.partlayout.reset()


def _start_method():
    """fork on Linux (the workers start at once, with this process's modules imported), unless this
    process runs other threads (``spindle serve``): a forked child would inherit their locks
    in whatever state they are, so workers are then started from a clean process."""
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")  # (elsewhere system libraries may not survive a fork)
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class Pool:
    """The worker processes (``jobs`` of them; with one job, layouts run in this process).

    Started early (:meth:`start`), the workers import WeasyPrint while this process
    reads the manuscript."""

    def __init__(self, jobs: int):
        self.jobs = max(1, jobs)
        self.workers: list = []
        self.stopped: list = []  # workers stopped, their processes not yet joined
        self.allowance: tuple[int, int] | None = None  # retire_idle: (this process's RSS then, RSS the workers gave back)

    def start(self, every: bool = False, warm: list | tuple = ()) -> "Pool":
        """Start one worker now, or *every* one (otherwise the others start when there is work for
        them: a rebuild after an edit often needs one, and starting more would slow this process
        reading the manuscript). Each reads the stylesheets of *warm* (worker.Styles) meanwhile:
        its first part then finds them parsed and their fonts loaded."""
        if self.jobs > 1:
            context = _start_method()
            if every and context.get_start_method() == "fork":
                preload()  # (a rebuild with one chapter to lay out keeps its worker's import beside the reading)
            while len(self.workers) < (self.jobs if every else 1):
                self.workers.append(_Worker(context))
                for styles in warm:
                    self.workers[-1].send(("warm", None, styles))
        return self

    def fit(self, html_bytes: int) -> "Pool":
        """Lay a small book out in this process: below INLINE_BELOW bytes of chapter HTML the
        workers' own costs (stylesheets parsed per process, results sent back) exceed what the
        second processor saves. Workers already started are stopped."""
        if self.jobs > 1 and html_bytes < INLINE_BELOW:
            self.close()
            self.jobs = 1
        return self

    def idle(self):
        for worker in self.workers:
            if worker.outstanding == 0 and worker.held < MAX_HELD:
                return worker
        if len(self.workers) < self.jobs:
            worker = _Inline() if self.jobs == 1 else _Worker(_start_method())
            self.workers.append(worker)
            return worker
        return None

    def live(self) -> int:
        """Worker processes started (the in-process one of --jobs 1 does not count)."""
        return sum(1 for w in self.workers if not isinstance(w, _Inline))

    def retire_idle(self) -> int:
        """Stop the worker processes that have nothing to do and hold no layout (the build has no
        more layouts to give them): their memory goes back to the system, and a merge may start in
        this process while the others write their last parts, within the memory they gave back
        (:meth:`may_merge`). Should a layout be wanted after all, :meth:`idle` starts a worker
        again. Returns how many were stopped."""
        idle = [w for w in self.workers if not isinstance(w, _Inline) and w.outstanding == 0 and w.held == 0]
        if not idle:
            return 0
        freed = sum(_rss(w.process.pid) for w in idle)
        for worker in idle:
            worker.stop()
            self.workers.remove(worker)
            self.stopped.append(worker)
        base, given = self.allowance or (_rss(), 0)
        self.allowance = (base, given + freed)
        return len(idle)

    def may_merge(self) -> bool:
        """Whether a merge may go on in this process now: a processor has no worker, and the workers
        stopped early (:meth:`retire_idle`) gave back more memory than it has taken since (so
        that the build's peak, all its processes together, is never higher than with every
        worker alive)."""
        if self.live() >= self.jobs:
            return False
        if self.allowance is None or not self.live():
            return True
        base, given = self.allowance
        return _rss() - base < given

    def receive(self, wait: bool = True):
        return _receive(self.workers, wait)

    def close(self) -> None:
        """Stop the workers (their memory goes back to the system as they exit: not waited for
        here, see :meth:`__exit__`)."""
        for worker in self.workers:
            worker.stop()
        self.stopped += [w for w in self.workers if not isinstance(w, _Inline)]
        self.workers.clear()

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
        for worker in self.stopped:  # long gone by now: no process is left behind
            worker.join()
        self.stopped.clear()


def lay_out(editions: list[Edition], pool: Pool, store: caching.Cache,
            report: Callable[[str], None] = lambda m: None) -> dict[str, Outcome]:
    """Lay out *editions* part by part; raises Unsplittable (naming the edition) when one cannot be."""
    memory: dict = {}  # this build: parts by cache key, layout records by ("table", key)
    runs = [_Run(e, store, memory) for e in editions]
    keys: dict[int, tuple[_Run, _State, Job]] = {}
    idle = 0
    results: dict[str, Outcome] = {}
    finished: list[_Run] = []
    current = None
    try:
        while True:
            for current in runs:
                current.advance()
            for run in runs:
                # the next round (signature padding) as soon as the page count is known: the parts
                # still being written go on, and only what it changes is laid out
                pages = run.known_pages() if run.edition.again and not run.finished else None
                if pages is not None and pages != run.asked:
                    current = run
                    run.asked = pages
                    following = run.edition.again(pages)
                    if following is not None:
                        run.rebase(following)
                        run.advance()
            for run in list(runs):
                if run.finished:
                    current = run
                    pages = sum(s.done.pages for s in run.states)
                    following = run.edition.again(pages) if run.edition.again and pages != run.asked else None
                    runs.remove(run)
                    if following is not None:
                        run.close()
                        fresh = _Run(following, store, memory, previous=run)
                        fresh.laid_out = run.laid_out
                        runs.append(fresh)
                        current = fresh
                        fresh.advance()
                    else:
                        finished.append(run)
            current = None
            if not runs:
                # every layout is done: stop the workers first, so that their memory is given back
                # before the merges (the largest step in this process) take theirs
                pool.close()
                ordered = sorted(finished, key=lambda r: not r.merging)  # a merge under way first:
                for run in ordered:                                        # one merge at a time
                    current = run
                    results[run.edition.name] = run.outcome()
                    if run is not ordered[-1]:
                        _give_back_memory()  # (before the next merge: not after the last)
                return results
            # drops and numberings go out at once; new layouts to idle workers
            for run in runs:
                for state in run.drops:
                    if state.worker is not None:
                        state.worker.send(("drop", id(state)))
                        state.worker.held -= 1
                        state.worker = None
                run.drops.clear()
                for state in run.numbering:
                    state.worker.send(("number", id(state), state.numbering))
                run.numbering.clear()
            pending = sorted(((s.index, r.edition.name != "pdf", r, s, j) for r in runs for s, j in r.queue),
                             key=lambda t: (t[0], t[1]))
            for index, _, run, state, job in pending:
                worker = pool.idle()
                if worker is None:
                    break
                run.queue.remove((state, job))
                state.job, state.worker = "running", worker
                worker.held += 1
                keys[id(state)] = (run, state, job)
                report(progress.Progress(f"laying out {run.edition.name}: {state.part.name}", "chapter",
                                         edition=run.edition.name, index=index + 1, total=len(run.states)))
                worker.send(("job", id(state), job))
            if pool.jobs > 1 and hasattr(pool, "retire_idle") and all(r.settled() for r in runs):
                pool.retire_idle()  # (the last parts are being written: the merge below starts meanwhile)
            message = pool.receive(wait=False)
            # Merge while a processor has no worker (a rebuild after an edit usually needs one
            # worker): with every worker alive, each holding a chapter, a merge in progress would add
            # the most memory-hungry step of all to them; it waits until they are stopped.
            while message is None and _may_merge(pool) and _merge_step(runs + finished):
                message = pool.receive(wait=False)
            # Parts laid out are finished for a derived edition (the screen PDF) meanwhile, whatever
            # the workers do: one part at a time, read and let go (little memory), cached.
            while message is None and any(run.derive_one() for run in runs + finished):
                message = pool.receive(wait=False)
            if message is None:
                message = pool.receive()
            if message is None and idle < 2:
                idle += 1  # decisions made from the cache alone: look again before giving up
                continue
            idle = 0
            if message is None:
                stuck = "; ".join(f"{r.edition.name}:{s.part.name}:{s.job}:{'info' if s.info else '-'}:"
                                  f"{'done' if s.done else '-'}" for r in runs for s in r.states if s.done is None)
                raise BuildError(f"internal error: the layout pipeline stalled ({stuck}); build with --single-pass")
            kind, key, payload = message
            current, state, job = keys[key]
            if kind == "error":
                raise payload if isinstance(payload, SpindleError) else BuildError(str(payload))
            if kind == "crash":  # a bug: one line, the traceback in .spindle-cache/crash-PART.txt
                raise crash.internal(f"laying out part {state.part.name!r} of the {current.edition.name} edition", payload,
                                     Path(current.edition.styles.root) / caching.FOLDER, state.part.name)
            if kind == "laid":
                current.on_laid(state, payload, job)
            elif kind == "done":
                state.worker.held -= 1
                state.worker = None
                current.on_done(state, payload)
            current = None
    except Unsplittable as exc:
        exc.edition = current.edition.name if current is not None else None
        raise
    finally:
        for run in runs + finished:  # layouts still held in the workers are not wanted any more
            run.close()
            for state in run.states:
                if state.job == "held" and state.worker is not None:
                    state.worker.send(("drop", id(state)))
                    state.worker.held -= 1
                    state.worker = None


def lay_out_alone(edition: Edition, name: str, start: int, pages_of: dict[str, int], until: int = 0,
                  earlier: tuple[caching.Cache, str] | None = None, filed: dict[str, str] | None = None) -> Done:
    """Part *name* of *edition* laid out on its own, in this process, numbered as if it began on
    page *start*, its references to other parts (the table of contents) given the page numbers in
    *pages_of*, and only up to page *until* when given: a look at one part before the whole edition
    is laid out (``spindle serve`` shows the page in view first). The named strings it carries in
    from the parts before it (running heads) are read from *earlier*'s cache: what those parts'
    layouts with the stylesheets of key *earlier[1]* came to, or with the key *filed* gives a part's
    digest (a part a stylesheet edit did not reach, reach.py; none found: none carried in). Nothing
    is cached: the edition's own layout numbers the part for real. Raises Unsplittable when the
    part cannot be laid out on its own, KeyError for no such part."""
    from spindle.editions.paged import worker as partlayout

    run = _Run(edition, caching.Cache(None), {})
    state = next((s for s in run.states if s.part.name == name), None)
    if state is None:
        raise KeyError(name)
    strings: dict[str, str] = {}
    if earlier is not None:
        store, key = earlier
        for before in run.states[:state.index]:
            layout_key = caching.digest(before.part.digest, (filed or {}).get(before.part.digest, key),
                                        str(edition.page_starts))
            for lead in ((None,) if before.index == 0 else ("right", "left")):
                value = store.read_json("table", caching.digest(layout_key, str(lead)))
                if isinstance(value, dict) and isinstance(value.get("laid", {}).get("strings"), dict):
                    strings.update(value["laid"]["strings"])
                    break
    partlayout.reset()  # (stylesheets and images are read afresh: they may have changed)
    if state.index == 0:
        known = tuple(sorted(pages_of.items()))
        stop = max(until, 0)
        held = partlayout.lay_out(dataclasses.replace(run._job(state, final=True, externals=known), stop_after=stop))
        if held.laid.problem:
            raise Unsplittable(held.laid.problem)
        return partlayout.finish(held, Numbering(lead=1))
    start = max(start, 2)
    state.want_lead, state.want_number = side_of(start - 1), start - 1
    for _ in range(3):  # laid out again at most twice, when its side of the spread says so
        state.final = True
        job = run._job(state, final=True)
        if until:
            job = dataclasses.replace(job, stop_after=1 + max(until - start + 1, 1))  # (the lead page first)
        held = partlayout.lay_out(job)
        run.on_laid(state, held.laid, job)
        run.queue.clear()
        numbering = run._number(state, start, strings)
        if numbering is not None and (state.lead, state.number) == (job.lead, job.number):  # (of this layout)
            return partlayout.finish(held, numbering)
    raise Unsplittable(f"{name}: its side of the spread keeps changing")


def _give_back_memory() -> None:
    """Return the memory a merge freed to the system (glibc keeps it otherwise, and the next
    merge, of another edition, cannot reuse much of it: two merges would cost two merges' peak)."""
    import gc

    gc.collect()  # (pikepdf objects in reference cycles hold the merge's whole file)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass


def _may_merge(pool) -> bool:
    return pool.may_merge() if hasattr(pool, "may_merge") else pool.live() < pool.jobs


def _rss(pid: int | str = "self") -> int:
    """The resident memory of process *pid* in bytes (0 where /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _merge_step(runs: list[_Run]) -> bool:
    """One step of one edition's merge. Never two merges at once: a merge holds every part of its
    edition open, and two of them would double the build's peak memory."""
    started = [run for run in runs if run.merging]
    return started[0].merge_one() if started else any(run.merge_one() for run in runs)


def _receive(workers: list, block: bool = True):
    from multiprocessing.connection import wait

    for worker in workers:
        if isinstance(worker, _Inline) and worker.replies:
            worker.outstanding -= 1
            return worker.replies.pop(0)
    conns = {w.conn: w for w in workers if not isinstance(w, _Inline) and w.outstanding > 0}
    if not conns:
        return None
    ready = wait(list(conns), timeout=None if block else 0)
    if not ready:
        return None
    worker = conns[ready[0]]
    try:
        message = worker.conn.recv()
    except (EOFError, OSError):
        raise BuildError("a layout worker process died; build with --single-pass to lay out in one process") from None
    worker.outstanding -= 1
    return message


# --- what makes an edition splittable -------------------------------------------------------------------------

_UNSUPPORTED = (
    (re.compile(r"counter\(\s*pages\s*[,)]"), "the stylesheets use counter(pages)"),
    (re.compile(r"position\s*:\s*running\("), "the stylesheets use running elements"),
    (re.compile(r"counter-(?:reset|set)\s*:[^;}]*\bpage\b"), "the stylesheets reset the page counter"),
    (re.compile(r":nth\("), "the stylesheets use :nth() page selectors"),
)
_SIDES = re.compile(r"@page[^{]*:(?:left|right|recto|verso)|break-(?:before|after)\s*:\s*(?:left|right|recto|verso)")


def check_styles(texts: list[str]) -> tuple[str | None, bool]:
    """(why the edition cannot be split, or None; whether left and right pages differ)."""
    joined = "\n".join(re.sub(r"/\*.*?\*/", "", t, flags=re.S) for t in texts)
    for pattern, reason in _UNSUPPORTED:
        if pattern.search(joined):
            return reason, False
    return None, bool(_SIDES.search(joined))


def supported_engine() -> str | None:
    """None when this WeasyPrint's internals are the ones partlayout.py was written for."""
    from importlib import metadata

    version = metadata.version("weasyprint")
    if version.split(".")[0] != "70":
        return f"WeasyPrint {version} (part-by-part layout needs WeasyPrint 70)"
    return None


def default_jobs() -> int:
    return os.cpu_count() or 1
