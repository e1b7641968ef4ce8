"""Links between chapters, resolved once every chapter is parsed.

Authors link the way they write: ``other.md``, ``other.md#section``,
``other.html#section`` or ``#section``, with the ids they gave (``{#section}``,
``id="section"``) or the slugs of headings. Chapters namespace their ids
(``section`` in chapter ``other`` becomes ``other-section``), so this pass
rewrites every such link to the real id, as ``#other-section``: the form the
paged editions need (one HTML document). The EPUB turns it into
``other.xhtml#other-section`` with :func:`epub_hrefs`.

It also keeps ids unique across the book (a clash between two chapters'
namespaced ids renames the later one). Heading ids follow GitHub's and mdBook's
slug rules (markdown.slug); a link written with spindle's older ASCII slug
still finds its heading. A link to a missing id is a warning (L002) naming the
file and line, and points at the chapter's start; a link to a file that is not
a chapter of the book, or with an empty target, becomes plain text with one
warning (L001, L003): no link is ever written with an empty or broken href.
With ``[book] site_url`` set, a link to a file that is not a chapter is a page
of the book's web site, not in the book: it becomes a web link to that page,
resolved from the chapter's own page (``../std/index.html`` in ``src/ch01.md``
of a book at ``https://doc.rust-lang.org/book/`` is
``https://doc.rust-lang.org/std/index.html``), with no warning.
A link with a scheme (``https:``, ``mailto:``) is kept; when it is not a valid
URL (a space, a second ``#``, a stray ``%``) the characters that make it invalid
are percent-encoded, and one that cannot be mended (no host, a bad scheme)
becomes plain text, both with a warning (L004).
"""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path
import os
import posixpath
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from spindle.core.diagnostics import diagnostic
from spindle.manuscript.model import Book, Chapter, Heading, Note

_ID = re.compile(r'(\sid=")([^"]+)(")')
_HREF = re.compile(r'(<a\b[^>]*?\shref=")([^"]*)(")')
_A = re.compile(r'<a\b[^>]*?\shref="([^"]*)"[^>]*>(.*?)</a>', re.S)
_LOCAL_HREF = re.compile(r'(\shref="#)([^"]+)(")')
_CHAPTER_SUFFIXES = (".md", ".markdown", ".docx")
_PAGE_SUFFIXES = (".html", ".xhtml", ".htm")


def resolve(book: Book) -> Book:
    """The book with unique ids and every internal link pointing at a real id."""
    chapters, renames = _unique_ids(book.chapters)
    meta = book.meta
    folder = book.project.root / meta.site_folder if meta.site_url and meta.site_folder else None
    index = _Index(chapters, renames, meta.site_url, folder, meta.site_pages == "folders")
    resolved = [_resolve_chapter(chapter, index) for chapter in chapters]
    return dataclasses.replace(book, chapters=tuple(resolved))


def chapter_ids(chapter: Chapter) -> list[str]:
    """Every id a chapter's documents carry, in order (section, part, body, notes)."""
    found = [chapter.id] + ([f"{chapter.id}-part"] if chapter.part else []) + ([chapter.title_id] if chapter.title_id else [])
    for fragment in _fragments(chapter):
        found += _ids_in(fragment)
    return found + [n.id for n in chapter.notes]


_ID_VALUE = re.compile(r'id="([^"]+)"')


def _ids_in(fragment: str) -> list[str]:
    """What ``_ID.finditer`` finds, four times faster: a pattern that opens with a literal lets the
    regex engine skip ahead (a 600-page book's ids are read three times per build)."""
    found, at = [], 0
    while (m := _ID_VALUE.search(fragment, at)) is not None:
        if m.start() and fragment[m.start() - 1].isspace():
            value = m.group(1)
            found.append(html.unescape(value) if "&" in value else value)
            at = m.end()
        else:
            at = m.start() + 1
    return found


def file_index(book: Book) -> dict[str, str]:
    """Id → the EPUB file (chapter.href) that holds it."""
    index: dict[str, str] = {}
    for chapter in book.chapters:
        for ident in chapter_ids(chapter):
            index.setdefault(ident, chapter.href)
    return index


def epub_hrefs(xhtml: str, href: str, index: dict[str, str]) -> str:
    """``#id`` links of one EPUB document made ``file.xhtml#id`` where the id lives elsewhere."""

    def fix(m: re.Match) -> str:
        target = index.get(html.unescape(m.group(2)))
        if target is None or target == href:
            return m.group(0)
        return f' href="{target}#{m.group(2)}"'

    return _LOCAL_HREF.sub(fix, xhtml)


# --- unique ids ---------------------------------------------------------------------------------------

def _unique_ids(chapters: tuple[Chapter, ...]) -> tuple[list[Chapter], dict[str, dict[str, str]]]:
    taken: set[str] = {"titlepage", "toc", "landmarks", "page-list", "cover"}
    for chapter in chapters:  # chapter (and part) ids are file names too: they win
        taken.update([chapter.id] + ([f"{chapter.id}-part"] if chapter.part else []))  # chapter_ids' first
    out: list[Chapter] = []
    renamed: dict[str, dict[str, str]] = {}
    for chapter in chapters:
        renames = renamed.setdefault(chapter.id, {})
        for ident in chapter_ids(chapter)[2 if chapter.part else 1:]:
            if ident in taken:
                candidate, n = ident, 2
                while candidate in taken:
                    candidate, n = f"{ident}-{n}", n + 1
                renames[ident] = candidate
                ident = candidate
            taken.add(ident)
        out.append(_rename_ids(chapter, renames) if renames else chapter)
    return out, renamed


def _rename_ids(chapter: Chapter, renames: dict[str, str]) -> Chapter:
    def fix(fragment: str) -> str:
        fragment = _ID.sub(lambda m: m.group(1) + html.escape(renames.get(html.unescape(m.group(2)), html.unescape(m.group(2)))) + m.group(3), fragment)
        return _LOCAL_HREF.sub(lambda m: m.group(1) + html.escape(renames.get(html.unescape(m.group(2)), html.unescape(m.group(2)))) + m.group(3), fragment)

    return dataclasses.replace(
        chapter,
        html=fix(chapter.html),
        standfirst=fix(chapter.standfirst),
        notes=tuple(Note(renames.get(n.id, n.id), renames.get(n.ref_id, n.ref_id), n.number, fix(n.html)) for n in chapter.notes),
        headings=tuple(Heading(h.level, renames.get(h.id, h.id), h.text, h.file) for h in chapter.headings),
        title_id=renames.get(chapter.title_id, chapter.title_id),
    )


# --- links --------------------------------------------------------------------------------------------

class _Index:
    def __init__(self, chapters: list[Chapter], renames: dict[str, dict[str, str]], site_url: str = "",
                 site_folder: Path | None = None, folders: bool = False):
        self.chapters = chapters
        self.site_url = site_url
        self.folders = folders
        sources = [c.source.resolve().parent for c in chapters]
        self.site_root = site_folder.resolve() if site_folder is not None \
            else Path(os.path.commonpath(sources)) if site_url and sources else None
        self.renames = renames
        self.ids = {c.id: set(chapter_ids(c)) for c in chapters}
        self.by_source = {c.source.resolve(): c for c in chapters}
        self.legacy = {c.id: _legacy_ids(c) for c in chapters}

    def chapter_for(self, path: Path) -> Chapter | None:
        path = path.resolve()
        if not path.suffix and path.is_dir():  # a folder's page: its README.md or index.md, as GitBook and mdBook
            for name in ("README.md", "index.md", "readme.md"):
                found = self.by_source.get((path / name).resolve())
                if found is not None:
                    return found
        if path.suffix.lower() in _CHAPTER_SUFFIXES:
            return self.by_source.get(path)
        if path.suffix.lower() in _PAGE_SUFFIXES:
            for chapter in self.chapters:  # the source's name, or the EPUB file's name
                if path.with_suffix("") == chapter.source.resolve().with_suffix(""):
                    return chapter
            for chapter in self.chapters:
                if path.stem in (chapter.id, chapter.source.stem):
                    return chapter
        return None

    def target(self, chapter: Chapter, fragment: str) -> str | None:
        ids = self.ids[chapter.id]
        if not fragment:
            return chapter.id
        renames = self.renames.get(chapter.id, {})
        for candidate in (fragment, f"{chapter.id}-{fragment}"):
            candidate = renames.get(candidate, candidate)
            if candidate in ids:
                return candidate
        legacy = self.legacy[chapter.id]
        found = legacy.get(fragment) or legacy.get(fragment.lower()) or legacy.get(f"{chapter.id}-{fragment}".lower())
        return renames.get(found, found) if found else None

    def on_site(self, chapter: Chapter, href: str) -> str | None:
        """*href*, relative to *chapter*, as a link to the book's web site (None without a site_url):
        the chapter's page is its file's place under the folder that holds every chapter, x.md as
        x.html and a README.md or index.md as its folder's index.html, as mdBook and GitBook publish them."""
        if not self.site_url or self.site_root is None:
            return None
        try:
            page = chapter.source.resolve().relative_to(self.site_root).as_posix()
        except ValueError:
            return None
        parts = urlsplit(href)
        rest = urlunsplit(("", "", "", parts.query, parts.fragment))
        if parts.path.lower().endswith((".md", ".markdown")):  # another Markdown file: its own page
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), parts.path))
            if target.startswith("../"):  # above the site's folder: no page of the site
                return None
            return web_url(urljoin(self.site_url, _page(target, self.folders)) + rest)
        # any other file, as a browser reads the link on the chapter's page
        return web_url(urljoin(urljoin(self.site_url, _page(page, self.folders)), parts.path) + rest)


def _resolve_chapter(chapter: Chapter, index: _Index) -> Chapter:
    lines = _Lines(chapter)
    found: list = []
    warned: set[tuple[str, str]] = set()

    def fix(m: re.Match) -> str:
        raw = html.unescape(m.group(1))
        new, problem = _resolve_href(raw, chapter, index)
        if problem and (problem[0], raw) not in warned:
            warned.add((problem[0], raw))
            found.append(diagnostic(problem[0], problem[1], chapter.display, lines.find(raw)))
        if new is None:  # no target in the book: the link's text stays, as text
            return f'<span class="link-outside">{m.group(2)}</span>'
        if new == raw:
            return m.group(0)
        head = m.group(0)[: m.group(0).index(">", m.end(1) - m.start(0)) + 1]
        return _HREF.sub(lambda h: h.group(1) + html.escape(new) + h.group(3), head, count=1) \
            + m.group(0)[len(head):]

    def fix_all(fragment: str) -> str:
        return _A.sub(fix, fragment) if "href=" in fragment else fragment

    changed = dataclasses.replace(
        chapter,
        html=fix_all(chapter.html),
        notes=tuple(dataclasses.replace(n, html=fix_all(n.html)) for n in chapter.notes),
        standfirst=fix_all(chapter.standfirst),
    )
    if found:
        changed = dataclasses.replace(changed, diagnostics=chapter.diagnostics + tuple(found))
    return changed


def _resolve_href(href: str, chapter: Chapter, index: _Index) -> tuple[str | None, tuple[str, str] | None]:
    """(new href, or None to make the link text; (code, warning) or None)."""
    try:
        parts = urlsplit(href)
    except ValueError:  # a malformed [IPv6] host
        parts = None
    if parts is None or parts.scheme or parts.netloc or href.startswith("//"):
        mended = web_url(href)
        if mended is None:
            return None, ("L004", f"link '{href}' is not a valid URL and cannot be mended; it became plain text "
                                  "(write the full address, e.g. https://example.org/page)")
        if mended != href:
            return mended, ("L004", f"link '{href}' is not a valid URL; it was written as '{mended}' "
                                    "(percent-encode spaces, a second '#' and other such characters)")
        return href, None
    if not href.strip() or href.strip() == "#":
        return None, ("L003", "a link with an empty target; it became plain text (give it a URL, a file or a #id)")
    fragment = unquote(parts.fragment)
    if not parts.path:
        found = index.target(chapter, fragment)
        if found is None:
            return f"#{chapter.id}", ("L002", f"link '{href}': no such id in this chapter; the link points at the "
                                              f"chapter's start (give the target an id with {{#{fragment}}})")
        return f"#{found}", None
    path = chapter.source.parent / unquote(parts.path)
    target = index.chapter_for(path)
    if target is None:
        on_site = index.on_site(chapter, href)
        if on_site is not None:  # a page of the book's web site that is not in the book
            return on_site, None
        return None, ("L001", f"link '{href}' does not point to a chapter of this book; it became plain text "
                              "(link to a manuscript file listed in book.toml, or use a full URL)")
    found = index.target(target, fragment)
    if found is None:
        return f"#{target.id}", ("L002", f"link '{href}': {target.display} has no id '{fragment}'; "
                                         "the link points at the chapter's start")
    return f"#{found}", None


def _legacy_ids(chapter: Chapter) -> dict[str, str]:
    """Heading ids as spindle's older slugs spelled them, and lowercased (mdBook lowercases ASCII
    letters only: #Überblick) → the id the heading has now."""
    from spindle.manuscript.markdown import legacy_slug

    found: dict[str, str] = {}
    for heading in chapter.headings:
        for form in (legacy_slug(heading.text), f"{chapter.id}-{legacy_slug(heading.text)}", heading.id.lower()):
            found.setdefault(form, heading.id)
    return found


class _Lines:
    """Best-effort source line of a link: the next occurrence of its text in the file."""

    def __init__(self, chapter: Chapter):
        try:
            self.lines = chapter.source.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):  # a .docx chapter or transcript: no text lines to point at
            self.lines = []
        self.cursor: dict[str, int] = {}

    def find(self, href: str) -> int | None:
        forms = {href, unquote(href), html.escape(href)} if href.strip() else {"]()", "]( )", 'href=""'}
        start = self.cursor.get(href, 0)
        for begin in (start, 0):
            for number in range(begin, len(self.lines)):
                if any(form in self.lines[number] for form in forms):
                    self.cursor[href] = number + 1
                    return number + 1
        return None


def _fragments(chapter: Chapter) -> list[str]:
    return [chapter.html, *(n.html for n in chapter.notes), chapter.standfirst]


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
_HOST = re.compile(r"^(?:[^@/?#\s]*@)?(?:\[[0-9A-Fa-f:.]+\]|[^\s:/?#\[\]@<>\"{}|\\^`%]*)(?::\d*)?$")
_URL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?@!$&'()*+,;=")
_HEX = frozenset("0123456789abcdefABCDEF")


def web_url(url: str) -> str | None:
    """*url* as a valid URL (RFC 3986, with IRIs' non-ASCII letters kept): characters no URL may
    hold in its path, query or fragment (spaces, quotes, braces, a second ``#``, a ``%`` not
    starting an escape) percent-encoded. None when no encoding can make it valid: a bad scheme, a
    scheme that needs a host and has none, a host with spaces or such characters."""
    url = url.strip()
    scheme, sep, rest = url.partition(":")
    if not sep or not _SCHEME.match(scheme):
        if not url.startswith("//"):
            return None
        scheme, rest = "", url
    head = scheme + ":" if scheme else ""
    if rest.startswith("//"):
        end = next((i for i, c in enumerate(rest[2:], 2) if c in "/?#"), len(rest))
        authority, rest = rest[2:end], rest[end:]
        if not authority and scheme.lower() in ("http", "https", "ftp"):
            return None
        if not _HOST.match(authority):
            return None
        head += "//" + authority
    elif scheme.lower() in ("http", "https", "ftp"):
        return None
    before, hashed, fragment = rest.partition("#")
    mended = head + _encode(before, "#")
    if hashed:
        mended += "#" + _encode(fragment, "")
    return mended


def _encode(text: str, keep: str) -> str:
    out = []
    for i, c in enumerate(text):
        if c == "%" and text[i + 1:i + 2] in _HEX and text[i + 2:i + 3] in _HEX and len(text) > i + 2:
            out.append(c)
        elif c in _URL_CHARS or c in keep or (ord(c) > 127 and not c.isspace() and c.isprintable()):
            out.append(c)
        else:
            out.append("".join(f"%{b:02X}" for b in c.encode("utf-8")))
    return "".join(out)


def _page(source: str, folders: bool = False) -> str:
    """A Markdown file's page on the site: x.md → x.html, README.md and index.md → index.html (with
    *folders*, as MkDocs: x.md → x/, README.md and index.md → their folder)."""
    stem, _, _ = source.rpartition(".")
    folder, slash, name = (stem or source).rpartition("/")
    if name.lower() in ("readme", "index"):
        return folder + slash if folders else f"{folder}{slash}index.html"
    return f"{folder}{slash}{name}/" if folders else f"{folder}{slash}{name}.html"
