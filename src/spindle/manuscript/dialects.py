"""The directives of other Markdown tools, read before markdown-it sees the text.

mdBook and GitBook/HonKit extend Markdown with text-level directives that their
own preprocessors expand before parsing; spindle does the same here, so a book
written for them builds as it is:

- mdBook: ``{{#include path}}`` (with ``:anchor``, ``:N``, ``:N:``, ``::M``,
  ``:N:M``), ``{{#rustdoc_include …}}`` (lines outside the selection become
  hidden ``# `` lines, dropped when the Rust code is rendered), ``{{#playground
  path attrs}}`` (the file as a Rust code block), ``{{#title …}}`` (the title of the chapter's own
  page, as mdBook sets the HTML ``<title>``: the EPUB document's; its heading and the table of
  contents keep the chapter's title), ``\\{{#…}}`` (the literal text), and
  ``<Listing number=… file-name=… caption=…>`` blocks;
- GitBook/HonKit: ``{% include "path" %}``, ``{% hint style=… %}…{% endhint %}``,
  ``{% embed url=… %}``, ``{% code title=… %}``, ``{% raw %}…{% endraw %}``,
  ``{% tabs %}``/``{% tab title=… %}`` (the tabs one after the other, each under
  its title) and ``{% content-ref %}`` (its link kept); the include-codeblock
  plugin's ``[import, title:"x.js"](src/x.js)`` (also ``[include]``, with
  ``:"marker"``/``marker:"…"`` doxygen markers, ``:N-M`` slices, ``unindent``
  and ``lang-x``), a line of its own: the file as a code block under its title.

Includes resolve relative to the file that names them, must stay inside the
project and are expanded recursively (to a depth of 10; a file that includes
itself, or a chapter that pulls in more than 20 million characters, stops with
a D004 warning). A directive spindle
does not know is never printed silently: ``{{#name …}}`` stays as text and
``{% name %}`` is dropped (the text between block tags is kept), each with a
D001 warning naming the file and line.

GitHub alerts (``> [!NOTE]``) and MkDocs admonitions (``!!! note``) are block
syntax, handled on markdown-it's tokens in markdown.py; both share
:func:`callout_open` with GitBook hints.

:func:`expand` returns the expanded text and, for each of its lines, the line
of the chapter it came from (an included line maps to its directive's line), so
every later warning still names the line the author wrote.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from spindle.core.diagnostics import Diagnostic, diagnostic

MAX_DEPTH = 10
MAX_INCLUDED = 20_000_000  # characters one chapter may pull in (a guard against includes that multiply)

_MDBOOK = re.compile(r"\\\{\{#.*?\}\}|\{\{\s*#([A-Za-z0-9_]+)\s+([^}]+)\}\}")
_MDBOOK_BARE = re.compile(r"\{\{\s*#([A-Za-z0-9_]+)\s*\}\}")
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")  # GitBook/HonKit: {{ book.version }}
_GITBOOK = re.compile(r"\{%-?\s*([A-Za-z_][\w-]*)\s*(.*?)\s*-?%\}")  # {% name args %}
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
# (inside a quote, the lines start with '>': the listing stays in the quote)
_LISTING_OPEN = re.compile(r"^((?:[ \t]*>)*[ \t]*)<Listing\b((?:\s+[\w-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*>\s*$")
_LISTING_CLOSE = re.compile(r"^((?:[ \t]*>)*[ \t]*)</Listing>\s*$")
_ATTR = re.compile(r"([\w-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"']+))")
_ANCHOR = re.compile(r"ANCHOR(?:_END)?:\s*([\w-]+)")
_ANCHOR_START = re.compile(r"ANCHOR:\s*([\w-]+)")
_ANCHOR_END = re.compile(r"ANCHOR_END:\s*([\w-]+)")
MARKER = re.compile(r"^<spindle-block n=\"(\d+)\"/>\s*$")
MARKER_ANYWHERE = re.compile(r"<spindle-block n=\"(\d+)\"/>")  # (bench/run.py hands the text to pandoc)

CALLOUTS = {  # kind -> (label key, ARIA role)
    "note": ("note", "note"), "info": ("note", "note"), "tip": ("tip", "doc-tip"), "hint": ("tip", "doc-tip"),
    "success": ("tip", "doc-tip"), "important": ("important", "note"), "warning": ("warning", "note"),
    "caution": ("caution", "note"), "danger": ("caution", "note"), "error": ("caution", "note"),
    "attention": ("warning", "note"), "question": ("note", "note"), "example": ("note", "note"),
    "quote": ("note", "note"), "abstract": ("note", "note"), "summary": ("note", "note"), "bug": ("warning", "note"),
    "failure": ("caution", "note"), "seealso": ("note", "note"), "todo": ("note", "note"),
}
_QUIET = {"tabs", "endtabs", "endtab", "content-ref", "endcontent-ref"}  # GitBook containers whose text is kept


@dataclass
class Expansion:
    """What :func:`expand` found besides the text."""

    lines: list[int] = field(default_factory=list)  # source line (1-based, in the chapter body) of each output line
    blocks: list[tuple[str, object]] = field(default_factory=list)  # ("listing"|"callout"|"end", data) per marker
    includes: list[Path] = field(default_factory=list)  # every file read, for the chapter's content hash
    diagnostics: list[Diagnostic] = field(default_factory=list)
    title: str = ""  # {{#title …}}


@dataclass(frozen=True)
class Listing:
    number: str
    file_name: str
    caption: str
    line: int


@dataclass(frozen=True)
class Callout:
    kind: str
    title: str


class _Expander:
    def __init__(self, root: Path, display: str, line_offset: int):
        self.root = root
        self.display = display
        self.offset = line_offset
        self.out: list[str] = []
        self.found = Expansion()
        self.stack: list[Path] = []  # the files being included, outermost first
        self.budget = [MAX_INCLUDED]  # shared with nested expanders

    def warn(self, code: str, message: str, line: int) -> None:
        self.found.diagnostics.append(diagnostic(code, message, self.display, line + self.offset))

    def emit(self, text: str, line: int) -> None:
        self.out.append(text)
        self.found.lines.append(line)

    def marker(self, kind: str, data: object, line: int, quote: str = "") -> None:
        """A block that markdown.py turns into trusted markup, kept apart by blank lines
        (*quote*: what the directive's line starts with, a quote's '>' or a list item's indent)."""
        self.found.blocks.append((kind, data))
        for text in ("", f'<spindle-block n="{len(self.found.blocks) - 1}"/>', ""):
            self.emit(f"{quote}{text}".rstrip() if text else quote.rstrip(), line)

    # --- the chapter, line by line --------------------------------------------------------------

    def chapter(self, text: str, source: Path) -> None:
        fence: tuple[str, int] | None = None
        raw = False
        open_blocks: list[tuple[str, int]] = []
        for number, line in enumerate(text.split("\n"), 1):
            m = _FENCE.match(line)
            if fence is None and m and not (m.group(2)[0] == "`" and "`" in m.group(3)):
                fence = (m.group(2)[0], len(m.group(2)))
            elif fence is not None and m and m.group(2)[0] == fence[0] and len(m.group(2)) >= fence[1] \
                    and not m.group(3).strip():
                fence = None
            if fence is None and not raw:
                opening = _LISTING_OPEN.match(line)
                if opening:
                    attrs = _attrs(opening.group(2))
                    self.marker("listing", Listing(attrs.get("number", ""), attrs.get("file-name", ""),
                                                   attrs.get("caption", ""), number + self.offset), number,
                                opening.group(1))
                    open_blocks.append(("Listing", number))
                    continue
                closing = _LISTING_CLOSE.match(line)
                if closing:
                    if open_blocks and open_blocks[-1][0] == "Listing":
                        open_blocks.pop()
                        self.marker("end", "listing", number, closing.group(1))
                    else:
                        self.warn("D004", "</Listing> without its <Listing …>; it was dropped", number)
                    continue
                code = _CODE_IMPORT.match(line)
                if code and not raw:
                    self.code_import(code, number, source)
                    continue
                line, raw = self.gitbook(line, number, source, open_blocks, raw)
                if line is None:
                    continue
            elif raw and "{%" in line and re.search(r"\{%-?\s*endraw\s*-?%\}", line):
                line = re.sub(r"\{%-?\s*endraw\s*-?%\}", "", line)
                raw = False
            self.mdbook(line, number, source, 0, in_code=fence is not None)
        for name, number in open_blocks:
            self.warn("D004", f"<{name}> is never closed; it was closed at the end of the chapter"
                      if name == "Listing" else f"{{% {name} %}} is never closed with {{% end{name} %}}; "
                      "it was closed at the end of the chapter", number)
            self.marker("end", name.lower(), number)

    # --- mdBook: {{#include}}, {{#rustdoc_include}}, {{#playground}}, {{#title}} -----------------

    def mdbook(self, line: str, number: int, source: Path, depth: int, in_code: bool) -> None:
        if "{{" not in line:
            self.emit(line, number)
            return
        pieces: list[str] = []
        pos = 0
        for m in _MDBOOK.finditer(line):
            pieces.append(line[pos:m.start()])
            pos = m.end()
            if m.group(0).startswith("\\"):
                pieces.append(m.group(0)[1:])  # escaped: the literal directive
                continue
            kind, args = m.group(1), m.group(2).strip()
            if kind in ("include", "rustdoc_include", "playground"):
                pieces.append(self.include(kind, args, number, source, depth))
            elif kind == "title":
                self.found.title = self.found.title or args
            else:
                pieces.append(m.group(0))
                if not in_code:
                    self.warn("D001", f"'{{{{#{kind} …}}}}' is not an mdBook directive spindle knows; it is kept as text",
                              number)
        pieces.append(line[pos:])
        text = "".join(pieces)
        if not in_code:
            for bare in _MDBOOK_BARE.finditer(text):
                if not _in_code_span(text, bare.start()):
                    self.warn("D001", f"'{bare.group(0)}' is not a directive spindle knows; it is kept as text", number)
            for variable in _VARIABLE.finditer(text):
                if not _in_code_span(text, variable.start()):
                    self.warn("D001", f"template variable '{variable.group(0)}' is not defined; it is kept as text",
                              number)
        if text == "" and line.strip():  # a line holding only {{#title}}: no blank line left behind
            return
        for part in text.split("\n"):
            self.emit(part, number)

    def include(self, kind: str, args: str, number: int, source: Path, depth: int) -> str:
        target, _, selector = args.split()[0].partition(":") if args.split() else ("", "", "")
        path = self.read_path(target, number, source, kind)
        if path is None:
            return ""
        if depth >= MAX_DEPTH or path in self.stack or path == source.resolve():
            self.warn("D004", f"{kind} '{target}': includes itself or nests more than {MAX_DEPTH} deep; "
                      "not included again", number)
            return ""
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            self.warn("D002", f"{kind} '{target}': cannot read it ({getattr(exc, 'strerror', None) or 'not UTF-8'})",
                      number)
            return ""
        self.budget[0] -= len(text)
        if self.budget[0] < 0:
            self.warn("D004", f"{kind} '{target}': the chapter's includes exceed {MAX_INCLUDED:,} characters; "
                      "not included", number)
            return ""
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        chosen = _select(lines, selector)
        if chosen is None:
            self.warn("D003", f"{kind} '{args.split()[0]}': the file has no anchor or lines '{selector}'; "
                      "nothing was included", number)
            return ""
        if kind == "rustdoc_include":
            keep = set(chosen)
            picked = [ln if i in keep else _hide(ln) for i, ln in enumerate(lines)]
        else:
            picked = [lines[i] for i in chosen]
        picked = [ln for ln in picked if not _ANCHOR.search(ln)]
        expanded = "\n".join(picked)
        if kind == "playground":  # mdBook: the file as a Rust code block, with the directive's attributes
            attrs = ",".join(args.split()[1:])
            expanded = f"```rust{',' + attrs if attrs else ''}\n{expanded}\n```"
        if "{{" in expanded:  # included files may include others, relative to themselves
            inner = _Expander(self.root, self.display, self.offset)
            inner.found, inner.budget, inner.stack = self.found, self.budget, [*self.stack, path]
            for ln in expanded.split("\n"):
                inner.mdbook(ln, number, path, depth + 1, in_code=True)
            expanded = "\n".join(inner.out)
        return expanded

    def read_path(self, target: str, number: int, source: Path, what: str) -> Path | None:
        if not target:
            self.warn("D004", f"{what}: no file named", number)
            return None
        path = (source.parent / target).resolve()
        if path != self.root and self.root not in path.parents:
            self.warn("D002", f"{what} '{target}' lies outside the project; copy it inside", number)
            return None
        if not path.is_file():
            self.warn("D002", f"{what} '{target}' not found; check the path (relative to this file)", number)
            return None
        if path not in self.found.includes:
            self.found.includes.append(path)
        return path

    # --- GitBook / HonKit: [import](path), the include-codeblock plugin -------------------------------

    def code_import(self, m: re.Match, number: int, source: Path) -> None:
        """``[import, title:"x.js"](src/x.js)``: the file (or the lines a ``:"marker"``, ``marker:"…"``
        or ``:N-M`` selects) as a fenced code block in the file's language, under its title."""
        quote, kind, label, target = m.group(1), m.group(2), m.group(3), m.group(4).strip("<>")
        options, selector = _import_options(label)
        what = f"[{kind}]({target})"
        path = self.read_path(target, number, source, what)
        if path is None:
            return
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            self.warn("D002", f"{what}: cannot read it ({getattr(exc, 'strerror', None) or 'not UTF-8'})", number)
            return
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        chosen = _import_select(lines, selector or options.get("marker", ""))
        if chosen is None:
            self.warn("D003", f"{what}: the file has no marker or lines '{selector or options.get('marker')}'; "
                      "nothing was included", number)
            return
        import textwrap

        code = "\n".join(chosen).strip("\n")
        if options.get("unindent", "").lower() == "true":
            code = textwrap.dedent(code)
        lang = options.get("lang") or _language_of(path.name)
        fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", code)), default=0) + 1)
        title = options.get("title", "")
        if title:
            self.marker("listing", Listing("", title, "", number + self.offset), number, quote)
        for part in (f"{fence}{lang}", *code.split("\n"), fence):
            self.emit(f"{quote}{part}" if part or not quote else quote.rstrip(), number)
        if title:
            self.marker("end", "listing", number, quote)

    # --- GitBook / HonKit: {% … %} -----------------------------------------------------------------

    def gitbook(self, line: str, number: int, source: Path, open_blocks: list, raw: bool) -> tuple[str | None, bool]:
        if "{%" not in line:
            return line, raw
        whole = line.strip()
        pieces: list[str] = []
        pos = 0
        for m in _GITBOOK.finditer(line):
            if _in_code_span(line, m.start()):
                continue
            pieces.append(line[pos:m.start()])
            pos = m.end()
            name, args = m.group(1), m.group(2)
            alone = whole == m.group(0)
            if raw:
                if name == "endraw":
                    raw = False
                else:
                    pieces.append(m.group(0))
                continue
            if name == "raw":
                raw = True
            elif name in ("hint", "code") and alone:
                attrs = _attrs(args)
                if name == "hint":
                    kind = attrs.get("style", "info").lower()
                    self.marker("callout", Callout(kind if kind in CALLOUTS else "note", attrs.get("title", "")), number)
                else:
                    self.marker("listing", Listing("", attrs.get("title", ""), "", number + self.offset), number)
                open_blocks.append((name, number))
                return None, raw
            elif name in ("endhint", "endcode") and alone:
                if open_blocks and open_blocks[-1][0] == name[3:]:
                    open_blocks.pop()
                    self.marker("end", name[3:], number)
                else:
                    self.warn("D004", f"{{% {name} %}} without its opening tag; it was dropped", number)
                return None, raw
            elif name in _QUIET:
                pass
            elif name == "tab":  # each tab of a {% tabs %} block, one after the other, under its title
                title = _attrs(args).get("title", "")
                if title:
                    pieces.append(f"**{_md_text(title)}**")
            elif name == "include":
                target = _attrs(f"x={args}").get("x", "") if args[:1] in "\"'" else args.split()[0] if args else ""
                path = self.read_path(target, number, source, "include")
                if path is not None:
                    try:
                        pieces.append(path.read_text(encoding="utf-8-sig").rstrip("\n"))
                    except (OSError, UnicodeDecodeError):
                        self.warn("D002", f"include '{target}': cannot read it", number)
            elif name == "embed":
                url = _attrs(args).get("url", "")
                if url.startswith(("http://", "https://")):
                    caption = _attrs(args).get("caption", "") or url
                    pieces.append(f"[{_md_text(caption)}](<{url}>)")
                else:
                    self.warn("D004", f"{{% embed %}} needs url=\"https://…\"; it was dropped", number)
            else:
                self.warn("D001", f"'{{% {name} %}}' is not a GitBook tag spindle knows; the tag was dropped"
                          + (" (the text around it is kept)" if name.startswith("end") or alone else ""), number)
        pieces.append(line[pos:])
        text = "".join(pieces)
        if not text.strip() and whole:
            return None, raw
        return text, raw


def expand(text: str, source: Path, root: Path, display: str, line_offset: int = 0,
           variables: dict[str, str] | None = None) -> tuple[str, Expansion]:
    """The chapter body with every known directive expanded (see the module's docstring).

    *variables*: GitBook/HonKit template variables (``book.json``'s ``variables``), put in
    everywhere first, as Nunjucks does (``{{ book.name }}`` and ``{{ name }}``); a variable
    that is not defined stays as text, with a warning outside code."""
    if variables and "{{" in text:
        text = substitute(text, variables)
    if "{{" not in text and "{%" not in text and "<Listing" not in text and "</Listing" not in text \
            and "[import" not in text and "[include" not in text:
        found = Expansion(lines=list(range(1, text.count("\n") + 2)))
        return text, found
    expander = _Expander(root.resolve(), display, line_offset)
    expander.chapter(text, source)
    return "\n".join(expander.out), expander.found


# --- helpers ---------------------------------------------------------------------------------------

def substitute(text: str, variables: dict[str, str]) -> str:
    def value(m: re.Match) -> str:
        name = m.group(1)
        found = variables.get(name, variables.get(name[5:]) if name.startswith("book.") else None)
        return m.group(0) if found is None else str(found)

    return _VARIABLE.sub(value, text)


def _attrs(text: str) -> dict[str, str]:
    return {m.group(1).lower(): html.unescape(next(g for g in m.groups()[1:] if g is not None))
            for m in _ATTR.finditer(text)}


def _select(lines: list[str], selector: str) -> list[int] | None:
    """Indexes of the lines an include selects (mdBook's rules), None when it selects nothing."""
    if not selector:
        return list(range(len(lines)))
    parts = selector.split(":")
    if all(p.strip().isdigit() or p.strip() == "" for p in parts) and len(parts) <= 2:
        start = int(parts[0]) - 1 if parts[0].strip() else 0
        if len(parts) == 1:
            end = start + 1
        else:
            end = int(parts[1]) if parts[1].strip() else len(lines)
        start = max(start, 0)
        chosen = list(range(start, min(end, len(lines))))
        return chosen or None
    anchor = selector.strip()
    chosen, inside = [], False
    for i, line in enumerate(lines):
        start = _ANCHOR_START.search(line)
        end = _ANCHOR_END.search(line)
        if start and start.group(1) == anchor:
            inside = True
        elif end and end.group(1) == anchor:
            if inside:
                return chosen
        elif inside:
            chosen.append(i)
    return chosen or None


_CODE_IMPORT = re.compile(r"^((?:[ \t]*>)*[ \t]*)\[(import|include)((?:[:,\s][^\]]*)?)\]\(([^()\s]+)\)\s*$")
_IMPORT_OPTION = re.compile(r"""([\w-]+)\s*[:=]\s*(?:"([^"]*)"|'([^']*)'|([^\s,"']+))|(lang-[\w+#-]+)""")
_DOXYGEN = re.compile(r"^\s*(?://+|#|%|/\*|<!--)[*!/#][ \t]*\[([A-Za-z][\w\s-]*)\]")  # //! [name], <!--![name]-->


def _import_options(label: str) -> tuple[dict[str, str], str]:
    """The include-codeblock plugin's label: ``:"marker"`` or ``:N-M`` right after the keyword, then
    ``key:"value"`` (or ``key="value"``) options and ``lang-x``, separated by commas or spaces; other
    words (a file name shown as the label) mean nothing."""
    selector = ""
    m = re.match(r"""^:\s*(?:"([^"]*)"|'([^']*)'|([\d]*-?[\d]*))""", label)
    if m:
        selector = next((g for g in m.groups() if g is not None), "")
        label = label[m.end():]
    options: dict[str, str] = {}
    for o in _IMPORT_OPTION.finditer(label):
        if o.group(5):
            options["lang"] = o.group(5)[5:]
        else:
            options[o.group(1).lower()] = next(g for g in o.groups()[1:4] if g is not None)
    return options, selector


def _import_select(lines: list[str], selector: str) -> list[str] | None:
    """The lines a slice (``2-5``, ``2-``, ``-3``, 1-based) or a doxygen marker (``//! [name]`` …
    ``//! [name]``) selects; every marker line is left out. None when it selects nothing."""
    if re.fullmatch(r"\d*-?\d*", selector) and selector not in ("", "-"):
        first, dash, last = selector.partition("-")
        start = int(first) - 1 if first else 0
        end = (int(last) if last else len(lines)) if dash else start + 1
        chosen = lines[max(start, 0):end]
        return [ln for ln in chosen if not _DOXYGEN.match(ln)] or None
    if not selector:
        return [ln for ln in lines if not _DOXYGEN.match(ln)]
    chosen, inside, found = [], False, False
    for line in lines:
        marker = _DOXYGEN.match(line)
        if marker and marker.group(1) == selector:
            inside, found = not inside, True
            if not inside:
                break
        elif inside and not marker:
            chosen.append(line)
    return chosen if found and chosen else None


def _language_of(name: str) -> str:
    """The fence language for a file name, as Pygments names it ('' when it knows none)."""
    from pygments.lexers import get_lexer_for_filename
    from pygments.util import ClassNotFound

    try:
        aliases = get_lexer_for_filename(name).aliases
    except ClassNotFound:
        return ""
    return aliases[0] if aliases else ""


def _hide(line: str) -> str:
    """A rustdoc hidden line: shown by neither mdBook's print view nor spindle."""
    return line if line.lstrip().startswith("# ") or line.strip() == "#" else f"# {line}" if line else "#"


def hidden(line: str, prefix: str | None) -> bool:
    """Whether a code line is hidden: Rust's ``# `` lines, or lines starting with a ``hidelines=`` prefix."""
    stripped = line.lstrip()
    if prefix is None:
        return stripped.startswith("# ") or stripped == "#"
    return stripped.startswith(prefix)


def unhide(line: str) -> str:
    """Rust's ``##`` at a line start stands for a literal ``#``."""
    stripped = line.lstrip()
    return line[: len(line) - len(stripped)] + stripped[1:] if stripped.startswith("##") else line


def _in_code_span(line: str, pos: int) -> bool:
    return line.count("`", 0, pos) % 2 == 1


def _md_text(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", text)
