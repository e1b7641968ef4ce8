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
# Elements with no use in a book (nothing can be sent from it): kept as a div with the old name as a class.
INERT = {"form": "div"}

# Content models (the HTML standard's, as epubcheck checks them). Phrasing content: what may stand inside
# a paragraph. A transparent element (a, ins, del...) is phrasing only when what it holds is.
PHRASING = frozenset("""
    a abbr area audio b bdi bdo br button canvas cite code data datalist del dfn em embed i iframe img input
    ins kbd label map mark meter object output picture progress q ruby s samp select small span strong sub
    sup textarea time u var video wbr
""".split())
TRANSPARENT = frozenset("a ins del map audio video canvas object".split())
# Elements that may hold phrasing content only: a block inside one is moved out, splitting it there.
PHRASING_ONLY = frozenset("""
    p h1 h2 h3 h4 h5 h6 pre abbr b bdi bdo button cite code data dfn em i kbd label legend mark meter output
    progress q rp rt ruby s samp small span strong sub summary sup time u var
""".split())
LISTS = frozenset("ul ol".split())

# Attributes every HTML element may carry; anything else must be one of its element's own.
GLOBAL_ATTRS = frozenset("""
    accesskey autocapitalize autofocus class contenteditable dir draggable enterkeyhint hidden id inert inputmode
    is itemid itemprop itemref itemscope itemtype lang nonce popover role slot spellcheck style tabindex title
    translate about content datatype inlist prefix property rel resource rev typeof vocab
    xml:lang xml:space xml:base epub:type epub:prefix
""".split())
_HYPERLINK = "href target download ping rel hreflang type referrerpolicy"
_FORM_CONTROL = "disabled form name"
_SUBMIT = "formaction formenctype formmethod formnovalidate formtarget popovertarget popovertargetaction"
ELEMENT_ATTRS = {name: frozenset(attrs.split()) for name, attrs in {
    "a": _HYPERLINK,
    "area": f"alt coords shape {_HYPERLINK}",
    "audio": "src crossorigin preload autoplay loop muted controls",
    "blockquote": "cite", "q": "cite", "ins": "cite datetime", "del": "cite datetime",
    "button": f"{_FORM_CONTROL} {_SUBMIT} type value",
    "canvas": "width height",
    "col": "span", "colgroup": "span",
    "data": "value",
    "details": "open name", "dialog": "open",
    "fieldset": _FORM_CONTROL,
    "img": "alt src srcset sizes crossorigin usemap ismap width height referrerpolicy decoding loading "
           "fetchpriority",
    "input": f"{_FORM_CONTROL} {_SUBMIT} accept alt autocomplete checked dirname height list max maxlength min "
             "minlength multiple pattern placeholder readonly required size src step type value width",
    "label": "for",
    "li": "value",
    "map": "name",
    "meter": "value min max low high optimum",
    "ol": "reversed start type",
    "optgroup": "disabled label", "option": "disabled label selected value",
    "output": "for form name",
    "progress": "value max",
    "select": f"{_FORM_CONTROL} autocomplete multiple required size",
    "source": "type media src srcset sizes width height",
    "table": "border",
    "td": "colspan rowspan headers", "th": "colspan rowspan headers abbr scope",
    "textarea": f"{_FORM_CONTROL} autocomplete cols dirname maxlength minlength placeholder readonly required "
                "rows wrap",
    "time": "datetime",
    "track": "default kind label src srclang",
    "video": "src crossorigin poster preload autoplay playsinline loop muted controls width height",
}.items()}
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
    if name in INERT:
        return Change("rename", f"<{name}> does nothing in a book; it became <{INERT[name]} class=\"{name}\">",
                      INERT[name])
    new = RENAMED.get(name)
    if new:
        return Change("rename", f"<{name}> is obsolete; it became <{new} class=\"{name}\"> (style it in CSS)", new)
    return Change("rename", f"<{name}> is not an HTML element; it became a div or span with class=\"{_class(name)}\"")


def attribute_change(element: str, name: str, value: str, becomes: str | None = None) -> str | None:
    """Why an attribute is dropped, or None to keep it (*becomes*: the element's name in the book,
    when the policy renames it)."""
    return _rule(element, name, value) or _unlisted(element, name, becomes)


def _rule(element: str, name: str, value: str) -> str | None:
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


def _unlisted(element: str, name: str, becomes: str | None) -> str | None:
    kept_on = element if becomes is None else becomes
    if not allowed(kept_on, name.lower()):
        what = f"an attribute of <{kept_on}>" if kept_on else "a global attribute"
        return f"attribute '{name}' on <{element}> is not {what} in XHTML and was dropped"
    return None


def allowed(element: str, attribute: str) -> bool:
    """Whether XHTML lets *element* carry *attribute* (lower case; prefixed names were checked before)."""
    return (attribute in GLOBAL_ATTRS or attribute.startswith(("aria-", "data-", "xmlns")) or ":" in attribute
            or attribute in ELEMENT_ATTRS.get(element, ()))


def _class(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "unknown"


# --- the scan: warnings with lines ----------------------------------------------------------------

_OPTIONAL_END = frozenset("p li dt dd rt rp optgroup option colgroup caption thead tbody tfoot tr td th html head "
                          "body".split())
_FORMATTING = frozenset("a b big code em font i nobr s small strike strong tt u".split())


@dataclass
class Open:
    """A raw HTML element whose end tag is required and not met yet (its line in the chapter)."""

    name: str
    line: int | None


def scan(snippet: str, foreign: list[str] | None = None, opened: list[Open] | None = None,
         first: int | None = None) -> list[tuple[int, str]]:
    """What the policy will change in one raw HTML snippet: (line within it, 0-based; message).

    *foreign* is the stack of open ``<svg>``/``<math>`` elements, kept by the
    caller across the snippets of one chapter (inline HTML comes tag by tag);
    *opened* the elements whose end tag is required and not met yet, with their
    lines (*first*: the snippet's first line in the chapter), so an element
    never closed can be named where it was opened (:func:`unclosed`)."""
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
            if opened is not None:
                _close(opened, name)
            continue
        _switch_state(tokenizer, name)
        line = tokenizer.stream.position()[0] - 1
        if opened is not None and name not in VOID and name not in _OPTIONAL_END and name not in ("svg", "math") \
                and not token.get("selfClosing") and (element_change(name) or Change("", "")).action != "drop":
            opened.append(Open(name, None if first is None else first + line))
        if name in ("svg", "math"):
            if not token.get("selfClosing"):
                foreign.append(name)
            continue
        change = element_change(name)
        if change and change.action == "drop":
            found.append((line, change.message))
            if name not in VOID:
                skipping = name
            continue
        attrs = dict(token["data"][::-1]) if isinstance(token["data"], list) else dict(token["data"])
        becomes = change.new_name if change else None  # "" for an unknown element: global attributes only
        dropped = [(attr, why) for attr, value in attrs.items()
                   if (why := attribute_change(name, attr, value, becomes))]
        if change:  # one warning for a renamed element, naming the attributes its new name cannot carry
            lost = [attr for attr, _ in dropped if _rule(name, attr, attrs[attr]) is None]
            found.append((line, change.message + (f" (its {', '.join(lost)} attribute{'s' if len(lost) > 1 else ''}"
                                                  " dropped)" if lost else "")))
            dropped = [(attr, why) for attr, why in dropped if attr not in lost]
        found.extend((line, why) for _, why in dropped)
        if name == "img" and not attrs.get("alt", "").strip():
            found.append((line, f"image '{attrs.get('src', '')}' has no alt text; add alt=\"...\" describing it"))
    return found


def _close(opened: list[Open], name: str) -> None:
    """An end tag: it closes its element and the elements opened inside it, except the formatting
    ones (<code>, <em>...), which an HTML parser opens again after it."""
    for i in range(len(opened) - 1, -1, -1):
        if opened[i].name == name:
            opened[i + 1:] = [o for o in opened[i + 1:] if o.name in _FORMATTING]
            del opened[i]
            return


def unclosed(opened: list[Open]) -> list[tuple[int | None, str]]:
    """One warning (line, message) per raw HTML element never closed in a chapter."""
    return [(o.line, f"raw HTML <{o.name}> is never closed; an HTML parser keeps it open to the end of the "
                     f"chapter, around everything after it (add </{o.name}>)") for o in opened]


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

LEFT_OPEN = ("raw HTML leaves an element open at the end of the chapter; it was closed there "
             "(check that every <div> or <span> has its closing tag)")


def parse(fragment: str, problems: list[str] | None = None):
    """The fragment as an ElementTree (tinyhtml5), inside a DOCUMENT_FRAGMENT root."""
    from tinyhtml5.parser import HTMLParser

    parser = HTMLParser()
    root = parser.parse_fragment(_stream(fragment), container="div")
    if problems is not None and any(code == "expected-closing-tag-but-got-eof" for _, code, _ in parser.errors):
        problems.append(LEFT_OPEN)
    return root


def normalise(fragment: str, problems: list[str] | None = None) -> str:
    """A chapter's HTML fragment, parsed as HTML5 and written back as XHTML.

    Ids are expected to be namespaced already (:func:`namespace_ids`); a
    repeated id is renamed here so the document stays valid.
    """
    root = parse(fragment, problems)
    _check_depth(root)
    repairs = _Repairs()
    _repair_children(root, True, repairs)
    _adopt_orphans(root, repairs)
    if problems is not None:
        problems.extend(repairs.messages())
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
    _children(root, HTML, out)
    return "".join(out)


# --- content models: what the HTML parser keeps but XHTML's content models refuse ------------------------
#
# An HTML parser keeps a block inside an inline element when the markup says so (``<span><div>``), and
# an inline element left open is reopened around everything after it (``<code>`` never closed: every
# later paragraph ends up inside a ``<code>``). Browsers render that; epubcheck refuses it. The rule,
# applied bottom-up: an element that may hold phrasing content only (p, pre, headings, span, code, em...)
# and holds a block is split around it, as the parser closes a ``<p>`` at a ``<div>``: the block moves up
# to the element's parent, the phrasing before and after it stay in copies of the element (the id on the
# first only). A ``span`` where blocks may stand becomes a ``div`` instead (it only groups them). List
# items, definition terms and captions found outside their parent element are wrapped in or renamed to
# something that may hold them.


class _Repairs:
    def __init__(self):
        self.moved: dict[tuple[str, str], int] = {}
        self.wrapped: dict[tuple[str, str], int] = {}

    def messages(self) -> list[str]:
        found = []
        if self.moved:
            pairs = ", ".join(f"<{block}> in <{inline}>" + (f" ({n} times)" if n > 1 else "")
                              for (inline, block), n in self.moved.items())
            found.append(f"raw HTML puts blocks inside elements that hold only text ({pairs}); each was closed "
                         "before the block and opened again after it (check the raw HTML's tags)")
        for (what, into), n in self.wrapped.items():  # into: where it belongs; what was done
            where, _, done = into.partition("; ")
            found.append(f"raw HTML has {what} outside {where}" + (f" ({n} times)" if n > 1 else "") + f"; {done}")
        return found


def _local(item) -> str | None:
    """The HTML name of an element; None for text, comments and foreign (SVG, MathML) elements."""
    if isinstance(item, str) or not isinstance(item.tag, str):
        return None
    ns, local = _split(item.tag)
    return local if ns == HTML else None


def _phrasing(item) -> bool:
    if isinstance(item, str) or not isinstance(item.tag, str):
        return True
    local = _local(item)
    if local is None:  # <svg>, <math>
        return True
    if local not in PHRASING:
        return False
    return local not in TRANSPARENT or all(_phrasing(child) for child in item)


def _contents(element) -> list:
    """An element's children and text as one list (strings and elements, tails detached)."""
    items: list = [element.text] if element.text else []
    for child in list(element):
        tail, child.tail = child.tail, None
        if isinstance(child.tag, str):
            items.append(child)
        if tail:
            items.append(tail)
    return items


def _set_contents(element, items: list) -> None:
    for child in list(element):
        element.remove(child)
    element.text = None
    last = None
    for item in items:
        if isinstance(item, str):
            if last is None:
                element.text = (element.text or "") + item
            else:
                last.tail = (last.tail or "") + item
        else:
            element.append(item)
            last = item


def _repair_children(element, flow: bool, repairs: _Repairs) -> None:
    items: list = []
    for item in _contents(element):
        items.extend([item] if isinstance(item, str) else _repair(item, flow, repairs))
    _set_contents(element, items)


_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6 hgroup".split())
_ALSO_HOLDS = {"summary": _HEADINGS, "legend": _HEADINGS}


def _repair(element, flow: bool, repairs: _Repairs) -> list:
    """What stands in *element*'s place (in a parent that takes flow content when *flow*): dropped
    elements removed, renamed ones renamed, and blocks moved out of phrasing-only elements."""
    local = _local(element)
    if local is None:
        return [element]
    change = element_change(local)
    if change and change.action == "drop":
        return []
    if change:
        new = change.new_name or ("div" if flow else "span")
        element.set("class", " ".join(filter(None, [_class(local), element.get("class", "")])))
        element.tag, local = f"{{{HTML}}}{new}", new
    own_flow = flow if local in TRANSPARENT else local not in PHRASING_ONLY
    _repair_children(element, own_flow, repairs)
    if local in LISTS:
        _items_in_list(element, repairs)
    if own_flow:
        return [element]
    allowed = _ALSO_HOLDS.get(local, frozenset())
    if all(_phrasing(child) or _local(child) in allowed for child in element):
        return [element]
    if local == "span" and flow:  # a span grouping blocks where blocks may stand: a div
        element.tag = f"{{{HTML}}}div"
        return [element]
    return _split_around_blocks(element, local, allowed, repairs)


def _split_around_blocks(element, local: str, allowed: frozenset, repairs: _Repairs) -> list:
    out: list = []
    run: list = []
    ident = element.get("id")
    given = False

    def flush() -> None:
        nonlocal given
        if any(not isinstance(item, str) or item.strip() for item in run):
            copy = element.makeelement(element.tag, dict(element.attrib))
            if given:
                copy.attrib.pop("id", None)
                copy.attrib.pop("name", None)
            given = given or ident is not None
            _set_contents(copy, run)
            out.append(copy)
        else:
            out.extend(run)
        run.clear()

    for item in _contents(element):
        if _phrasing(item) or _local(item) in allowed:
            run.append(item)
        else:
            flush()
            key = (local, _local(item) or "?")
            repairs.moved[key] = repairs.moved.get(key, 0) + 1
            out.append(item)
    flush()
    if ident is not None and not given:  # nothing but blocks: the first without an id takes it
        for item in out:
            if not isinstance(item, str) and item.get("id") is None:
                item.set("id", ident)
                break
    return out


def _items_in_list(element, repairs: _Repairs) -> None:
    """Anything in a ul/ol but outside an li goes into the li before it (or a new one)."""
    items: list = []
    stray = 0
    for item in _contents(element):
        if _local(item) == "li" or (isinstance(item, str) and not item.strip()):
            items.append(item)
            continue
        stray += 1
        last = next((x for x in reversed(items) if not isinstance(x, str)), None)
        if last is None:
            last = element.makeelement(f"{{{HTML}}}li", {})
            items.append(last)
        _set_contents(last, _contents(last) + [item])
    if stray:
        _set_contents(element, items)
        key = ("text or elements", f"an <li> of a <{_local(element)}>; put in an <li>")
        repairs.wrapped[key] = repairs.wrapped.get(key, 0) + 1


_ORPHANS = {  # an element that must stand in a particular parent: (parents, wrap it in / rename it to)
    "li": (LISTS, "ul", True), "dt": (frozenset({"dl", "div"}), "div", False),
    "dd": (frozenset({"dl", "div"}), "div", False),
    "figcaption": (frozenset({"figure"}), "div", False), "legend": (frozenset({"fieldset"}), "div", False),
    "summary": (frozenset({"details"}), "div", False),
}


def _adopt_orphans(root, repairs: _Repairs) -> None:
    up = {child: parent for parent in root.iter() for child in parent}
    for parent in [root, *(e for e in root.iter() if _local(e) is not None)]:
        parent_local = _local(parent)
        if parent_local == "div" and _local(up.get(parent, root)) != "dl":
            parent_local = "div outside a dl"  # a div groups a dl's terms only inside the dl
        if not any(_local(c) in _ORPHANS and parent_local not in _ORPHANS[_local(c)][0] for c in parent):
            continue
        items: list = []
        wrapper = None
        for item in _contents(parent):
            local = _local(item)
            rule = _ORPHANS.get(local) if local else None
            if rule is None or parent_local in rule[0]:
                if wrapper is not None and isinstance(item, str) and not item.strip():
                    _set_contents(wrapper, _contents(wrapper) + [item])  # space between wrapped items
                else:
                    wrapper = None
                    items.append(item)
                continue
            where = {"li": "a list", "dt": "a <dl>", "dd": "a <dl>"}.get(local, f"a <{sorted(rule[0])[0]}>")
            key = (f"<{local}>", where + (f"; wrapped in a <{rule[1]}>" if rule[2]
                                          else f"; it became <{rule[1]} class=\"{local}\">"))
            repairs.wrapped[key] = repairs.wrapped.get(key, 0) + 1
            if not rule[2]:
                item.set("class", " ".join(filter(None, [local, item.get("class", "")])))
                item.tag = f"{{{HTML}}}{rule[1]}"
                wrapper = None
                items.append(item)
                continue
            if wrapper is None or _local(wrapper) != rule[1]:
                wrapper = parent.makeelement(f"{{{HTML}}}{rule[1]}", {})
                items.append(wrapper)
            _set_contents(wrapper, _contents(wrapper) + [item])
        _set_contents(parent, items)


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


def _children(element, ns: str, out: list[str]) -> None:
    if element.text:
        out.append(_escape(element.text))
    for child in element:
        if isinstance(child.tag, str):
            _element(child, ns, out)
        if child.tail:
            out.append(_escape(child.tail))


def _element(element, parent_ns: str, out: list[str]) -> None:
    ns, local = _split(element.tag)
    attrs = dict(element.attrib)
    if ns == HTML:  # renamed or dropped already (_repair)
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
    _children(element, ns, out)
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


def _escape(text: str, attribute: bool = False) -> str:
    text = _INVALID_XML.sub("\ufffd", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if attribute else text


_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def invalid_xml(text: str) -> bool:
    """Whether *text* holds characters XML refuses (which the rewrite leaves out)."""
    return _INVALID_XML.search(text) is not None
