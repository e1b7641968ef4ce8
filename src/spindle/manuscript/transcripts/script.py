"""Text by script: how cues join (no space between Chinese or Japanese cues, a
space elsewhere), where sentences end (。！？ as well as .!?), how long a
paragraph is (a Chinese or Japanese character counts as half a word), and
what counts as a word in the importer's summary (each such character)."""

from __future__ import annotations

import re

# Han ideographs (with extensions and compatibility forms), kana, CJK symbols and full-width forms:
# scripts written without spaces between words.
_CJK = "\u2e80-\u2fdf\u3000-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_CJK_CHAR_RE = re.compile(f"[{_CJK}]")
_CJK_LETTER_RE = re.compile("[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_FULL_PUNCT = "。，、！？；：…—「」『』（）《》〈〉【】〔〕“”‘’·．～"
_NO_SPACE_BEFORE = set("。，、！？；：…」』）》〉】〕”’．")
_NO_SPACE_AFTER = set("「『（《〈【〔“‘")
SENTENCE_END_RE = re.compile(r"[.!?…。！？][\"”'’)\]」』）》]*$")
# A cut: the punctuation (group 1, kept with what precedes) and the whitespace after it (dropped).
_SENTENCE_RE = re.compile(r"([.!?…][\"”'’)\]]*)\s+|([。！？][」』）》”’]*)\s*")
_CLAUSE_RE = re.compile(r"([,;:])\s+|([，、；：])\s*")
_WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_NEWLINE_RE = re.compile(f"(?<=[{_CJK}])[ \\t]*\\n\\s*(?=[{_CJK}])")


def cjk(char: str) -> bool:
    return bool(char) and bool(_CJK_CHAR_RE.match(char))


def join(a: str, b: str) -> str:
    """Two stretches of speech as one: no space where Chinese or Japanese meet (or
    after their full-width punctuation), a space elsewhere."""
    if not a:
        return b
    if not b:
        return a
    x, y = a[-1], b[0]
    if (cjk(x) and cjk(y)) or x in _NO_SPACE_AFTER or (y in _NO_SPACE_BEFORE and cjk(x)) \
            or (x in _FULL_PUNCT and x not in "“‘”’") or (cjk(x) and y in "“‘") or (x in "”’" and cjk(y)):
        return a + b
    return f"{a} {b}"


def join_all(parts) -> str:
    out = ""
    for part in parts:
        part = part.strip()
        if part:
            out = join(out, part)
    return out


def unwrap(text: str) -> str:
    """Line breaks inside a cue between Chinese or Japanese characters are wrapping, not spaces."""
    return _NEWLINE_RE.sub("", text) if "\n" in text else text


def sentence_end(text: str) -> bool:
    return bool(SENTENCE_END_RE.search(text.rstrip()))


def words(text: str) -> int:
    """Words as the summary counts them: each Chinese or Japanese character is one."""
    letters = len(_CJK_LETTER_RE.findall(text))
    rest = _CJK_LETTER_RE.sub(" ", text)
    return letters + len(_WORD_RE.findall(rest))


def measure(text: str) -> float:
    """A paragraph's length in words, a Chinese or Japanese character counting half."""
    letters = len(_CJK_LETTER_RE.findall(text))
    return letters / 2 + len(_WORD_RE.findall(_CJK_LETTER_RE.sub(" ", text)))


def split_long(text: str, limit: float) -> list[str]:
    """*text* as paragraphs of at most *limit* (by ``measure``): cut at sentence ends,
    then (for a sentence over the limit) at clause punctuation, then between words
    or characters. Nothing is dropped or changed but the whitespace at a cut."""
    if measure(text) <= limit:
        return [text]
    out: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        candidate = join(current, piece) if current else piece
        if current and measure(candidate) > limit:
            out.append(current)
            current = piece
        else:
            current = candidate
    if current:
        out.append(current)
    return out


def _pieces(text: str, limit: float) -> list[str]:
    out: list[str] = []
    for sentence in _split(_SENTENCE_RE, text):
        if measure(sentence) <= limit:
            out.append(sentence)
            continue
        for clause in _split(_CLAUSE_RE, sentence):
            if measure(clause) <= limit:
                out.append(clause)
            else:
                out += _hard(clause, limit)
    return out


def _split(regex: re.Pattern, text: str) -> list[str]:
    parts, pos = [], 0
    for m in regex.finditer(text):
        cut = m.end(1) if m.group(1) is not None else m.end(2)
        if m.end() >= len(text):
            continue
        parts.append(text[pos:cut])
        pos = m.end()
    parts.append(text[pos:])
    return [p for p in (p.strip() for p in parts) if p]


def _hard(text: str, limit: float) -> list[str]:
    """Cut between words (or Chinese/Japanese characters) when nothing better is left."""
    tokens = re.findall(f"[{_CJK}]|[^\\s{_CJK}]+", text)
    out, current = [], ""
    for token in tokens:
        candidate = join(current, token) if current else token
        if current and measure(candidate) > limit:
            out.append(current)
            current = token
        else:
            current = candidate
    return out + ([current] if current else [])
