"""Read a transcript file: bytes to text, with byte-order marks, UTF-16 and
invalid UTF-8 each handled or reported on their own."""

from __future__ import annotations

import codecs

from spindle.manuscript.transcripts.model import Source

ZIP_MAGIC = b"PK\x03\x04"


def decode(data: bytes, display: str, suffix: str = "") -> Source:
    """Decode *data*; a .docx (zip) stays bytes. Raises TranscriptError."""
    src = Source(display=display, data=data, suffix=suffix.lower())
    if data.startswith(ZIP_MAGIC):
        return src
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        raise src.error("the file is UTF-32; save the transcript as UTF-8")
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        src.text = _utf16(data, "utf-16", src)
    elif _looks_utf16(data):
        encoding = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
        src.text = _utf16(data, encoding, src)
        src.warnings.append(f"{display}: UTF-16 without a byte-order mark; read as {encoding.upper()} (save it as UTF-8 to silence this)")
    else:
        try:
            src.text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            raise src.error(
                f"not valid UTF-8 (byte 0x{data[exc.start]:02X} at column {column}); "
                "save the transcript as UTF-8 (or UTF-16 with a byte-order mark)", line,
            ) from None
    if "\x00" in src.text:
        line = src.text[: src.text.index("\x00")].count("\n") + 1
        raise src.error("the file contains NUL characters: it is not a text transcript", line)
    src.text = src.text.replace("\r\n", "\n").replace("\r", "\n")
    return src


def _looks_utf16(data: bytes) -> bool:
    """Mostly-ASCII text saved as UTF-16 without a BOM: every other byte is NUL."""
    sample = data[:2000]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (odd.count(0) > 0.6 * len(odd) and even.count(0) == 0) or (even.count(0) > 0.6 * len(even) and odd.count(0) == 0)


def _utf16(data: bytes, encoding: str, src: Source) -> str:
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(encoding, "replace").count("\n") + 1
        raise src.error("not valid UTF-16; save the transcript as UTF-8", line) from None
