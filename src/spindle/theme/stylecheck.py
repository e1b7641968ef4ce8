"""Check the project's own stylesheets before a build: UTF-8, balanced braces and CSS syntax
(tinycss2, as WeasyPrint reads them; a rule it cannot parse is skipped, so that is a warning),
every url() they use: inside the project, present, and for @font-face a font that loads; and what
WeasyPrint would stop on while drawing (a CMYK colour in a gradient). Errors name the stylesheet and
the line; warnings are S001 findings, reported by ``spindle check`` and by the build alike."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from spindle.core.diagnostics import Diagnostic, diagnostic
from spindle.core.errors import TemplateError
from spindle.theme import Theme

_COMMENT_OR_STRING = re.compile(r"/\*.*?(\*/|$)|\"(\\.|[^\"\\\n])*\"|'(\\.|[^'\\\n])*'", re.S)


_GRADIENTS = {"linear-gradient", "radial-gradient", "conic-gradient", "repeating-linear-gradient",
              "repeating-radial-gradient", "repeating-conic-gradient"}


def check(theme: Theme, allow_remote: bool = False) -> list[Diagnostic]:
    """Findings (S001) for the project's stylesheets; raises TemplateError for what cannot be built."""
    folder = theme.style_dirs[0]
    warnings: list[Diagnostic] = []
    if not folder.is_dir():
        return warnings
    for path in sorted(folder.rglob("*.css")):
        warnings += _check_file(theme, path, allow_remote)
    return warnings


def _check_file(theme: Theme, path: Path, allow_remote: bool) -> list[Diagnostic]:
    import tinycss2

    shown = theme.project.display(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TemplateError("not valid UTF-8; save the stylesheet as UTF-8", shown,
                            data[: exc.start].count(b"\n") + 1) from None
    warnings: list[Diagnostic] = []
    unclosed = _unclosed_brace(text)
    if unclosed:
        warnings.append(diagnostic("S001", "CSS syntax error: this '{' is never closed, so the rest of the file "
                                   "is inside it; add the missing '}'", shown, unclosed))
    rules = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
    for rule in rules:
        if rule.type == "error":
            warnings.append(diagnostic("S001", f"CSS syntax error ({rule.message}); the rule is skipped", shown,
                                       rule.source_line))
            continue
        _check_gradients(list(rule.content or []), shown)
        font_face = rule.type == "at-rule" and rule.lower_at_keyword == "font-face"
        importing = rule.type == "at-rule" and rule.lower_at_keyword == "import"
        for token, url in _urls(list(rule.prelude or []) + list(rule.content or []), importing):
            _check_url(theme, path, shown, token.source_line, url, font_face, allow_remote)
    return warnings


def _unclosed_brace(text: str) -> int | None:
    stack: list[int] = []
    stripped = _COMMENT_OR_STRING.sub(lambda m: "\n" * m.group().count("\n"), text)
    line = 1
    for ch in stripped:
        if ch == "\n":
            line += 1
        elif ch == "{":
            stack.append(line)
        elif ch == "}" and stack:
            stack.pop()
    return stack[0] if stack else None


def _check_gradients(tokens, shown: str, gradient: str | None = None) -> None:
    """WeasyPrint 70 draws gradients in RGB only: a device-cmyk() colour in one stops the build while
    drawing (tinycss2 cannot convert it), with nothing to say where. Said here, at its line."""
    for token in tokens:
        if token.type == "function":
            name = token.lower_name
            if name == "device-cmyk" and gradient:
                raise TemplateError(f"device-cmyk() inside {gradient}(): gradients can only be drawn in RGB; give "
                                    "this gradient RGB colours (the print edition converts them to CMYK)",
                                    shown, token.source_line)
            _check_gradients(token.arguments, shown, name if name in _GRADIENTS else gradient)
        elif token.type in ("() block", "[] block", "{} block"):
            _check_gradients(token.content, shown, gradient)


def _urls(tokens, importing: bool):
    for token in tokens:
        kind = token.type
        if kind == "url":
            yield token, token.value
        elif kind == "function" and token.lower_name == "url":
            for arg in token.arguments:
                if arg.type == "string":
                    yield token, arg.value
        elif kind == "string" and importing:
            yield token, token.value
        if kind in ("() block", "[] block", "{} block"):
            yield from _urls(token.content, importing)
        elif kind == "function":
            yield from _urls(token.arguments, importing)
        elif kind == "at-rule" or kind == "qualified-rule":
            yield from _urls(list(token.prelude or []) + list(token.content or []), importing)


def _check_url(theme: Theme, css: Path, shown: str, line: int, url: str, font_face: bool, allow_remote: bool) -> None:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data" or url.startswith("#"):
        return
    if scheme in ("http", "https"):
        if not allow_remote:
            raise TemplateError(f"url '{url}' is remote; download it into the project or build with --allow-remote",
                                shown, line)
        return
    if scheme and scheme != "file":
        raise TemplateError(f"url '{url}': only files inside the project can be used", shown, line)
    target = Path(unquote(parts.path))
    target = (target if target.is_absolute() else css.parent / target).resolve()
    roots = (theme.project.root, *(d.resolve() for d in theme.style_dirs), theme.font_dir.resolve())
    if not any(target == r or r in target.parents for r in roots):
        raise TemplateError(f"url '{url}' lies outside the project; move the file into the project", shown, line)
    if not target.is_file():
        raise TemplateError(f"url '{url}': no such file; check the path (relative to this stylesheet)", shown, line)
    if font_face:
        from fontTools.ttLib import TTFont, TTLibError

        try:
            with TTFont(str(target), lazy=False) as font:  # reads every table: a damaged font fails here
                font.ensureDecompiled()
                if "cmap" not in font or "head" not in font:
                    raise TTLibError("no cmap or head table")
        except (TTLibError, OSError, ValueError, AssertionError, KeyError, IndexError, TypeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise TemplateError(f"font '{url}' cannot be read ({reason}); use an OpenType, TrueType or WOFF font",
                                shown, line) from None
