"""The screen PDF finished from the print edition's layout (editions.pdf.layout = "print").

The book is laid out once, with the print edition's pages; the print edition is finished
from that layout (print/finish) and the screen PDF here, from the same, unfinished PDF:

- every page cut to its trim (MediaBox and TrimBox = the trim; no bleed, crop marks or
  BleedBox);
- DeviceCMYK colours (``k``/``K``, ``cs``/``CS`` + ``scn``/``SCN`` in page, form, pattern and
  soft-mask content, named CMYK colour spaces, CMYK shadings with exponential or stitching
  functions, 8-bit CMYK images such as a press-ready JPEG) turned into DeviceRGB, by the plain
  device formula (R = (1 - C)(1 - K), ...): the print stylesheet's device-cmyk() colours come
  out close to the RGB colours they were chosen from (WeasyPrint 70 draws no CMYK gradients);
- external links (``http…``, the screen stylesheet's ``a[href^="http"]``), which the print
  edition prints in the text's colour, drawn in the accent colour (``--colour-accent`` of the
  print stylesheets, made RGB by the same formula): the tagged layout says which marked content
  is a link's (its structure element holds the link annotation), and the page's content gets
  the accent after that marked content begins and its own colour back after it ends (so the
  book is still laid out once, and the print edition stays as designed);
- the output intent and the PDF/X claims dropped;
- the pages the print edition leaves blank on purpose (signature padding, the versos left
  by ``break-before: right``; pagemap.PageStart.blank) left out, and the printed page
  numbers kept as /PageLabels;
- links, named destinations and bookmarks that pointed at a page left out point at the
  next page kept (the page that page was left blank for); the structure tree loses the
  elements on those pages, and its parent tree their entries.

Deterministic: the same layout gives the same bytes (a content-derived /ID, dates from
SOURCE_DATE_EPOCH through print/finish.stamp)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from spindle.editions.print import finish


@dataclass(frozen=True)
class Screen:
    pdf: bytes
    pages: int
    numbers: tuple[int, ...]  # the printed page number of each screen page
    left_out: tuple[int, ...]  # printed numbers of the blank pages left out


def derive(data: bytes, blanks: list[bool] | None, identifier: str, epoch: int | None,
           link: tuple[float, float, float] | None = None) -> Screen:
    """The screen PDF from the print edition's unfinished layout *data*; *blanks*: per page,
    whether the print edition left it blank on purpose (None: keep every page); *link*: the RGB
    colour of external links (:func:`accent`; None: as laid out)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        count = len(pdf.pages)
        blanks = list(blanks or [])[:count] + [False] * max(0, count - len(blanks or []))
        if all(blanks):
            blanks = [False] * count
        kept = _pages_finished(pdf, blanks, lambda i, kept: next((j for j in kept if j > i), kept[-1]), link)
        numbers = tuple(i + 1 for i in kept)
        finish_book(pdf, numbers, identifier, epoch)
        out = _save(pdf)
    return Screen(pdf=out, pages=len(numbers), numbers=numbers,
                  left_out=tuple(i + 1 for i in range(count) if blanks[i]))


@dataclass(frozen=True)
class PartScreen:
    """One part of the print layout finished for the screen on its own (merged afterwards with
    the other parts, then given the book's labels, claims and ids by :func:`finish_book`)."""

    pdf: bytes
    kept: tuple[int, ...]  # indices of the part's pages kept (the others were left blank on purpose)
    bookmarks: list  # the part's bookmarks on the pages kept: (page index, level, label, x, y, state)


def derive_part(data: bytes, blanks: list[bool], bookmarks: list, last: bool,
                link: tuple[float, float, float] | None = None) -> PartScreen | None:
    """A part of the print layout (*data*, its pages' *blanks*, its *bookmarks* as the merge takes
    them) finished for the screen as :func:`derive` finishes the whole book; None when that cannot
    be done within the part: a page left out whose links would lead to a later part (a blank page
    with no page kept after it in the part, unless it is the *last* part and has a page kept)."""
    import pikepdf

    count = len(blanks)
    kept = [i for i in range(count) if not blanks[i]]
    if not kept:  # blank pages alone (the signature padding's part): nothing of it is kept
        return None if bookmarks else _left_out(data, count)
    if any(blanks[i] and kept[-1] < i for i in range(count)) and not last:
        return None
    target = {i: next((j for j in kept if j > i), kept[-1]) for i in range(count) if blanks[i]}
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if len(pdf.pages) != count:
            return None
        _pages_finished(pdf, blanks, lambda i, kept: target[i], link)
        _renumber_structure(pdf, kept)
        out = _save(pdf)
    index = {i: n for n, i in enumerate(kept)}
    moved = []
    for page, level, label, x, y, state in bookmarks:
        if page in target:  # (on a page left out: the top of the page it was left blank for)
            page, x, y = target[page], None, None
        moved.append((index[page], level, label, x, y, state))
    return PartScreen(pdf=out, kept=tuple(kept), bookmarks=moved)


def _left_out(data: bytes, count: int) -> PartScreen | None:
    """A part of blank pages only, finished for the screen: no page, its structure pruned (None
    when something could lead into it: a named destination on one of its pages)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        names = pdf.Root.get("/Names")
        if len(pdf.pages) != count or "/Dests" in pdf.Root or (names is not None and "/Dests" in names
                                                               and len(pikepdf.NameTree(names.Dests))):
            return None
        _pages_finished(pdf, [True] * count, None)
        out = _save(pdf)
    return PartScreen(pdf=out, kept=(), bookmarks=[])


def finish_book(pdf, numbers: tuple[int, ...], identifier: str, epoch: int | None) -> None:
    """What the whole screen PDF gets once: its printed page numbers as page labels, no press
    claims, the book's ids and dates (an open pikepdf.Pdf, changed in place)."""
    _labels(pdf, numbers)
    _not_for_press(pdf)
    finish.stamp(pdf, identifier, epoch)


def _pages_finished(pdf, blanks: list[bool], instead_of, link: tuple[float, float, float] | None = None) -> list[int]:
    """The pages of *pdf* cut to the trim and turned RGB (external links drawn in *link*, when
    given), those left blank on purpose removed (the links to them led to the page
    *instead_of(index, kept)*; None: nothing leads to them); the indices of the pages kept."""
    count = len(pdf.pages)
    kept = [i for i in range(count) if not blanks[i]]
    removed = {pdf.pages[i].obj.objgen for i in range(count) if blanks[i]}
    # where a link to a page left out goes instead
    instead: dict[tuple[int, int], object] = {}
    for i in range(count):
        if blanks[i] and instead_of is not None:
            instead[pdf.pages[i].obj.objgen] = pdf.pages[instead_of(i, kept)].obj
    for i in kept:
        _trim(pdf.pages[i])
    colours = _Colours(pdf, link)
    for i in kept:
        colours.page(pdf.pages[i])
    _redirect(pdf, instead, kept)
    _prune_structure(pdf, removed)
    for i in reversed(range(count)):
        if blanks[i]:
            del pdf.pages[i]
    return kept


def _save(pdf) -> bytes:
    import pikepdf

    buffer = io.BytesIO()
    # (streams already compressed are copied as they are: recompressing the fonts would double the time)
    pdf.save(buffer, deterministic_id=True, fix_metadata_version=False,
             object_stream_mode=pikepdf.ObjectStreamMode.generate,
             stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return buffer.getvalue()


def _renumber_structure(pdf, kept: list[int]) -> None:
    """The pages kept numbered 0, 1, ... in the parent tree, as the merge expects of a part (a
    page's /StructParents is its index; link annotations' keys come after the pages')."""
    import pikepdf

    root = pdf.Root.get("/StructTreeRoot")
    if root is None or "/ParentTree" not in root:
        return
    new = {}
    for index, page in enumerate(pdf.pages):
        if "/StructParents" in page.obj:
            new[int(page.obj.StructParents)] = index
            page.obj.StructParents = index
    pairs = []
    for key, value in pikepdf.NumberTree(root.ParentTree).items():
        key = int(key)
        pairs.append((new.get(key, key), value))
    flat = pikepdf.Array()
    for key, value in sorted(pairs, key=lambda kv: kv[0]):
        flat.append(key)
        flat.append(value)
    root.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=flat))


# --- page boxes -------------------------------------------------------------------------------------------

def _trim(page) -> None:
    import pikepdf

    obj = page.obj
    box = obj.get("/TrimBox") or obj.get("/CropBox") or obj.MediaBox
    trim = pikepdf.Array([float(v) for v in box])
    obj.MediaBox = trim
    obj.TrimBox = pikepdf.Array(list(trim))
    for key in ("/BleedBox", "/CropBox", "/ArtBox"):
        if key in obj:
            del obj[key]


# --- colours ----------------------------------------------------------------------------------------------

# a colour operator (checked afterwards to stand alone and follow its operands)
_OPERATOR = re.compile(rb"(?:k|K|scn|SCN|sc|SC)(?![^\x00\t\n\x0c\r \[(<%/])")
_SPACE = re.compile(rb"/DeviceCMYK([\x00\t\n\x0c\r ]+)(cs|CS)(?![^\x00\t\n\x0c\r \[(<%/])")
_INLINE_IMAGE = re.compile(rb"[\x00\t\n\x0c\r ]BI[\x00\t\n\x0c\r ]")
_NUMBER = re.compile(rb"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")
_N, _W = rb"([-+]?(?:\d+(?:\.\d*)?|\.\d+))", rb"[\x00\t\n\x0c\r ]+"
_OPERANDS = re.compile(rb"(?<![^\x00\t\n\x0c\r \])>])" + _N + _W + _N + _W + _N + _W + _N + _W + rb"\Z")
_RGB_OPERATOR = {b"k": b"rg", b"K": b"RG", b"scn": b"scn", b"SCN": b"SCN", b"sc": b"sc", b"SC": b"SC"}


def _rgb_operators(data: bytes) -> bytes:
    """Every colour operator with four numbers (k, K; sc/scn, SC/SCN: only CMYK takes four)
    given the RGB colour instead. The operators are found first (a search for a few letters is
    fast), then their operands read backwards."""
    out, done = [], 0
    for match in _OPERATOR.finditer(data):
        at = match.start()
        if at == 0 or data[at - 1] not in b"\x00\t\n\x0c\r ":
            continue
        low = max(done, at - 96)
        operands = _OPERANDS.search(data, low, at)
        if operands is None:
            continue
        earlier = data[low:operands.start()].split()
        if earlier and _NUMBER.fullmatch(earlier[-1]):
            continue  # five or more operands: not a CMYK colour
        first = operands.start()
        c, m, y, k = (float(t) for t in operands.groups())
        rgb = b" ".join(_number_bytes(v) for v in cmyk_to_rgb(c, m, y, k))
        out += [data[done:first], rgb, b" ", _RGB_OPERATOR[match.group(0)]]
        done = match.end()
    out.append(data[done:])
    return b"".join(out)


def _number_bytes(value: float) -> bytes:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return (text if text not in ("", "-0") else "0").encode("ascii")


def _write(stream, data: bytes) -> None:
    """*data* as *stream*'s content, compressed (the file is saved without recompressing)."""
    import zlib

    import pikepdf

    stream.write(zlib.compress(data, 6), filter=pikepdf.Name.FlateDecode)


def _content(owner) -> bytes:
    """The decoded content of a page (its streams joined) or of a form."""
    import pikepdf

    if isinstance(owner, pikepdf.Stream):
        return owner.read_bytes()
    content = owner.obj.get("/Contents")
    streams = list(content) if isinstance(content, pikepdf.Array) else [content]
    return b"\n".join(s.read_bytes() for s in streams if s is not None)


def cmyk_to_rgb(c: float, m: float, y: float, k: float) -> tuple[float, float, float]:
    return tuple(round((1 - v) * (1 - k), 6) for v in (c, m, y))  # type: ignore[return-value]


class _Colours:
    """Rewrites DeviceCMYK colours as DeviceRGB in content streams, shadings and images,
    each stream once (forms and images are shared between pages)."""

    def __init__(self, pdf, link: tuple[float, float, float] | None = None):
        self.pdf = pdf
        self.link = link  # the colour of external links (None: as laid out)
        self.seen: set[tuple[int, int]] = set()

    def page(self, page) -> None:
        import pikepdf

        resources = page.obj.get("/Resources")
        self._resources(resources)
        group = page.obj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and _is_cmyk(group.get("/CS")):
            group.CS = pikepdf.Name.DeviceRGB
        content = page.obj.get("/Contents")
        if content is None:
            return
        wanted = _external_content(self.pdf, page) if self.link is not None else set()
        if wanted:  # external links in the accent: with the CMYK colours, in one rewrite when it can be
            data = _content(page)
            if _plain(data):
                data = _rgb_operators(_SPACE.sub(lambda m: b"/DeviceRGB" + m.group(1) + m.group(2),
                                                 _links_coloured(data, wanted, self.link)))
                page.obj.Contents = self.pdf.make_stream(b"")
                _write(page.obj.Contents, data)
                self._appearances(page)
                return
            _colour_links(self.pdf, page, wanted, self.link)  # (then turned RGB as any page)
        data = _content(page)  # (decoded once: the rewrite is given it)
        if self._cmyk_in(data):
            rewritten = self._rewrite(page, resources, data)
            page.obj.Contents = self.pdf.make_stream(b"")
            _write(page.obj.Contents, rewritten)
        self._appearances(page)

    def _appearances(self, page) -> None:
        import pikepdf

        for annotation in page.obj.get("/Annots", ()):
            for appearance in (annotation.get("/AP") or {}).values():
                if isinstance(appearance, pikepdf.Stream):
                    self._form(appearance)

    @staticmethod
    def _cmyk_in(data: bytes) -> bool:
        """Whether a content stream may set a CMYK colour (a cheap look before rewriting it)."""
        return b"CMYK" in data or _OPERATOR.search(data) is not None

    def _form(self, form) -> None:
        import pikepdf

        if form.objgen in self.seen:
            return
        self.seen.add(form.objgen)
        group = form.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and _is_cmyk(group.get("/CS")):
            group.CS = pikepdf.Name.DeviceRGB
        resources = form.get("/Resources")
        self._resources(resources)
        if self._cmyk_in(form.read_bytes()):
            _write(form, self._rewrite(form, resources))

    def _resources(self, resources) -> None:
        import pikepdf

        if not isinstance(resources, pikepdf.Dictionary):
            return
        if resources.objgen != (0, 0):
            if ("res",) + resources.objgen in self.seen:
                return
            self.seen.add(("res",) + resources.objgen)
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == pikepdf.Name.Form:
                self._form(xobject)
            elif xobject.get("/Subtype") == pikepdf.Name.Image:
                self._image(xobject)
        for pattern in (resources.get("/Pattern") or {}).values():
            if pattern.get("/PatternType") == 1:
                self._form(pattern)
            elif "/Shading" in pattern:
                self._shading(pattern.Shading)
        for shading in (resources.get("/Shading") or {}).values():
            self._shading(shading)
        for state in (resources.get("/ExtGState") or {}).values():  # soft masks draw with forms too
            mask = state.get("/SMask") if isinstance(state, pikepdf.Dictionary) else None
            if isinstance(mask, pikepdf.Dictionary) and isinstance(mask.get("/G"), pikepdf.Stream):
                self._form(mask.G)
        spaces = resources.get("/ColorSpace")
        if isinstance(spaces, pikepdf.Dictionary):
            for name in list(spaces.keys()):
                if _is_cmyk(spaces[name]):
                    spaces[name] = pikepdf.Name.DeviceRGB

    def _rewrite(self, owner, resources, data: bytes | None = None) -> bytes:
        """*owner*'s content (*data*, when it has been read) with CMYK colour operators as RGB ones:
        with regular expressions over its bytes (WeasyPrint's content has no literal strings or
        inline images, which could hold look-alikes), else operator by operator (pikepdf's parser:
        about ten times slower)."""
        data = _content(owner) if data is None else data
        if _plain(data):
            data = _SPACE.sub(lambda m: b"/DeviceRGB" + m.group(1) + m.group(2), data)
            return _rgb_operators(data)
        return self._parse_and_rewrite(owner, resources)

    def _parse_and_rewrite(self, owner, resources) -> bytes:
        import pikepdf

        spaces = resources.get("/ColorSpace") if isinstance(resources, pikepdf.Dictionary) else None
        cmyk_names = set()
        if isinstance(spaces, pikepdf.Dictionary):  # named CMYK spaces (made DeviceRGB by _resources)
            cmyk_names = {k for k, v in spaces.items() if v == pikepdf.Name.DeviceRGB}
        fill, stroke, stack = False, False, []
        out = []
        for operands, operator in pikepdf.parse_content_stream(owner):
            op = str(operator)
            if op == "q":
                stack.append((fill, stroke))
            elif op == "Q" and stack:
                fill, stroke = stack.pop()
            elif op in ("cs", "CS"):
                space = operands[0] if operands else None
                cmyk = space == pikepdf.Name.DeviceCMYK or str(space) in cmyk_names
                if space == pikepdf.Name.DeviceCMYK:
                    operands = [pikepdf.Name.DeviceRGB]
                if op == "cs":
                    fill = cmyk
                else:
                    stroke = cmyk
            elif op in ("k", "K") and len(operands) == 4:
                operands = list(cmyk_to_rgb(*(float(v) for v in operands)))
                operator = pikepdf.Operator("rg" if op == "k" else "RG")
            elif op in ("sc", "scn", "SC", "SCN") and len(operands) == 4 and (fill if op.islower() else stroke) \
                    and all(_number(v) for v in operands):
                operands = list(cmyk_to_rgb(*(float(v) for v in operands)))
            out.append((operands, operator))
        return pikepdf.unparse_content_stream(out)

    def _shading(self, shading) -> None:
        import pikepdf

        if shading.objgen != (0, 0):
            if ("sh",) + shading.objgen in self.seen:
                return
            self.seen.add(("sh",) + shading.objgen)
        if not _is_cmyk(shading.get("/ColorSpace")):
            return
        function = shading.get("/Function")
        if function is None or not _rgb_function(function):
            return  # (sampled functions stay CMYK: none of spindle's stylesheets make them)
        shading.ColorSpace = pikepdf.Name.DeviceRGB
        if "/Background" in shading and len(shading.Background) == 4:
            shading.Background = pikepdf.Array(list(cmyk_to_rgb(*(float(v) for v in shading.Background))))

    def _image(self, image) -> None:
        import pikepdf

        if image.objgen in self.seen or not _is_cmyk(image.get("/ColorSpace")) or image.get("/BitsPerComponent") != 8:
            return
        self.seen.add(image.objgen)
        try:
            picture = pikepdf.PdfImage(image).as_pil_image()
        except Exception:  # an image pikepdf cannot decode stays as it is
            return
        if picture.mode != "CMYK":
            return
        rgb = _cmyk_image_to_rgb(picture)
        _write(image, rgb.tobytes())
        image.ColorSpace = pikepdf.Name.DeviceRGB
        for key in ("/Decode", "/DecodeParms"):
            if key in image:
                del image[key]


def _cmyk_image_to_rgb(picture):
    """The device formula, as for colours: R = (1 - C)(1 - K), ..."""
    from PIL import Image, ImageChops

    c, m, y, k = picture.split()
    white = [ImageChops.invert(band) for band in (c, m, y)]
    paper = ImageChops.invert(k)
    return Image.merge("RGB", [ImageChops.multiply(band, paper) for band in white])


def _number(value) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


def _is_cmyk(space) -> bool:
    import pikepdf

    if space is None:
        return False
    if space == pikepdf.Name.DeviceCMYK:
        return True
    if isinstance(space, pikepdf.Array) and len(space) == 2 and space[0] == pikepdf.Name.ICCBased:
        return int(space[1].get("/N", 0)) == 4
    return False


def _rgb_function(function) -> bool:
    """Turn an exponential (type 2) or stitching (type 3) function's CMYK outputs into RGB ones."""
    import pikepdf

    if isinstance(function, pikepdf.Array):
        return False  # one function per component
    kind = int(function.get("/FunctionType", -1))
    if kind == 2:
        for key in ("/C0", "/C1"):
            values = function.get(key)
            if values is None:
                values = pikepdf.Array([0, 0, 0, 0] if key == "/C0" else [1, 1, 1, 1])
            if len(values) != 4:
                return False
            function[key] = pikepdf.Array(list(cmyk_to_rgb(*(float(v) for v in values))))
        if "/Range" in function:
            del function["/Range"]
        return True
    if kind == 3:
        return all(_rgb_function(f) for f in function.Functions)
    return False


# --- external links in the accent colour ---------------------------------------------------------------

def accent(texts: list[str]) -> tuple[float, float, float] | None:
    """The RGB colour of external links in the screen PDF made from the print layout: the last
    ``--colour-accent`` declared on ``:root`` (or ``html``) in the print edition's stylesheets
    *texts* (in cascade order, custom.css last), a ``device-cmyk()`` made RGB as every colour of
    the layout is (:func:`cmyk_to_rgb`), an sRGB colour as it is; None when it is none of these
    (a ``var()``, another colour function): the links then stay as laid out."""
    import tinycss2

    value = None
    for text in texts:
        for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
            if rule.type != "qualified-rule":
                continue
            selectors = {s.strip() for s in tinycss2.serialize(rule.prelude).split(",")}
            if not selectors & {":root", "html"}:
                continue
            for declaration in tinycss2.parse_declaration_list(rule.content, skip_comments=True,
                                                                skip_whitespace=True):
                if declaration.type == "declaration" and declaration.lower_name == "--colour-accent":
                    value = [t for t in declaration.value if t.type not in ("whitespace", "comment")]
    return _colour(value) if value else None


def _colour(tokens) -> tuple[float, float, float] | None:
    import tinycss2.color3

    if len(tokens) != 1:
        return None
    token = tokens[0]
    if token.type == "function" and token.lower_name == "device-cmyk":
        values = []
        for arg in token.arguments:
            if arg.type == "number":
                values.append(float(arg.value))
            elif arg.type == "percentage":
                values.append(float(arg.value) / 100)
            elif arg.type == "literal" and arg.value == "/":
                break  # (an alpha: not a colour of its own)
            elif arg.type not in ("whitespace", "comment") and not (arg.type == "literal" and arg.value == ","):
                return None
        if len(values) != 4 or not all(0 <= v <= 1 for v in values):
            return None
        return cmyk_to_rgb(*values)
    found = tinycss2.color3.parse_color(token)
    if found is None or found == "currentColor" or found.alpha != 1:
        return None
    return (round(found.red, 6), round(found.green, 6), round(found.blue, 6))


def _external(annotation) -> bool:
    """A link annotation that leads out of the book (a URI beginning with http, as the screen
    stylesheet's ``a[href^="http"]`` selects)."""
    import pikepdf

    action = annotation.get("/A") if isinstance(annotation, pikepdf.Dictionary) else None
    if not isinstance(action, pikepdf.Dictionary) or action.get("/S") != pikepdf.Name.URI:
        return False
    return str(action.get("/URI", "")).startswith("http")


def _external_content(pdf, page) -> set[int]:
    """The marked-content ids (MCIDs) of *page* that belong to an external link: in the parent
    tree, the page's structure elements by MCID; a link's (or one inside a link) holds, or is
    inside, a Link element that holds its annotation (an OBJR)."""
    import pikepdf

    if not any(_external(a) for a in page.obj.get("/Annots", ())):
        return set()
    root = pdf.Root.get("/StructTreeRoot")
    if root is None or "/ParentTree" not in root or "/StructParents" not in page.obj:
        return set()
    elements = pikepdf.NumberTree(root.ParentTree).get(int(page.obj.StructParents))
    if not isinstance(elements, pikepdf.Array):
        return set()
    found = set()
    for mcid, element in enumerate(elements):
        for _ in range(32):  # the element or one it is inside (a code span in a link)
            if not isinstance(element, pikepdf.Dictionary) or element.get("/Type") == pikepdf.Name.StructTreeRoot:
                break
            if element.get("/S") == pikepdf.Name.Link:
                kids = element.get("/K")
                kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
                if any(isinstance(k, pikepdf.Dictionary) and k.get("/Type") == pikepdf.Name.OBJR
                       and _external(k.get("/Obj")) for k in kids):
                    found.add(mcid)
                break
            element = element.get("/P")
    return found


_FILL = {"cs", "sc", "scn", "g", "rg", "k"}  # operators that set the fill colour (or its space)


def _colour_links(pdf, page, wanted: set[int], rgb: tuple[float, float, float]) -> None:
    """Draw the marked contents *wanted* of *page* (its external links) in *rgb*: after each
    begins, the fill colour is set to *rgb*; inside it, a fill colour set back to the one it began
    with (the text's, after a background) is *rgb* too, other colours stay (a code span's
    background); after it ends, the fill colour is what the page's own content made it. (Operator
    by operator, with pikepdf's parser: for content with literal strings or inline images;
    :func:`_links_coloured` does the same over WeasyPrint's plain content, ten times faster.)"""
    import pikepdf

    accent_ops = [([pikepdf.Name.DeviceRGB], pikepdf.Operator("cs")), (list(rgb), pikepdf.Operator("scn"))]
    fill: tuple = ((), ())  # the fill colour: (its 'cs' instruction or (), its colour instruction or ())
    saved: list[tuple] = []
    inside, began = 0, None
    out = []
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        step = (operands, operator)
        if op == "q":
            saved.append(fill)
        elif op == "Q" and saved:
            fill = saved.pop()
        elif op in _FILL:
            fill = (step, ()) if op == "cs" else (fill[0], step) if op in ("sc", "scn") else ((), step)
            if inside and op != "cs" and _same(fill, began):
                out += accent_ops  # (the text's own colour again, after something else inside the link)
                continue
        elif op == "BDC" and not inside and len(operands) == 2 and isinstance(operands[1], pikepdf.Dictionary) \
                and "/MCID" in operands[1] and int(operands[1].MCID) in wanted:
            out += [step, *accent_ops]
            inside, began = 1, fill
            continue
        elif inside and op in ("BDC", "BMC"):
            inside += 1
        elif inside and op == "EMC":
            inside -= 1
            if not inside:
                out += [step, *_restore(fill)]
                continue
        out.append(step)
    page.obj.Contents = pdf.make_stream(b"")
    _write(page.obj.Contents, pikepdf.unparse_content_stream(out))


_WS = b"\x00\t\n\x0c\r "
# the operators _links_coloured follows, standing alone
_MARKS = re.compile(rb"(?<![^\x00\t\n\x0c\r \]>])(q|Q|cs|scn|sc|rg|g|k|BDC|BMC|EMC)(?![^\x00\t\n\x0c\r \[(<%/])")
_MCID = re.compile(rb"/MCID[\x00\t\n\x0c\r ]+(\d+)[\x00\t\n\x0c\r ]*>>[\x00\t\n\x0c\r ]*\Z")


def _plain(data: bytes) -> bool:
    """Content without literal strings or inline images (WeasyPrint's), whose operators regular
    expressions find reliably."""
    return b"(" not in data and not (b"BI" in data and _INLINE_IMAGE.search(data))


def _operands_start(data: bytes, at: int, floor: int) -> int:
    """Where the operands (numbers and names) of the operator at *at* begin (not before *floor*)."""
    start = at
    while True:
        end = start
        while end > floor and data[end - 1] in _WS:
            end -= 1
        begin = end
        while begin > floor and data[begin - 1] not in _WS:
            begin -= 1
        token = data[begin:end]
        if begin < end and (token.startswith(b"/") or _NUMBER.fullmatch(token)):
            start = begin
        else:
            return start


def _links_coloured(data: bytes, wanted: set[int], rgb: tuple[float, float, float]) -> bytes:
    """:func:`_colour_links` over plain content (:func:`_plain`), with regular expressions: the
    fill colour followed through q/Q and its operators, the marked contents *wanted* given *rgb*."""
    accent = b"\n/DeviceRGB cs\n" + b" ".join(_number_bytes(v) for v in rgb) + b" scn\n"
    fill: tuple = (b"", b"")  # (the fill colour's 'cs' instruction, its colour instruction)
    saved: list[tuple] = []
    inside, began = 0, None
    out, done, last = [], 0, 0  # (last: where the previous operator followed here ended)
    for match in _MARKS.finditer(data):
        op, at, end = match.group(1), match.start(), match.end()
        if op == b"q":
            saved.append(fill)
        elif op == b"Q":
            if saved:
                fill = saved.pop()
        elif op in (b"BDC", b"BMC", b"EMC"):
            if op == b"BDC" and not inside:
                found = _MCID.search(data, max(last, at - 200), at)
                if found is not None and int(found.group(1)) in wanted:
                    out += [data[done:end], accent]
                    done, inside, began = end, 1, fill
            elif inside and op == b"EMC":
                inside -= 1
                if not inside:
                    space, colour = fill
                    restore = b"\n".join(p for p in (space, colour) if p) or b"/DeviceGray cs"
                    out += [data[done:end], b"\n", restore, b"\n"]
                    done = end
            elif inside:
                inside += 1
        else:
            start = _operands_start(data, at, last)
            step = data[start:end]
            fill = (step, b"") if op == b"cs" else (fill[0], step) if op in (b"sc", b"scn") else (b"", step)
            if inside and op != b"cs" and fill == began:
                out += [data[done:start], accent]  # (the text's own colour again, inside the link)
                done = end
        last = end
    out.append(data[done:])
    return b"".join(out)


def _same(a: tuple, b: tuple) -> bool:
    """Whether two fill colours (see _colour_links) are the same instructions."""
    def key(fill):
        return tuple((tuple(str(v) for v in s[0]), str(s[1])) if s else () for s in fill)
    return key(a) == key(b)


def _restore(fill: tuple) -> list:
    """The instructions that set the fill colour *fill* again (the initial one: black, DeviceGray)."""
    import pikepdf

    space, colour = fill
    if not space and not colour:
        return [([pikepdf.Name.DeviceGray], pikepdf.Operator("cs"))]
    return [step for step in (space, colour) if step]


# --- links, bookmarks, destinations, structure -----------------------------------------------------------

def _redirect(pdf, instead: dict, kept: list[int]) -> None:
    """Destinations (named, outline items, link annotations) on a page left out: to the next page kept."""
    import pikepdf

    if not instead:
        return

    def fix(dest):
        if isinstance(dest, pikepdf.Dictionary) and "/D" in dest:  # a named destination's dictionary form
            fix(dest.D)
            return
        if isinstance(dest, pikepdf.Array) and len(dest) and isinstance(dest[0], pikepdf.Dictionary):
            target = instead.get(dest[0].objgen)
            if target is not None:
                dest[0] = target
                if len(dest) >= 5 and dest[1] == pikepdf.Name.XYZ:
                    dest[3] = None  # its top, not a place on the blank page
                    dest[2] = None

    def fix_action(action):
        if isinstance(action, pikepdf.Dictionary) and action.get("/S") == pikepdf.Name.GoTo:
            fix(action.get("/D"))

    names = pdf.Root.get("/Names")
    if names is not None and "/Dests" in names:
        for _, dest in pikepdf.NameTree(names.Dests).items():
            fix(dest)
    if "/Dests" in pdf.Root:
        for dest in pdf.Root.Dests.values():
            fix(dest)
    outlines = pdf.Root.get("/Outlines")
    stack = [outlines.get("/First")] if outlines is not None else []
    while stack:
        item = stack.pop()
        if item is None:
            continue
        fix(item.get("/Dest"))
        fix_action(item.get("/A"))
        stack += [item.get("/Next"), item.get("/First")]
    for i in kept:
        for annotation in pdf.pages[i].obj.get("/Annots", ()):
            fix(annotation.get("/Dest"))
            fix_action(annotation.get("/A"))


def _prune_structure(pdf, removed: set) -> None:
    """The structure tree without the elements on pages left out (their /Pg), and the parent
    tree without those pages' entries."""
    import pikepdf

    root = pdf.Root.get("/StructTreeRoot")
    if root is None or not removed:
        return
    dropped: set = set()

    def on_removed(node) -> bool:
        page = node.get("/Pg") if isinstance(node, pikepdf.Dictionary) else None
        return page is not None and page.objgen in removed

    def prune(element) -> None:
        kids = element.get("/K")
        if kids is None:
            return
        single = not isinstance(kids, pikepdf.Array)
        items = [kids] if single else list(kids)
        keep = []
        for kid in items:
            if isinstance(kid, pikepdf.Dictionary):
                if on_removed(kid):
                    if kid.is_indirect:
                        dropped.add(kid.objgen)
                    continue
                if kid.get("/Type") not in (pikepdf.Name.MCR, pikepdf.Name.OBJR):
                    prune(kid)
            keep.append(kid)
        if single:
            if keep:
                element.K = keep[0]
            else:
                del element["/K"]
        else:
            element.K = pikepdf.Array(keep)

    prune(root)
    if "/ParentTree" in root:
        pairs = []
        for key, value in pikepdf.NumberTree(root.ParentTree).items():
            if isinstance(value, pikepdf.Array):
                value = pikepdf.Array([None if isinstance(v, pikepdf.Dictionary) and v.is_indirect
                                       and v.objgen in dropped else v for v in value])
            elif isinstance(value, pikepdf.Dictionary) and value.is_indirect and value.objgen in dropped:
                continue
            pairs.append((int(key), value))
        pages_left_out = set()
        for page in pdf.pages:
            if page.obj.objgen in removed and "/StructParents" in page.obj:
                pages_left_out.add(int(page.obj.StructParents))
            if page.obj.objgen in removed:
                for annotation in page.obj.get("/Annots", ()):
                    if "/StructParent" in annotation:
                        pages_left_out.add(int(annotation.StructParent))
        flat = pikepdf.Array()
        for key, value in sorted(pairs, key=lambda kv: kv[0]):
            if key in pages_left_out:
                continue
            flat.append(key)
            flat.append(value)
        root.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=flat))


# --- labels and claims ----------------------------------------------------------------------------------

def _labels(pdf, numbers: tuple[int, ...]) -> None:
    """/PageLabels: each screen page labelled with its printed page number (decimal)."""
    import pikepdf

    nums = pikepdf.Array()
    for index, number in enumerate(numbers):
        if index == 0 or number != numbers[index - 1] + 1:
            nums.append(index)
            nums.append(pikepdf.Dictionary(S=pikepdf.Name.D, St=number))
    if len(nums):
        pdf.Root.PageLabels = pdf.make_indirect(pikepdf.Dictionary(Nums=nums))


def _not_for_press(pdf) -> None:
    """No output intent, no PDF/X version or claims: the screen PDF is not for a press."""
    if "/OutputIntents" in pdf.Root:
        del pdf.Root["/OutputIntents"]
    for key in ("/GTS_PDFXVersion", "/GTS_PDFXConformance", "/Trapped"):
        if key in pdf.docinfo:
            del pdf.docinfo[key]
    if "/Metadata" in pdf.Root:
        xmp = pdf.Root.Metadata.read_bytes().decode("utf-8")
        cleaned = re.sub(r"<pdfx(?:id)?:[A-Za-z_]+>[^<]*</pdfx(?:id)?:[A-Za-z_]+>", "", xmp)
        cleaned = re.sub(r'\s+(?:xmlns:)?pdfx(?:id)?(?::[A-Za-z_]+)?="[^"]*"', "", cleaned)
        if cleaned != xmp:
            pdf.Root.Metadata.write(cleaned.encode("utf-8"))
