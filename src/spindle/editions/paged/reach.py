"""Which parts of an edition a stylesheet edit can reach (issue 16: a CSS edit lays out again only
the parts it can change).

A part's layout is a function of its HTML, the computed style of each of its elements (and
pseudo-elements) and the page rules, fonts and the rest of what the stylesheets say outside style
rules. So the stylesheets are read as a sequence of *items* (tinycss2): a style rule (its selector
and declarations, inside whatever ``@media`` blocks hold it), or an at-rule as a whole
(``@page``, ``@font-face``, ``@counter-style``, ``@import`` with the sheet it brings in read in its
place, ...). The items of the last build and of this one are compared in order (a rule that moved
counts as removed and added); when every item that differs is a style rule that sets no custom
property (``--x`` reaches whatever uses ``var(--x)``: taken as every part) and holds no nested rule,
a part none of whose elements matches any of those rules' selectors (cssselect2 over the part's
HTML as WeasyPrint parses it; a pseudo-element is matched on its element; ``:nth-*``, ``:has()``,
sibling combinators and ``:lang()`` are tested on the real tree) has every computed style unchanged,
so its layout from the last build is still right: it keeps the stylesheets' key it was laid out
under. Page numbers, running heads (``string-set``), counters and cross-part lookups are applied
after the layout, at finish time, as for any cached part; the cache's keys of the numbered parts
carry those values.

Anything else (an at-rule changed, a custom property, a selector cssselect2 cannot read, a file
the stylesheets refer to, the page settings' at-rules, the edition's code or options) reaches
every part: the scheme never serves a layout it cannot prove unchanged. A record in the cache
(``reach/``, one per project and edition) holds the last build's items and the key each of its
parts' layouts is filed under.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from urllib.parse import unquote

from spindle.core import cache as caching

KIND = "reach"
MAX_IMPORTS = 16  # @import depth (a deeper or circular chain: its items are not known, every part is reached)


# --- the stylesheets as items -------------------------------------------------------------------------------------

def _norm(tokens) -> str:
    """Tokens as text, comments gone and whitespace runs as one space (outside strings)."""
    from tinycss2.serializer import serialize_identifier

    out: list[str] = []
    for token in tokens:
        kind = getattr(token, "type", None)
        if kind == "comment":
            continue
        if kind == "whitespace":
            if out and out[-1] != " ":
                out.append(" ")
            continue
        if kind in ("() block", "[] block", "{} block"):
            out.append(token.serialize()[0] + _norm(token.content) + token.serialize()[-1])
        elif kind == "function":
            out.append(serialize_identifier(token.name) + "(" + _norm(token.arguments) + ")")
        else:
            out.append(token.serialize())
    return "".join(out).strip()


def _rule(rule, context: str) -> list:
    """A style rule's item: ["rule", context, selector, declarations, custom-properties flag]; a rule
    holding nested rules is an item of kind "nested" (its selectors are not its prelude alone)."""
    import tinycss2

    declarations = []
    nested = custom = False
    for item in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
        if item.type == "declaration":
            custom = custom or item.name.startswith("--")
            declarations.append(f"{item.name if item.name.startswith('--') else item.lower_name}:"
                                f"{_norm(item.value)}{'!important' if item.important else ''}")
        elif item.type in ("qualified-rule", "at-rule"):
            nested = True
            declarations.append(_norm([item]) if item.type == "at-rule" else
                                _norm(item.prelude) + "{" + _norm(item.content) + "}")
        else:
            declarations.append(f"?{getattr(item, 'message', item.type)}")
    return ["nested" if nested else "rule", context, _norm(rule.prelude), ";".join(declarations), bool(custom)]


def _imported(rule, sheet: Path | None, folders: tuple[Path, ...]) -> Path | None:
    """The file an @import names, when it is one in the project, its shared theme or the built-in theme."""
    for token in rule.prelude:
        if token.type == "whitespace" or token.type == "comment":
            continue
        if token.type in ("string", "url"):
            target = token.value
        elif token.type == "function" and token.lower_name == "url":
            strings = [t for t in token.arguments if t.type == "string"]
            if not strings:
                return None
            target = strings[0].value
        else:
            return None
        break
    else:
        return None
    if sheet is None or ":" in target.split("/")[0]:
        return None
    path = (sheet.parent / unquote(target.split("#")[0].split("?")[0])).resolve()
    if path.is_file() and any(folder == path or folder in path.parents for folder in folders):
        return path
    return None


def _items(rules, sheet: Path | None, folders: tuple[Path, ...], context: str, seen: tuple[Path, ...],
           out: list) -> None:
    import tinycss2

    before = 0  # top-level items before this one that stop later @imports from counting
    for rule in rules:
        kind = rule.type
        if kind == "qualified-rule":
            out.append(_rule(rule, context))
        elif kind == "at-rule" and rule.lower_at_keyword == "media" and rule.content is not None:
            inner = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
            _items(inner, sheet, folders, f"{context}@media {_norm(rule.prelude)}|", seen, out)
        elif kind == "at-rule" and rule.lower_at_keyword == "import":
            # (an @import after other rules is ignored by WeasyPrint: where it stands is part of the item)
            target = _imported(rule, sheet, folders)
            readable = target is not None and target not in seen and len(seen) < MAX_IMPORTS
            out.append(["at", context, "@import " + _norm(rule.prelude), str(before), str(target) if readable else "-"])
            if readable:
                text = target.read_text(encoding="utf-8", errors="replace")
                _items(tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True), target,
                       folders, f"{context}@import {_norm(rule.prelude)}|", (*seen, target), out)
            continue
        elif kind == "at-rule":
            out.append(["at", context, "@" + rule.lower_at_keyword + " " + _norm(rule.prelude),
                        _norm(rule.content) if rule.content is not None else ""])
        else:  # a parse error: what WeasyPrint skips, kept as an item that reaches every part if it changes
            out.append(["at", context, "?", getattr(rule, "message", kind)])
        if not (kind == "at-rule" and rule.lower_at_keyword in ("import", "charset")):
            before += 1


def items(sheets: list[tuple[str | None, str]], folders: tuple[Path, ...] = ()) -> list[list]:
    """The stylesheets' items in cascade order: *sheets* are (path or None, text); every sheet
    starts with a ["sheet", n] item (a sheet added or dropped is seen as its rules)."""
    import tinycss2

    out: list[list] = []
    resolved = tuple(f.resolve() for f in folders)
    for n, (path, text) in enumerate(sheets):
        out.append(["sheet", str(n)])
        sheet = Path(path).resolve() if path else None
        parsed = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
        _items(parsed, sheet, resolved, "", (sheet,) if sheet else (), out)
    return out


def changed(old: list[list], new: list[list]):
    """The compiled selectors of the style rules that differ between *old* and *new* items, or
    None when the difference reaches every part (an at-rule, a custom property, a nested rule,
    a selector that cannot be read)."""
    import cssselect2
    import tinycss2

    a = [json.dumps(i, separators=(",", ":")) for i in old]
    b = [json.dumps(i, separators=(",", ":")) for i in new]
    differing: list[list] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            differing += old[i1:i2] + new[j1:j2]
    selectors = Selectors()
    for item in differing:
        if item[0] == "sheet":
            continue
        if item[0] != "rule" or item[4]:
            return None
        try:
            compiled = cssselect2.compile_selector_list(tinycss2.parse_component_value_list(item[2]))
        except cssselect2.SelectorError:
            return None
        selectors += compiled
        pieces = item[2].split(",")
        if len(pieces) == len(compiled):  # (no comma inside a selector: each piece is one selector)
            selectors.bare.update(m.group(1).lower() for m in map(_BARE.fullmatch, map(str.strip, pieces)) if m)
    return selectors


class Selectors(list):
    """The compiled selectors of the changed rules, and the element names among them that are a
    whole selector on their own (``h2``, ``p::before``): a part holding such an element is reached
    whatever else the selectors say, which its HTML's text tells without parsing it."""

    def __init__(self, *args):
        super().__init__(*args)
        self.bare: set[str] = set()


# a selector that is an element's name alone, or with a pseudo-element matched on its element
_BARE = re.compile(r"([A-Za-z][A-Za-z0-9]*)(?:::(?:before|after|marker|footnote-call|footnote-marker))?")


def _has_element(html: str, name: str) -> bool:
    """Whether *html* holds a start tag of the element *name*. A start tag in the text may stand
    in a comment or a script (then the answer is yes where parsing would say no: the part is laid
    out again, which is safe); an element the parser makes without a tag in the text (``tbody``)
    is not found here, and :func:`reaches` parses the part for it."""
    return re.search(rf"<{re.escape(name)}[\s/>]", html, re.IGNORECASE) is not None


def reaches(html: str, selectors) -> bool:
    """Whether any of *selectors* matches an element of the part *html* (parsed as WeasyPrint does)."""
    import cssselect2
    import tinyhtml5

    if not selectors:
        return False
    if any(_has_element(html, name) for name in getattr(selectors, "bare", ())):
        return True  # (a bare element selector and its element: no need to parse the part)
    root = cssselect2.ElementWrapper.from_html_root(tinyhtml5.parse(html, namespace_html_elements=False),
                                                    content_language=None)
    return any(selector.test(element) for element in root.iter_subtree() for selector in selectors)


# --- the record: which key each part's layout is filed under ---------------------------------------------------------

class Reach:
    """The key each part of an edition is laid out under this build: the stylesheets' key, or for a
    part the last build laid out that this build's stylesheet changes cannot reach, the key its
    layout is filed under. *base* is what of the stylesheets' key is not their rules (the code,
    the edition, its options, the files the sheets refer to); *sheets* the texts of the rules."""

    def __init__(self, store: caching.Cache, slot: str, key: str, base: str,
                 sheets: list[tuple[str | None, str]], folders: tuple[Path, ...]):
        self.store, self.slot, self.key, self.base = store, slot, key, base
        self.sheets, self.folders = sheets, folders
        self.kept = 0  # parts this build files under an earlier key (for the build's notes)
        self.matched = 0  # parts whose HTML was matched against the changed rules

    def unreached(self, part) -> bool:
        """Whether the stylesheets' changes since the last build cannot reach *part*, which that build
        laid out (read only: nothing is recorded)."""
        record = self.store.read_json(KIND, self.slot) if self.store.enabled else None
        if (not isinstance(record, dict) or record.get("key") == self.key or record.get("base") != self.base
                or not isinstance(record.get("parts"), dict) or part.digest not in record["parts"]
                or not isinstance(record.get("items"), list)):
            return False
        selectors = changed(record["items"], items(self.sheets, self.folders))
        return selectors is not None and not reaches(part.html, selectors)

    def keys(self, parts) -> dict[str, str]:
        """Part digest -> the stylesheets' key its layout is filed under; records them."""
        if not self.store.enabled:
            return {}
        record = self.store.read_json(KIND, self.slot)
        if not isinstance(record, dict) or not isinstance(record.get("parts"), dict):
            record = None
        keys = {p.digest: self.key for p in parts}
        new_items = None
        if record is not None and record.get("key") == self.key:
            for part in parts:  # the same stylesheets (a later round, an edit of the text): as recorded
                earlier = record["parts"].get(part.digest)
                if isinstance(earlier, str):
                    keys[part.digest] = earlier
            new_items = record.get("items")
        elif record is not None and record.get("base") == self.base and isinstance(record.get("items"), list):
            new_items = items(self.sheets, self.folders)
            selectors = changed(record["items"], new_items)
            if selectors is not None:
                for part in parts:
                    earlier = record["parts"].get(part.digest)
                    if isinstance(earlier, str):
                        self.matched += 1
                        if not reaches(part.html, selectors):
                            keys[part.digest] = earlier
        self.kept += sum(1 for k in keys.values() if k != self.key)
        if new_items is None:
            new_items = items(self.sheets, self.folders)
        # (a second round keeps the first's parts; the newest last, the oldest dropped beyond a bound)
        earlier = record["parts"] if record is not None and record.get("key") == self.key else {}
        parts_now = {k: v for k, v in earlier.items() if k not in keys and isinstance(v, str)}
        parts_now.update(keys)
        if len(parts_now) > 4 * len(keys) + 16:
            parts_now = dict(list(parts_now.items())[-(4 * len(keys) + 16):])
        self.store.write_json(KIND, self.slot, {"key": self.key, "base": self.base, "items": new_items,
                                                "parts": parts_now})
        return keys


def recorded(store: caching.Cache, slot: str) -> dict[str, str]:
    """Part digest -> the key its layout is filed under, as the last build recorded it."""
    record = store.read_json(KIND, slot) if store.enabled else None
    parts = record.get("parts") if isinstance(record, dict) else None
    return {k: v for k, v in parts.items() if isinstance(v, str)} if isinstance(parts, dict) else {}
