"""Word style names -> what they become, as mammoth style-map rules.

Built-in styles (Title, Subtitle, Heading 1-6, Quote, Intense Quote, Caption)
are mapped here; a house's own style names come from ``[word] style_map`` in
book.toml, in the small vocabulary of :data:`TARGETS`. mammoth's own syntax
never reaches book.toml, so a later converter can replace it."""

from __future__ import annotations

from typing import Mapping

PARAGRAPH_TARGETS = {
    "title": "h1.doc-title:fresh",
    "subtitle": "p.doc-subtitle:fresh",
    **{f"heading {n}": f"h{n}:fresh" for n in range(1, 7)},
    "quote": "blockquote > p:fresh",
    "caption": "p.caption:fresh",
    "paragraph": "p:fresh",
    "drop": "!",
}
RUN_TARGETS = {
    "bold": "strong", "italic": "em", "small caps": "span.smallcaps", "superscript": "sup",
    "subscript": "sub", "plain": "",
}
TARGETS = (*PARAGRAPH_TARGETS, *RUN_TARGETS)

# Word's built-in names (as styles.xml spells them: Word writes some in lower case) and common plain styles.
BUILT_IN: dict[str, str] = {
    "Title": "title", "Subtitle": "subtitle", "Quote": "quote", "Intense Quote": "quote",
    "Caption": "caption", "caption": "caption", "Block Text": "quote",
    **{f"Heading {n}": f"heading {n}" for n in range(1, 7)},
    **{f"heading {n}": f"heading {n}" for n in range(1, 7)},
    # styles that are plain paragraphs (Word, LibreOffice, pandoc, Google Docs)
    **{name: "paragraph" for name in (
        "Normal", "Body Text", "Body Text 2", "Body Text 3", "Body Text First Indent", "First Paragraph",
        "Text Body", "Default", "Normal (Web)", "No Spacing", "List Paragraph", "Compact", "Plain Text",
        "Footnote Text", "footnote text", "Endnote Text", "endnote text", "annotation text", "Footnote",
        "Endnote", "Table Contents", "Figure", "Captioned Figure",
        *(f"List {kind}{n}" for kind in ("Bullet", "Number", "Continue", "") for n in ("", " 2", " 3", " 4", " 5")))},
    **{name: "caption" for name in ("Image Caption", "Table Caption")},
    **{name: "plain" for name in (
        "Hyperlink", "FollowedHyperlink", "Default Paragraph Font", "Footnote Reference", "footnote reference",
        "Endnote Reference", "endnote reference", "annotation reference", "Footnote anchor", "Endnote anchor",
        "Footnote Characters", "Endnote Characters", "Internet Link")},
    "Strong": "bold", "Emphasis": "italic", "Subtle Emphasis": "italic", "Intense Emphasis": "bold",
}


# Style ids Word and LibreOffice use for note and link styles, matched by id too (some files name them oddly).
BUILT_IN_IDS = {"FootnoteText": "paragraph", "EndnoteText": "paragraph", "CommentText": "paragraph",
                "Hyperlink": "plain", "FootnoteReference": "plain", "EndnoteReference": "plain"}


def _quoted(name: str) -> str:
    return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _list_rules(levels: int = 9) -> list[str]:
    """Numbered and bulleted paragraphs as nested lists (mammoth's default rules, to nine levels)."""
    out = []
    for kind, tag in (("unordered", "ul"), ("ordered", "ol")):
        for level in range(1, levels + 1):
            path = " > ".join(["ul|ol > li"] * (level - 1) + [f"{tag} > li:fresh"])
            out.append(f"p:{kind}-list({level}) => {path}")
    return out


def rules(house: Mapping[str, str]) -> str:
    """The mammoth style map (used without mammoth's default one). Order matters, the first match wins:
    headings, titles, quotes and captions; then numbered and bulleted paragraphs as lists (so a numbered
    heading stays a heading and a numbered 'Normal' paragraph becomes a list item); then plain paragraphs;
    then character styles. A house's name replaces a built-in one of the same name."""
    styles = {**BUILT_IN, **house}
    blocks = [f"p[style-name={_quoted(n)}] => {PARAGRAPH_TARGETS[t]}" for n, t in styles.items()
              if t in PARAGRAPH_TARGETS and t != "paragraph"]
    plain = [f"p[style-name={_quoted(n)}] => p:fresh" for n, t in styles.items() if t == "paragraph"]
    plain += [f"p.{sid} => p:fresh" for sid, t in BUILT_IN_IDS.items() if t == "paragraph"]
    runs = [f"r[style-name={_quoted(n)}] => {RUN_TARGETS[t]}".rstrip() for n, t in styles.items() if t in RUN_TARGETS]
    runs += [f"r.{sid} =>" for sid, t in BUILT_IN_IDS.items() if t == "plain"]
    return "\n".join(blocks + _list_rules() + plain + runs + ["small-caps => span.smallcaps"])
