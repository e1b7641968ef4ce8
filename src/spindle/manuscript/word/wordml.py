"""Direct WordprocessingML reads, for what mammoth does not do: tracked
changes (accepted and counted), comments (listed with their author and
paragraph, then removed), fields (TOC, page numbers: dropped; REF cross
references: made links), and the language of each paragraph (``w:lang``).

Each pass edits the parsed XML of a part in place; the package handed to
mammoth afterwards holds the edited parts."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{%s}" % W_NS
NS = {"w": W_NS}
LANG_MARK = "\ue000lang:{}\ue001"  # put at the start of a paragraph whose language differs; read back by markdown.py
LANG_MARK_RE = re.compile("\ue000lang:([A-Za-z0-9-]{1,35})\ue001")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)

# Fields whose result is page furniture or generated lists: dropped with their result.
DROPPED_FIELDS = {"TOC", "PAGE", "NUMPAGES", "SECTIONPAGES", "SECTION", "PAGEREF", "INDEX", "XE", "TC", "TA",
                  "TOA", "RD", "FILENAME", "FILESIZE", "NUMWORDS", "NUMCHARS", "EDITTIME", "PRINTDATE",
                  "SAVEDATE", "CREATEDATE", "LASTSAVEDBY", "TEMPLATE", "USERNAME", "USERINITIALS", "BIBLIOGRAPHY"}


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, _PARSER)


def text_of(element: etree._Element) -> str:
    return "".join(t.text or "" for t in element.iter(W + "t", W + "delText") if t.tag == W + "t")


# --- tracked changes -------------------------------------------------------------------------------------------

@dataclass
class Revisions:
    insertions: int = 0
    deletions: int = 0
    moves: int = 0
    formatting: int = 0

    @property
    def total(self) -> int:
        return self.insertions + self.deletions + self.moves + self.formatting

    def add(self, other: "Revisions") -> None:
        self.insertions += other.insertions
        self.deletions += other.deletions
        self.moves += other.moves
        self.formatting += other.formatting


_PR_CHANGES = ("rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "trPrChange", "tcPrChange",
               "tblGridChange", "tblPrExChange", "numberingChange")


def accept_revisions(root: etree._Element) -> Revisions:
    """Accept every tracked change: insertions and moved-to text kept, deletions and moved-from text dropped,
    old formatting forgotten. Deleted paragraph marks are left for mammoth, which joins the paragraphs."""
    found = Revisions()
    for el in list(root.iter(W + "del", W + "moveFrom")):
        parent = el.getparent()
        if parent is None:
            continue
        if parent.tag == W + "rPr" and parent.getparent() is not None and parent.getparent().tag == W + "pPr":
            found.deletions += 1  # a deleted paragraph mark: mammoth merges the paragraph into the next
            continue
        if parent.tag == W + "trPr":  # a deleted table row
            row = parent.getparent()
            found.deletions += 1
            if row is not None and row.getparent() is not None:
                row.getparent().remove(row)
            continue
        if parent.tag == W + "rPr":  # a deleted run mark: nothing to keep or drop
            parent.remove(el)
            continue
        if el.tag == W + "del":
            found.deletions += 1
        else:
            found.moves += 1
        parent.remove(el)
    for el in list(root.iter(W + "ins", W + "moveTo")):
        parent = el.getparent()
        if parent is None:
            continue
        if el.tag == W + "ins":
            found.insertions += 1
        if parent.tag in (W + "rPr", W + "trPr"):
            parent.remove(el)  # an inserted paragraph mark or row: keep what it holds
            continue
        _unwrap(el)
    for tag in ("moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart", "moveToRangeEnd"):
        for el in list(root.iter(W + tag)):
            el.getparent().remove(el)
    for el in list(root.iter(*(W + t for t in _PR_CHANGES))):
        found.formatting += 1
        el.getparent().remove(el)
    return found


def _unwrap(el: etree._Element) -> None:
    parent = el.getparent()
    index = parent.index(el)
    for offset, child in enumerate(list(el)):
        parent.insert(index + offset, child)
    parent.remove(el)


# --- paragraphs ----------------------------------------------------------------------------------------------

def body_paragraphs(root: etree._Element) -> list[etree._Element]:
    """The body's paragraphs in order (in tables too): their 1-based position is the 'paragraph' of reports."""
    body = root.find(W + "body")
    return list(body.iter(W + "p")) if body is not None else []


def excerpt(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# --- comments ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Comment:
    author: str
    text: str
    paragraph: int | None  # 1-based body paragraph the comment is anchored on
    anchor: str  # the start of that paragraph's text


def take_comments(root: etree._Element, comments_xml: etree._Element | None) -> list[Comment]:
    """The comments, each with the paragraph it is anchored on; their marks are removed from *root*."""
    where: dict[str, int] = {}
    paragraphs = body_paragraphs(root)
    for number, p in enumerate(paragraphs, 1):
        for el in p.iter(W + "commentRangeStart", W + "commentReference"):
            where.setdefault(el.get(W + "id", ""), number)
    out: list[Comment] = []
    if comments_xml is not None:
        for c in comments_xml.iter(W + "comment"):
            cid = c.get(W + "id", "")
            number = where.get(cid)
            text = "\n".join(text_of(p) for p in c.iter(W + "p")).strip()
            out.append(Comment(author=c.get(W + "author", "") or "unknown", text=text, paragraph=number,
                               anchor=excerpt(text_of(paragraphs[number - 1])) if number else ""))
    for el in list(root.iter(W + "commentRangeStart", W + "commentRangeEnd")):
        el.getparent().remove(el)
    for ref in list(root.iter(W + "commentReference")):
        run = ref.getparent()
        if run.tag == W + "r" and run.getparent() is not None:
            run.getparent().remove(run)
        else:
            run.remove(ref)
    return out


# --- fields --------------------------------------------------------------------------------------------------

def field_name(instr: str) -> str:
    parts = instr.strip().split(None, 1)
    return parts[0].upper() if parts else ""


def drop_fields(root: etree._Element) -> Counter:
    """Remove TOC, page-number and similar fields with their results; make REF cross-references links
    (HYPERLINK \\l, which mammoth reads). Returns the dropped fields by name."""
    dropped: Counter = Counter()
    for sdt in list(root.iter(W + "sdt")):  # Word's table of contents in a content control
        gallery = sdt.find(f"{W}sdtPr/{W}docPartObj/{W}docPartGallery")
        if gallery is not None and "table of contents" in (gallery.get(W + "val") or "").lower():
            dropped["TOC"] += 1
            sdt.getparent().remove(sdt)
    for simple in list(root.iter(W + "fldSimple")):  # mammoth skips simple fields: make them complex ones
        parent, index = simple.getparent(), simple.getparent().index(simple)
        runs = [_field_char("begin"), _instr(simple.get(W + "instr", "")), _field_char("separate"),
                *list(simple), _field_char("end")]
        for offset, run in enumerate(runs):
            parent.insert(index + offset, run)
        parent.remove(simple)
    stack: list[dict] = []
    remove: list[etree._Element] = []
    touched: set = set()
    for run in list(root.iter(W + "r")):
        chars = run.findall(W + "fldChar")
        kind = chars[0].get(W + "fldCharType") if chars else None
        if kind == "begin":
            stack.append({"instr": [], "runs": [], "texts": []})
        for entry in stack:
            entry["runs"].append(run)
        if stack:
            for instr in run.findall(W + "instrText"):
                stack[-1]["instr"].append(instr.text or "")
                stack[-1]["texts"].append(instr)
        if kind == "end" and stack:
            entry = stack.pop()
            instr = "".join(entry["instr"])
            name = field_name(instr)
            if name in DROPPED_FIELDS:
                dropped[name] += 1
                remove.extend(entry["runs"])
            elif name == "REF" and entry["texts"]:
                target = instr.split()[1] if len(instr.split()) > 1 else ""
                entry["texts"][0].text = f' HYPERLINK \\l "{target}" '
                for extra in entry["texts"][1:]:
                    extra.text = ""
    for run in remove:
        parent = run.getparent()
        if parent is not None:
            touched.add(_paragraph_of(run))
            parent.remove(run)
    for p in touched:  # a paragraph the field filled (a TOC line) goes when nothing is left in it
        if p is not None and p.getparent() is not None and not _has_content(p):
            p.getparent().remove(p)
    return dropped


def _field_char(kind: str) -> etree._Element:
    run = etree.Element(W + "r")
    etree.SubElement(run, W + "fldChar").set(W + "fldCharType", kind)
    return run


def _instr(text: str) -> etree._Element:
    run = etree.Element(W + "r")
    etree.SubElement(run, W + "instrText").text = text
    return run


def _paragraph_of(el: etree._Element):
    while el is not None and el.tag != W + "p":
        el = el.getparent()
    return el


def _has_content(p: etree._Element) -> bool:
    return any((t.text or "").strip() for t in p.iter(W + "t")) or any(
        True for _ in p.iter(W + "drawing", W + "pict", W + "footnoteReference", W + "endnoteReference"))


# --- languages -----------------------------------------------------------------------------------------------

@dataclass
class Styles:
    """What the styles part says about languages and names."""

    default_lang: str = ""
    langs: dict[str, str] = field(default_factory=dict)  # style id -> its language (through basedOn)
    names: dict[str, str] = field(default_factory=dict)  # style id -> name
    kinds: dict[str, str] = field(default_factory=dict)  # style id -> paragraph / character / table
    default_paragraph: str = ""  # the id of the style a paragraph without w:pStyle has (Normal)


def read_styles(styles_xml: etree._Element | None, settings_xml: etree._Element | None) -> Styles:
    out = Styles()
    if settings_xml is not None:
        theme = settings_xml.find(W + "themeFontLang")
        if theme is not None:
            out.default_lang = theme.get(W + "val", "") or ""
    if styles_xml is None:
        return out
    default = styles_xml.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    if default is not None and default.get(W + "val"):
        out.default_lang = default.get(W + "val")
    own: dict[str, str] = {}
    based: dict[str, str] = {}
    for style in styles_xml.iter(W + "style"):
        sid = style.get(W + "styleId", "")
        name = style.find(W + "name")
        out.names[sid] = name.get(W + "val", sid) if name is not None else sid
        out.kinds[sid] = style.get(W + "type", "paragraph")
        if out.kinds[sid] == "paragraph" and style.get(W + "default") in ("1", "true", "on"):
            out.default_paragraph = sid
        lang = style.find(f"{W}rPr/{W}lang")
        if lang is not None and lang.get(W + "val"):
            own[sid] = lang.get(W + "val")
        parent = style.find(W + "basedOn")
        if parent is not None:
            based[sid] = parent.get(W + "val", "")
    for sid in out.names:
        seen, cur = set(), sid
        while cur and cur not in own and cur not in seen:
            seen.add(cur)
            cur = based.get(cur, "")
        if cur in own:
            out.langs[sid] = own[cur]
    return out


def _lang_of(rpr, fallback: str, styles: Styles) -> str:
    if rpr is None:
        return fallback
    lang = rpr.find(W + "lang")
    if lang is not None and lang.get(W + "val"):
        return lang.get(W + "val")
    rstyle = rpr.find(W + "rStyle")
    if rstyle is not None and rstyle.get(W + "val") in styles.langs:
        return styles.langs[rstyle.get(W + "val")]
    return fallback


def paragraph_langs(root: etree._Element, styles: Styles) -> list[tuple[etree._Element, str, int]]:
    """(paragraph, its language, its characters) for each body paragraph: the language most of its text is in."""
    out = []
    for p in body_paragraphs(root):
        pstyle = p.find(f"{W}pPr/{W}pStyle")
        sid = pstyle.get(W + "val", "") if pstyle is not None else styles.default_paragraph
        base = styles.langs.get(sid, "") or styles.default_lang
        mark = _lang_of(p.find(f"{W}pPr/{W}rPr"), base, styles)
        counts: Counter = Counter()
        for run in p.iter(W + "r"):
            chars = sum(len(t.text or "") for t in run.findall(W + "t"))
            if chars:
                counts[_lang_of(run.find(W + "rPr"), base, styles)] += chars
        lang = counts.most_common(1)[0][0] if counts else mark
        out.append((p, lang, sum(counts.values())))
    return out


def primary(tag: str) -> str:
    return tag.split("-")[0].lower()


def main_language(langs: list[tuple[etree._Element, str, int]], styles: Styles) -> str:
    """The language most characters are in (its primary subtag), or the document default's."""
    totals: Counter = Counter()
    for _, lang, chars in langs:
        if lang:
            totals[primary(lang)] += chars
    best = totals.most_common(1)
    return best[0][0] if best and best[0][1] else primary(styles.default_lang) if styles.default_lang else ""


def mark_languages(langs: list[tuple[etree._Element, str, int]], chapter_lang: str) -> int:
    """Put :data:`LANG_MARK` at the start of each paragraph whose language is not the chapter's; how many."""
    marked = 0
    for p, lang, chars in langs:
        if lang and chars and primary(lang) != primary(chapter_lang) and re.fullmatch(
                r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", lang):
            _prepend_text(p, LANG_MARK.format(lang))
            marked += 1
    return marked


def _prepend_text(p: etree._Element, text: str) -> None:
    run = etree.Element(W + "r")
    t = etree.SubElement(run, W + "t")
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    ppr = p.find(W + "pPr")
    p.insert(p.index(ppr) + 1 if ppr is not None else 0, run)
