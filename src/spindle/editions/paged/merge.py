"""Merge the PDFs of an edition's parts (partlayout.py) into one book with pikepdf.

What a single-pass WeasyPrint PDF has, the merged one has too:

- the pages in order, each keeping its own resources (fonts are subset per
  part, so a font appears once per part that uses it: the file is larger);
- the catalogue's language (/Lang), viewer preferences, /MarkInfo, XMP metadata
  and output intent, and the document information (title, authors, dates),
  all taken from the first part (every part has the book's ``<head>``);
- one name tree of destinations (every id of every part), so internal links,
  including the stand-ins that kept links to other parts (Done.stubs), lead
  where they would in one document;
- the outline (bookmarks), built from every part's bookmarks with WeasyPrint's
  own nesting rules;
- the structure tree (tagged PDF): each part's Document element's children
  under one Document element, with the parent tree renumbered (pages, then
  link annotations) and table-header ids made unique per part.

WeasyPrint writes no page labels or forms for spindle's books (none are merged);
attachments are merged as one name tree like the destinations.

Parts are added as they are ready, in any order (:class:`Merger`): while a worker
still lays out a changed chapter, the cached parts are already copied in.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from spindle.core import faults


@dataclass(frozen=True)
class Piece:
    pdf: bytes
    stubs: tuple[str, ...]  # destination names that only stand in for another part's targets
    bookmarks: list[tuple[int, int, str, float, float, str]]  # (page index in the piece, level, label, x, y, state)


_CATALOG_KEYS = ("/Lang", "/ViewerPreferences", "/MarkInfo", "/Metadata", "/OutputIntents")


@dataclass
class _Copied:
    """One part, copied into the merged file but not yet placed."""

    source: object  # the part's pikepdf.Pdf
    piece: Piece
    pages: list  # the copies of its pages (page dictionaries of the merged file)
    tree: object | None  # the copy of its structure tree root
    dests: list = field(default_factory=list)  # (name, page index in the part or None, rest of the array / copy)
    attachments: list = field(default_factory=list)  # (name, file specification copied)


class Merger:
    """Merges *count* parts: :meth:`prepare` them in any order (each is read), :meth:`copy_next`
    copies them in, in order (the merged file's bytes then never depend on the order the parts
    came in), :meth:`finish` copies what is left and writes the book."""

    def __init__(self, count: int):
        import pikepdf

        self.out = pikepdf.new()
        self.parts: list[_Copied | None] = [None] * count
        self.copied = 0  # parts copied in, from the first

    def prepare(self, index: int, piece: Piece) -> None:
        """Read part *index* (again, if it changed: it must not have been copied yet)."""
        import pikepdf

        if index < self.copied:
            raise ValueError("merge: a part already copied in changed")
        source = pikepdf.open(io.BytesIO(piece.pdf))
        len(source.pages)  # reading the page list settles inherited page attributes
        part = _Copied(source, piece, [], None)
        where = {page.objgen: i for i, page in enumerate(source.pages)}
        stubs = set(piece.stubs)
        for name, dest in _names(source, "/Dests"):
            if name in stubs:
                continue
            page = where.get(dest[0].objgen) if isinstance(dest, pikepdf.Array) and len(dest) else None
            part.dests.append((name, page, list(dest)[1:] if page is not None else dest))
        part.attachments = _names(source, "/EmbeddedFiles")
        if self.parts[index] is not None:
            self.parts[index].source.close()
        self.parts[index] = part

    def copy_next(self) -> bool:
        """Copy the next part in, if it has been prepared; False otherwise."""
        if self.copied >= len(self.parts) or self.parts[self.copied] is None:
            return False
        out, part = self.out, self.parts[self.copied]
        source = part.source
        if "/StructTreeRoot" in source.Root:  # the whole tree at once, its pages with it
            part.tree = out.copy_foreign(source.Root.StructTreeRoot)
        part.pages = [out.copy_foreign(page.obj) for page in source.pages]
        part.dests = [(name, page, rest if page is not None else _copy(out, source, rest))
                      for name, page, rest in part.dests]
        part.attachments = [(name, _copy(out, source, spec)) for name, spec in part.attachments]
        self.copied += 1
        return True

    def add(self, index: int, piece: Piece) -> None:
        self.prepare(index, piece)
        while self.copy_next():
            pass

    def finish(self, before_saving=None) -> bytes:
        """The merged PDF (every part must have been added); *before_saving* (a function of the
        pikepdf.Pdf) is called last, to date it."""
        import pikepdf

        out, parts = self.out, self.parts
        faults.point("merge")
        if any(p is None for p in parts):
            raise ValueError("merge: a part is missing")
        while self.copy_next():
            pass
        first = parts[0].source
        for key in _CATALOG_KEYS:
            if key in first.Root:
                out.Root[key] = _copy(out, first, first.Root[key])
        if "/Info" in first.trailer:
            out.trailer.Info = _copy(out, first, first.trailer.Info)
        bases: list[int] = []
        pages: list = []
        for part in parts:
            bases.append(len(pages))
            for page in part.pages:
                out.pages.append(pikepdf.Page(page))
            pages += part.pages
        _destinations(out, parts, bases, pages)
        attachments: dict[str, object] = {}
        for part in parts:
            for name, spec in part.attachments:
                attachments.setdefault(name, spec)
        _set_names(out, "/EmbeddedFiles", attachments)
        _outline(out, [p.piece for p in parts], bases, pages)
        if all(p.tree is not None for p in parts):
            _structure(out, parts, bases, pages)
        if before_saving is not None:
            before_saving(out)
        data = io.BytesIO()
        version = max((p.source.pdf_version for p in parts), key=lambda v: tuple(int(x) for x in v.split(".")))
        # (streams already compressed are copied as they are, not decoded and compressed again:
        # the same bytes for WeasyPrint's streams, in half the time)
        out.save(data, deterministic_id=True, fix_metadata_version=False, min_version=version,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 stream_decode_level=pikepdf.StreamDecodeLevel.none)
        return data.getvalue()

    def close(self) -> None:
        for part in self.parts:
            if part is not None:
                part.source.close()
        self.out.close()


def merge(pieces: list[Piece]) -> bytes:
    merger = Merger(len(pieces))
    try:
        for index, piece in enumerate(pieces):
            merger.add(index, piece)
        return merger.finish()
    finally:
        merger.close()


def _copy(out, source, obj):
    """*obj* of *source* copied into *out* (pikepdf copies only indirect objects across files)."""
    import pikepdf

    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
        if not obj.is_indirect:
            obj = source.make_indirect(obj)
        return out.copy_foreign(obj)
    return obj


def _names(source, tree: str) -> list[tuple[str, object]]:
    """The (name, value) pairs of a name tree of *source* (WeasyPrint writes flat ones)."""
    import pikepdf

    names = source.Root.get("/Names")
    if names is None or tree not in names:
        return []
    return [(str(k), v) for k, v in pikepdf.NameTree(names[tree]).items()]


def _set_names(out, tree: str, pairs: dict[str, object]) -> None:
    import pikepdf

    if not pairs:
        return
    flat = pikepdf.Array()
    for name in sorted(pairs):
        flat.append(pikepdf.String(name))
        flat.append(pairs[name])
    if "/Names" not in out.Root:
        out.Root.Names = pikepdf.Dictionary()
    out.Root.Names[tree] = out.make_indirect(pikepdf.Dictionary(Names=flat))


def _destinations(out, parts: list[_Copied], bases: list[int], pages: list) -> None:
    """One name tree of every part's destinations, pointing at the merged pages."""
    import pikepdf

    found: dict[str, object] = {}
    for part, base in zip(parts, bases):
        for name, page, rest in part.dests:
            if name not in found:  # the first occurrence wins, as in one document
                found[name] = pikepdf.Array([pages[base + page], *rest]) if page is not None else rest
    _set_names(out, "/Dests", found)


# --- outline ------------------------------------------------------------------------------------------

def bookmark_tree(pieces: list[Piece], bases: list[int]) -> list:
    """(label, (page, x, y), children, state) subtrees, nested as WeasyPrint nests them
    (weasyprint.anchors.make_page_bookmark_tree, over the whole book)."""
    root: list = []
    skipped: list[int] = []
    last_by_depth = [root]
    previous = 0
    for piece, base in zip(pieces, bases):
        for index, level, label, x, y, state in piece.bookmarks:
            if level > previous:
                skipped.append(level - previous - 1)
            else:
                temp = level
                while temp < previous:
                    temp += 1 + skipped.pop()
                if temp > previous:
                    skipped.append(temp - previous - 1)
            previous = level
            depth = level - sum(skipped)
            children: list = []
            last_by_depth[depth - 1].append((label, (base + index, x, y), children, state))
            del last_by_depth[depth:]
            last_by_depth.append(children)
    return root


def _outline(out, pieces: list[Piece], bases: list[int], pages: list) -> None:
    import pikepdf

    tree = bookmark_tree(pieces, bases)
    if not tree:
        return

    def add(entries, parent):
        items, count = [], len(entries)
        for title, (page, x, y), children, state in entries:
            item = out.make_indirect(pikepdf.Dictionary(
                Title=pikepdf.String(title), Dest=pikepdf.Array([pages[page], pikepdf.Name.XYZ, x, y, 0])))
            kids, kids_count = add(children, item)
            item.Count = -kids_count if state == "closed" else kids_count
            if state != "closed":
                count += kids_count
            if items:
                item.Prev = items[-1]
                items[-1].Next = item
            if kids:
                item.First, item.Last = kids[0], kids[-1]
            if parent is not None:
                item.Parent = parent
            items.append(item)
        return items, count

    items, count = add(tree, None)
    outlines = out.make_indirect(pikepdf.Dictionary(Count=count, First=items[0], Last=items[-1]))
    for item in items:
        item.Parent = outlines
    out.Root.Outlines = outlines


# --- structure tree -----------------------------------------------------------------------------------------

def _structure(out, parts: list[_Copied], bases: list[int], pages: list) -> None:
    import pikepdf

    root = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
    document = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document,
                                                    K=pikepdf.Array(), P=root))
    root.K = pikepdf.Array([document])
    pairs: list[tuple[int, object]] = []
    annotation_key = len(pages)
    for part, base in zip(parts, bases):
        tree = part.tree
        part_document = tree.K[0] if isinstance(tree.K, pikepdf.Array) else tree.K
        if "/Namespaces" in tree and "/Namespaces" not in root:
            root.Namespaces = tree.Namespaces
            document.NS = part_document.NS if "/NS" in part_document else root.Namespaces[0]
        for kid in part_document.K:
            if isinstance(kid, pikepdf.Dictionary):
                kid.P = document
            document.K.append(kid)
        count = len(part.pages)
        renamed: dict[int, int] = {}
        for index, page in enumerate(part.pages):
            page.StructParents = base + index
            for annotation in page.get("/Annots", ()):
                if "/StructParent" in annotation:
                    renamed[int(annotation.StructParent)] = annotation_key
                    annotation.StructParent = annotation_key
                    annotation_key += 1
        for key, value in pikepdf.NumberTree(tree.ParentTree).items():
            key = int(key)
            new = base + key if key < count else renamed.get(key)
            if new is not None:
                pairs.append((new, value))
    flat = pikepdf.Array()
    for key, value in sorted(pairs, key=lambda kv: kv[0]):
        flat.append(key)
        flat.append(value)
    root.ParentTree = out.make_indirect(pikepdf.Dictionary(Nums=flat))
    root.ParentTreeNextKey = annotation_key
    out.Root.StructTreeRoot = root
