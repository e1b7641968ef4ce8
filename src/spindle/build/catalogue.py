"""The series' own outputs: an OPDS 1.2 acquisition feed (``catalogue.xml``, Atom) and a static
HTML index page (``index.html``) of every title whose editions are in the output folder, with
their covers, written from the templates in the theme's ``series/`` folder (a series' own
``templates/series/`` wins).

Covers: the EPUB's cover image (book.toml's ``editions.epub.cover``, or the print cover's front
that the build put in the EPUB) is copied beside the book's editions as ``SLUG-cover.png`` (or
``.jpg``). Links are relative to the output folder (absolute with ``series.url``). ``updated`` is
SOURCE_DATE_EPOCH when set, else the newest edition's modification time: the same editions give
the same bytes."""

from __future__ import annotations

import datetime
import io
import posixpath
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from spindle.build.orchestrate import target
from spindle.core.errors import SpindleError
from spindle.core.output import write_bytes
from spindle.project.config import Project
from spindle.project.series import Title, Workspace

MIME = {"pdf": "application/pdf", "epub": "application/epub+zip", "print": "application/pdf"}
LABELS = {
    "en": {"pdf": "Screen PDF", "epub": "EPUB", "print": "Print-ready PDF", "cover_of": "Cover of",
           "catalogue": "OPDS catalogue of the series"},
    "nl": {"pdf": "Pdf voor het scherm", "epub": "EPUB", "print": "Drukklare pdf", "cover_of": "Omslag van",
           "catalogue": "OPDS-catalogus van de reeks"},
}
FEED, INDEX = "catalogue.xml", "index.html"


@dataclass
class Entry:
    """One title as the catalogue shows it."""

    folder_id: str
    title: str
    subtitle: str
    number: int
    series_name: str
    id: str
    updated: str
    authors: list[str]
    publisher: str
    language: str
    date: str
    description: str
    subjects: list[str]
    isbns: list[str]
    editions: list[dict] = field(default_factory=list)
    cover: dict | None = None


def write(workspace: Workspace, projects: dict[Title, Project], epoch: int | None) -> list[Path]:
    """Write the cover images, catalogue.xml and index.html; returns the paths written."""
    out = workspace.out
    written: list[Path] = []
    entries: list[Entry] = []
    for title in sorted(projects, key=lambda t: t.number):
        entry, cover = _entry(workspace, title, projects[title], epoch)
        if entry is None:
            continue
        if cover is not None:
            path, data = cover
            if not path.is_file() or path.read_bytes() != data:
                write_bytes(path, data)
            written.append(path)
        entries.append(entry)
    newest = max((e.updated for e in entries), default=_stamp(epoch or 0))
    series = workspace.config.series
    base = series.url.rstrip("/") + "/" if series.url else ""
    context = dict(series=series, books=entries, updated=_stamp(epoch) if epoch is not None else newest, base=base,
                   feed_id=series.identifier or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'spindle-series:' + series.name)}",
                   labels=LABELS[series.language])
    env = _environment(workspace)
    for name in (FEED, INDEX):
        text = env.get_template(f"series/{name}").render(**context)
        write_bytes(out / name, text.encode("utf-8"))
        written.append(out / name)
    return written


def _environment(workspace: Workspace):
    import jinja2

    from spindle.theme import BUILTIN

    shared = workspace.path(workspace.config.theme.templates)
    return jinja2.Environment(loader=jinja2.FileSystemLoader([str(shared), str(BUILTIN / "templates")]),
                              autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def _entry(workspace: Workspace, title: Title, project: Project, epoch: int | None):
    meta = project.config.book
    out = workspace.out_for(title)
    labels = LABELS[workspace.config.series.language]
    editions, times = [], []
    for edition in ("epub", "pdf", "print"):
        path = target(project, edition, out)
        if path.is_file():
            stat = path.stat()
            times.append(stat.st_mtime)
            editions.append({"edition": edition, "href": _href(workspace, path), "type": MIME[edition],
                             "label": labels[edition], "bytes": stat.st_size, "size": _size(stat.st_size)})
    if not editions:
        return None, None
    isbns = [re.sub(r"[\s-]", "", i) for i in (meta.isbn.epub, meta.isbn.pdf, meta.isbn.print) if i]
    entry = Entry(
        folder_id="book-" + re.sub(r"[^a-z0-9-]+", "-", title.folder.lower()).strip("-"),
        title=meta.title, subtitle=meta.subtitle, number=meta.series.number if meta.series else title.number,
        series_name=meta.series.name if meta.series else workspace.config.series.name,
        id=_atom_id(meta),
        updated=_stamp(epoch if epoch is not None else int(max(times))),
        authors=[p.name for p in meta.authors], publisher=meta.publisher, language=meta.language, date=meta.date,
        description=meta.description, subjects=list(meta.subjects), isbns=list(dict.fromkeys(isbns)),
        editions=editions)
    cover = _cover(project, target(project, "epub", out))
    found = None
    if cover is not None:
        data, suffix, mime, size = cover
        path = out / f"{meta.file_stem}-cover{suffix}"
        entry.cover = {"href": _href(workspace, path), "type": mime, "width": size[0], "height": size[1]}
        found = (path, data)
    return entry, found


def _atom_id(meta) -> str:
    """The EPUB's identifier (an IRI, as Atom wants: else a UUID derived from it)."""
    from types import SimpleNamespace

    from spindle.editions.epub.writer import identifier

    found = identifier(SimpleNamespace(meta=meta))
    return found if re.match(r"^[a-z][a-z0-9+.-]*:\S+$", found, re.I) else f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, found)}"


def _cover(project: Project, epub: Path):
    """(bytes, suffix, MIME type, (width, height)) of the title's cover, or None."""
    data = None
    if epub.is_file():
        data = _epub_cover(epub)
    if data is None and project.config.editions.epub.cover:
        path = project.path(project.config.editions.epub.cover)
        if path.is_file() and project.root in path.parents:
            data = path.read_bytes()
    if data is None:
        return None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, size = image.format, image.size
    except OSError:
        return None
    if kind == "PNG":
        return data, ".png", "image/png", size
    if kind == "JPEG":
        return data, ".jpg", "image/jpeg", size
    return None


def _epub_cover(epub: Path) -> bytes | None:
    """The image the EPUB's package document marks as ``cover-image``."""
    from lxml import etree

    try:
        with zipfile.ZipFile(epub) as z:
            container = etree.fromstring(z.read("META-INF/container.xml"))
            opf_path = container.find(".//{*}rootfile").get("full-path")
            opf = etree.fromstring(z.read(opf_path))
            for item in opf.iterfind(".//{http://www.idpf.org/2007/opf}item"):
                if "cover-image" in (item.get("properties") or "").split():
                    return z.read(posixpath.normpath(posixpath.join(posixpath.dirname(opf_path), item.get("href"))))
    except (OSError, KeyError, AttributeError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise SpindleError(f"cannot read the cover from the EPUB ({exc}); build the EPUB again", str(epub)) from None
    return None


def _href(workspace: Workspace, path: Path) -> str:
    from urllib.parse import quote

    return quote(path.relative_to(workspace.out).as_posix())


def _stamp(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(int(seconds), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
