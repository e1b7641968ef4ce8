"""The EPUB 3 edition (ebooklib): one XHTML file per chapter, our own
navigation document and landmarks, an NCX for EPUB 2 readers, embedded fonts,
full metadata, and a reproducible zip."""

from __future__ import annotations

import io
import re
import textwrap
import uuid
import zipfile
from datetime import datetime, timezone

from lxml import etree

from spindle.errors import BuildError, ConfigError, ManuscriptError
from spindle.model import Book
from spindle.render import epub_chapter, epub_page
from spindle.theme import CUSTOM, FONTS, STYLESHEETS, Theme

MEDIA_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".svg": "image/svg+xml", ".webp": "image/webp", ".otf": "font/otf", ".ttf": "font/ttf",
    ".woff": "font/woff", ".woff2": "font/woff2", ".css": "text/css",
}


def identifier(book: Book) -> str:
    meta = book.meta
    if meta.isbn.epub:
        return "urn:isbn:" + re.sub(r"[\s-]", "", meta.isbn.epub)
    if meta.identifier:
        return meta.identifier
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'spindle:' + meta.title)}"


def build(book: Book, theme: Theme, epoch: int | None) -> bytes:
    from ebooklib import epub

    meta = book.meta
    eb = epub.EpubBook()
    eb.set_identifier(identifier(book))
    eb.set_title(meta.title)
    eb.set_language(meta.language)
    _metadata(eb, book)

    sheets = [f"styles/{name}" for name in STYLESHEETS["epub"] + (CUSTOM,)]
    for name in STYLESHEETS["epub"] + (CUSTOM,):
        eb.add_item(_item(epub, f"styles/{name}", theme.stylesheet(name).read_bytes()))
    for name in FONTS:
        eb.add_item(_item(epub, f"fonts/{name}", (theme.font_dir / name).read_bytes()))
    for res in book.resources:
        eb.add_item(_item(epub, res, book.project.path(res).read_bytes()))

    cover_item, cover_page = _cover(epub, eb, book, theme, epoch)
    title = _document(epub, "titlepage.xhtml", epub_page(book, "epub/titlepage.xhtml", theme, epoch, stylesheets=sheets), "titlepage")
    nav_html = epub_page(book, "epub/nav.xhtml", theme, epoch, stylesheets=sheets, cover_page=cover_page.file_name,
                         toc_depth=book.project.config.editions.epub.toc_depth)
    nav = _document(epub, "nav.xhtml", nav_html, "nav", properties=["nav"])
    chapters = []
    for chapter in book.chapters:
        xhtml = epub_chapter(book, chapter, theme, sheets, epoch)
        _check_xhtml(xhtml, chapter.display)
        props = ["svg"] if "<svg" in chapter.html else []
        chapters.append(_document(epub, chapter.href, xhtml, chapter.id, properties=props))
    for item in (cover_page, title, nav, *chapters):
        eb.add_item(item)
    eb.add_item(epub.EpubNcx())
    eb.toc = [epub.Link(c.href, c.title, c.id) for c in book.chapters]
    eb.spine = [cover_page, title, nav, *chapters]

    raw = io.BytesIO()
    mtime = _moment(epoch)
    try:
        epub.EpubWriter(raw, eb, {"mtime": mtime, "epub3_pages": False, "epub3_landmark": False,
                                  "play_order": {"enabled": True, "start_from": 1}, "raise_exceptions": True}).write()
    except Exception as exc:  # ebooklib raises bare exceptions
        raise BuildError(f"EPUB packaging failed: {exc}") from None
    return _reproducible_zip(raw.getvalue(), mtime, meta.language)


def _item(epub, name: str, content: bytes):
    suffix = "." + name.rsplit(".", 1)[-1].lower()
    media_type = MEDIA_TYPES.get(suffix)
    if media_type is None:
        raise BuildError(f"'{name}': unsupported file type for an EPUB; use PNG, JPEG, GIF, SVG or WebP")
    uid = re.sub(r"[^A-Za-z0-9_.-]", "-", name)
    return epub.EpubItem(uid=f"r-{uid}", file_name=name, media_type=media_type, content=content)


def _document(epub, file_name: str, xhtml: str, uid: str, properties: list[str] | None = None):
    item = epub.EpubItem(uid=uid, file_name=file_name, media_type="application/xhtml+xml", content=xhtml.encode("utf-8"))
    item.properties = list(properties or [])
    return item


def _cover(epub, eb, book: Book, theme: Theme, epoch: int | None):
    configured = book.project.config.editions.epub.cover
    if configured:
        path = book.project.path(configured)
        if book.project.root not in path.parents:
            raise ConfigError(f"editions.epub.cover: '{configured}' lies outside the project; move it inside",
                              book.project.display(book.project.config_path))
        if not path.is_file():
            raise ManuscriptError("cover image not found; fix editions.epub.cover in book.toml", configured)
        name = "images/cover" + path.suffix.lower()
        data = path.read_bytes()
    else:
        meta = book.meta
        name = "images/cover.svg"
        data = theme.render(
            "epub/cover.svg", meta=meta,
            title_lines=textwrap.wrap(meta.title, 18) or [meta.title],
            subtitle_lines=textwrap.wrap(meta.subtitle, 36),
        ).encode("utf-8")
    image = _item(epub, name, data)
    image.properties = ["cover-image"]
    eb.add_item(image)
    eb.add_metadata(None, "meta", "", {"name": "cover", "content": image.id})
    page = _document(epub, "cover.xhtml", epub_page(book, "epub/cover.xhtml", theme, epoch, cover=name), "cover")
    return image, page


def _metadata(eb, book: Book) -> None:
    meta = book.meta
    for i, person in enumerate(meta.authors):
        eb.add_author(person.name, role=person.relator, uid=f"creator{i}")
    for i, person in enumerate(meta.contributors):
        eb.add_metadata("DC", "contributor", person.name, {"id": f"contrib{i}"})
        eb.add_metadata(None, "meta", person.relator, {"refines": f"#contrib{i}", "property": "role", "scheme": "marc:relators"})
    if meta.subtitle:
        eb.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        eb.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    for key in ("publisher", "rights", "description"):
        if getattr(meta, key):
            eb.add_metadata("DC", key, getattr(meta, key))
    if meta.date:
        eb.add_metadata("DC", "date", meta.date)
    for subject in meta.subjects:
        eb.add_metadata("DC", "subject", subject)
    if meta.series:
        eb.add_metadata(None, "meta", meta.series.name, {"property": "belongs-to-collection", "id": "series"})
        eb.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})
        if meta.series.number is not None:
            eb.add_metadata(None, "meta", str(meta.series.number), {"refines": "#series", "property": "group-position"})
    if meta.isbn.print:
        eb.add_metadata("DC", "source", "urn:isbn:" + re.sub(r"[\s-]", "", meta.isbn.print))
    has_images = bool(book.resources)
    a11y = [
        ("schema:accessMode", "textual"),
        *([("schema:accessMode", "visual")] if has_images else []),
        ("schema:accessModeSufficient", "textual"),
        ("schema:accessibilityFeature", "structuralNavigation"),
        ("schema:accessibilityFeature", "tableOfContents"),
        ("schema:accessibilityFeature", "readingOrder"),
        *([("schema:accessibilityFeature", "alternativeText")] if has_images else []),
        ("schema:accessibilityHazard", "none"),
        ("schema:accessibilitySummary",
         "This publication has a structured table of contents, headings in a logical order, "
         "footnotes linked both ways, and text alternatives for its images."),
    ]
    for prop, value in a11y:
        eb.add_metadata(None, "meta", value, {"property": prop})


def _check_xhtml(xhtml: str, shown: str) -> None:
    try:
        etree.fromstring(xhtml.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        raise ManuscriptError(
            f"raw HTML in this chapter is not well-formed XHTML ({exc.msg}); close every tag and use numeric entities",
            shown,
        ) from None


def _moment(epoch: int | None) -> datetime:
    if epoch is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    return datetime.fromtimestamp(max(epoch, 315532800), timezone.utc)


def _reproducible_zip(data: bytes, mtime: datetime, lang: str) -> bytes:
    """Rewrite ebooklib's zip with fixed entry dates and xml:lang on <package>."""
    stamp = mtime.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        names.sort(key=lambda n: (n != "mimetype", n != "META-INF/container.xml"))
        for name in names:
            content = src.read(name)
            if name.endswith(".opf"):
                content = content.replace(b"<package ", f'<package xml:lang="{lang}" '.encode(), 1)
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            dst.writestr(info, content, compresslevel=9 if name != "mimetype" else None)
    return out.getvalue()
