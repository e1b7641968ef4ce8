"""Raw HTML in a manuscript, made into well-formed, valid XHTML.

CommonMark passes raw HTML through as written: unclosed ``<p>`` and ``<br>``,
attributes without values, named entities such as ``&nbsp;``, ``--`` inside
comments, custom elements. The EPUB needs XHTML, so a chapter that contains raw
HTML is parsed once with an HTML5 parser (tinyhtml5, which WeasyPrint already
uses) and written back as XHTML. What cannot be kept is changed by one policy,
shared by two passes:

- :func:`scan` reads each raw HTML snippet where the Markdown stage meets it and
  reports what the policy will change, so warnings carry the file and line;
- :func:`normalise` rewrites the whole chapter fragment by that policy.

Scripts, styles, frames and embedded objects are dropped with their content;
obsolete or unknown elements (``<center>``, ``<font>``, ``<my-widget>``) become
a ``div`` or ``span`` with the old name as a class; event-handler attributes,
``javascript:`` URLs and obsolete presentational attributes are dropped;
comments are dropped (they are notes to the author, not text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

HTML = "http://www.w3.org/1999/xhtml"
SVG = "http://www.w3.org/2000/svg"
MATHML = "http://www.w3.org/1998/Math/MathML"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
XMLNS = "http://www.w3.org/2000/xmlns/"
_PREFIXES = {XLINK: "xlink", XML: "xml"}

VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
KNOWN = frozenset("""
    a abbr address article aside audio b bdi bdo blockquote br button canvas caption cite code col colgroup
    data datalist dd del details dfn dialog div dl dt em fieldset figcaption figure footer header hgroup
    h1 h2 h3 h4 h5 h6 hr i img input ins kbd label legend li main map area mark meter nav ol optgroup
    option output p picture pre progress q rp rt ruby s samp section select small source span strong sub
    summary sup table tbody td textarea tfoot th thead time tr track u ul var video wbr
""".split())
DROPPED = frozenset("script style noscript iframe object embed applet frame frameset noframes link meta base "
                    "title template head".split())
# Obsolete elements with a modern equivalent; anything else unknown becomes a div or span.
RENAMED = {"center": "div", "font": "span", "big": "span", "tt": "code", "strike": "s", "acronym": "abbr",
           "blink": "span", "marquee": "span", "listing": "pre", "xmp": "pre", "plaintext": "pre",
           "nobr": "span", "basefont": "span", "dir": "ul", "menu": "ul"}
_BLOCKS = frozenset("address article aside blockquote details dialog div dl fieldset figure footer form header "
                    "hgroup h1 h2 h3 h4 h5 h6 hr main nav ol p pre section table ul".split())
_PHRASING_PARENTS = frozenset("a abbr b bdi bdo cite code data dfn em i kbd label mark p q s samp small span "
                              "strong sub sup time u var h1 h2 h3 h4 h5 h6 dt caption figcaption legend "
                              "summary pre ins del".split())
OBSOLETE_ATTRS = frozenset("align valign bgcolor background cellpadding cellspacing frame rules clear color face "
                           "hspace vspace nowrap compact noshade language char charoff axis".split())
_SIZED = frozenset("img video canvas iframe embed object input source".split())
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_ALLOWED_PREFIXED = frozenset({"epub:type", "epub:prefix", "xml:lang", "xml:space"})


@dataclass(frozen=True)
class Change:
    """What the policy does to one element or attribute, and why (for the warning)."""

    action: str  # "drop", "rename" or "attr"
    message: str
    new_name: str = ""


def element_change(name: str) -> Change | None:
    """The policy for an element name (HTML namespace); None keeps it."""
    if name in KNOWN:
        return None
    if name in DROPPED:
        return Change("drop", f"<{name}> is not allowed in the book and was dropped with its content")
    new = RENAMED.get(name)
    if new:
        return Change("rename", f"<{name}> is obsolete; it became <{new} class=\"{name}\"> (style it in CSS)", new)
    return Change("rename", f"<{name}> is not an HTML element; it became a div or span with class=\"{_class(name)}\"")


def attribute_change(element: str, name: str, value: str) -> str | None:
    """Why an attribute is dropped, or None to keep it."""
    lower = name.lower()
    if lower.startswith("on"):
        return f"event handler '{name}' on <{element}> was dropped (no scripts in the book)"
    if ":" in name and lower not in _ALLOWED_PREFIXED and not lower.startswith("xmlns"):
        return f"attribute '{name}' on <{element}> was dropped (unknown prefix)"
    if ":" not in name and not _XML_NAME.match(name):
        return f"attribute '{name}' on <{element}> is not a valid name and was dropped"
    if lower in ("href", "src", "action", "formaction") and value.strip().lower().startswith("javascript:"):
        return f"a javascript: URL on <{element}> was dropped"
    if lower in OBSOLETE_ATTRS or (lower in ("width", "height") and element not in _SIZED) \
            or (lower == "border" and element != "table") or (lower == "border" and value not in ("", "1")) \
            or (lower == "size" and element not in ("input", "select")):
        return f"attribute '{name}' on <{element}> is obsolete in XHTML and was dropped; use a class and CSS"
    return None


def _class(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "unknown"


# --- the scan: warnings with lines ----------------------------------------------------------------

def scan(snippet: str, foreign: list[str] | None = None) -> list[tuple[int, str]]:
    """What the policy will change in one raw HTML snippet: (line within it, 0-based; message).

    *foreign* is the stack of open ``<svg>``/``<math>`` elements, kept by the
    caller across the snippets of one chapter (inline HTML comes tag by tag)."""
    from tinyhtml5.constants import Token
    from tinyhtml5.tokenizer import HTMLTokenizer

    found: list[tuple[int, str]] = []
    tokenizer = HTMLTokenizer(_stream(snippet))
    skipping: str | None = None
    foreign = [] if foreign is None else foreign  # inside <svg> or <math>: their own vocabularies, kept
    for token in tokenizer:
        kind = token["type"]
        if kind not in (Token.START_TAG, Token.EMPTY_TAG, Token.END_TAG):
            continue
        name = token["name"]
        if skipping:
            if kind == Token.END_TAG and name == skipping:
                skipping = None
            continue
        if foreign:
            if kind == Token.END_TAG and name == foreign[-1]:
                foreign.pop()
            elif kind == Token.START_TAG and name == foreign[-1] and not token.get("selfClosing"):
                foreign.append(name)
            continue
        if kind == Token.END_TAG:
            continue
        _switch_state(tokenizer, name)
        line = tokenizer.stream.position()[0] - 1
        if name in ("svg", "math"):
            if not token.get("selfClosing"):
                foreign.append(name)
            continue
        change = element_change(name)
        if change:
            found.append((line, change.message))
            if change.action == "drop" and name not in VOID:
                skipping = name
            if change.action == "drop":
                continue
        attrs = dict(token["data"][::-1]) if isinstance(token["data"], list) else dict(token["data"])
        for attr, value in attrs.items():
            why = attribute_change(name, attr, value)
            if why:
                found.append((line, why))
        if name == "img" and not attrs.get("alt", "").strip():
            found.append((line, f"image '{attrs.get('src', '')}' has no alt text; add alt=\"...\" describing it"))
    return found


def _stream(text: str):
    """The text as a stream: tinyhtml5 reads a string shorter than 200 characters as a file name
    when such a file exists (and fails on a long non-ASCII one), never what a snippet means."""
    import io

    return io.StringIO(text)


def _switch_state(tokenizer, name: str) -> None:
    """What the tree builder would do: script and style content is text, not tags."""
    if name == "script":
        tokenizer.state = tokenizer.script_data_state
    elif name in ("style", "xmp", "iframe", "noembed", "noframes", "noscript"):
        tokenizer.state = tokenizer.rawtext_state
    elif name in ("title", "textarea"):
        tokenizer.state = tokenizer.rcdata_state
    elif name == "plaintext":
        tokenizer.state = tokenizer.plaintext_state


# --- the rewrite -------------------------------------------------------------------------------------

def parse(fragment: str, problems: list[str] | None = None):
    """The fragment as an ElementTree (tinyhtml5), inside a DOCUMENT_FRAGMENT root."""
    from tinyhtml5.parser import HTMLParser

    parser = HTMLParser()
    root = parser.parse_fragment(_stream(fragment), container="div")
    if problems is not None and any(code == "expected-closing-tag-but-got-eof" for _, code, _ in parser.errors):
        problems.append("raw HTML leaves an element open at the end of the chapter; it was closed there "
                        "(check that every <div> or <span> has its closing tag)")
    return root


def normalise(fragment: str, problems: list[str] | None = None) -> str:
    """A chapter's HTML fragment, parsed as HTML5 and written back as XHTML.

    Ids are expected to be namespaced already (:func:`namespace_ids`); a
    repeated id is renamed here so the document stays valid.
    """
    root = parse(fragment, problems)
    _check_depth(root)
    seen: set[str] = set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if _split(element.tag) == (HTML, "a") and element.get("name") and not element.get("id"):
            element.set("id", element.get("name"))
        value = element.get("id")
        if value is None:
            continue
        candidate, n = value, 2
        while candidate in seen:
            candidate, n = f"{value}-{n}", n + 1
        seen.add(candidate)
        element.set("id", candidate)
    out: list[str] = []
    _children(root, HTML, out, parent_local="div")
    return "".join(out)


MAX_DEPTH = 100  # elements nested in raw HTML; deeper (thousands of <div>s) would exhaust the stack


class TooDeep(ValueError):
    """Raw HTML nested beyond :data:`MAX_DEPTH` levels."""


def _check_depth(root) -> None:
    stack = [(root, 0)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise TooDeep(f"raw HTML nested more than {MAX_DEPTH} elements deep; flatten it")
        stack.extend((child, depth + 1) for child in element)


_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?>")
_ATTR = re.compile(r"""(\s)([^\s"'>/=]+)(?:(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_ID_REFS = frozenset({"for", "headers", "aria-labelledby", "aria-describedby", "aria-controls", "aria-owns", "list"})


def refused_image(src: str, alt: str) -> str:
    """What stands in for an image that is not built in: its alt text, or with none its file name
    (an empty stand-in inside a link left the link with no text to read: Ace's link-name)."""
    if not alt.strip():
        alt = src.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1] or src
    return f'<span class="image-refused">{_escape(alt)}</span>'


def rewrite(snippet: str, rename_id: Callable[[str], str], refer_id: Callable[[str], str],
            image: Callable[[str, int], str | None]) -> str:
    """Raw HTML with its ids (and ``<a name>``) renamed by *rename_id*, the
    attributes that refer to ids (``for``, ``headers``, ``aria-*``) mapped by
    *refer_id*, and each ``<img src>`` mapped by *image* (given the line within
    the snippet; None refuses the image: it is replaced by its alt text)."""

    def tag(m: re.Match) -> str:
        name = m.group(1).lower()
        line = snippet.count("\n", 0, m.start())
        attrs = {a.group(2).lower(): _unquote(a.group(4)) for a in _ATTR.finditer(m.group(0), len(m.group(1)) + 1)}
        if name == "img" and "src" in attrs and image(attrs["src"], line) is None:
            return refused_image(attrs["src"], html_unescape(attrs.get("alt", "")))

        def attribute(a: re.Match) -> str:
            space, key, eq, raw = a.groups()
            lower = key.lower()
            if raw is None:
                return a.group(0)
            value = _unquote(raw)
            if lower == "id" or (lower == "name" and name == "a"):
                value = rename_id(value)
            elif lower in _ID_REFS:
                value = " ".join(refer_id(v) for v in value.split())
            elif lower == "src" and name == "img":
                value = image(value, line) or value
            else:
                return a.group(0)
            return f'{space}{key}{eq}"{_escape(value, True)}"'

        head = len(m.group(1)) + 1
        return m.group(0)[:head] + _ATTR.sub(attribute, m.group(0)[head:])

    return _TAG.sub(tag, snippet)


def _unquote(raw: str | None) -> str:
    if raw is None:
        return ""
    return raw[1:-1] if raw[:1] in "\"'" else raw


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, local = tag[1:].split("}", 1)
        return ns, local
    return HTML, tag


def _children(element, ns: str, out: list[str], parent_local: str) -> None:
    if element.text:
        out.append(_escape(element.text))
    for child in element:
        if isinstance(child.tag, str):
            _element(child, ns, out, parent_local)
        if child.tail:
            out.append(_escape(child.tail))


def _element(element, parent_ns: str, out: list[str], parent_local: str) -> None:
    ns, local = _split(element.tag)
    attrs = dict(element.attrib)
    if ns == HTML:
        change = element_change(local)
        if change and change.action == "drop":
            return
        if change:
            name = change.new_name or _block_or_inline(element, parent_local)
            attrs["class"] = " ".join(filter(None, [_class(local), attrs.get("class", "")]))
            local = name
        attrs = _attributes(local, attrs)
        if local == "img" and "alt" not in attrs:
            attrs["alt"] = ""
    else:
        attrs = {k: v for k, v in attrs.items() if not (k.startswith(f"{{{XMLNS}}}") or k == "xmlns")
                 and not k.lower().startswith("on")}
    parts = [local]
    if ns != parent_ns:
        parts.append(f'xmlns="{ns}"')
    declared: set[str] = set()
    for key, value in attrs.items():
        if key.startswith("{"):
            attr_ns, attr_local = key[1:].split("}", 1)
            prefix = _PREFIXES.get(attr_ns)
            if prefix is None:
                continue
            if prefix == "xlink" and prefix not in declared:
                parts.append(f'xmlns:xlink="{XLINK}"')
                declared.add(prefix)
            key = f"{prefix}:{attr_local}"
        parts.append(f'{key}="{_escape(value, True)}"')
    head = " ".join(parts)
    if ns == HTML and local in VOID:
        out.append(f"<{head}/>")
        return
    if not len(element) and not element.text and ns != HTML:
        out.append(f"<{head}/>")
        return
    out.append(f"<{head}>")
    _children(element, ns, out, local)
    out.append(f"</{local}>")


def _attributes(element: str, attrs: dict[str, str]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for key, value in attrs.items():
        if key.startswith("{") or key.lower().startswith("xmlns") or (key == "name" and element == "a"):
            continue
        if attribute_change(element, key, value) is not None:
            continue
        kept[key] = value
    if "lang" in kept and "xml:lang" not in kept:
        kept["xml:lang"] = kept["lang"]
    return kept


def _block_or_inline(element, parent_local: str) -> str:
    if parent_local in _PHRASING_PARENTS:
        return "span"
    for child in element.iter():
        if child is not element and isinstance(child.tag, str) and _split(child.tag)[1] in _BLOCKS:
            return "div"
    return "div" if parent_local not in _PHRASING_PARENTS else "span"


def _escape(text: str, attribute: bool = False) -> str:
    text = _INVALID_XML.sub("\ufffd", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if attribute else text


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
