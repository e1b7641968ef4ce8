"""book.toml: the typed, validated configuration of a book project.

Everything is checked once, up front, before any work starts; errors name the
file, the key path and (where it can be found) the line."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from spindle.core.errors import ConfigError
from spindle.core.paths import display
from spindle.project.schema import Length, SchemaError, convert
from spindle.project.formats import FORMAT_CHOICES
from spindle.project.language import Language

Kind = Literal["foreword", "introduction", "preface", "chapter", "interview", "afterword", "appendix", "colophon"]

# MARC relator codes, as EPUB's refines expect.
ROLES = {
    "author": "aut", "editor": "edt", "translator": "trl", "illustrator": "ill",
    "photographer": "pht", "designer": "dsr", "contributor": "ctb", "interviewer": "ivr",
    "interviewee": "ive", "publisher": "pbl", "commissioner": "com",
}

TRIM_SIZES = {  # width, height in mm
    "A4": (210.0, 297.0), "A5": (148.0, 210.0), "B5": (176.0, 250.0),
    "6x9in": (152.4, 228.6), "5.5x8.5in": (139.7, 215.9),
}


def _opt(default=dataclasses.MISSING, help: str = "", key: str | None = None, factory=None):
    """A documented option; without a default or factory the key is required."""
    meta = {"help": help}
    if key:
        meta["key"] = key
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Person:
    name: str = _opt(help="The person's or organisation's name as printed")
    role: Literal[tuple(ROLES)] = _opt("author", help="author, editor, translator, illustrator, contributor, ...")  # type: ignore[valid-type]

    @classmethod
    def from_scalar(cls, value: object) -> dict:
        if isinstance(value, str):
            return {"name": value}
        raise ValueError(f"expected a name or a table with name and role, got {value!r}")

    @property
    def relator(self) -> str:
        return ROLES[self.role]


@dataclass(frozen=True)
class Series:
    name: str = _opt(help="Series title")
    number: int | None = _opt(None, help="Position in the series")


@dataclass(frozen=True)
class Identifiers:
    pdf: str | None = _opt(None, help="ISBN of the screen PDF")
    epub: str | None = _opt(None, help="ISBN of the EPUB")
    print: str | None = _opt(None, help="ISBN of the printed book")

    def __post_init__(self) -> None:
        for edition in ("pdf", "epub", "print"):
            value = getattr(self, edition)
            if value is not None and not isbn_valid(value):
                raise ValueError(f"{edition}: {value!r} is not a valid ISBN-13 (check the digits)")


@dataclass(frozen=True)
class Metadata:
    title: str = _opt(help="Book title")
    subtitle: str = _opt("", help="Subtitle")
    slug: str = _opt("", help="File name stem of the outputs (default: from the title)")
    language: Language = _opt("en", help="Main language: a BCP 47 tag (en, nl, de-CH, zh, zh-Hant, ...)")
    authors: tuple[Person, ...] = _opt(factory=tuple, help="Authors: names, or tables with name and role")
    contributors: tuple[Person, ...] = _opt(factory=tuple, help="Other contributors with their roles")
    publisher: str = _opt("", help="Publisher")
    series: Series | None = _opt(None, help="Series name and number")
    isbn: Identifiers = _opt(factory=Identifiers, help="ISBN per edition")
    identifier: str = _opt("", help="Unique identifier (default: a UUID derived from the title)")
    date: str = _opt("", help="Publication date, YYYY-MM-DD")
    rights: str = _opt("", help="Rights statement")
    description: str = _opt("", help="Blurb, used in metadata and on the back cover")
    subjects: tuple[str, ...] = _opt(factory=tuple, help="Subject keywords")
    site_url: str = _opt("", help="Where the book is published on the web (https://…/), its chapters as pages laid "
                                  "out like the manuscript's files (x.md → x.html): a link to one of the site's "
                                  "pages that is not in the book becomes a web link there instead of plain text")
    site_folder: str = _opt("", help="The folder of the project whose files the site's pages are made from, e.g. "
                                     "'manuscript/src' (default: the folder that holds every chapter)")
    site_pages: Literal["html", "folders"] = _opt("html", help="How the site names a chapter's page: 'html' "
                                                                "(x.md → x.html, as mdBook and GitBook) or 'folders' "
                                                                "(x.md → x/, as MkDocs)")

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise ValueError("title: must not be empty")
        if self.site_url:
            if not re.fullmatch(r"https?://[^\s/?#@]+(/[^\s?#]*)?", self.site_url):
                raise ValueError(f"site_url: expected the address of a web site, https://example.org/book/, "
                                 f"got {self.site_url!r}")
            if not self.site_url.endswith("/"):  # a folder: the chapters' pages are inside it
                object.__setattr__(self, "site_url", self.site_url + "/")
        if self.site_folder and (self.site_folder.startswith(("/", "\\")) or ".." in self.site_folder.split("/")):
            raise ValueError(f"site_folder: a folder inside the project, e.g. 'manuscript/src', got {self.site_folder!r}")
        if self.date and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", self.date):
            raise ValueError(f"date: expected YYYY-MM-DD, got {self.date!r}")
        if self.slug and not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", self.slug):
            raise ValueError(f"slug: use lower-case letters, digits, '-', '_' or '.', got {self.slug!r}")

    @property
    def file_stem(self) -> str:
        return self.slug or slugify(self.title)


@dataclass(frozen=True)
class SpeakerEntry:
    """How one speaker of a raw transcript appears in the book."""

    role: str = _opt("", help="Role printed for the speaker, e.g. 'Programme officer at a Dutch foundation'")
    name: str = _opt("", help="Name printed before the role (leave empty to name the speaker by role only)")
    short: str = _opt("", help="Short label printed from the speaker's second turn on (default: name or label)")
    label: str = _opt("", help="Label opening the speaker's turns in the native Markdown (default: derived)")
    interviewer: bool | None = _opt(None, help="Whether the speaker asks the questions (default: guessed from the name)")

    @classmethod
    def from_scalar(cls, value: object) -> dict:
        if isinstance(value, str):
            return {"role": value}
        raise ValueError(f"expected a role or a table with role, name, short, label, interviewer; got {value!r}")


_TRANSCRIPT_KEYS = ("title", "subtitle", "standfirst", "lang", "speakers", "clean", "timestamps", "pullquotes", "notes",
                    "pause", "paragraph_words")
_WORD_KEYS = ("title", "subtitle", "lang")  # a Word chapter may take these from book.toml instead of the document


@dataclass(frozen=True)
class Entry:
    file: str = _opt(help="Path of the manuscript file (Markdown, a Word .docx chapter, or a raw interview transcript), "
                          "relative to the project")
    format: Literal[FORMAT_CHOICES] = _opt("auto", help="Transcript format; 'auto' tells it from the content")  # type: ignore[valid-type]
    title: str = _opt("", help="Transcript: the interview's title; Word chapter: replaces the document's title")
    subtitle: str = _opt("", help="Transcript or Word chapter: subtitle")
    standfirst: str = _opt("", help="Transcript: the paragraph introducing the interview")
    lang: Language | None = _opt(None, help="Transcript: language, a BCP 47 tag (default: the file's own, or guessed from "
                                            "the text); Word chapter: replaces the document's w:lang")
    speakers: dict[str, SpeakerEntry] = _opt(
        factory=dict, help="Transcript: speaker as named in the file -> a role, or a table with role, name, short, label, interviewer")
    clean: bool = _opt(False, help="Transcript: remove fillers ('um', 'uh') and stutters ('I I')")
    timestamps: bool = _opt(False, help="Transcript: print each turn's time")
    pullquotes: tuple[str, ...] = _opt(factory=tuple, help="Transcript: sentences to repeat as pull quotes after their turn")
    notes: dict[str, str] = _opt(factory=dict, help="Transcript: footnotes, keyed by the words of the text they follow")
    pause: float | None = _opt(None, help="Transcript: seconds of silence after a sentence that start a new paragraph (default 2)")
    paragraph_words: int | None = _opt(
        None, help="Transcript: longest paragraph in words, a Chinese or Japanese character counting half (default 250)")

    sections: tuple[Entry, ...] = _opt(
        factory=tuple, help="Files that continue this chapter, as a book's own SUMMARY nests them: each one's title "
                            "becomes a section heading (its headings one level lower), with no chapter number of its own")


    def __post_init__(self) -> None:
        if self.pause is not None and self.pause < 0:
            raise ValueError(f"pause: expected seconds (0 or more), got {self.pause}")
        if self.paragraph_words is not None and self.paragraph_words < 20:
            raise ValueError(f"paragraph_words: expected 20 or more, got {self.paragraph_words}")
        if not self.is_transcript:
            given = [k for k in _TRANSCRIPT_KEYS if getattr(self, k) not in ("", None, False, (), {})]
            if given:
                raise ValueError(f"{', '.join(given)}: only for transcript files; '{self.file}' is Markdown, "
                                 "so put these in its front matter")
        elif not self.title.strip() and not self.may_be_word:
            raise ValueError(f"title: a transcript entry ('{self.file}') needs a title")

    @property
    def may_be_word(self) -> bool:
        """A .docx left to 'auto' is a Word chapter or a Teams transcript: its content decides (at load)."""
        return self.format == "auto" and Path(self.file).suffix.lower() in (".docx", ".docm", ".doc", ".dotx")

    @property
    def is_transcript(self) -> bool:
        """Markdown files are chapters; any other file (or a given format) is a raw transcript."""
        return self.format != "auto" or Path(self.file).suffix.lower() not in (".md", ".markdown")

    @classmethod
    def from_scalar(cls, value: object) -> dict:
        if isinstance(value, str):
            return {"file": value}
        raise ValueError(f"expected a file path, got {value!r}")


@dataclass(frozen=True)
class Part:
    title: str = _opt(help="Part title")
    chapters: tuple[Entry, ...] = _opt(factory=tuple, help="Chapters of this part")


@dataclass(frozen=True)
class Contents:
    front: tuple[Entry, ...] = _opt(factory=tuple, help="Front matter files (foreword, introduction)")
    chapters: tuple[Entry | Part, ...] = _opt(factory=tuple, help="Chapters or parts, in reading order")
    back: tuple[Entry, ...] = _opt(factory=tuple, help="Back matter files (afterword, colophon)")
    section_page: bool = _opt(False, help="Whether a file nested under a chapter (an entry's 'sections') "
                                          "starts on a new page in the paged editions")


WORD_TARGETS = ("title", "subtitle", "heading 1", "heading 2", "heading 3", "heading 4", "heading 5", "heading 6",
                "quote", "caption", "paragraph", "drop", "bold", "italic", "small caps", "superscript", "subscript",
                "plain")


@dataclass(frozen=True)
class Word:
    """How Word (.docx) chapters are read."""

    style_map: dict[str, Literal[WORD_TARGETS]] = _opt(  # type: ignore[valid-type]
        factory=dict, help="A house's own Word style names -> what they become: title, subtitle, 'heading 1' to "
                           "'heading 6', quote, caption, paragraph, drop (paragraph styles); bold, italic, "
                           "'small caps', superscript, subscript, plain (character styles)")


@dataclass(frozen=True)
class Theme:
    name: Literal["default"] = _opt("default", help="Built-in theme the project's templates/ and styles/ override")
    templates: str = _opt("templates", help="Folder of the project's own templates")
    styles: str = _opt("styles", help="Folder of the project's own stylesheets")


@dataclass(frozen=True)
class PdfEdition:
    layout: Literal["print", "own"] | None = _opt(
        None, help="'print': the screen PDF is made from the print edition's layout (its pages, page numbers and "
                   "text block; no bleed, crop marks or blank pages; RGB colours; the book is laid out once); "
                   "'own': laid out on its own pages (page_size, screen margins, pdf.css, toc_depth). Default: "
                   "'print', or 'own' when page_size is set and differs from editions.print.trim")
    page_size: str | None = _opt(None, help="Page size of a screen PDF with its own layout: A4, A5, B5, 6x9in, "
                                            "5.5x8.5in or 'WIDTH HEIGHT' lengths (default: the print trim)")
    toc_depth: int | None = _opt(None, help="Heading levels in the table of contents (1-3) of a screen PDF with "
                                            "its own layout (default 1; with layout = 'print' the contents are the "
                                            "print edition's: editions.print.toc_depth)")

    def __post_init__(self) -> None:
        if self.page_size is not None:
            page_dimensions(self.page_size)
        if self.toc_depth is not None and not 1 <= self.toc_depth <= 3:
            raise ValueError(f"toc_depth: expected 1 to 3, got {self.toc_depth}")


ACCESS_MODES = ("auditory", "chartOnVisual", "chemOnVisual", "colorDependent", "diagramOnTactile",
                "diagramOnVisual", "mathOnVisual", "musicOnVisual", "tactile", "textOnVisual", "textual", "visual")
A11Y_FEATURES = ("alternativeText", "annotations", "ARIA", "audioDescription", "bookmarks", "braille",
                 "captions", "ChemML", "describedMath", "displayTransformability", "highContrastAudio",
                 "highContrastDisplay", "index", "largePrint", "latex", "longDescription", "MathML", "none",
                 "openCaptions", "pageBreakMarkers", "pageNavigation", "printPageNumbers", "readingOrder",
                 "rubyAnnotations", "signLanguage", "structuralNavigation", "synchronizedAudioText",
                 "tableOfContents", "tactileGraphic", "tactileObject", "timingControl", "transcript",
                 "ttsMarkup", "unlocked")
A11Y_HAZARDS = ("flashing", "motionSimulation", "sound", "noFlashingHazard", "noMotionSimulationHazard",
                "noSoundHazard", "none", "unknown", "unknownFlashingHazard", "unknownMotionSimulationHazard",
                "unknownSoundHazard")


@dataclass(frozen=True)
class Accessibility:
    """EPUB Accessibility 1.1 metadata; every key left out is worked out from the book."""

    access_modes: tuple[Literal[ACCESS_MODES], ...] | None = _opt(  # type: ignore[valid-type]
        None, help="schema:accessMode values (default: textual, plus visual when the book has images)")
    access_mode_sufficient: tuple[str, ...] | None = _opt(
        None, help="schema:accessModeSufficient sets, each comma-separated such as 'textual' (default: textual)")
    features: tuple[Literal[A11Y_FEATURES], ...] | None = _opt(  # type: ignore[valid-type]
        None, help="schema:accessibilityFeature values (default: from the book: table of contents, "
                   "alternative text, page-break markers, ...)")
    hazards: tuple[Literal[A11Y_HAZARDS], ...] = _opt(  # type: ignore[valid-type]
        ("none",), help="schema:accessibilityHazard values")
    summary: str = _opt("", help="schema:accessibilitySummary (default: a summary of the features)")
    conforms_to: str = _opt("EPUB Accessibility 1.1 - WCAG 2.1 Level AA",
                            help="dcterms:conformsTo claim; empty for none")
    certified_by: str = _opt("", help="a11y:certifiedBy: who evaluated the claim (default: none given)")

    def __post_init__(self) -> None:
        for value in self.access_mode_sufficient or ():
            unknown = [m for m in value.split(",") if m.strip() not in ACCESS_MODES]
            if unknown:
                raise ValueError(f"access_mode_sufficient: {unknown[0].strip()!r} is not an access mode; "
                                 f"use {', '.join(ACCESS_MODES)}")


@dataclass(frozen=True)
class EpubEdition:
    toc_depth: int = _opt(2, help="Heading levels in the navigation document: 1 chapters, 2 with sections (##), "
                                  "3 with subsections (###). Parts are always shown, and so is every file nested "
                                  "under a chapter ('sections'), at any depth: it is a document of its own, which "
                                  "readers reach from the navigation; the headings inside it count from the "
                                  "chapter's (a file nested once is a ## section, its ## headings ###)")
    cover: str | None = _opt(None, help="Cover image (PNG or JPEG), relative to the project "
                                        "(default: the print cover's front, when the print edition is built)")
    accessibility: Accessibility = _opt(factory=Accessibility, help="Accessibility metadata overrides")

    def __post_init__(self) -> None:
        if not 1 <= self.toc_depth <= 3:
            raise ValueError(f"toc_depth: expected 1 to 3, got {self.toc_depth}")


@dataclass(frozen=True)
class PrintEdition:
    trim: str = _opt("A5", help="Trim size: A4, A5, B5, 6x9in, 5.5x8.5in or 'WIDTH HEIGHT' lengths")
    bleed: Length = _opt(Length(3.0), help="Bleed beyond the trim on every side")
    marks: bool = _opt(True, help="Print crop marks")
    margin_top: Length = _opt(Length(18.0), help="Top margin")
    margin_bottom: Length = _opt(Length(22.0), help="Bottom margin")
    margin_inside: Length = _opt(Length(20.0), help="Inside (gutter-side) margin")
    margin_outside: Length = _opt(Length(15.0), help="Outside margin")
    toc_depth: int = _opt(1, help="Heading levels in the table of contents (1-3); a file nested under a chapter "
                                  "('sections') is a heading one level below its chapter's (## nested once, ### twice). "
                                  "The PDF bookmarks list headings to ### and nested files at any depth")
    gutter: Length = _opt(Length(0.0), help="Binding allowance added to the inside margin of every page")
    signature: Literal[2, 4, 8, 16, 32] = _opt(4, help="Pages per signature; the page count is padded to a multiple "
                                                  "of it (4 for saddle stitching; 8, 16 or 32 for sewn books)")
    imposition: Literal["none", "saddle-stitch"] = _opt("none", help="'saddle-stitch' also writes "
                                                         "build/SLUG-print-imposed.pdf: two pages per sheet side, in folding order")
    creep: Length = _opt(Length(0.0), help="Saddle-stitch creep compensation: pages move this far towards the spine per sheet inwards")
    caliper: Length | None = _opt(None, help="Paper thickness per leaf (two pages), for the spine width (default 0.1mm)")
    ppi: int | None = _opt(None, help="Paper bulk in pages per inch, instead of caliper")
    icc_profile: str | None = _opt(None, help="CMYK output profile (.icc) in the project: makes the print PDF and cover PDF/X-4")
    output_condition: str = _opt("Custom", help="Output intent's condition identifier, e.g. 'FOGRA39' (with icc_profile)")
    back_cover: str | None = _opt(None, help="Back-cover text (default: book.description)")
    qr_url: str | None = _opt(None, help="Address of the ebook, printed as a QR code on the back cover")
    spine_text_min: Length = _opt(Length(6.0), help="Narrowest spine that carries the title and authors")
    min_image_ppi: int = _opt(300, help="Lowest effective image resolution preflight accepts without a warning")

    def __post_init__(self) -> None:
        page_dimensions(self.trim)
        if not 0 <= self.bleed.mm <= 3.53:
            # PDF viewers and WeasyPrint cap the bleed box at 10pt.
            raise ValueError(f"bleed: expected 0mm to 3.5mm, got '{self.bleed.css()}'")
        if not 1 <= self.toc_depth <= 3:
            raise ValueError(f"toc_depth: expected 1 to 3, got {self.toc_depth}")
        if not 0 <= self.gutter.mm <= 30:
            raise ValueError(f"gutter: expected 0mm to 30mm, got '{self.gutter.css()}'")
        if self.imposition == "saddle-stitch" and self.signature % 4:
            raise ValueError(f"signature: saddle stitching folds sheets of 4 pages; use 4, 8, 16 or 32, got {self.signature}")
        if not 0 <= self.creep.mm <= 1:
            raise ValueError(f"creep: expected 0mm to 1mm per sheet, got '{self.creep.css()}'")
        if self.creep.mm and self.imposition != "saddle-stitch":
            raise ValueError("creep: only used with imposition = 'saddle-stitch'; remove it or set the imposition")
        if self.caliper is not None and self.ppi is not None:
            raise ValueError("caliper and ppi: give the paper's thickness one way, not both")
        if self.caliper is not None and not 0.02 <= self.caliper.mm <= 1:
            raise ValueError(f"caliper: expected 0.02mm to 1mm per leaf, got '{self.caliper.css()}'")
        if self.ppi is not None and not 50 <= self.ppi <= 2000:
            raise ValueError(f"ppi: expected 50 to 2000 pages per inch, got {self.ppi}")
        if self.icc_profile is not None and not self.icc_profile.lower().endswith((".icc", ".icm")):
            raise ValueError(f"icc_profile: expected an .icc file, got {self.icc_profile!r}")
        if self.qr_url is not None and not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", self.qr_url):
            raise ValueError(f"qr_url: expected an http:// or https:// address, got {self.qr_url!r}")
        if not 50 <= self.min_image_ppi <= 2400:
            raise ValueError(f"min_image_ppi: expected 50 to 2400, got {self.min_image_ppi}")

    @property
    def size(self) -> tuple[float, float]:
        return page_dimensions(self.trim)

    @property
    def leaf_mm(self) -> float:
        """Paper thickness per leaf in mm, from caliper or pages per inch."""
        if self.ppi is not None:
            return 2 * 25.4 / self.ppi
        return self.caliper.mm if self.caliper is not None else 0.1


@dataclass(frozen=True)
class Editions:
    pdf: PdfEdition = _opt(factory=PdfEdition, help="Screen PDF")
    epub: EpubEdition = _opt(factory=EpubEdition, help="EPUB 3")
    print: PrintEdition = _opt(factory=PrintEdition, help="Print-ready PDF")

    def __post_init__(self) -> None:
        pdf = self.pdf
        if pdf.layout == "print" and pdf.page_size is not None and not self._same_size():
            raise ValueError(f"pdf: page_size {pdf.page_size!r} differs from editions.print.trim {self.print.trim!r}, "
                             "but layout = 'print' makes the screen PDF from the print edition's pages; remove "
                             "page_size, or set layout = 'own' to lay the screen PDF out on pages of its own")
        if self.screen_layout == "print" and pdf.toc_depth is not None and pdf.toc_depth != self.print.toc_depth:
            raise ValueError(f"pdf: toc_depth {pdf.toc_depth} differs from editions.print.toc_depth "
                             f"{self.print.toc_depth}, but the screen PDF is made from the print edition's layout "
                             "(its table of contents too); set editions.print.toc_depth instead, or layout = 'own'")

    def _same_size(self) -> bool:
        width, height = page_dimensions(self.pdf.page_size)
        trim_width, trim_height = self.print.size
        return abs(width - trim_width) < 0.01 and abs(height - trim_height) < 0.01

    @property
    def screen_layout(self) -> str:
        """'print' when the screen PDF is made from the print edition's layout, 'own' otherwise:
        as book.toml's editions.pdf.layout says, or, when it says nothing, 'own' only for a
        page_size that differs from the print trim."""
        if self.pdf.layout is not None:
            return self.pdf.layout
        return "own" if self.pdf.page_size is not None and not self._same_size() else "print"

    @property
    def screen_size(self) -> tuple[float, float]:
        """The screen PDF's page size in mm."""
        if self.screen_layout == "print" or self.pdf.page_size is None:
            return self.print.size
        return page_dimensions(self.pdf.page_size)


@dataclass(frozen=True)
class Config:
    book: Metadata = _opt(help="Book metadata")
    contents: Contents = _opt(factory=Contents, help="Manuscript files in reading order")
    word: Word = _opt(factory=Word, help="Word (.docx) chapters")
    theme: Theme = _opt(factory=Theme, help="Theme")
    editions: Editions = _opt(factory=Editions, help="One table per edition")


@dataclass(frozen=True)
class Project:
    """A loaded project: its root folder, config file and validated config."""

    root: Path
    config_path: Path
    config: Config
    # A series' shared theme (series.toml [theme]): searched after the book's own templates/ and
    # styles/ and before the built-in theme; the only folders outside root a build may read.
    shared_templates: Path | None = None
    shared_styles: Path | None = None

    def path(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    @property
    def shared(self) -> tuple[Path, ...]:
        """The series' shared theme folders this book may read besides its own folder."""
        return tuple(p for p in (self.shared_templates, self.shared_styles) if p is not None)

    def display(self, path: Path) -> str:
        return display(path, self.root)


def page_dimensions(spec: str) -> tuple[float, float]:
    """'A5' or '148mm 210mm' to (width, height) in mm."""
    if spec in TRIM_SIZES:
        return TRIM_SIZES[spec]
    parts = spec.split()
    if len(parts) == 2:
        try:
            w, h = (Length.parse(p).mm for p in parts)
        except ValueError:
            pass
        else:
            if w > 0 and h > 0:
                return (w, h)
    raise ValueError(
        f"expected one of {', '.join(TRIM_SIZES)} or two lengths such as '148mm 210mm', got {spec!r}"
    )


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].rstrip("-") or "book"


def isbn_valid(value: str) -> bool:
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"97[89]\d{10}", digits):
        return False
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == int(digits[12])


def _array_table_line(lines: list[str], path: tuple[str, ...]) -> int | None:
    """The line of ``a.b[N].key`` written as the N-th ``[[a.b]]`` table (or of that header)."""
    for i, part in enumerate(path):
        if not (part.isdigit() and i > 0):
            continue
        dotted = r"\s*\.\s*".join(map(re.escape, path[:i]))
        starts = [n for n, line in enumerate(lines) if re.match(r"^\s*\[\[\s*" + dotted + r"\s*\]\]\s*$", line)]
        if int(part) >= len(starts):
            return None
        start = starts[int(part)]
        end = next((n for n in range(start + 1, len(lines)) if lines[n].lstrip().startswith("[")
                    and not re.match(r"^\s*\[\s*" + dotted + r"\s*\.", lines[n])), len(lines))
        found = start
        for key in (k for k in path[i + 1:] if not k.isdigit()):
            pattern = re.compile(r"^\s*\[?\s*(" + dotted + r"\s*\.\s*)?\"?" + re.escape(key) + r"\"?\s*[=.\]]")
            found = next((n for n in range(found + 1, end) if pattern.match(lines[n])), found)
        return found + 1
    return None


def line_of(text: str, path: tuple[str, ...]) -> int | None:
    """Best effort: the line of a key path in TOML source (tomllib keeps none)."""
    lines = text.splitlines()
    in_array = _array_table_line(lines, path)
    if in_array is not None:
        return in_array
    keys = [p for p in path if not p.isdigit()]
    for depth in range(len(keys), 0, -1):
        table, key = keys[: depth - 1], keys[depth - 1]
        header = re.compile(r"^\s*\[+\s*" + r"\s*\.\s*".join(map(re.escape, table)) + r"\s*\]+\s*$") if table else None
        in_table = header is None
        for number, line in enumerate(lines, 1):
            stripped = line.strip()
            if stripped.startswith("["):
                in_table = bool(header and header.match(line))
                if header is None and re.match(r"^\s*\[+\s*" + re.escape(key) + r"\s*[\].]", line):
                    return number
                continue
            if in_table and re.match(r"^\s*\"?" + re.escape(key) + r"\"?\s*=", line):
                return number
        if header is not None:
            for number, line in enumerate(lines, 1):
                if re.match(r"^\s*\[+\s*" + r"\s*\.\s*".join(map(re.escape, keys[:depth])) + r"\s*[\].]", line):
                    return number
    return None


def load(config_path: str | Path) -> Project:
    path = Path(config_path)
    shown = str(config_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no such file; run 'spindle init DIR' for a new project or pass --config PATH", shown) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", shown) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        msg = re.sub(r"\s*\(at line.*\)", "", str(exc))
        raise ConfigError(f"invalid TOML: {msg}; fix the syntax", shown, int(m.group(1)) if m else None) from None
    try:
        config = convert(data, Config)
    except SchemaError as exc:
        line = line_of(text, exc.path)
        raise ConfigError(f"{exc.dotted}: {exc.message}", shown, line) from None
    return Project(root=path.resolve().parent, config_path=path.resolve(), config=config)
