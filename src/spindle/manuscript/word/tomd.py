"""mammoth's HTML -> spindle Markdown (the same Markdown `spindle import docx` writes).

mammoth writes a small, regular HTML: headings, paragraphs (with classes from
the style map), nested lists, block quotes, tables with colspan/rowspan,
images, links, bookmarks as empty ``<a id>``, and the notes as a closing list
of ``<li id="footnote-N">``. Tables with merged cells or several paragraphs
per cell stay HTML (with Markdown inside each cell, after a blank line, as
CommonMark allows), so the EPUB and the PDFs get the same table."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

from spindle.manuscript.word.wordml import LANG_MARK_RE

BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "table", "li", "td", "th"}
_ESCAPE = re.compile(r"([\\`*_\[\]<>&{}~|])")
_LEADING = re.compile(r"^([#+=:-]|\d{1,9}[.)])")
_NOTE_HREF = re.compile(r"^#(footnote|endnote)-(-?\d+)$")
_BACKLINK = re.compile(r"^#(footnote|endnote)-ref-")
_WORD_CHAR = re.compile(r"\w")
_NOTE_CALL = re.compile(r"\[\^[A-Za-z0-9]+\]")


def escape(text: str) -> str:
    return _ESCAPE.sub(r"\\\1", text.replace("\t", " "))


def anchor_id(name: str) -> str:
    """A bookmark name as an id spindle keeps (chapter-namespaced later)."""
    out = re.sub(r"[^A-Za-z0-9_.-]", "-", name)
    return out if out[:1].isalpha() or out[:1] == "_" else "b-" + out


def note_label(kind: str, number: str) -> str:
    return number if kind == "footnote" else f"e{number}"


@dataclass
class Parsed:
    """mammoth's HTML split into body blocks and notes."""

    blocks: list[etree._Element]
    notes: dict[str, etree._Element]  # label -> the <li> holding the note
    targets: set[str]  # bookmark names something links to


def parse(markup: str) -> Parsed:
    root = lxml_html.fragment_fromstring(markup or "<p></p>", create_parent="div")
    _lang_marks(root)
    blocks: list[etree._Element] = []
    notes: dict[str, etree._Element] = {}
    for el in root:
        items = [li for li in el if isinstance(li.tag, str) and li.tag == "li"] if el.tag == "ol" else []
        if items and all(_NOTE_HREF.match("#" + (li.get("id") or "")) for li in items):
            for li in items:
                m = _NOTE_HREF.match("#" + li.get("id"))
                notes[note_label(m.group(1), m.group(2))] = li
            continue
        blocks.append(el)
    targets = {a.get("href")[1:] for a in root.iter("a") if (a.get("href") or "").startswith("#")
               and not _NOTE_HREF.match(a.get("href")) and not _BACKLINK.match(a.get("href"))}
    return Parsed(blocks, notes, targets)


def _lang_marks(root: etree._Element) -> None:
    """Move each language mark (put in by wordml.mark_languages) to a data-lang attribute of its block."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        for attr in ("text", "tail"):
            value = getattr(el, attr)
            if value and LANG_MARK_RE.search(value):
                block = el if attr == "text" else el.getparent()
                while block is not None and block.tag not in BLOCKS:
                    block = block.getparent()
                m = LANG_MARK_RE.search(value)
                if block is not None and not block.get("data-lang"):
                    block.set("data-lang", m.group(1))
                setattr(el, attr, LANG_MARK_RE.sub("", value))


@dataclass
class Writer:
    """Writes blocks as Markdown; collects the notes called and the images used."""

    targets: set[str]
    shift: int = 0  # added to heading levels (h2 stays ## with shift 0)
    images: dict[str, str] = field(default_factory=dict)  # src -> caption, filled by the caller
    called: list[str] = field(default_factory=list)  # note labels, in order of first call
    used_images: list[str] = field(default_factory=list)
    _consumed: str | None = None  # the bookmark already given as the block's {#id}

    # --- blocks ---

    def blocks(self, elements) -> str:
        out: list[str] = []
        elements = [e for e in elements if isinstance(e.tag, str)]
        i = 0
        while i < len(elements):
            el = elements[i]
            caption = None
            if self._lone_image(el) is not None and i + 1 < len(elements) and _is_caption(elements[i + 1]):
                caption = elements[i + 1]
                i += 1
            elif _is_caption(el) and i + 1 < len(elements) and self._lone_image(elements[i + 1]) is not None:
                caption, el = el, elements[i + 1]  # a caption above its picture
                i += 1
            text = self.block(el, caption)
            if text.strip():
                out.append(text.rstrip("\n"))
            i += 1
        return "\n\n".join(out) + ("\n" if out else "")

    def block(self, el, caption=None) -> str:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            level = min(max(int(tag[1]) + self.shift, 2), 6)
            attrs = self._attrs(el)
            text = self.inline_block(el).strip()
            return attrs + "#" * level + " " + text if text else ""
        if tag == "p":
            image = self._lone_image(el)
            if image is not None:
                title = " ".join(self.plain(caption).split()) if caption is not None else ""
                return self._attrs(el) + self.image(image, title)
            classes = (el.get("class") or "").split()
            attrs = self._attrs(el, ".caption" if "caption" in classes else "")
            text = self.inline_block(el).strip()
            return attrs + _lead(text) if text else ""
        if tag in ("ul", "ol"):
            return self.listing(el)
        if tag == "blockquote":
            inner = self.blocks(el)
            return "\n".join(("> " + line) if line else ">" for line in inner.rstrip("\n").split("\n"))
        if tag == "table":
            return self.table(el)
        if tag == "a" and el.get("id"):  # a bookmark between blocks
            return self._element(el)
        if tag == "div":
            return self.blocks(el)
        return _lead(self.inline_block(el).strip())

    def _attrs(self, el, extra: str = "") -> str:
        """``{#id lang=xx .class}`` before a block, from a referenced bookmark it opens with and its language."""
        parts = []
        first = _leading_bookmark(el)
        self._consumed = None
        if first is not None and first in self.targets:
            parts.append("#" + anchor_id(first))
            self._consumed = first
        if el.get("data-lang"):
            parts.append(f'lang="{el.get("data-lang")}"')
        if extra:
            parts.append(extra)
        return "{" + " ".join(parts) + "}\n" if parts else ""

    def listing(self, el) -> str:
        lines: list[str] = []
        number = int(el.get("start") or 1)
        for li in el:
            if not isinstance(li.tag, str) or li.tag != "li":
                continue
            marker = f"{number}. " if el.tag == "ol" else "- "
            number += 1
            nested = [c for c in li if isinstance(c.tag, str) and c.tag in ("ul", "ol", "p", "blockquote", "table")]
            head = self.inline_block(li, exclude=set(nested)).strip()
            if li.get("data-lang") and head:
                head = f'<span lang="{html.escape(li.get("data-lang"))}">{head}</span>'
            text = _lead(head) if head else ""
            for child in nested:  # a nested list stays tight; other blocks are paragraphs of the item
                block = self.block(child)
                if block.strip():
                    text = (text + ("\n" if child.tag in ("ul", "ol") else "\n\n") + block) if text else block
            text = text or "\u00a0"
            pad = " " * len(marker)
            first, *rest = text.split("\n")
            lines.append(marker + first)
            lines.extend((pad + line) if line else "" for line in rest)
        return "\n".join(lines)

    def table(self, el) -> str:
        rows = [(tr, section) for section in _sections(el) for tr in section[1]]
        cells = [c for tr, _ in rows for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
        head = [tr for tr, (name, _) in rows if name == "thead"]
        simple = (len(head) == 1 and rows[0][1][0] == "thead"
                  and not any(c.get("colspan") or c.get("rowspan") for c in cells)
                  and all(len([b for b in c if isinstance(b.tag, str) and b.tag in BLOCKS]) <= 1
                          and not any(isinstance(b.tag, str) and b.tag in ("ul", "ol", "table", "blockquote")
                                      for b in c.iter()) for c in cells))
        widths = {len([c for c in tr if isinstance(c.tag, str)]) for tr, _ in rows}
        if simple and len(widths) == 1:
            out = []
            for n, (tr, _) in enumerate(rows):
                texts = [self.inline_block(c).strip().replace("|", "\\|") or " " for c in tr if isinstance(c.tag, str)]
                out.append("| " + " | ".join(texts) + " |")
                if n == 0:
                    out.append("|" + "|".join("---" for _ in texts) + "|")
            return "\n".join(out)
        out = ["<table>"]
        for name, trs in _sections(el):
            if name:
                out.append(f"<{name}>")
            for tr in trs:
                out.append("<tr>")
                for c in tr:
                    if not isinstance(c.tag, str):
                        continue
                    attrs = "".join(f' {a}="{int(c.get(a))}"' for a in ("colspan", "rowspan")
                                    if (c.get(a) or "").isdigit() and int(c.get(a)) > 1)
                    if c.tag == "th" and name == "thead":
                        attrs += ' scope="col"'
                    inner = self.blocks(c) if any(isinstance(b.tag, str) and b.tag in BLOCKS for b in c) \
                        else _lead(self.inline_block(c).strip())
                    if inner.strip():
                        out.append(f"<{c.tag}{attrs}>\n\n{inner.strip()}\n\n</{c.tag}>")
                    else:
                        out.append(f"<{c.tag}{attrs}></{c.tag}>")
                out.append("</tr>")
            if name:
                out.append(f"</{name}>")
        out.append("</table>")
        return "\n".join(out)

    # --- inline ---

    def inline_block(self, el, exclude: set | None = None) -> str:
        parts = [escape(el.text or "")]
        for child in el:
            if exclude and child in exclude:
                continue
            if isinstance(child.tag, str):
                parts.append(self._element(child))
            parts.append(escape(child.tail or ""))
        return "".join(parts)

    def _children(self, el) -> str:
        return self.inline_block(el)

    def _element(self, el) -> str:
        tag = el.tag
        if tag in ("strong", "b"):
            return _delimit(self._children(el), "**", "strong")
        if tag in ("em", "i"):
            return _delimit(self._children(el), "*", "em")
        if tag == "s":
            return _delimit(self._children(el), "~~", "s")
        if tag == "sup":
            inner = self._children(el)
            if _NOTE_CALL.fullmatch(inner.strip()):  # a note call: spindle sets it as a note reference
                return inner.strip()
            return f"<sup>{inner}</sup>" if inner.strip() else ""
        if tag == "sub":
            inner = self._children(el)
            return f"<sub>{inner}</sub>" if inner.strip() else ""
        if tag == "span":
            inner = self._children(el)
            if "smallcaps" in (el.get("class") or "").split() and inner.strip():
                return f'<span class="smallcaps">{inner}</span>'
            return inner
        if tag == "br":
            return "<br />"
        if tag == "img":
            return self.image(el, "")
        if tag == "input":
            return "☒" if el.get("checked") else "☐"
        if tag == "a":
            return self.link(el)
        return self._children(el)

    def link(self, el) -> str:
        href = el.get("href") or ""
        ident = el.get("id")
        if _BACKLINK.match(href):
            return ""
        if _NOTE_HREF.match(href):
            m = _NOTE_HREF.match(href)
            label = note_label(m.group(1), m.group(2))
            if label not in self.called:
                self.called.append(label)
            return f"[^{label}]"
        text = self._children(el)
        anchor = ""
        if ident and ident in self.targets and ident != self._consumed:
            anchor = f'<span id="{html.escape(anchor_id(ident))}"></span>'
        if not href:
            return anchor + text
        if href.startswith("#"):
            href = "#" + anchor_id(href[1:])
        if not text.strip():
            return anchor
        target = href if not re.search(r"[\s()<>]", href) else f"<{href.replace(' ', '%20').replace('<', '%3C').replace('>', '%3E')}>"
        return anchor + f"[{text}]({target})"

    def image(self, el, title: str) -> str:
        src = el.get("src") or ""
        alt = " ".join((el.get("alt") or "").split())
        if src.startswith("unsupported:"):
            return f"*\\[{escape(alt or 'image')}\\]*"  # the alt text of a picture that was dropped
        self.used_images.append(src)
        quoted = title.replace("\\", "\\\\").replace('"', '\\"')
        return f"![{escape(alt)}]({src}" + (f' "{quoted}"' if title else "") + ")"

    def plain(self, el) -> str:
        return "".join(el.itertext())

    def _lone_image(self, el):
        if not isinstance(el.tag, str) or el.tag != "p":
            return None
        imgs = [c for c in el.iter("img")]
        if len(imgs) == 1 and not "".join(el.itertext()).strip() and not (el.get("class") or "").count("caption"):
            return imgs[0]
        return None


def _sections(table) -> list[tuple[str, list]]:
    out = []
    loose = []
    for child in table:
        if not isinstance(child.tag, str):
            continue
        if child.tag in ("thead", "tbody", "tfoot"):
            if loose:
                out.append(("", loose))
                loose = []
            out.append((child.tag, [tr for tr in child if isinstance(tr.tag, str) and tr.tag == "tr"]))
        elif child.tag == "tr":
            loose.append(child)
    if loose:
        out.append(("", loose))
    return out


def _is_caption(el) -> bool:
    return isinstance(el.tag, str) and el.tag == "p" and "caption" in (el.get("class") or "").split()


def _leading_bookmark(el) -> str | None:
    """The name of a bookmark (empty <a id>) at the very start of a block."""
    if (el.text or "").strip():
        return None
    for child in el:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "a" and child.get("id") and not child.get("href") and not "".join(child.itertext()).strip():
            return child.get("id")
        return None
    return None


def _lead(text: str) -> str:
    """Escape what would make a paragraph something else (a heading, list item, rule or container)."""
    text = text.lstrip()
    m = _LEADING.match(text)
    if m:
        mark = m.group(1)
        return (mark[:-1] + "\\" + mark[-1] if mark[-1] in ".)" else "\\" + mark) + text[len(mark):]
    return text


def _delimit(inner: str, mark: str, tag: str) -> str:
    """``**inner**``, with surrounding spaces moved outside; raw HTML where Markdown's flanking rules would
    not see the delimiters (punctuation against a letter)."""
    if not inner.strip():
        return inner
    lead = inner[: len(inner) - len(inner.lstrip())]
    trail = inner[len(inner.rstrip()):]
    core = inner.strip()
    if not _WORD_CHAR.match(core[0]) or not _WORD_CHAR.match(core[-1]) or core.endswith("\\"):
        return f"{lead}<{tag}>{core}</{tag}>{trail}"
    return f"{lead}{mark}{core}{mark}{trail}"


def notes_markdown(writer: Writer, notes: dict[str, etree._Element]) -> str:
    """``[^label]: text`` for every note called, in order of first call (notes may call notes)."""
    out = []
    done: set[str] = set()
    i = 0
    while i < len(writer.called):
        label = writer.called[i]
        i += 1
        if label in done or label not in notes:
            continue
        done.add(label)
        li = notes[label]
        body = writer.blocks(li) if any(isinstance(c.tag, str) and c.tag in BLOCKS for c in li) \
            else _lead(writer.inline_block(li).strip())
        first, *rest = (body.strip() or "\u00a0").split("\n")
        out.append(f"[^{label}]: {first}" + "".join("\n" + ("    " + line if line else "") for line in rest))
    return "\n\n".join(out) + ("\n" if out else "")
