"""The print edition, start to finish: lay out the book (padded to whole
signatures), finish it (boxes, crop marks, PDF/X, reproducible metadata),
then the cover (its spine from the final page count), the imposed sheets
when asked for, and preflight when the build is strict. Everything stays in
memory; build.py writes the files only when every edition succeeded."""

from __future__ import annotations

from dataclasses import dataclass, field

from spindle.editions.print import signatures
from spindle.project.config import line_of
from spindle.core.errors import BuildError, ConfigError
from spindle.core.diagnostics import Diagnostic, diagnostic
from spindle.editions.print.marks import MM, Sheet
from spindle.manuscript.model import Book
from spindle.editions.paged.engine import Laid
from spindle.theme import Theme
from spindle.core import faults

VARIANT = "pdf/x-4"
MAX_LAYOUTS = 3


@dataclass
class PrintFiles:
    files: dict[str, bytes]  # role ("print", "cover", "imposed") -> PDF bytes
    pages: int
    padding: signatures.Padding
    spine: object
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    starts: list | None = None  # pagemap.PageStart per page: the EPUB's page-list
    diagnostics: list = field(default_factory=list)  # the layout's findings (core.diagnostics), also in warnings


def output_profile(book: Book) -> str | None:
    """The configured CMYK output profile, checked: inside the project, a readable CMYK ICC profile."""
    project = book.project
    relative = project.config.editions.print.icc_profile
    if relative is None:
        return None

    def fail(message: str):
        line = line_of(project.config_path.read_text(encoding="utf-8"), ("editions", "print", "icc_profile"))
        return ConfigError(f"editions.print.icc_profile: {message}", project.display(project.config_path), line)

    path = project.path(relative)
    if project.root not in path.parents:
        raise fail(f"'{relative}' lies outside the project; copy the profile into the project")
    if not path.is_file():
        raise fail(f"'{relative}' not found; check the path (relative to book.toml)")
    from PIL import ImageCms

    try:
        profile = ImageCms.ImageCmsProfile(str(path)).profile
    except (OSError, ImageCms.PyCMSError):
        raise fail(f"'{relative}' is not a readable ICC profile") from None
    if profile.xcolor_space.strip() != "CMYK":
        raise fail(f"'{relative}' is a {profile.xcolor_space.strip()} profile; PDF/X-4 print needs a CMYK output profile")
    return relative


def variant_for(book: Book) -> str | None:
    return VARIANT if output_profile(book) else None


def lay_out(book: Book, theme: Theme, epoch: int | None, allow_remote: bool, font_config, identifier: str) -> Laid:
    """The print edition in one pass, padded to whole signatures (the single-pass layout)."""
    from spindle.editions.paged import footnotes
    from spindle.editions.paged import pagemap
    from spindle.editions.paged import engine as paged
    from spindle.theme import render

    p = book.project.config.editions.print
    variant = variant_for(book)
    cache: dict = {}
    sheets = theme.stylesheets("print") + [theme.custom_stylesheet()]
    settings = render.page_settings(book, "print", theme)

    def lay_out_once(padding):
        html = render.paged_html(book, "print", theme, epoch, padding=padding)
        return paged.layout(html, sheets, [settings], book.project.root, allow_remote, font_config, cache, variant,
                            shared=book.project.shared)

    padding = None
    layout = lay_out_once(None)
    for _ in range(MAX_LAYOUTS - 1):
        if layout.pages % p.signature == 0:
            break
        padding = signatures.plan(layout.pages, p.signature, book, padding)
        layout = lay_out_once(padding)
    check_padded(layout.pages, p.signature)
    if padding is None:
        padding = signatures.Padding(pages=layout.pages, signature=p.signature)
    data = paged.write(layout, identifier)
    return Laid(pdf=data, pages=layout.pages, where=footnotes.pages_of(layout.document),
                starts=pagemap.page_starts(layout.document), warnings=list(layout.warnings), padding=padding,
                variant=variant, spills=layout.spills)


def finish_spec(book: Book, identifier: str, epoch: int | None):
    """How the print edition's PDF is finished: page boxes and crop marks, output condition, ids and dates."""
    from spindle.editions.print import finish

    p = book.project.config.editions.print
    width, height = p.size
    condition = p.output_condition if variant_for(book) else None
    return finish.Finish(identifier, epoch, Sheet(width * MM, height * MM, p.bleed.pt), p.marks, condition)


def check_padded(pages: int, signature: int) -> None:
    if pages % signature:
        raise BuildError(f"print: could not pad {pages} pages to a multiple of the signature ({signature}); "
                         "check page breaks around the closing pages")


def build(book: Book, theme: Theme, epoch: int | None, allow_remote: bool, font_config,
          identifier: str, preflight: bool = False, laid: Laid | None = None) -> PrintFiles:
    """The print edition's files: from *laid* (a layout made part by part), or laid out here in one pass."""
    from spindle.editions.print import cover
    from spindle.editions.print import finish
    from spindle.editions.paged import footnotes
    from spindle.editions.paged import engine as paged

    p = book.project.config.editions.print
    if laid is None:
        laid = lay_out(book, theme, epoch, allow_remote, font_config, identifier)
    variant = laid.variant
    faults.point("print")
    padding = laid.padding or signatures.Padding(pages=laid.pages, signature=p.signature)
    width, height = p.size
    condition = p.output_condition if variant else None
    files = {"print": laid.pdf if laid.finished else finish.finish(laid.pdf, finish_spec(book, identifier, epoch))}
    from spindle.editions.paged import messages, overflow

    found = messages.fold(book, "print", laid.warnings) + overflow.for_book(book, "print", laid.spills)
    short_pages = overflow.notes_for_book(book, "print", laid.spills)

    spine = cover.spine_for(book, laid.pages)
    cover_width, _ = cover.sheet_size(book, spine)
    cover_layout = cover.layout(book, theme, spine, epoch, allow_remote, font_config, variant, {})
    found += [diagnostic("R001", f"cover: {w}") for w in cover_layout.warnings]
    if cover_layout.pages != 1:
        found.append(diagnostic("R001", f"cover: the cover template made {cover_layout.pages} pages; only the "
                                "first is the cover"))
    cover_sheet = Sheet(cover_width * MM, height * MM, p.bleed.pt, folds=(width * MM, (width + spine.width_mm) * MM))
    cover_spec = finish.Finish(identifier + "|cover", epoch, cover_sheet, p.marks, condition)
    files["cover"] = finish.finish(paged.write(cover_layout, identifier + "|cover"), cover_spec)

    if p.imposition == "saddle-stitch":
        from spindle.editions.print import impose

        files["imposed"] = impose.impose(files["print"], creep_mm=p.creep.mm, marks=p.marks,
                                         identifier=identifier, epoch=epoch)
    notes = short_pages + [f"print: {padding.describe()}", f"cover: {spine.describe()}",
             *footnotes.describe_pages("print", laid.where)]
    if not book.meta.isbn.print:
        notes.append("cover: no book.isbn.print, so the back cover has no barcode")
    notes.append(f"print: PDF/X-4 with output intent {p.output_condition} ({p.icc_profile})" if variant else
                 "print: not PDF/X: no editions.print.icc_profile, so no output intent is claimed "
                 "(CMYK colours for an unspecified press)")
    if preflight:
        found += _preflight(book, files)
    return PrintFiles(files=files, pages=laid.pages, padding=padding, spine=spine, warnings=[str(d) for d in found],
                      notes=notes, starts=laid.starts, diagnostics=found)


def _preflight(book: Book, files: dict[str, bytes]) -> list[Diagnostic]:
    from spindle.editions.print import preflight

    stem = book.project.config.book.file_stem
    names = {"print": f"{stem}-print.pdf", "cover": f"{stem}-cover.pdf", "imposed": f"{stem}-print-imposed.pdf"}
    report = preflight.run(book, files, names)
    if report.errors:
        first = report.errors[0]
        where = f"page {first.page}: " if first.page else ""
        raise BuildError(f"preflight: {len(report.errors)} error(s); first: {first.file}: {first.check}: {where}{first.message}")
    return [diagnostic("R002", f"preflight: {w.file}: {w.check}: " + (f"page {w.page}: " if w.page else "") + w.message,
                       page=w.page or None) for w in report.warnings]
