"""What a Word document did not bring across: the report `spindle build`
prints as warnings and `spindle check` as findings (codes W001-W004)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from spindle.manuscript.word.wordml import Comment, Revisions


@dataclass(frozen=True)
class Item:
    code: str  # W001 tracked changes, W002 comment, W003 unknown style, W004 anything else dropped or changed
    message: str
    paragraph: int | None = None  # 1-based body paragraph, where known (the 'line' of a .docx)


@dataclass
class Report:
    revisions: Revisions = field(default_factory=Revisions)
    comments: list[Comment] = field(default_factory=list)
    styles: dict[str, str] = field(default_factory=dict)  # unknown style -> what it became
    fields: Counter = field(default_factory=Counter)
    images: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    def items(self) -> list[Item]:
        out: list[Item] = []
        r = self.revisions
        if r.total:
            kinds = ", ".join(f"{n} {what}" for n, what in (
                (r.insertions, "insertion(s)"), (r.deletions, "deletion(s)"), (r.moves, "move(s)"),
                (r.formatting, "formatting change(s)")) if n)
            out.append(Item("W001", f"{r.total} tracked change(s) accepted ({kinds}); accept or reject them "
                                    "in Word (Review > Accept) to silence this"))
        for c in self.comments:
            where = f"on paragraph {c.paragraph} ('{c.anchor}')" if c.paragraph else "not anchored in the text"
            text = " ".join(c.text.split())
            out.append(Item("W002", f"comment by {c.author} dropped, {where}: \"{text}\"", c.paragraph))
        for name, became in sorted(self.styles.items()):
            out.append(Item("W003", f"unknown style '{name}' became {became}; map it under [word.style_map] "
                                    "in book.toml"))
        if self.fields:
            names = ", ".join(f"{name} x{n}" if n > 1 else name for name, n in sorted(self.fields.items()))
            out.append(Item("W004", f"field(s) dropped: {names} (spindle makes its own contents and page numbers)"))
        out += [Item("W004", message) for message in self.images + self.other]
        return out

    def lines(self, display: str) -> list[str]:
        """One line per item, 'file: message' or 'file:paragraph: message', as build warnings."""
        return [f"{display}:{i.paragraph}: {i.message}" if i.paragraph else f"{display}: {i.message}"
                for i in self.items()]


class Converted(NamedTuple):
    """What read_docx returns."""

    markdown: str  # a whole chapter: front matter and body; images referenced as MEDIA/image-N.ext
    metadata: dict  # title, subtitle, lang (what the front matter holds)
    report: Report
    images: dict[str, bytes]  # file name (image-N.ext) -> bytes, for the images the Markdown uses
