"""Word test documents made here: python-docx writes the body, and the parts
python-docx cannot make (footnotes, endnotes, comments, tracked changes,
fields) are written into the package with lxml and zipfile."""

from __future__ import annotations

import io
import zipfile

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from lxml import etree
from PIL import Image

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NSDECL = f'xmlns:w="{W_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"

FOOTNOTES = {2: "The partners signed in 2021.", 3: "See the annual report, page 12."}
ENDNOTES = {2: "An endnote about methods."}
COMMENTS = [(0, "Ada Editor", "Check this figure"), (1, "Bo Reviewer", "Too long; cut?")]


def png(colour=(200, 30, 30), size=(120, 80)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def _run(paragraph, text, **fmt):
    run = paragraph.add_run(text)
    for key, value in fmt.items():
        if key == "small_caps":
            run.font.small_caps = value
        elif key == "superscript":
            run.font.superscript = value
        elif key == "subscript":
            run.font.subscript = value
        else:
            setattr(run, key, value)
    return run


def _xml(fragment: str):
    return etree.fromstring(f"<root {NSDECL}>{fragment}</root>")[0]


def _append(paragraph, fragment: str):
    paragraph._p.append(_xml(fragment))


def _note_ref(paragraph, kind: str, number: int):
    _append(paragraph, f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
                       f'<w:{kind}Reference w:id="{number}"/></w:r>')


def _hyperlink(paragraph, text: str, url: str | None = None, anchor: str | None = None):
    if url:
        rid = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
        attr = f'r:id="{rid}"'
    else:
        attr = f'w:anchor="{anchor}"'
    _append(paragraph, f'<w:hyperlink {attr}><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr>'
                       f'<w:t xml:space="preserve">{text}</w:t></w:r></w:hyperlink>')


def _lang(paragraph, lang: str):
    for run in paragraph.runs:
        rpr = run._r.get_or_add_rPr()
        el = rpr.makeelement(qn("w:lang"), {qn("w:val"): lang})
        rpr.append(el)


def _field(paragraph, instr: str, result: str):
    _append(paragraph, '<w:r><w:fldChar w:fldCharType="begin"/></w:r>')
    _append(paragraph, f'<w:r><w:instrText xml:space="preserve"> {instr} </w:instrText></w:r>')
    _append(paragraph, '<w:r><w:fldChar w:fldCharType="separate"/></w:r>')
    _append(paragraph, f'<w:r><w:t xml:space="preserve">{result}</w:t></w:r>')
    _append(paragraph, '<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def feature_document() -> bytes:
    """A chapter carrying every feature a Word chapter brings across."""
    d = docx.Document()
    styles = d.styles
    styles["Normal"].element.get_or_add_rPr().append(
        styles["Normal"].element.makeelement(qn("w:lang"), {qn("w:val"): "en-GB"}))
    chapeau = styles.add_style("Chapeau", WD_STYLE_TYPE.PARAGRAPH)
    chapeau.base_style = styles["Normal"]
    box = styles.add_style("Weird Box", WD_STYLE_TYPE.PARAGRAPH)
    box.base_style = styles["Normal"]
    house_sc = styles.add_style("Name Caps", WD_STYLE_TYPE.CHARACTER)

    d.add_paragraph("Working with partners", style="Title")
    d.add_paragraph("How a foundation learns from the field", style="Subtitle")
    toc = d.add_paragraph()
    _field(toc, 'TOC \\o "1-3" \\h', "Why partners matter 1")
    d.add_paragraph("A chapeau in the house style opens the chapter.", style="Chapeau")

    h = d.add_heading("", level=1)
    _append(h, '<w:bookmarkStart w:id="7" w:name="_Ref_partners"/>')
    _run(h, "Why partners matter")
    _append(h, '<w:bookmarkEnd w:id="7"/>')

    p = d.add_paragraph("Alpha opens the text with ")
    _run(p, "bold words", bold=True)
    _run(p, ", ")
    _run(p, "italic words", italic=True)
    _run(p, " and ")
    _run(p, "Small Capitals", small_caps=True)
    _run(p, "; water is H")
    _run(p, "2", subscript=True)
    _run(p, "O and the 1")
    _run(p, "st", superscript=True)
    _run(p, " partner agreed.")
    _note_ref(p, "footnote", 2)
    _run(p, " The house name ")
    _run(p, "Ngozi", style="Name Caps")
    _run(p, " is set in capitals.")

    d.add_paragraph("Bravo items follow.")
    numbering = d.part.numbering_part.element  # a two-level bullet list, as Word makes one
    levels = "".join(f'<w:lvl w:ilvl="{n}"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="-"/>'
                     f'<w:pPr><w:ind w:left="{720 * (n + 1)}" w:hanging="360"/></w:pPr></w:lvl>' for n in range(2))
    numbering.insert(0, _xml(f'<w:abstractNum w:abstractNumId="90">{levels}</w:abstractNum>'))
    numbering.append(_xml('<w:num w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    for text, level in (("First bullet point", 0), ("Nested bullet point", 1), ("Second bullet point", 0)):
        item = d.add_paragraph(text, style="List Paragraph")
        item._p.get_or_add_pPr().append(_xml(f'<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))
    d.add_paragraph("First numbered step", style="List Number")
    d.add_paragraph("Second numbered step", style="List Number")

    d.add_paragraph("Charlie said the field teaches patience.", style="Quote")
    d.add_paragraph("Delta insisted that money follows trust.", style="Intense Quote")

    d.add_heading("Funding and reports", level=2)
    p = d.add_paragraph("Echo points to the annual figures.")
    _note_ref(p, "footnote", 3)
    _run(p, " Foxtrot adds a method note.")
    _note_ref(p, "endnote", 2)

    table = d.add_table(rows=3, cols=3)
    table.style = "Table Grid"
    cells = [["Region", "Partners", "Budget"], ["East Africa", "Twelve", "Golf"], ["", "Hotel", "India"]]
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    table.cell(1, 0).merge(table.cell(2, 0))  # East Africa spans two rows
    table.cell(0, 1).merge(table.cell(0, 2))  # Partners spans two columns
    table.cell(0, 1).paragraphs[0].text = "Partners and budget"
    for extra in table.cell(0, 1).paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    for extra in table.cell(1, 0).paragraphs[1:]:
        extra._p.getparent().remove(extra._p)

    d.add_paragraph("Juliet introduces the map.")
    d.add_picture(io.BytesIO(png()))
    pic = d.paragraphs[-1]
    for doc_pr in pic._p.iter(qn("wp:docPr")):
        doc_pr.set("descr", "A red map of the partner regions")
    d.add_paragraph("Figure 1: Partner regions in 2024", style="Caption")

    p = d.add_paragraph("Kilo links to ")
    _hyperlink(p, "the foundation site", url="https://example.org/partners")
    _run(p, " and back to ")
    _hyperlink(p, "why partners matter", anchor="_Ref_partners")
    _run(p, ".")

    p = d.add_paragraph("Lima blijft in het Nederlands geschreven.")
    _lang(p, "nl-NL")
    d.add_paragraph("Mike is in an unknown style.", style="Weird Box")
    p = d.add_paragraph("November ends on page ")
    _field(p, "PAGE", "7")
    _run(p, " of the report.")
    d.add_heading("Our approach", level=1)
    d.add_paragraph("Oscar closes the chapter.")

    out = io.BytesIO()
    d.save(out)
    return add_parts(out.getvalue(), footnotes=FOOTNOTES, endnotes=ENDNOTES)


def _notes_part(kind: str, notes: dict[int, str]) -> bytes:
    items = [f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>',
             f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:{kind}>']
    for number, text in notes.items():
        items.append(f'<w:{kind} w:id="{number}"><w:p><w:pPr><w:pStyle w:val="{kind.capitalize()}Text"/></w:pPr>'
                     f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:{kind}Ref/></w:r>'
                     f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:{kind}>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:{kind}s {NSDECL}>'
            + "".join(items) + f"</w:{kind}s>").encode()


def _comments_part(comments) -> bytes:
    items = [f'<w:comment w:id="{i}" w:author="{author}" w:date="2026-01-01T00:00:00Z" w:initials="X">'
             f'<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:comment>' for i, (_, author, text) in enumerate(comments)]
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:comments {NSDECL}>'
            + "".join(items) + "</w:comments>").encode()


def add_parts(data: bytes, footnotes=None, endnotes=None, comments=None, document=None) -> bytes:
    """The package with footnotes/endnotes/comments parts added (and document.xml replaced, if given)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    parts = {name: src.read(name) for name in src.namelist()}
    types = etree.fromstring(parts["[Content_Types].xml"])
    rels = etree.fromstring(parts["word/_rels/document.xml.rels"])
    base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    wml = "application/vnd.openxmlformats-officedocument.wordprocessingml."
    for name, content, kind, ctype in (
            ("footnotes.xml", footnotes and _notes_part("footnote", footnotes), "footnotes", "footnotes+xml"),
            ("endnotes.xml", endnotes and _notes_part("endnote", endnotes), "endnotes", "endnotes+xml"),
            ("comments.xml", comments and _comments_part(comments), "comments", "comments+xml")):
        if not content:
            continue
        parts["word/" + name] = content
        etree.SubElement(types, f"{{{CT_NS}}}Override", PartName=f"/word/{name}", ContentType=wml + ctype)
        etree.SubElement(rels, f"{{{REL_NS}}}Relationship", Id=f"rIdX{kind}", Type=base + kind, Target=name)
    parts["[Content_Types].xml"] = etree.tostring(types, xml_declaration=True, encoding="UTF-8", standalone=True)
    parts["word/_rels/document.xml.rels"] = etree.tostring(rels, xml_declaration=True, encoding="UTF-8",
                                                           standalone=True)
    if document is not None:
        parts["word/document.xml"] = document
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return out.getvalue()


def revised_document() -> bytes:
    """Tracked changes (insertions, deletions, a move, a formatting change), two comments on two paragraphs,
    a paragraph in a style spindle does not know, with a PAGE field in it."""
    d = docx.Document()
    d.styles.add_style("Director Note", WD_STYLE_TYPE.PARAGRAPH)
    d.add_paragraph("Foreword", style="Title")
    d.add_paragraph("PLACEHOLDER-1")
    d.add_paragraph("PLACEHOLDER-2")
    d.add_paragraph("PLACEHOLDER-3")
    p = d.add_paragraph("Signed on page ", style="Director Note")
    _field(p, "PAGE", "4")
    out = io.BytesIO()
    d.save(out)
    document = zipfile.ZipFile(io.BytesIO(out.getvalue())).read("word/document.xml").decode()
    rev = 'w:author="Director" w:date="2026-01-02T00:00:00Z"'
    p1 = ('<w:commentRangeStart w:id="0"/><w:r><w:t xml:space="preserve">The director </w:t></w:r>'
          f'<w:del w:id="101" {rev}><w:r><w:delText xml:space="preserve">rejected </w:delText></w:r></w:del>'
          f'<w:ins w:id="102" {rev}><w:r><w:t xml:space="preserve">approved </w:t></w:r></w:ins>'
          '<w:r><w:t>the plan.</w:t></w:r><w:commentRangeEnd w:id="0"/>'
          '<w:r><w:commentReference w:id="0"/></w:r>')
    p2 = ('<w:r><w:t xml:space="preserve">Funding </w:t></w:r>'
          f'<w:ins w:id="103" {rev}><w:r><w:t xml:space="preserve">grew steadily </w:t></w:r></w:ins>'
          f'<w:r><w:rPr><w:b/><w:rPrChange w:id="104" {rev}><w:rPr/></w:rPrChange></w:rPr><w:t>this year</w:t></w:r>'
          f'<w:del w:id="105" {rev}><w:r><w:delText> and then fell</w:delText></w:r></w:del>'
          '<w:r><w:t>.</w:t></w:r>')
    p3 = ('<w:commentRangeStart w:id="1"/><w:r><w:t xml:space="preserve">Partners wrote back </w:t></w:r>'
          f'<w:moveFrom w:id="106" {rev}><w:r><w:t>SHOULD-NOT-APPEAR</w:t></w:r></w:moveFrom>'
          '<w:r><w:t>within weeks.</w:t></w:r><w:commentRangeEnd w:id="1"/><w:r><w:commentReference w:id="1"/></w:r>')
    for n, body in ((1, p1), (2, p2), (3, p3)):
        document = document.replace(f"<w:r><w:t>PLACEHOLDER-{n}</w:t></w:r>", body)
    return add_parts(out.getvalue(), comments=COMMENTS, document=document.encode())
