"""The document model: a Book of Chapters, independent of any edition.

Every chapter is parsed on its own, with ids namespaced by its ``id``, so it
can be cached by its content hash and laid out independently."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spindle.core.diagnostics import Diagnostic
from spindle.project.config import Metadata, Project


@dataclass(frozen=True)
class Heading:
    level: int  # 2 to 6 inside a chapter (the chapter title is level 1; a nested file's title is 2)
    id: str
    text: str
    file: bool = False  # the title of a file nested under the chapter (its own document in the EPUB)


@dataclass(frozen=True)
class Note:
    id: str  # the note's element id, e.g. "new-alliances-fn1"
    ref_id: str  # the id of its first call in the text
    number: int
    html: str  # the note's content, block HTML (paragraphs)


@dataclass(frozen=True)
class Speaker:
    label: str
    role: str
    name: str = ""
    short: str = ""
    interviewer: bool = False

    @property
    def full(self) -> str:
        return f"{self.name}, {self.role}" if self.name and self.role else (self.name or self.role or self.label)


@dataclass(frozen=True)
class Chapter:
    id: str
    source: Path  # absolute path of the manuscript file
    display: str  # the path as shown to the user (project-relative)
    kind: str
    section: str  # "front", "body" or "back"
    title: str
    lang: str
    html: str  # body HTML; note calls are <a class="noteref"> elements
    subtitle: str = ""
    number: int | None = None  # chapter number, for numbered kinds
    part: str | None = None  # title of the part this chapter opens, if any
    notes: tuple[Note, ...] = ()
    headings: tuple[Heading, ...] = ()
    resources: tuple[str, ...] = ()  # project-relative paths of images used
    standfirst: str = ""  # HTML
    speakers: tuple[Speaker, ...] = ()
    digest: str = ""  # the hash of the source and of every file it includes
    diagnostics: tuple[Diagnostic, ...] = ()
    includes: tuple[Path, ...] = ()  # absolute paths of the files its include directives read
    title_id: str = ""  # id of the title heading, when the title came from the file's first heading
    self_numbered: bool = False  # the title carries its own number ("1. Background"): print no other
    depth: int = 0  # > 0 while a nested file is loaded on its own, before it is merged into its chapter
    merged: tuple[Path, ...] = ()  # the files of sections merged into this chapter (nesting)
    page_title: str = ""  # the title of the chapter's own page (the EPUB document's <title>): mdBook's {{#title}}
    date: str = ""  # when the interview took place (from the transcript's own metadata), YYYY-MM-DD

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(str(d) for d in self.diagnostics)

    @property
    def epub_type(self) -> str:
        return {"interview": "chapter", "preface": "preface"}.get(self.kind, self.kind)

    @property
    def role(self) -> str:
        return {
            "foreword": "doc-foreword", "introduction": "doc-introduction", "preface": "doc-preface",
            "chapter": "doc-chapter", "interview": "doc-chapter", "afterword": "doc-afterword",
            "appendix": "doc-appendix", "colophon": "doc-colophon",
        }[self.kind]

    @property
    def href(self) -> str:
        return f"{self.id}.xhtml"


@dataclass(frozen=True)
class Book:
    project: Project
    meta: Metadata
    chapters: tuple[Chapter, ...]

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(d for c in self.chapters for d in c.diagnostics)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(w for c in self.chapters for w in c.warnings)

    @property
    def lang(self) -> str:
        return self.meta.language

    @property
    def notes(self) -> tuple[str, ...]:
        """What the build should say once: languages whose built-in labels fall back to English."""
        from spindle.project.i18n import has_labels

        langs = dict.fromkeys([self.lang, *(c.lang for c in self.chapters)])
        return tuple(f"no built-in labels in '{lang}' ('Contents', 'Chapter', 'Notes', ...): the English ones are used "
                     "(translate them in the project's templates/)" for lang in langs if not has_labels(lang))

    @property
    def resources(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for chapter in self.chapters:
            for res in chapter.resources:
                seen.setdefault(res)
        return tuple(seen)
