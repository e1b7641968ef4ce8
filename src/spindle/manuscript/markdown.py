"""Markdown to HTML fragments, one chapter at a time (markdown-it-py).

Extensions: footnotes, tables, attributes, definition lists, ``:::``
containers, figures (an image alone in its paragraph), heading ids namespaced
per chapter, smart quotes that follow the chapter's language, and interview
turns. The output is XHTML-compatible (self-closed void elements)."""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from spindle.manuscript import xhtml
from spindle.core.errors import ManuscriptError
from spindle.project.i18n import quotes
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
    headings: list[Heading] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    raw_html: bool = False  # raw HTML met: the rendered fragment is normalised to XHTML
    foreign: list[str] = field(default_factory=list)  # open <svg>/<math> elements met in raw HTML

    def where(self, token_map: list[int] | None) -> int | None:
        return token_map[0] + 1 + self.line_offset if token_map else None

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
    warnings: tuple[str, ...]


def slug(text: str) -> str:
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "section"


@functools.lru_cache(maxsize=None)
def parser(lang: str) -> MarkdownIt:
    """One parser per language: markdown-it keeps quote characters per instance."""
    md = MarkdownIt("commonmark", {"typographer": True, "quotes": quotes(lang), "xhtmlOut": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin).use(deflist_plugin).use(attrs_plugin).use(attrs_block_plugin)
    md.use(
        container_plugin,
        name="div",
        validate=lambda params, *args: bool(_CONTAINER_RE.match(params.strip().split(" ")[0] if params.strip() else "")),
        render=_render_container,
    )
    md.core.ruler.before("inline", "spindle_turns", _turns_rule)
    md.core.ruler.push("spindle_structure", _structure_rule)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("paragraph_open", _render_paragraph_open)
    md.add_render_rule("paragraph_close", _render_paragraph_close)
    md.add_render_rule("html_block", _render_html)
    md.add_render_rule("html_inline", _render_html)
    return md


def typographic(text: str, lang: str) -> str:
    """Plain text with the language's quotes and dashes (for titles)."""
    tokens = parser(lang).parseInline(text, {"spindle": None})
    return "".join(c.content for t in tokens for c in (t.children or []) if c.type in ("text", "code_inline")) or text


def render(text: str, lang: str, ctx: ParseContext) -> Fragment:
    md = parser(lang)
    tokens = md.parse(text, {"spindle": ctx})
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
        body = xhtml.normalise(body, problems)
        notes = tuple(Note(n.id, n.ref_id, n.number, xhtml.normalise(n.html, problems)) for n in notes)
        ctx.warnings.extend(f"{ctx.display}: {problem}" for problem in problems)
    return Fragment(body, notes, tuple(ctx.headings), tuple(ctx.resources), tuple(ctx.warnings))


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
                ctx.warnings.append(
                    f"{ctx.display}:{ctx.where(token.map)}: a '#' heading inside a chapter; "
                    "the title comes from the front matter, use '##' for sections"
                )
            explicit = token.attrs.get("id")
            hid = ctx.unique_id(f"{ctx.chapter_id}-{explicit or slug(text)}")
            token.meta["spindle_id"] = True
            token.attrSet("id", hid)
            ctx.headings.append(Heading(level=max(level, 2), id=hid, text=text))
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

    for offset, message in xhtml.scan(token.content, ctx.foreign):
        ctx.warnings.append(f"{ctx.display}:{line_of(offset)}: {message}")
    return xhtml.rewrite(
        token.content,
        rename_id=lambda given: ctx.unique_id(_local_id(given, ctx)),
        refer_id=lambda given: _local_id(given, ctx),
        image=lambda src, offset: _raw_image(src, ctx, line_of(offset)),
    )


def _raw_image(src: str, ctx: ParseContext, line: int | None) -> str | None:
    """An ``<img src>`` in raw HTML: remote images as for Markdown; a local file
    relative to the chapter (or, as before, to the project) becomes a resource.
    Anything else is left for the fetcher, which refuses it with an error."""
    parts = urlsplit(src)
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return resolve_resource(src, ctx, line)
    if parts.scheme or parts.netloc or not parts.path:
        return src
    for base in (ctx.source.parent, ctx.root):
        path = (base / unquote(parts.path)).resolve()
        if path.is_file() and ctx.root in path.parents:
            res = path.relative_to(ctx.root).as_posix()
            if res not in ctx.resources:
                ctx.resources.append(res)
            return res
    return src


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
    resolved = resolve_resource(src, ctx, line)
    if resolved is None:
        return f'<span class="image-refused">{html.escape(alt)}</span>'
    attrs = f'src="{html.escape(resolved)}" alt="{html.escape(alt)}"'
    if not alt:
        ctx.warnings.append(f"{ctx.display}:{line}: image '{src}' has no alt text; describe it in ![...]")
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
    with a warning (None: the caller sets its alt text instead)."""
    parts = urlsplit(src)
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        if ctx.allow_remote:
            return src
        ctx.warnings.append(f"{ctx.display}:{line}: remote image '{src}' is not fetched (its alt text stands in); "
                            "download it into the project or build with --allow-remote")
        return None
    if parts.scheme or parts.netloc:
        raise ManuscriptError(f"image '{src}': only files inside the project (or http/https with --allow-remote) "
                              "can be used", ctx.display, line)
    path = (ctx.source.parent / unquote(parts.path)).resolve()
    try:
        rel = path.relative_to(ctx.root)
    except ValueError:
        raise ManuscriptError(f"image '{src}' lies outside the project; move it inside", ctx.display, line) from None
    if not path.is_file():
        raise ManuscriptError(f"image '{src}' not found; check the path (relative to this file)", ctx.display, line)
    res = rel.as_posix()
    if res not in ctx.resources:
        ctx.resources.append(res)
    return res
