"""Open a .docx safely: tell what a file really is before anything parses it,
and read its parts within fixed limits (time and memory stay bounded).

A Word file can be many things that are not a .docx: an old binary .doc or a
password-protected .docx (both OLE compound files), a PDF or text saved under
the wrong name, a zip that holds no Word document, or a zip bomb. Each gets
its own one-line error naming the file and what to do."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from spindle.core.errors import ManuscriptError

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP = b"PK\x05\x06"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Limits: far above any real book chapter, far below what exhausts a machine.
MAX_FILE = 200 * 1024 * 1024        # the .docx itself
MAX_PARTS = 5_000                   # members of the zip
MAX_TOTAL = 400 * 1024 * 1024       # all members, uncompressed (as declared; zipfile enforces it on read)
MAX_XML = 64 * 1024 * 1024          # one XML part, uncompressed
MAX_RATIO = 200                     # uncompressed / compressed, per member over 1 MB

DOCUMENT = "word/document.xml"
_FOREIGN = (  # what a renamed file often is: (magic, name)
    (b"%PDF", "a PDF file"), (b"{\\rtf", "an RTF file (save it as .docx in Word)"),
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"<?xml", "an XML file (Word 2003 XML? save it as .docx in Word)"), (b"<html", "an HTML file"),
    (b"<!DOCTYPE", "an HTML file"), (b"\x1f\x8b", "a gzip archive"), (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_ZIP_KINDS = (  # zips that are documents of another kind: (part, name)
    ("xl/workbook.xml", "an Excel workbook (.xlsx)"), ("ppt/presentation.xml", "a PowerPoint file (.pptx)"),
    ("content.xml", "an OpenDocument file (.odt/.ods; save it as .docx)"),
    ("word/document2.xml", "a Word document whose main part is not word/document.xml"),
)


def fail(display: str, message: str) -> ManuscriptError:
    return ManuscriptError(message, display)


def what_is(data: bytes) -> str:
    """A name for bytes that are not a zip, for error messages."""
    head = data[:16].lstrip(b"\xef\xbb\xbf \t\r\n")
    for magic, name in _FOREIGN:
        if head[: len(magic)].lower() == magic.lower():
            return name
    if not data:
        return "an empty file"
    try:
        data[:4096].decode("utf-8")
        return "a text file"
    except UnicodeDecodeError:
        return "not a Word .docx file"


def _ole(data: bytes, display: str) -> ManuscriptError:
    """An OLE compound file: a password-protected .docx (EncryptedPackage) or an old .doc (WordDocument).
    Their directory entries name the streams in UTF-16LE, readable without an OLE parser."""
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        return fail(display, "the .docx is password-protected (encrypted); open it in Word, remove the password "
                             "(File > Info > Protect Document) and save it again")
    if "WordDocument".encode("utf-16-le") in data:
        return fail(display, "an old binary Word .doc file; open it in Word and save it as .docx "
                             "(Word Document), then name that file in book.toml")
    return fail(display, "an OLE compound file (Excel .xls, PowerPoint .ppt, ...?), not a Word .docx; "
                         "save the document as .docx")


@dataclass
class Package:
    """The parts of a .docx, read within the limits (names -> bytes, read on demand)."""

    display: str
    zf: zipfile.ZipFile
    names: set[str] = field(default_factory=set)

    def has(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str) -> bytes:
        try:
            return self.zf.read(name)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise fail(self.display, f"the .docx is damaged (part {name}: {_reason(exc)}); "
                                     "open it in Word and save it again") from None
        except KeyError:
            raise fail(self.display, f"the .docx lacks its part {name}; open it in Word and save it again") from None

    def members(self) -> dict[str, bytes]:
        return {name: self.read(name) for name in sorted(self.names)}


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().rstrip(".")
    return text.splitlines()[0][:80] if text else type(exc).__name__


def open_package(data: bytes, display: str) -> Package:
    """Check *data* is a .docx within the limits; raise a one-line ManuscriptError otherwise."""
    if data.startswith(OLE_MAGIC):
        raise _ole(data, display)
    if len(data) > MAX_FILE:
        raise fail(display, f"the .docx is larger than {MAX_FILE // 2**20} MB; make its images smaller "
                            "(Picture Format > Compress Pictures) and save it again")
    if not data.startswith(ZIP_MAGIC):
        if data.startswith(EMPTY_ZIP):
            raise fail(display, "an empty zip archive, not a Word .docx; save the document as .docx")
        raise fail(display, f"not a Word .docx file: it is {what_is(data)}; save the document as .docx "
                            "(Word: File > Save As > Word Document)")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise fail(display, f"the .docx is damaged or truncated ({_reason(exc)}); open it in Word and save it "
                            "again, or copy it again from where it came") from None
    if len(infos) > MAX_PARTS:
        raise fail(display, f"the .docx holds {len(infos)} parts (more than {MAX_PARTS}): not a Word document "
                            "as Word writes it; open it in Word and save it again")
    total = 0
    for info in infos:
        total += info.file_size
        big = info.file_size > 2**20
        if (info.filename.endswith((".xml", ".rels")) and info.file_size > MAX_XML) or total > MAX_TOTAL or (
                big and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
            raise fail(display, f"the .docx expands to more than its limits (part {info.filename}: "
                                f"{info.file_size // 2**20} MB from {max(info.compress_size, 1) // 1024} KB): "
                                "a zip bomb or a damaged file; it is not read")
    names = {info.filename for info in infos}
    if DOCUMENT not in names:
        kind = next((name for part, name in _ZIP_KINDS if part in names), None)
        what = f"it is {kind}" if kind else "a zip archive without word/document.xml"
        raise fail(display, f"not a Word .docx file: {what}; save the document as .docx")
    return Package(display, zf, names)
