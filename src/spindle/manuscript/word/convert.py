"""The conversion: check the package, edit its WordprocessingML (wordml.py),
let mammoth make HTML with the style map, and write Markdown (tomd.py).

Why mammoth: it is made for exactly this (semantic HTML from a .docx,
driven by a style map, no layout), it is pure Python and well kept, it
already reads numbering into nested lists, footnotes and endnotes, tables
with merged cells, image descriptions, hyperlinks and bookmarks, and it
reports every style it did not map, which is the report this feature
needs. What it lacks (tracked changes counted, comments with their
paragraph, fields, w:lang) is read here with lxml."""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping

import yaml
from lxml import etree

from spindle.core.errors import ManuscriptError
from spindle.manuscript.word import package, tomd, wordml
from spindle.manuscript.word.report import Converted, Report
from spindle.manuscript.word.stylemap import BUILT_IN_IDS, rules

NOTES = ("word/footnotes.xml", "word/endnotes.xml")
IMAGE_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/jpg": ".jpg", "image/pjpeg": ".jpg",
               "image/gif": ".gif", "image/svg+xml": ".svg", "image/webp": ".webp"}
_SNIFF = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF8", ".gif"))
_UNRECOGNISED = re.compile(r"^Unrecognised (paragraph|run|table) style: '?(.*?)'? \(Style ID: (.*)\)$")
_UNDEFINED = re.compile(r"^(Paragraph|Run|Table) style with ID (.*) was referenced but not defined in the document$")
_IGNORED = "An unrecognised element was ignored:"
_HARMLESS = {"w:permStart", "w:permEnd", "w:customXmlPr", "w:customXmlInsRangeStart", "w:customXmlInsRangeEnd",
             "w:customXmlDelRangeStart", "w:customXmlDelRangeEnd", "w:ptab", "w:fitText", "w:noProof",
             "w:annotationRef", "w:separator", "w:continuationSeparator", "w:pgNum", "w:dayShort", "w:dayLong",
             "w:monthShort", "w:monthLong", "w:yearShort", "w:yearLong", "w:sdtPr", "w:sdtEndPr"}
_BECAME = {"paragraph": "a plain paragraph", "run": "plain text", "table": "a plain table"}


@dataclass
class Prepared:
    html: str
    report: Report
    images: dict[str, bytes]  # name -> bytes, every image mammoth met
    main_lang: str  # the document's own main language (primary subtag), "" when it names none
    chapter_lang: str


def _xml(pkg: package.Package, name: str) -> etree._Element | None:
    if not pkg.has(name):
        return None
    try:
        return wordml.parse(pkg.read(name))
    except etree.XMLSyntaxError as exc:
        raise package.fail(pkg.display, f"the .docx is damaged ({name}: {str(exc).splitlines()[0][:80]}); "
                                        "open it in Word and save it again") from None


def prepare(data: bytes, display: str, style_map: Mapping[str, str], media: str, lang: str | None,
            languages: tuple[str, ...], default_lang: str) -> Prepared:
    pkg = package.open_package(data, display)
    report = Report()
    document = _xml(pkg, package.DOCUMENT)
    notes = {name: _xml(pkg, name) for name in NOTES}
    styles = wordml.read_styles(_xml(pkg, "word/styles.xml"), _xml(pkg, "word/settings.xml"))
    for root in (document, *notes.values()):
        if root is not None:
            report.revisions.add(wordml.accept_revisions(root))
    report.comments = wordml.take_comments(document, _xml(pkg, "word/comments.xml"))
    for root in (document, *notes.values()):
        if root is not None:
            report.fields.update(wordml.drop_fields(root))
    langs = wordml.paragraph_langs(document, styles)
    main = wordml.main_language(langs, styles)
    chapter_lang = lang or (main if main in languages else default_lang)
    if main and main not in languages and not lang:
        report.other.append(f"the document is in '{main}', which spindle does not set yet ({', '.join(languages)}); "
                            f"the chapter is set as '{chapter_lang}', its paragraphs keep lang='{main}'")
    wordml.mark_languages(langs, chapter_lang)
    edited = {package.DOCUMENT: document, **{k: v for k, v in notes.items() if v is not None}}
    images: dict[str, bytes] = {}
    html = _mammoth(_repack(pkg, edited), display, style_map, media, report, images)
    return Prepared(html, report, images, main, chapter_lang)


def _repack(pkg: package.Package, edited: Mapping[str, etree._Element]) -> bytes:
    """The package mammoth reads: the edited parts, and every other XML part parsed and written back by
    lxml without its DTD, so no entity (a 'billion laughs') ever reaches mammoth's parser."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name in sorted(pkg.names):
            if name.endswith("/"):
                continue
            root = edited.get(name)
            if root is None and name.lower().endswith((".xml", ".rels")):
                root = _xml(pkg, name)
            data = pkg.read(name) if root is None else etree.tostring(
                root, xml_declaration=True, encoding="UTF-8", standalone=True)
            z.writestr(name, data)
    return out.getvalue()


def _mammoth(docx: bytes, display: str, style_map: Mapping[str, str], media: str, report: Report,
             images: dict[str, bytes]) -> str:
    import mammoth

    def convert_image(image):
        number = len(images) + 1 + sum(1 for m in report.images if m.startswith("image "))
        content_type = (image.content_type or "").lower()
        try:
            with image.open() as stream:
                blob = stream.read(package.MAX_TOTAL)
        except Exception:  # a picture linked to a file outside the .docx: never read (mammoth refuses it)
            report.images.append(f"image {number} is linked to a file outside the document and was not read; "
                                 "insert the picture itself in Word (Insert > Pictures, not 'Link to File')")
            return {"src": f"unsupported:{number}"}
        ext = next((e for magic, e in _SNIFF if blob.startswith(magic)), None) or IMAGE_TYPES.get(content_type)
        if ext is None:
            kind = content_type.split("/")[-1].removeprefix("x-").upper() or "unknown type"
            report.images.append(f"image {number} ({kind}) dropped, its alt text stands in: EPUB and PDF cannot "
                                 "hold it; insert it in Word as PNG or JPEG")
            return {"src": f"unsupported:{number}"}
        name = f"image-{len(images) + 1}{ext}"
        images[name] = blob
        if not (image.alt_text or "").strip():
            report.images.append(f"{name} has no alt text; describe it in Word (right-click > Edit Alt Text)")
        return {"src": f"{media}/{name}"}

    try:
        result = mammoth.convert_to_html(
            io.BytesIO(docx), style_map=rules(style_map), include_default_style_map=False,
            include_embedded_style_map=False, external_file_access=False,
            convert_image=mammoth.images.img_element(convert_image))
    except ManuscriptError:
        raise
    except Exception as exc:  # mammoth raises several types for a document it cannot read
        raise package.fail(display, f"the .docx could not be read ({type(exc).__name__}: "
                                    f"{str(exc).splitlines()[0][:80] if str(exc) else 'damaged'}); "
                                    "open it in Word and save it again") from None
    seen: set[str] = set()
    ignored: Counter = Counter()
    for message in result.messages:
        m = _UNRECOGNISED.match(message.message)
        undefined = _UNDEFINED.match(message.message)
        if m:
            name = m.group(2) if m.group(2) not in ("", "None") else m.group(3)
            report.styles.setdefault(name, _BECAME[m.group(1)])
        elif undefined:
            if undefined.group(2) not in BUILT_IN_IDS:
                report.styles.setdefault(undefined.group(2), _BECAME[undefined.group(1).lower()] + " (the style is "
                                                                                       "not defined in the document)")
        elif message.message.startswith(_IGNORED):
            ignored[message.message[len(_IGNORED):].strip()] += 1
        elif message.message not in seen and "unlikely to display" not in message.message:  # images: said better
            seen.add(message.message)
            report.other.append(message.message)
    for name, count in sorted(ignored.items()):
        times = f" ({count} times)" if count > 1 else ""
        if name.startswith("m:") or "/officeDocument/2006/math}" in name:
            report.other.append(f"equation(s) dropped{times}: spindle cannot read Word equations yet; "
                                "write them as text or insert them as pictures with alt text")
        elif name not in _HARMLESS:
            shown = name.rsplit("}", 1)[-1]
            report.other.append(f"Word content '{shown}' dropped{times}: spindle does not read it")
    return result.value


# --- one chapter ---------------------------------------------------------------------------------------------

def _text(el) -> str:
    return " ".join("".join(el.itertext()).split())


def _take_title(blocks: list, split: bool) -> tuple[str, str, list]:
    """(title, subtitle, the other blocks): the Title paragraph, else (for a chapter) the first Heading 1."""
    title_el = next((b for b in blocks if b.tag == "h1" and "doc-title" in (b.get("class") or "")), None)
    if title_el is None and not split:
        title_el = next((b for b in blocks if b.tag == "h1"), None)
    subtitle_el = next((b for b in blocks if b.tag == "p" and "doc-subtitle" in (b.get("class") or "")), None)
    rest = [b for b in blocks if b is not title_el and b is not subtitle_el]
    for b in rest:  # a second Title paragraph is a heading like the others
        if "doc-title" in (b.get("class") or ""):
            b.attrib.pop("class")
    return (_text(title_el) if title_el is not None else "", _text(subtitle_el) if subtitle_el is not None else "",
            rest)


def _shift(blocks: list) -> int:
    levels = [int(el.tag[1]) for b in blocks for el in b.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    return 2 - min(levels) if levels else 0


def front_matter(meta: dict) -> str:
    shown = {k: v for k, v in meta.items() if v not in ("", None)}
    return "---\n" + yaml.safe_dump(shown, allow_unicode=True, sort_keys=False, width=10_000) + "---\n"


def _chapter(blocks: list, parsed: tomd.Parsed, meta: dict) -> tuple[str, list[str]]:
    writer = tomd.Writer(targets=parsed.targets, shift=_shift(blocks))
    body = writer.blocks(blocks)
    notes = tomd.notes_markdown(writer, parsed.notes)
    text = front_matter(meta) + "\n" + body + ("\n" + notes if notes else "")
    return text, writer.used_images


def convert_chapter(data: bytes, display: str, style_map: Mapping[str, str], media: str, lang: str | None,
                    title: str, subtitle: str, languages: tuple[str, ...], default_lang: str):
    prepared = prepare(data, display, style_map, media, lang, languages, default_lang)
    parsed = tomd.parse(prepared.html)
    found_title, found_subtitle, blocks = _take_title(parsed.blocks, split=False)
    if not (title or found_title):
        stem = re.sub(r"^\d+[-_ ]*", "", display.rsplit("/", 1)[-1].rsplit(".", 1)[0]).replace("-", " ").strip()
        found_title = stem[:1].upper() + stem[1:] if stem else "Untitled"
        prepared.report.other.append(f"no Title or Heading 1 paragraph: the chapter is titled '{found_title}' "
                                     "(give it a Title paragraph in Word, or title = \"...\" in book.toml)")
    meta = {"title": title or found_title, "subtitle": subtitle or found_subtitle, "lang": prepared.chapter_lang}
    text, used = _chapter(blocks, parsed, meta)
    images = {name: blob for name, blob in prepared.images.items() if f"{media}/{name}" in used}
    return Converted(text, meta, prepared.report, images)


# --- a whole book ----------------------------------------------------------------------------------------------

@dataclass
class Chapter:
    title: str
    markdown: str  # images referred to as media/image-N.ext
    images: list[str]  # names of the images it uses
    anchors: set[str] = field(default_factory=set)  # bookmark ids in it ("" for one on its title)


@dataclass
class Book:
    title: str
    subtitle: str
    lang: str
    chapters: list[Chapter] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)
    report: Report = field(default_factory=Report)


def split_book(data: bytes, display: str, style_map: Mapping[str, str], languages: tuple[str, ...],
               default_lang: str) -> Book:
    """Chapters at each Heading 1; what comes before the first (besides the Title) opens the book as a chapter
    titled by the document (or 'Opening')."""
    prepared = prepare(data, display, style_map, "media", None, languages, default_lang)
    parsed = tomd.parse(prepared.html)
    title, subtitle, blocks = _take_title(parsed.blocks, split=True)
    groups: list[tuple[str, list]] = []
    current: tuple[str, list] | None = None
    for b in blocks:
        if b.tag == "h1":
            current = (_text(b), [])
            groups.append(current)
        elif current is None:
            if _text(b) or b.find(".//img") is not None:
                current = (title or "Opening", [b])
                groups.append(current)
        else:
            current[1].append(b)
    book = Book(title or (groups[0][0] if groups else "Untitled"), subtitle, prepared.chapter_lang,
                images=prepared.images, report=prepared.report)
    if not groups:
        raise package.fail(display, "no text to split into chapters; the document is empty")
    for heading, content in groups:
        text, used = _chapter(content, parsed, {"title": heading, "lang": prepared.chapter_lang})
        anchors = {tomd.anchor_id(a.get("id")) for b in content for a in b.iter("a") if a.get("id")}
        book.chapters.append(Chapter(heading, text, [u.split("/", 1)[1] for u in used], anchors))
    for (heading, content), chapter in zip(groups, book.chapters):
        opener = [b for b in blocks if b.tag == "h1" and _text(b) == heading]
        if opener:
            chapter.anchors |= {"=" + tomd.anchor_id(a.get("id")) for a in opener[0].iter("a") if a.get("id")}
    return book


# --- Teams transcripts are .docx files too ---------------------------------------------------------------------

def is_teams_transcript(data: bytes) -> bool:
    """The rule: a .docx is a Teams transcript when at least two of its lines are Teams speaker/time lines
    ('Name   0:03', or '0:0:0.0 --> 0:0:5.3' in the older shape) and they make at least a quarter of its
    non-empty lines. Anything else is a Word chapter."""
    from spindle.manuscript.transcripts.docx_teams import ARROW_RE, HEADER_RE

    try:
        pkg = package.open_package(data, "")
        document = wordml.parse(pkg.read(package.DOCUMENT))
    except (ManuscriptError, etree.XMLSyntaxError):
        return False
    def lines_of(p) -> list[str]:  # a line break inside a paragraph splits it, as python-docx reads it
        text = "".join("\n" if el.tag in (wordml.W + "br", wordml.W + "cr") else el.text or ""
                       for el in p.iter(wordml.W + "t", wordml.W + "br", wordml.W + "cr"))
        return [line.strip() for line in text.split("\n") if line.strip()]

    lines = [line for p in wordml.body_paragraphs(document) for line in lines_of(p)]
    timed = sum(1 for line in lines if HEADER_RE.match(line) or ARROW_RE.match(line))
    return timed >= 2 and timed * 4 >= len(lines)
