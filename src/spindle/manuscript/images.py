"""Check an image before it goes into a book: a raster image must be read to its end without
error (a PNG's chunks and checksums, a JPEG decoded at 1/8 scale, others decoded) and stay
within :data:`MAX_PIXELS` (a decompression bomb of a few hundred KiB can otherwise ask for
gigabytes); an SVG must be well-formed XML with no DOCTYPE (entities: XXE, billion laughs), no
scripts or event handlers, and no references outside itself (only ``#fragment`` and ``data:``).
Each check returns what is wrong, or None; results are kept per file version."""

from __future__ import annotations

import os
import re
from pathlib import Path

MAX_PIXELS = 50_000_000  # 50 megapixels: an A3 page at 600 dpi is 70 MP; 50 MP is ample for a book figure
MAX_BYTES = 64 * 1024 * 1024  # per image file

_CHECKED: dict[tuple[str, int, int], str | None] = {}
_RASTER = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF87a": "GIF", b"GIF89a": "GIF"}
_SVG_NS = "{http://www.w3.org/2000/svg}"
_XLINK = "{http://www.w3.org/1999/xlink}href"
# the DOCTYPE SVG editors write (Illustrator, graphviz, older Inkscape): the W3C's public SVG DTD, with
# no internal subset, so it defines no entity; no parser spindle or WeasyPrint uses loads the DTD
_SVG_DOCTYPE = re.compile(rb'<!DOCTYPE\s+svg\s+PUBLIC\s+"-//W3C//DTD SVG 1\.[01][^"<>\[]*"\s+'
                          rb'"https?://www\.w3\.org/[^"<>\[]*"\s*>')
_URL_RE = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]+)", re.I)


def problem(path: Path) -> str | None:
    """What is wrong with the image at *path*, or None when it can go into the book."""
    st = os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _CHECKED:
        _CHECKED[key] = _problem(path, st.st_size)
    return _CHECKED[key]


def _problem(path: Path, size: int) -> str | None:
    if size == 0:
        return "the file is empty; export the image again"
    if size > MAX_BYTES:
        return f"the file is {size // (1024 * 1024)} MiB, over the limit of {MAX_BYTES // (1024 * 1024)} MiB per image; make it smaller"
    data = path.read_bytes()
    if path.suffix.lower() == ".svg" or data.lstrip()[:5] in (b"<?xml", b"<svg ", b"<svg>", b"<!DOC"):
        return svg_problem(data)
    return raster_problem(data)


def raster_problem(data: bytes) -> str | None:
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    return (f"{width} x {height} pixels, over the limit of {MAX_PIXELS // 1_000_000} million pixels "
                            "(a decompression bomb?); scale the image down")
                if image.format == "PNG":
                    image.verify()  # every chunk and its checksum, to the end: cheaper than decoding
                else:
                    if image.format == "JPEG":  # decoded at 1/8 scale: every byte read, few pixels made
                        image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                    image.load()  # a truncated or corrupt file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return f"too many pixels (over {MAX_PIXELS // 1_000_000} million; a decompression bomb?); scale the image down"
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        kind = next((k for magic, k in _RASTER.items() if data.startswith(magic)), "image")
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"not a readable {kind} (truncated or corrupt: {reason}); export the image again"
    return None


def svg_problem(data: bytes) -> str | None:
    from lxml import etree

    if b"<!ENTITY" in data or b"<!DOCTYPE" in _SVG_DOCTYPE.sub(b"", data, count=1):
        return "an SVG with a DOCTYPE or entities (which can read other files); remove the DOCTYPE"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return f"not well-formed SVG (line {exc.lineno}: {exc.msg}); fix or export it again"
    if root.tag != _SVG_NS + "svg":
        return "not an SVG image (the root element is not <svg> in the SVG namespace)"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in (_SVG_NS + "script", "script"):
            return "an SVG with a <script>; remove it (scripts do not run in books)"
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                return f"an SVG with an event handler ({local}); remove it"
            if name in (_XLINK, "href") or local == "src":
                refused = _outside_ref(value)
                if refused:
                    return f"an SVG referring to '{value}' ({refused}); embed what it needs instead"
            if local == "style":
                for url in _URL_RE.findall(value):
                    if _outside_ref(url):
                        return f"an SVG referring to '{url}' ({_outside_ref(url)}); embed what it needs instead"
        if element.tag == _SVG_NS + "style" and element.text:
            for url in _URL_RE.findall(element.text):
                if _outside_ref(url):
                    return f"an SVG referring to '{url}' ({_outside_ref(url)}); embed what it needs instead"
    return None


def _outside_ref(value: str) -> str | None:
    value = value.strip()
    if not value or value.startswith("#") or value.lower().startswith("data:"):
        return None
    return "an outside reference"
