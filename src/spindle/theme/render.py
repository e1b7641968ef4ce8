"""Render the document model through the theme's Jinja templates: one HTML
document for the paged editions, one XHTML file per chapter for the EPUB."""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from datetime import datetime, timezone
from urllib.parse import quote

from markupsafe import Markup

from spindle.project.i18n import labels
from spindle.manuscript.model import Book, Chapter
from spindle.theme import Theme

_NOTEREF_RE = re.compile(r'<a class="noteref" id="([^"]+)" href="#([^"]+)" role="doc-noteref" epub:type="noteref">(\d+)</a>')
_PARA_RE = re.compile(r"</p>\s*<p>")


def timestamp(epoch: int | None) -> str:
    """The build's date, from SOURCE_DATE_EPOCH when set (reproducible builds)."""
    moment = datetime.fromtimestamp(epoch, timezone.utc) if epoch is not None else datetime.now(timezone.utc)
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def base_context(book: Book, edition: str, epoch: int | None) -> dict:
    return {
        "book": book,
        "meta": book.meta,
        "labels": labels(book.lang),
        "chapters": book.chapters,
        "edition": edition,
        "timestamp": timestamp(epoch),
    }


def inline_notes(chapter: Chapter, plain: frozenset[str] | None = None, stretch: int = 60,
                 run: int = 57) -> Markup:
    """Chapter body with each note set in place as a ``float: footnote`` span (and its code
    blocks' lines marked, leaving out the highlighting spans of the classes in *plain*; *stretch*:
    see :func:`code_lines`; *run*: see :func:`long_words`)."""
    notes = {n.id: n for n in chapter.notes}

    def replace(m: re.Match) -> str:
        ref_id, note_id, number = m.groups()
        note = notes.get(note_id)
        if note is None or ref_id != note.ref_id:  # a second call of the same note
            return f'<a class="noteref-again" href="#{note_id}">{number}</a>'
        inner = _PARA_RE.sub("<br/>", note.html.strip())
        inner = inner.removeprefix("<p>").removesuffix("</p>")
        # The empty span marks the call's place, so the layout can check the
        # note landed on the same page (footnotes.displaced).
        return f'<span class="noteref-anchor" id="{ref_id}"></span><span class="footnote" id="{note.id}">{inner}</span>'

    return Markup(long_words(code_lines(_NOTEREF_RE.sub(replace, chapter.html), plain, stretch), run))


# A run of characters with no space: 16 or more in a table cell, not all letters (letters alone
# hyphenate): an identifier, a label, a number, an address; a row's worth or more anywhere else.
_RUN_RE = re.compile(r"[^\s<>]{16,}")
_CELLS = ("td", "th")
_CODE = ("code", "kbd", "samp")
_LITERAL = ("pre", "svg", "math", "script", "style")


# Mathematical alphanumerics (𝔽, 𝐱, 𝒜): set in Noto Sans Math (base.css). Libertine's regular face
# has some of them and its bold face none: in bold, WeasyPrint 70 took the family's regular face's
# glyph for the character and embedded the bold face, where it is an empty box (crypto-gitbook's
# **𝔽p**). The theme's chains name Noto Sans Math for the rest of the block.
_MATH_RE = re.compile("[\U0001D400-\U0001D7FF]+")


def _spaced(char: str) -> bool:
    """A character of the scripts that separate words with spaces (Latin, Greek, Cyrillic, Armenian),
    or general punctuation: only their long runs are marked."""
    code = ord(char)
    return code < 0x0590 or 0x1E00 <= code <= 0x206F


def long_words(html: str, run: int = 57) -> str:
    """Long runs of text with no break in them marked for the paged editions (base.css):

    - a run of *run* characters or more, more than a row of the text block holds (a hash, a 77-digit
      number; :func:`long_run`): ``long-run``, which breaks between any two characters.
      ``overflow-wrap`` breaks a word only when it starts its line, and WeasyPrint 70 does not look
      for a break between two inline boxes by any other rule than Unicode's: ``(`0x79BE…`,`` and
      ``_**3709…**_x2y2`` (crypto-gitbook) ran 22 and 49 mm past the text block, the run not first
      on its line. Shorter runs are left alone: they move whole to the next row, where
      ``overflow-wrap`` breaks them if it must (``findParam('searchTerm').unsafePerformIO()`` would
      otherwise be cut wherever a row ends).
    - a shorter run of 16 or more in a table cell (outside code, which breaks anywhere already):
      ``long-word``. A table's columns are never narrower than their longest word, and
      ``overflow-wrap: break-word`` does not change that, so a label like
      ``'unconfined_u:object_r:sepgsql_table_t:s0:c40'`` pushed its table past the text block
      (selinux-notebook); letting every word of a cell break anywhere would instead split
      'Parameter' in a narrow column.

    And each run of mathematical alphanumerics in a ``<span class="math-letter">`` (see _MATH_RE)."""
    out, cell, code, literal = [], 0, 0, 0

    def mark(m: re.Match) -> str:
        found = m.group(0)
        plain = html_lib.unescape(found).replace("\u00ad", "")
        if not all(_spaced(ch) for ch in plain):
            return found  # Chinese, Japanese, Thai …: written without spaces, broken by their own rules
        if len(plain) >= run:
            return f'<span class="long-run">{found}</span>'
        if cell and not code and not plain.isalpha():
            return f'<span class="long-word">{found}</span>'
        return found

    for token in _TOKEN_RE.split(html):
        if token.startswith("<"):
            m = re.match(r"<(/?)\s*([\w:-]+)", token)
            if m and not token.endswith("/>"):
                name, step = m.group(2).lower(), -1 if m.group(1) else 1
                if name in _CELLS:
                    cell = max(0, cell + step)
                elif name in _CODE:
                    code = max(0, code + step)
                elif name in _LITERAL:
                    literal = max(0, literal + step)
            out.append(token)
        elif not literal:
            if len(token) >= 16:
                token = _RUN_RE.sub(mark, token)
            out.append(_MATH_RE.sub(r'<span class="math-letter">\g<0></span>', token))
        else:
            out.append(token)
    return "".join(out)


_PRE_RE = re.compile(r"(<pre\b[^>]*>)(.*?)(</pre>)", re.S)
_TOKEN_RE = re.compile(r"(<[^>]+>)")
_VOID = ("br", "img", "wbr")


def _columns(text: str) -> int:
    """How many monospaced columns *text* takes (wide East Asian characters take two)."""
    width = 0
    for char in text:
        if char == "\t":
            width += 4 - width % 4
        elif not unicodedata.combining(char):
            width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _with_columns(start: str, inner: str) -> str:
    """The ``<pre>`` start tag given ``--code-columns``: its longest line's width (--code-shrink)."""
    text = html_lib.unescape(_TOKEN_RE.sub("", inner))
    columns = max((_columns(line) for line in text.split("\n")), default=1) or 1
    style = re.search(r'\sstyle="([^"]*)"', start)
    if style:
        return start.replace(style.group(0), f' style="{style.group(1).rstrip("; ")}; --code-columns: {columns}"', 1)
    return start[:4] + f' style="--code-columns: {columns}"' + start[4:]


def code_lines(html: str, plain: frozenset[str] | None = None, stretch: int = 60) -> str:
    """Each source line of a code block in a ``<span class="line">`` of its own (the paged
    editions): a line too long for the text block wraps, and its continuation lines carry the
    theme's continuation mark (base.css). Inline markup open across a line end (a highlighted
    multi-line string) is closed before the line's end and opened again on the next line.

    A highlighting span whose one class is not in *plain*'s complement, i.e. a class in *plain*
    (no stylesheet of the edition names it: Pygments' whitespace ``w`` and names ``n`` with the
    built-in theme), is left out and its text joined to its neighbours': it looks the same, and
    every inline box costs WeasyPrint layout, drawing and a tag in the PDF's structure tree (a
    quarter to a third of a code-heavy book's spans).

    Where highlighted tokens meet with no space in a stretch of *stretch* characters or more with
    no space, a zero-width break (:func:`_token_breaks`)."""

    def lines(m: re.Match) -> str:
        start, inner, end = m.groups()
        code = re.match(r"\s*(<code\b[^>]*>)(.*)(</code>)\s*$", inner, re.S)
        if code:
            start, inner, end = start + code.group(1), code.group(2), code.group(3) + end
        start = _with_columns(start, inner)
        if '<span class="line">' in inner:  # already a span per line (numbered code from the Markdown stage)
            return start + _token_breaks(re.sub(r'(</span>)\n(?=<span class="line">|$)', r"\1", inner), stretch) + end
        out, open_tags = ['<span class="line">'], []  # open_tags: (tag, start tag, written)
        for token in _TOKEN_RE.split(inner):
            if token.startswith("<"):
                name = re.match(r"</?\s*([\w:-]+)", token)
                tag = name.group(1).lower() if name else ""
                if token.startswith("</"):
                    if open_tags and open_tags[-1][0] == tag:
                        if open_tags.pop()[2]:
                            out.append(token)
                    else:
                        out.append(token)
                elif not token.endswith("/>") and tag not in _VOID:
                    plain_span = _plain_span(token, plain) if tag == "span" else False
                    open_tags.append((tag, token, not plain_span))
                    if not plain_span:
                        out.append(token)
                else:
                    out.append(token)
                continue
            pieces = token.split("\n")
            for i, piece in enumerate(pieces):
                if i:
                    closing = "".join(f"</{t}>" for t, _, written in reversed(open_tags) if written)
                    opening = "".join(o for _, o, written in open_tags if written)
                    out.append(f'{closing}</span><span class="line">{opening}')
                out.append(piece)
        text = "".join(out) + "</span>"
        # the final newline opens a line with nothing in it: drop that line (only the last one: the
        # tags kept must not reach back over an earlier line's end, or the spans no longer nest)
        text = re.sub(r'<span class="line">((?:(?!<span class="line">)<[^>]+>)*)</span>$', r"\1", text)
        return start + _token_breaks(text, stretch) + end

    return _PRE_RE.sub(lines, html)


# Text, the tags between two highlighted tokens, text: no space on either side.
_TOKEN_EDGE_RE = re.compile(r"(?<=[^\s>])((?:<[^>]+>)+)(?=[^\s<])")
# A stretch of a code line with no space in it: text and tags; a line's own tag alone (no text).
_STRETCH_RE = re.compile(r'<[^>]*class="line"[^>]*>|(?:[^\s<]|<(?![^>]*class="line")[^>]*>)+')
_TAG_RE = re.compile(r"<[^>]*>")


def _token_breaks(lines: str, stretch: int) -> str:
    """A zero-width space (U+200B) where one highlighted token's text meets the next one's within a
    stretch of *stretch* characters or more with no space: a place to break the line. WeasyPrint 70
    looks for a break between two inline boxes, and in the boxes before the one that overflows, by
    the Unicode line-break rules alone, ignoring ``word-break: break-all``: a line of short tokens
    with no space (``IO.of(f).ap(g('#a'))…``, mostly-adequate ch10) ran 14 characters past the text
    block. A shorter stretch is left alone: it moves whole to the next row at the space before it,
    as it did (``ajaxCall(json =>`` / ``callback(json));``, not ``… callback(`` / ``json));``). The
    character has no width, draws nothing and is not in the PDF's text (WeasyPrint's own ``<wbr>``
    is the same character)."""

    def edge(m: re.Match) -> str:
        return "\u200b" + m.group(1)

    def within(m: re.Match) -> str:
        text = m.group(0)
        if "<" not in text or len(html_lib.unescape(_TAG_RE.sub("", text))) < stretch:
            return text
        return _TOKEN_EDGE_RE.sub(edge, text)

    return _STRETCH_RE.sub(within, lines)


_CLASS_ONLY_RE = re.compile(r'<span class="([\w-]+)">$')


def _plain_span(token: str, plain: frozenset[str] | None) -> bool:
    if not plain:
        return False
    found = _CLASS_ONLY_RE.match(token)
    return found is not None and found.group(1) in plain


_SELECTOR_CLASS_RE = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
def plain_classes(stylesheets: list[str]) -> frozenset[str]:
    """The highlighting classes no rule of *stylesheets* (their texts) names."""
    from pygments.token import STANDARD_TYPES  # the classes of Pygments' HTML formatter

    named = set()
    for text in stylesheets:
        named.update(_SELECTOR_CLASS_RE.findall(re.sub(r"/\*.*?\*/", "", text, flags=re.S)))
    return frozenset(c for c in STANDARD_TYPES.values() if c) - named


def paged_html(book: Book, edition: str, theme: Theme, epoch: int | None, padding=None, store=None) -> str:
    """The paged editions' HTML; *padding* (print only) places blank pages for the signatures;
    *store* (a core.cache.Cache): each chapter's body is kept there (see :func:`_cached`)."""
    settings = book.project.config.editions
    toc_depth = (settings.pdf.toc_depth or 1) if edition == "pdf" else settings.print.toc_depth
    sheets = theme.stylesheets(edition) + [theme.custom_stylesheet()]
    plain = plain_classes([p.read_text(encoding="utf-8", errors="replace") for p in sheets])
    stretch, run = code_stretch(settings, edition), long_run(settings, edition)

    def body(chapter: Chapter) -> Markup:
        return inline_notes(chapter, plain, stretch, run)

    return theme.render(
        f"{edition}.html",
        **base_context(book, edition, epoch),
        toc_depth=toc_depth,
        notes_at_end=False,
        body=body if store is None or not store.enabled else _cached(store, body, plain, stretch, run),
        padding=padding,
    )


def _cached(store, body, plain: frozenset[str], stretch: int, run: int):
    """*body* (a chapter's body for the paged editions: :func:`inline_notes`), read from *store* when
    it was made before: it is a function of the chapter's HTML and notes, of *plain*, *stretch* and
    *run*, and of spindle's code alone, so a rebuild after an edit makes only the edited chapter's."""
    from spindle.core import cache as caching

    settings = caching.digest(caching.code_fingerprint(), "paged body", " ".join(sorted(plain)), str(stretch), str(run))

    def cached(chapter: Chapter) -> Markup:
        key = caching.digest(settings, chapter.html, repr(chapter.notes))
        found = store.read("bodies", key, ".html")
        if found is not None:
            return Markup(found.decode("utf-8"))
        made = body(chapter)
        store.write("bodies", key, str(made).encode("utf-8"), ".html")
        return made
    return cached


SCREEN_MARGINS = (18.0, 16.0, 20.0, 16.0)  # mm: the screen PDF's top, inside (left), bottom, outside
CODE_COLUMN = 10.5 * 0.8 * 0.6 * 25.4 / 72  # mm: a column of code at the theme's sizes (base.css)
INLINE_COLUMN = 10.5 * 0.88 * 0.6 * 25.4 / 72  # mm: a character of inline code there


def _text_width(editions, edition: str) -> float:
    _, inside, _, outside = text_margins(editions, edition)
    width = (editions.print.size if edition == "print" or editions.screen_layout == "print"
             else editions.screen_size)[0]
    return width - inside - outside


def code_stretch(editions, edition: str) -> int:
    """The columns of code a row of the text block holds at the theme's sizes, less the hanging
    indent of a continuation row (at least 24): a stretch of a code line with no space this long
    cannot fit a row, and gets places to break between its tokens (:func:`_token_breaks`)."""
    return max(24, int(_text_width(editions, edition) / CODE_COLUMN) - 2)


def long_run(editions, edition: str) -> int:
    """The characters of inline code a row of the text block holds at the theme's sizes (at least
    24): a run with no space this long cannot fit a row, and breaks anywhere (:func:`long_words`)."""
    return max(24, int(_text_width(editions, edition) / INLINE_COLUMN))


def text_margins(editions, edition: str) -> tuple[float, float, float, float]:
    """The text block's margins in mm (top, inside, bottom, outside) of a paged edition, from
    book.toml's ``[editions]`` (*editions*): what the pages are laid out with and checked against."""
    if edition == "print" or editions.screen_layout == "print":
        p = editions.print
        return (p.margin_top.mm, p.margin_inside.mm + p.gutter.mm, p.margin_bottom.mm, p.margin_outside.mm)
    return SCREEN_MARGINS


def page_settings(book: Book, edition: str, theme: Theme) -> str:
    """The generated @page rules (size, bleed, marks, margins) from book.toml."""
    editions = book.project.config.editions
    if edition == "print":
        p = editions.print
        width, height = p.size
        values = dict(bleed=p.bleed.mm, marks=p.marks, mirrored=True, margin_top=p.margin_top.mm,
                      margin_bottom=p.margin_bottom.mm, margin_inside=p.margin_inside.mm + p.gutter.mm,
                      margin_outside=p.margin_outside.mm, icc_profile=icc_url(p.icc_profile))
    else:
        width, height = editions.screen_size
        top, inside, bottom, outside = SCREEN_MARGINS
        values = dict(bleed=None, marks=False, mirrored=False, margin_top=top, margin_bottom=bottom,
                      margin_inside=inside, margin_outside=outside, icc_profile=None)
    values["text_width"] = width - values["margin_inside"] - values["margin_outside"]
    values["text_height"] = height - values["margin_top"] - values["margin_bottom"]
    return settings_css(theme, edition, width, height, **values)


def settings_css(theme: Theme, edition: str, width: float, height: float, **values) -> str:
    """Render the page-settings.css template; lengths in mm are written with %g."""
    bleed = values.get("bleed") or 0.0
    values.setdefault("bleed_width", width + 2 * bleed)
    values.setdefault("bleed_height", height + 2 * bleed)
    values.setdefault("trim_width", width)
    values.setdefault("spine_width", 0.0)
    return theme.render("page-settings.css", edition=edition, width=f"{width:g}", height=f"{height:g}",
                        **{k: (f"{v:g}" if isinstance(v, float) else v) for k, v in values.items()})


def icc_url(path: str | None) -> str | None:
    """The output profile as a CSS url() string (relative to the project), escaped."""
    if path is None:
        return None
    return quote(path.replace("\\", "/"), safe="/")


def epub_chapter(book: Book, chapter: Chapter, theme: Theme, stylesheets: list[str], epoch: int | None) -> str:
    return theme.render(
        "epub/chapter.xhtml",
        **base_context(book, "epub", epoch),
        chapter=chapter,
        stylesheets=stylesheets,
        notes_at_end=True,
        body=lambda c: Markup(c.html),
    )


def epub_section(book: Book, chapter: Chapter, theme: Theme, stylesheets: list[str], epoch: int | None) -> str:
    """The document of one file nested in a chapter (editions/epub/split.py): *chapter*
    carries that file's section markup, notes, language and title."""
    return theme.render(
        "epub/section.xhtml",
        **base_context(book, "epub", epoch),
        chapter=chapter,
        stylesheets=stylesheets,
        body=lambda c: Markup(c.html),
    )


def epub_page(book: Book, name: str, theme: Theme, epoch: int | None, **extra) -> str:
    return theme.render(name, **base_context(book, "epub", epoch), **extra)
