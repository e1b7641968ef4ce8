"""WeasyPrint's own log messages, folded into spindle's warnings: each problem once, in spindle's
words, at the manuscript line where it can be found.

- A character no font has (WeasyPrint logs ``.notdef glyph rendered …`` at every occurrence, in
  every edition) becomes one warning per character, at the first line that uses it.
- An image without alt text is already reported by the manuscript stage (with its line): WeasyPrint's
  copies (one per edition and per tagged PDF pass) are dropped.
- An image WeasyPrint could not read is reported at the line that uses it.
- Anything else (a stylesheet rule WeasyPrint cannot use, say) is kept once for both paged
  editions, prefixed ``layout:``.

Each is a Diagnostic with its code from core/diagnostics.py's table (P001 a missing glyph, P002 an
image that could not be read, P003 anything else), printed as before."""

from __future__ import annotations

import re
from pathlib import Path

from spindle.core.diagnostics import Diagnostic, diagnostic

_NOTDEF = re.compile(r'^\.notdef glyph rendered for Unicode string unsupported by fonts: "(.*)" \(U\+([0-9A-F]+)\)$', re.S)
_NO_ALT = re.compile(r'^Image "(.*)" has no required alt description$')
_IMAGE = re.compile(r"^Failed to (?:load|render SVG) image (?:at )?'?([^']*?)'?(?:: (.*))?$")


def fold(book, edition: str, messages: list[str]) -> list[Diagnostic]:
    """spindle's findings for WeasyPrint's *messages* (as collected while laying out *edition*)."""
    out: list[Diagnostic] = []
    for message in messages:
        folded = _fold_one(book, edition, message)
        if folded is not None and folded not in out:
            out.append(folded)
    return out


def _fold_one(book, edition: str, message: str) -> Diagnostic | None:
    m = _NOTDEF.match(message)
    if m:
        char = chr(int(m.group(2), 16))
        return diagnostic("P001", f"no font has the character '{char}' (U+{ord(char):04X}); it prints as an empty "
                          "box: add a face that has it to the theme's font stacks (--font-scripts in "
                          "styles/custom.css)", *_first_use(book, char))
    if _NO_ALT.match(message):
        return None
    m = _IMAGE.match(message)
    if m:
        src = m.group(1)
        reason = f": {m.group(2)}" if m.group(2) else ""
        return diagnostic("P002", f"image '{src}' could not be read{reason}", *_first_use(book, Path(src).name))
    return diagnostic("P003", f"layout: {message}")


def _first_use(book, needle: str) -> tuple[str, int | None]:
    """(file, line) of the first line in reading order that contains *needle* (book.toml when
    only the configuration has it, the file alone when not found)."""
    for chapter in book.chapters:
        path = chapter.source
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, 1):
            if needle in line:
                return book.project.display(path), number
    config = book.project.config_path
    try:
        for number, line in enumerate(config.read_text(encoding="utf-8").splitlines(), 1):
            if needle in line:
                return book.project.display(config), number
    except (OSError, UnicodeDecodeError):
        pass
    return book.project.display(config), None
