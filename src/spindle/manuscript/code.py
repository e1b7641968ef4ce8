"""Code blocks: info strings read as mdBook and GitHub write them, code highlighted with Pygments.

An info string is a language and attributes, separated by commas or spaces:
``rust,ignore,does_not_compile``, ``python,hidelines=!!!``, ``js linenos``.
The language picks the Pygments lexer; the attributes spindle reads are
``hidelines=PREFIX`` (mdBook: lines starting with PREFIX are not shown; Rust's
``# `` lines are hidden always, as mdBook hides them) and ``linenos`` (or
``line-numbers``: each line numbered, by a CSS counter, so the numbers are not
copied with the code) and ``title=`` (or ``file=``: a file name shown above the
code). The others are kept as classes (``code-ignore``).

Highlighting writes spans with Pygments' short class names (``k``, ``s``,
``c``…); the theme's ``code.css`` gives them colours through CSS custom
properties, so a theme changes the palette in one place. Code that no lexer
knows is escaped text.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field

from spindle.manuscript import dialects

_SPLIT = re.compile(r"""[,\s]+(?=(?:[^"]*"[^"]*")*[^"]*$)""")  # commas and spaces outside quotes
_NUMBERED = {"linenos", "line-numbers", "linenums", "numberlines", "number-lines"}


@dataclass(frozen=True)
class Info:
    language: str = ""
    flags: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, info: str) -> "Info":
        info = info.strip()
        if info.startswith("{") and info.endswith("}"):  # pandoc style: {.python .numberLines}
            info = info[1:-1].replace(".", " ")
        words = [w for w in _SPLIT.split(info) if w]
        if not words:
            return cls()
        language = words[0].lower() if "=" not in words[0] else ""
        rest = words[1:] if language else words
        flags = tuple(w.lower() for w in rest if "=" not in w)
        values = dict(w.split("=", 1) for w in rest if "=" in w)
        return cls(language, flags, {k.lower(): v.strip("\"'") for k, v in values.items()})

    @property
    def numbered(self) -> bool:
        return bool(_NUMBERED & set(self.flags)) or self.values.get("linenos", "").lower() in ("true", "1", "yes")

    @property
    def file_name(self) -> str:
        """``title=``, ``file=`` or ``filename=``: the code's file name, shown above it."""
        return next((self.values[k] for k in ("title", "file", "filename", "file-name") if self.values.get(k)), "")

    @property
    def hide_prefix(self) -> str | None:
        """The prefix of hidden lines: ``hidelines=``'s, or Rust's ``# `` (None)."""
        return self.values.get("hidelines") or None

    @property
    def hides(self) -> bool:
        return self.language == "rust" or "hidelines" in self.values


def visible(source: str, info: Info) -> str:
    """The code as the reader sees it: hidden lines dropped (mdBook's rules)."""
    if not info.hides:
        return source
    prefix = info.hide_prefix
    lines = source.split("\n")
    kept = [dialects.unhide(ln) if prefix is None else ln for ln in lines if not dialects.hidden(ln, prefix)]
    return "\n".join(kept)


@functools.lru_cache(maxsize=64)
def _lexer(language: str):
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    if not language:
        return None
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@functools.lru_cache(maxsize=1)
def _formatter():
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


def highlight(source: str, language: str) -> str:
    """The code as XHTML: Pygments spans (one set per line), or escaped text when no lexer fits."""
    lexer = _lexer(language)
    if lexer is None:
        return html.escape(source, quote=False)
    from pygments import highlight as pyg

    out = pyg(source, lexer, _formatter())
    return out[:-1] if out.endswith("\n") and not source.endswith("\n") else out


def block(source: str, info: Info, ident: str | None = None, classes: str = "") -> str:
    """A ``<pre><code>`` block for a fenced or indented code block."""
    text = visible(source, info)
    body = highlight(text, info.language)
    if body.endswith("\n"):
        body = body[:-1]
    if info.numbered:
        body = "".join(f'<span class="line">{line}</span>\n' for line in body.split("\n"))
    else:
        body += "\n"
    names = ["code"] + ([f"language-{_class(info.language)}"] if info.language else [])
    names += [f"code-{_class(f)}" for f in info.flags if _class(f)]
    names += ["numbered"] if info.numbered else []
    names += classes.split()
    ident_attr = f' id="{html.escape(ident)}"' if ident else ""
    lang = f' data-lang="{html.escape(info.language)}"' if info.language else ""
    code_class = f' class="language-{_class(info.language)}"' if info.language else ""
    return (f'<pre class="{" ".join(dict.fromkeys(names))}"{ident_attr}{lang}>'
            f'<code{code_class}>{body}</code></pre>\n')


def _class(word: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", word).strip("-").lower()
