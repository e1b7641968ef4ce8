"""Markdown to HTML fragments, one chapter at a time (markdown-it-py).

Extensions: footnotes, tables, attributes, definition lists, ``:::``
containers, figures (an image alone in its paragraph), heading ids namespaced
per chapter (slugs as GitHub and mdBook make them), smart quotes that follow
the chapter's language, and interview turns. Other tools' dialects: mdBook and
GitBook directives are expanded first (dialects.py); GitHub alerts and MkDocs
admonitions become callouts; code is highlighted (code.py). The output is
XHTML-compatible (self-closed void elements). Problems are Diagnostics with
codes (core/diagnostics.py), each naming the file and line."""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from spindle.manuscript import code, dialects, xhtml
from spindle.core.diagnostics import Diagnostic, diagnostic
from spindle.project.i18n import labels, quotes
from spindle.manuscript.model import Heading, Note, Speaker

_CONTAINER_RE = re.compile(r"^[a-z][a-z0-9-]*$")
_SEMANTIC_CONTAINERS = {
    "pullquote": ('aside class="pullquote" role="doc-pullquote" epub:type="pullquote"', "aside"),
    "box": ('aside class="box"', "aside"),
    "note": ('aside class="note" role="note"', "aside"),
}
# Editorial notes of transcripts: [laughs], [inaudible 00:12:31], [crosstalk], [foreign language], ...
EDITORIAL_RE = re.compile(
    r"\[(?:laugh(?:s|ter|ing)?|pauses?|paused|crosstalk|inaudible|indiscernible|unintelligible|overlapping|"
    r"interruption|foreign language|applause|sighs?|coughs?|silence|music|noise)(?: [^\[\]]{1,40})?\]",
    re.I,
)


@dataclass
class ParseContext:
    """Per-chapter state for one render (passed as markdown-it's env)."""

    chapter_id: str
    source: Path
    display: str
    root: Path
    line_offset: int
    speakers: dict[str, Speaker] = field(default_factory=dict)
    allow_remote: bool = False
    show_times: bool = False  # print interview turns' {data-start="..."} times
    lang: str = "en"
    headings: list[Heading] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    slugs: dict[str, int] = field(default_factory=dict)  # heading slugs given so far (GitHub's -1, -2 for repeats)
    raw_html: bool = False  # raw HTML met: the rendered fragment is normalised to XHTML
    foreign: list[str] = field(default_factory=list)  # open <svg>/<math> elements met in raw HTML
    opened: list[xhtml.Open] = field(default_factory=list)  # raw HTML elements not closed yet, with their lines
    expansion: dialects.Expansion | None = None  # what the dialect pass expanded (line map, blocks, includes)
    variables: dict[str, str] = field(default_factory=dict)  # GitBook/HonKit template variables, if the book has any
    held: list[str] | None = None  # highlighted code bodies held out of the XHTML pass (None: none held)

    def where(self, token_map: list[int] | None) -> int | None:
        if not token_map:
            return None
        lines = self.expansion.lines if self.expansion else None
        if lines and token_map[0] < len(lines):
            return lines[token_map[0]] + self.line_offset
        return token_map[0] + 1 + self.line_offset

    def warn(self, code_: str, message: str, line: int | None) -> None:
        self.diagnostics.append(diagnostic(code_, message, self.display, line))

    @property
    def warnings(self) -> list[str]:
        return [str(d) for d in self.diagnostics]

    def unique_id(self, base: str) -> str:
        candidate, n = base, 2
        while candidate in self.ids:
            candidate, n = f"{base}-{n}", n + 1
        self.ids.add(candidate)
        return candidate


@dataclass(frozen=True)
class Fragment:
    html: str
    notes: tuple[Note, ...]
    headings: tuple[Heading, ...]
    resources: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]
    includes: tuple[Path, ...] = ()  # files read by include directives (part of the chapter's content hash)
    title: str = ""  # an mdBook {{#title …}}

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(str(d) for d in self.diagnostics)


def slug(text: str) -> str:
    """A heading's slug as GitHub and mdBook make it, so the anchors a book already links to keep
    working: lowercased, punctuation dropped, each space a '-', letters of every script kept."""
    import unicodedata

    out = []
    for ch in text.strip().lower():
        if ch in "-_" or unicodedata.category(ch)[0] in "LNM":
            out.append(ch)
        elif ch.isspace():
            out.append("-")
    return "".join(out) or "section"


def legacy_slug(text: str) -> str:
    """The slug spindle gave headings before it followed GitHub's rules (ASCII, runs of other
    characters as one '-'); links written that way still resolve (links.py)."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "section"


@functools.lru_cache(maxsize=None)
def parser(lang: str) -> MarkdownIt:
    """One parser per language: markdown-it keeps quote characters per instance."""
    md = MarkdownIt("commonmark", {"typographer": True, "quotes": quotes(lang), "xhtmlOut": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin).use(deflist_plugin).use(attrs_plugin).use(attrs_block_plugin)
    md.block.ruler.before("paragraph", "spindle_definition_ends_footnote", _definition_ends_footnote,
                          {"alt": ["paragraph"]})
    md.use(admon_plugin, render=_render_admonition)
    md.use(
        container_plugin,
        name="div",
        validate=lambda params, *args: bool(_CONTAINER_RE.match(params.strip().split(" ")[0] if params.strip() else "")),
        render=_render_container,
    )
    md.core.ruler.before("inline", "spindle_turns", _turns_rule)
    md.core.ruler.before("inline", "spindle_dialects", _dialects_rule)
    md.core.ruler.push("spindle_structure", _structure_rule)
    md.core.ruler.push("spindle_emoji", _emoji_rule)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("paragraph_open", _render_paragraph_open)
    md.add_render_rule("paragraph_close", _render_paragraph_close)
    md.add_render_rule("html_block", _render_html)
    md.add_render_rule("html_inline", _render_html)
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule("code_block", _render_fence)
    md.add_render_rule("blockquote_open", _render_blockquote)
    md.add_render_rule("blockquote_close", _render_blockquote)
    return md


def typographic(text: str, lang: str) -> str:
    """Plain text with the language's quotes and dashes (for titles)."""
    tokens = parser(lang).parseInline(text, {"spindle": None})
    return "".join(c.content for t in tokens for c in (t.children or []) if c.type in ("text", "code_inline")) or text


def _definition_ends_footnote(state, start: int, end: int, silent: bool) -> bool:
    """A link reference definition on an unindented line after a footnote definition ends the
    footnote (a paragraph's terminator, never a block of its own).

    In CommonMark a definition cannot interrupt a paragraph, so ``[^1]: A note.`` followed at once
    by ``[IEEE 754]: https://…`` made the definition (and every one after it) lazy continuation
    text of the note: the note printed them, and ``[IEEE 754][]`` in the text stayed as written
    (js-primer, GitBook). GitBook's and HonKit's parser (kramed, after marked) reads a footnote
    definition as its one line and ends a paragraph at a definition; spindle does so for a
    footnote's lazy lines only: elsewhere CommonMark's rule stands."""
    if not silent or state.sCount[start] >= state.blkIndent:  # (not lazy: the footnote's own text)
        return False
    at = state.bMarks[start] + state.tShift[start]
    if state.src[at:at + 1] != "[" or state.src[at + 1:at + 2] == "^":  # (a footnote ends it by itself)
        return False
    depth = 0
    for token in reversed(state.tokens):  # inside a footnote definition still open
        if token.type == "footnote_reference_close":
            depth -= 1
        elif token.type == "footnote_reference_open":
            depth += 1
            if depth > 0:
                break
    if depth <= 0:
        return False
    from markdown_it.rules_block.reference import reference

    return reference(state, start, end, True)


def render(text: str, lang: str, ctx: ParseContext) -> Fragment:
    md = parser(lang)
    ctx.lang = lang
    text, ctx.expansion = dialects.expand(text, ctx.source, ctx.root, ctx.display, ctx.line_offset, ctx.variables)
    ctx.diagnostics.extend(ctx.expansion.diagnostics)
    ctx.held = [] if _HOLD_OPEN not in text and _HOLD_CLOSE not in text else None
    tokens = md.parse(text, {"spindle": ctx})
    _check_nesting(md, tokens, ctx)
    env = {"spindle": ctx}
    ctx.ids.update(f"{ctx.chapter_id}-fn{t.meta['id'] + 1}" for t in tokens if t.type == "footnote_open")
    try:
        end = next(i for i, t in enumerate(tokens) if t.type == "footnote_block_open")
    except StopIteration:
        end = len(tokens)
    notes = _render_notes(md, tokens[end:], env, ctx)
    body = md.renderer.render(tokens[:end], md.options, env)
    if ctx.raw_html:  # raw HTML is HTML5, not XHTML: parse and write back once, for every edition
        problems: list[str] = []
        try:
            body = _normalise(body, problems, ctx.held)
            notes = tuple(Note(n.id, n.ref_id, n.number, _normalise(n.html, problems, ctx.held)) for n in notes)
        except xhtml.TooDeep as exc:
            ctx.warn("C001", str(exc), None)  # an error: the build stops, with the chapter's other errors
            body, notes = "", ()
        if ctx.opened:  # named where they were opened, instead of the parser's "left open" without a line
            problems = [p for p in problems if p != xhtml.LEFT_OPEN]
            for line, message in xhtml.unclosed(ctx.opened):
                ctx.warn("X001", message, line)
        ctx.diagnostics.extend(diagnostic("X001", problem, ctx.display) for problem in problems)
    if ctx.held:
        body = _put_back(body, ctx.held)
        notes = tuple(Note(n.id, n.ref_id, n.number, _put_back(n.html, ctx.held)) for n in notes)
    return Fragment(body, notes, tuple(ctx.headings), tuple(ctx.resources), tuple(ctx.diagnostics),
                    tuple(ctx.expansion.includes), ctx.expansion.title)


# The bodies of the code blocks spindle highlights (Pygments' spans, or escaped text) are well-formed
# XHTML as made. In a chapter with raw HTML, whose rendered fragment is parsed again as HTML5 and
# written back (xhtml.normalise), they are held out of that parse: each stands there as a placeholder
# (private-use characters, when the chapter has none) inside its <code>, and is put back after it.
# A technical book's highlighted spans are most of its markup: this was most of reading trpl (61%
# of load_book in normalise; bench/results.md, 2026-12-01). When the parse moved a placeholder from
# its <code> (raw HTML left a formatting element or a <textarea> open before it), the chapter is
# normalised again with the bodies in place, as before.
_HOLD_OPEN, _HOLD_CLOSE = "\ue000", "\ue001"
_HELD = re.compile(f"{_HOLD_OPEN}(\\d+){_HOLD_CLOSE}")
_HELD_IN_CODE = re.compile(f"<code\\b[^<>]*>{_HOLD_OPEN}\\d+{_HOLD_CLOSE}</code>")
_CODE_BODY = re.compile(r"(.*?<code\b[^<>]*>)(.*)(</code></pre>\n)\Z", re.S)


def _hold(block: str, held: list[str]) -> str:
    """A code block (code.block's) with its body held in *held*, a placeholder in its place."""
    m = _CODE_BODY.match(block)
    if m is None or xhtml.invalid_xml(m.group(2)):  # characters XML refuses: left to the XHTML pass, which replaces them
        return block
    held.append(m.group(2))
    return f"{m.group(1)}{_HOLD_OPEN}{len(held) - 1}{_HOLD_CLOSE}{m.group(3)}"


def _put_back(fragment: str, held: list[str]) -> str:
    return _HELD.sub(lambda m: held[int(m.group(1))], fragment)


def _normalise(fragment: str, problems: list[str], held: list[str] | None) -> str:
    if not held or _HOLD_OPEN not in fragment:
        return xhtml.normalise(fragment, problems)
    found: list[str] = []
    out = xhtml.normalise(fragment, found)
    if len(_HELD.findall(fragment)) == len(_HELD.findall(out)) == len(_HELD_IN_CODE.findall(out)):
        problems.extend(found)
        return out
    return xhtml.normalise(_put_back(fragment, held), problems)


def _check_nesting(md, tokens, ctx: ParseContext) -> None:
    """markdown-it stops reading a chapter where blocks nest maxNesting deep, silently
    dropping the rest: an error (C001) instead of losing its text."""
    limit = md.options.maxNesting - 2
    for token in tokens:
        if token.nesting == 1 and token.level >= limit and token.type != "paragraph_open":
            ctx.warn("C001", f"blocks (quotes, lists) nested more than {limit} levels deep; flatten them",
                     ctx.where(token.map))
            return


# --- core rules -------------------------------------------------------------

TURN_LABEL = re.compile(r"^([A-Za-z][\w .-]{0,30}?):\s+")  # how a paragraph opens an interview turn


def top_level_paragraphs(tokens):
    """(index, paragraph_open token) of the paragraphs not nested in lists, quotes or containers."""
    depth = 0
    for i, token in enumerate(tokens):
        if token.type.endswith("_open") and token.type != "paragraph_open":
            depth += 1
        elif token.type.endswith("_close") and token.type != "paragraph_close":
            depth -= 1
        elif token.type == "paragraph_open" and depth == 0:
            yield i, token


def _turns_rule(state) -> None:
    """Interview turns: a paragraph starting with ``LABEL:`` opens a turn."""
    ctx: ParseContext | None = state.env.get("spindle")
    if ctx is None or not ctx.speakers:
        return
    current: str | None = None
    seen: set[str] = set()
    for i, token in top_level_paragraphs(state.tokens):
        inline = state.tokens[i + 1]
        m = TURN_LABEL.match(inline.content)
        if m and m.group(1) in ctx.speakers:
            current = m.group(1)
            inline.content = inline.content[m.end():]
            speaker = ctx.speakers[current]
            token.meta["turn"] = (speaker, current not in seen)
            seen.add(current)
        elif current is not None:
            token.meta["turn_cont"] = ctx.speakers[current]


def _structure_rule(state) -> None:
    """Heading ids, figures and editorial notes."""
    ctx: ParseContext | None = state.env.get("spindle")
    if ctx is None:
        return
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            inline = tokens[i + 1]
            text = "".join(c.content for c in (inline.children or []) if c.type in ("text", "code_inline"))
            level = int(token.tag[1])
            if level == 1:
                ctx.warn("H002", "a '#' heading inside a chapter; "
                         "the title comes from the front matter, use '##' for sections", ctx.where(token.map))
            explicit = token.attrs.get("id")
            hid = ctx.unique_id(f"{ctx.chapter_id}-{explicit or _heading_slug(text, ctx)}")
            token.meta["spindle_id"] = True
            token.attrSet("id", hid)
            ctx.headings.append(Heading(level=max(level, 2), id=hid, text=emojize(text)))
        elif token.type == "paragraph_open" and i + 2 < len(tokens):
            inline = tokens[i + 1]
            children = [c for c in (inline.children or []) if not (c.type == "text" and not c.content.strip())]
            if len(children) == 1 and children[0].type == "image" and not token.meta.get("turn"):
                token.meta["figure"] = True
                tokens[i + 2].meta["figure"] = True
                children[0].meta["figure"] = True
        elif token.type == "inline" and token.children:
            breaks = 0
            for child in token.children:
                if child.type in ("softbreak", "hardbreak"):
                    breaks += 1
                elif child.type in ("image", "html_inline"):
                    line = ctx.where(token.map)
                    child.meta["line"] = line + breaks if line is not None else None
                    breaks += child.content.count("\n")
                elif child.type == "text":
                    breaks += child.content.count("\n")
                elif child.type == "footnote_ref":
                    ctx.ids.add(_ref_id(ctx, child.meta))
                _namespace_attr_id(child, ctx)
        if token.type != "heading_open":
            _namespace_attr_id(token, ctx)
            if ctx.speakers:
                _mark_editorial(token)


_SHORTCODE = re.compile(r":[a-z0-9_+-]+:")


def emojize(text: str) -> str:
    """GitHub's emoji shortcodes (':memo:', ':+1:') as the emoji GitHub and MkDocs show; a name that
    is no emoji (':doc:') stays as written."""
    if ":" not in text or not _SHORTCODE.search(text):
        return text
    import emoji

    return emoji.emojize(text, language="alias")


def _emoji_rule(state) -> None:
    """Shortcodes in text (not in code, URLs or raw HTML). Runs after the heading ids are made, so
    an id keeps the shortcode's name, as GitHub's anchors do ('## :memo: Notes' is #memo-notes)."""
    for token in state.tokens:
        if token.type == "inline" and token.children and ":" in token.content:
            for child in token.children:
                if child.type == "text":
                    child.content = emojize(child.content)


def _heading_slug(text: str, ctx: ParseContext) -> str:
    """GitHub's slug, with -1, -2 for repeats in the chapter (as GitHub and mdBook number them)."""
    base = slug(text)
    seen = ctx.slugs.get(base)
    ctx.slugs[base] = 0 if seen is None else seen + 1
    return base if seen is None else f"{base}-{seen + 1}"


_HEADING_ATTRS = re.compile(r"^(.*?)\s*\{\s*((?:[#.][^\s{}]+|[\w-]+=(?:\"[^\"]*\"|[^\s{}]+))"
                            r"(?:\s+(?:[#.][^\s{}]+|[\w-]+=(?:\"[^\"]*\"|[^\s{}]+)))*)\s*\}\s*$", re.S)
_HEADING_ATTR = re.compile(r"([#.])([^\s{}]+)|([\w-]+)=(?:\"([^\"]*)\"|([^\s{}]+))")
_ALERT = re.compile(r"^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*(?:\n|$)", re.I)


def _dialects_rule(state) -> None:
    """GitHub alerts (a quote opening with ``[!NOTE]``) become callouts; the dialect pass's
    block markers (listings, GitBook hints) become trusted markup."""
    ctx: ParseContext | None = state.env.get("spindle")
    if ctx is None:
        return
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and "{" in tokens[i + 1].content:
            _heading_attributes(token, tokens[i + 1])
        elif token.type == "blockquote_open" and i + 2 < len(tokens) and tokens[i + 1].type == "paragraph_open":
            inline = tokens[i + 2]
            m = _ALERT.match(inline.content)
            if m:
                token.meta["callout"] = m.group(1).lower()
                inline.content = inline.content[m.end():]
                if not inline.content.strip():
                    tokens[i + 1].hidden = tokens[i + 3].hidden = True
                    inline.content = ""
                _close_of(tokens, i).meta["callout"] = m.group(1).lower()
        elif token.type == "html_block" and ctx.expansion and ctx.expansion.blocks:
            m = dialects.MARKER.match(token.content)
            if m:
                token.meta["trusted"] = True
                token.content = _block_markup(ctx, ctx.expansion.blocks[int(m.group(1))], token)


def _heading_attributes(heading: Token, inline: Token) -> None:
    """``## Title {#id .class}`` at the end of a heading (mdBook, Pandoc, kramdown, GitBook): the
    id and classes of the heading, not text."""
    m = _HEADING_ATTRS.match(inline.content)
    if not m or not m.group(1).strip():
        return
    inline.content = m.group(1)
    for a in _HEADING_ATTR.finditer(m.group(2)):
        if a.group(1) == "#":
            heading.attrSet("id", a.group(2))
        elif a.group(1) == ".":
            heading.attrSet("class", " ".join(filter(None, [heading.attrGet("class"), a.group(2)])))
        elif a.group(3) and a.group(3) not in ("id", "class") and not a.group(3).lower().startswith("on"):
            heading.attrSet(a.group(3), a.group(4) if a.group(4) is not None else a.group(5))


def _close_of(tokens: list[Token], idx: int) -> Token:
    depth = 0
    for later in tokens[idx + 1:]:
        if later.type == tokens[idx].type:
            depth += 1
        elif later.type == tokens[idx].type.replace("_open", "_close"):
            if depth == 0:
                return later
            depth -= 1
    return tokens[idx]


def _block_markup(ctx: ParseContext, block: tuple[str, object], token: Token) -> str:
    kind, data = block
    words = labels(ctx.lang)
    if kind == "callout":
        return callout_open(data.kind, data.title, ctx.lang) + "\n"
    if kind == "end":
        return "</aside>\n" if data in ("callout", "hint") else "</div></figure>\n" if data in ("listing", "code") \
            else ""
    if kind == "listing":  # mdBook's <Listing> (and GitBook's {% code title=… %})
        ident = ctx.unique_id(f"{ctx.chapter_id}-listing-{slug(data.number)}") if data.number else None
        caption = _inline_html(data.caption, ctx)
        head = f'<figure class="listing" id="{ident}">' if ident else '<figure class="listing">'
        if data.number or caption:
            number = (f'<span class="listing-number">{html.escape(words["listing"])} {html.escape(data.number)}'
                      f'</span>{": " if caption else ""}') if data.number else ""
            head += f'<figcaption>{number}{caption}</figcaption>'
        if data.file_name:
            head += (f'<p class="listing-file"><span class="label">{html.escape(words["file_name"])}:</span> '
                     f'<code>{html.escape(data.file_name)}</code></p>')
        return head + '<div class="listing-body">\n'
    return ""


def _inline_html(text: str, ctx: ParseContext) -> str:
    """Inline Markdown (a listing's caption) as XHTML."""
    if not text:
        return ""
    rendered = parser(ctx.lang).renderInline(text, {"spindle": None})
    if "<" in text.replace("<code>", ""):
        return xhtml.normalise(rendered)
    return rendered


def callout_open(kind: str, title: str, lang: str) -> str:
    """The opening of a callout: GitHub alerts, MkDocs admonitions and GitBook hints alike."""
    key, role = dialects.CALLOUTS.get(kind, ("note", "note"))
    words = labels(lang)
    shown = html.escape(title) if title else html.escape(words.get(f"callout_{key}", key.title()))
    return (f'<aside class="callout callout-{html.escape(key)}" role="{role}">'
            f'<p class="callout-title">{shown}</p>')


def _namespace_attr_id(token: Token, ctx: ParseContext) -> None:
    """An id given with {#id} on any element other than a heading, namespaced per chapter."""
    given = token.attrs.get("id") if token.attrs else None
    if given and not token.meta.get("spindle_id"):
        token.attrSet("id", ctx.unique_id(_local_id(given, ctx)))
        token.meta["spindle_id"] = True


def _local_id(given: str, ctx: ParseContext) -> str:
    given = given.strip() or "id"
    return given if given.startswith(ctx.chapter_id + "-") else f"{ctx.chapter_id}-{given}"


def _mark_editorial(inline: Token) -> None:
    out: list[Token] = []
    for child in inline.children or []:
        if child.type != "text" or not EDITORIAL_RE.search(child.content):
            out.append(child)
            continue
        pos = 0
        for m in EDITORIAL_RE.finditer(child.content):
            if m.start() > pos:
                out.append(_text(child.content[pos:m.start()]))
            tok = Token("html_inline", "", 0)
            tok.content = f'<span class="editorial">{html.escape(m.group(0))}</span>'
            tok.meta["trusted"] = True
            out.append(tok)
            pos = m.end()
        if pos < len(child.content):
            out.append(_text(child.content[pos:]))
    inline.children = out


def _text(content: str) -> Token:
    tok = Token("text", "", 0)
    tok.content = content
    return tok


# --- render rules -------------------------------------------------------------

def _render_blockquote(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    kind = token.meta.get("callout")
    if not kind:
        return self.renderToken(tokens, idx, options, env)
    if token.nesting == -1:
        return "</aside>\n"
    ctx: ParseContext | None = env.get("spindle")
    return callout_open(kind, "", ctx.lang if ctx else "en") + "\n"


def _render_admonition(self, tokens, idx, options, env) -> str:
    """MkDocs / Python-Markdown admonitions (``!!! note "Title"``, ``??? tip``) as callouts."""
    token = tokens[idx]
    if token.type == "admonition_open":
        kind = token.meta.get("tag", "note")
        key, role = dialects.CALLOUTS.get(kind, ("note", "note"))
        return f'<aside class="callout callout-{html.escape(key)}" role="{role}">\n'
    if token.type == "admonition_close":
        return "</aside>\n"
    if token.type == "admonition_title_open":
        return '<p class="callout-title">'
    return "</p>\n"


def _render_fence(self, tokens, idx, options, env) -> str:
    """Code blocks, highlighted (code.py); info strings may carry mdBook's attributes."""
    token = tokens[idx]
    info = code.Info.parse(token.info if token.type == "fence" else "")
    ident = token.attrs.get("id") if token.attrs else None
    classes = token.attrs.get("class", "") if token.attrs else ""
    block = code.block(token.content, info, ident=ident, classes=classes)
    ctx: ParseContext | None = env.get("spindle")
    if ctx is not None and ctx.held is not None:
        block = _hold(block, ctx.held)
    name = info.file_name
    if name:  # ```py title="bubble_sort.py" (MkDocs Material), file=, filename=
        label = labels(ctx.lang if ctx else "en")["file_name"]
        block = (f'<p class="listing-file"><span class="label">{html.escape(label)}:</span> '
                 f'<code>{html.escape(name)}</code></p>\n') + block
    return block


def _render_container(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if token.nesting == 1:
        name = token.info.strip().split(" ")[0]
        opening, closing = _SEMANTIC_CONTAINERS.get(name, (f'div class="{html.escape(name)}"', "div"))
        token.meta["close"] = closing
        # remember the closing tag on the matching close token
        depth = 0
        for later in tokens[idx + 1:]:
            if later.type == token.type:
                depth += 1
            elif later.type == token.type.replace("_open", "_close"):
                if depth == 0:
                    later.meta["close"] = closing
                    break
                depth -= 1
        return f"<{opening}>\n"
    return f"</{token.meta.get('close', 'div')}>\n"


def _render_paragraph_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if token.meta.get("figure"):
        return "<figure>"
    turn = token.meta.get("turn")
    if turn:
        speaker, first = turn
        cls = "turn question" if speaker.interviewer else "turn answer"
        name = speaker.full if first else (speaker.short or speaker.name or speaker.label)
        start = token.attrs.get("data-start")
        data = f' data-start="{html.escape(str(start))}"' if start else ""
        ctx: ParseContext = env["spindle"]
        time = f'<span class="time">{html.escape(str(start))}</span> ' if start and ctx.show_times else ""
        return (
            f'<p class="{cls}" data-speaker="{html.escape(speaker.label)}"{data}>'
            f'<span class="speaker">{html.escape(name)}:</span> {time}'
        )
    cont = token.meta.get("turn_cont")
    if cont:
        cls = "turn-cont question" if cont.interviewer else "turn-cont answer"
        return f'<p class="{cls}" data-speaker="{html.escape(cont.label)}">'
    return self.renderToken(tokens, idx, options, env)


def _render_paragraph_close(self, tokens, idx, options, env) -> str:
    if tokens[idx].meta.get("figure"):
        return "</figure>\n"
    return self.renderToken(tokens, idx, options, env)


def _ref_id(ctx: ParseContext, meta: dict) -> str:
    return f"{ctx.chapter_id}-fnref{meta['id'] + 1}" + (f"-{meta['subId']}" if meta.get("subId") else "")


def _render_html(self, tokens, idx, options, env) -> str:
    """Raw HTML: warnings (with lines) for what the XHTML pass will change, ids
    namespaced per chapter, images resolved like Markdown images."""
    token = tokens[idx]
    ctx: ParseContext | None = env.get("spindle")
    if ctx is None or token.meta.get("trusted"):
        return token.content
    ctx.raw_html = True
    first = ctx.where(token.map) if token.type == "html_block" else token.meta.get("line")

    def line_of(offset: int) -> int | None:
        return first + offset if first is not None else None

    for offset, message in xhtml.scan(token.content, ctx.foreign, ctx.opened, first):
        ctx.warn("I002" if "no alt text" in message else "X001", message, line_of(offset))
    return xhtml.rewrite(
        token.content,
        rename_id=lambda given: ctx.unique_id(_local_id(given, ctx)),
        refer_id=lambda given: _local_id(given, ctx),
        image=lambda src, offset: _raw_image(src, ctx, line_of(offset)),
    )


def _raw_image(src: str, ctx: ParseContext, line: int | None) -> str | None:
    """An ``<img src>`` in raw HTML: remote images as for Markdown; a local file
    relative to the chapter (or, as before, to the project) becomes a resource.
    Anything else is refused here (I001, naming the line; None: its alt text stands in),
    before any fetcher could read it."""
    parts = urlsplit(src)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.netloc:
        return resolve_resource(src, ctx, line)
    if scheme == "data" or not (parts.path or parts.netloc):
        return src
    if (scheme and scheme != "file") or parts.netloc:
        ctx.warn("I001", f"image '{src}': only files inside the project (or http/https with --allow-remote) "
                 "can be used", line)
        return None
    bases = (Path("/"),) if scheme == "file" else (ctx.source.parent, ctx.root)
    outside = False
    for base in bases:
        try:
            path = (base / unquote(parts.path)).resolve()
        except (OSError, RuntimeError):  # a symlink loop
            continue
        if ctx.root not in path.parents:
            outside = outside or path.exists() or scheme == "file" or ".." in parts.path
            continue
        if path.is_file():
            from spindle.manuscript import images

            wrong = images.problem(path)
            if wrong:
                ctx.warn("I001", f"image '{src}': {wrong}", line)
                return None
            res = path.relative_to(ctx.root).as_posix()
            if res not in ctx.resources:
                ctx.resources.append(res)
            return res
    if outside:
        ctx.warn("I001", f"image '{src}' lies outside the project; move it inside", line)
    else:
        ctx.warn("I001", f"image '{src}' not found; check the path (relative to this file)", line)
    return None


def _render_footnote_ref(self, tokens, idx, options, env) -> str:
    ctx: ParseContext = env["spindle"]
    meta = tokens[idx].meta
    n = meta["id"] + 1
    ref = _ref_id(ctx, meta)
    return (
        f'<a class="noteref" id="{ref}" href="#{ctx.chapter_id}-fn{n}" '
        f'role="doc-noteref" epub:type="noteref">{n}</a>'
    )


def _render_image(self, tokens, idx, options, env) -> str:
    ctx: ParseContext = env["spindle"]
    token = tokens[idx]
    src = token.attrs.get("src", "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    title = token.attrs.get("title", "")
    line = token.meta.get("line")
    if not alt:
        ctx.warn("I002", f"image '{src}' has no alt text; describe it in ![...]", line)
    resolved = resolve_resource(src, ctx, line)
    if resolved is None:
        return xhtml.refused_image(src, alt)
    attrs = f'src="{html.escape(resolved)}" alt="{html.escape(alt)}"'
    if token.meta.get("figure"):
        caption = f"<figcaption>{html.escape(title)}</figcaption>" if title else ""
        return f"<img {attrs}/>{caption}"
    if title:
        attrs += f' title="{html.escape(title)}"'
    return f"<img {attrs}/>"


def _render_notes(md: MarkdownIt, tokens: list[Token], env: dict, ctx: ParseContext) -> tuple[Note, ...]:
    notes: list[Note] = []
    i = 0
    while i < len(tokens):
        if tokens[i].type != "footnote_open":
            i += 1
            continue
        n = tokens[i].meta["id"] + 1
        j = i + 1
        while tokens[j].type != "footnote_close":
            j += 1
        inner = [t for t in tokens[i + 1:j] if t.type != "footnote_anchor"]
        body = md.renderer.render(inner, md.options, env).strip()
        notes.append(Note(id=f"{ctx.chapter_id}-fn{n}", ref_id=f"{ctx.chapter_id}-fnref{n}", number=n, html=body))
        i = j + 1
    return tuple(notes)


def resolve_resource(src: str, ctx: ParseContext, line: int | None) -> str | None:
    """Check a local image exists inside the project; return its project path.

    A remote image is kept only with --allow-remote; without it, it is refused
    with a warning. A missing image, or one outside the project, is an error
    (I001), reported with the others at the end of loading. None: the caller
    sets its alt text instead."""
    parts = urlsplit(src)
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        if ctx.allow_remote:
            return src
        ctx.warn("I003", f"remote image '{src}' is not fetched (its alt text stands in); "
                         "download it into the project or build with --allow-remote", line)
        return None
    if parts.scheme or parts.netloc:
        ctx.warn("I001", f"image '{src}': only files inside the project (or http/https with --allow-remote) "
                         "can be used", line)
        return None
    path = (ctx.source.parent / unquote(parts.path)).resolve()
    try:
        rel = path.relative_to(ctx.root)
    except ValueError:
        ctx.warn("I001", f"image '{src}' lies outside the project; move it inside", line)
        return None
    if not path.is_file():
        ctx.warn("I001", f"image '{src}' not found; check the path (relative to this file)", line)
        return None
    from spindle.manuscript import images

    wrong = images.problem(path)
    if wrong:
        ctx.warn("I001", f"image '{src}': {wrong}", line)
        return None
    res = rel.as_posix()
    if res not in ctx.resources:
        ctx.resources.append(res)
    return res
