"""Guess a transcript's language from its text when none is given.

No library: a transcript is long, one language, and what the book needs is
its BCP 47 tag for hyphenation, quotes, line breaking and the cleaner's word
lists. The script settles most languages outright (Han without kana is
Chinese, kana Japanese, Hangul Korean, Thai, Arabic, Hebrew, Greek, Cyrillic,
the Indic scripts...); Latin-script text is told by its commonest short
words for the languages the publisher receives most (en, nl, de, fr, es, it,
pt). Deterministic, instant, and nothing to download; when it cannot tell,
it says so and the caller falls back to the book's language."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

# Ranges of the scripts that identify a language (or a default one) on their own.
_SCRIPTS = [
    ("kana", "\u3040-\u30ff\u31f0-\u31ff"), ("hangul", "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"),
    ("han", "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"), ("thai", "\u0e00-\u0e7f"), ("lao", "\u0e80-\u0eff"),
    ("khmer", "\u1780-\u17ff"), ("myanmar", "\u1000-\u109f"), ("arabic", "\u0600-\u06ff\u0750-\u077f"),
    ("hebrew", "\u0590-\u05ff"), ("greek", "\u0370-\u03ff"), ("cyrillic", "\u0400-\u04ff"),
    ("armenian", "\u0530-\u058f"), ("georgian", "\u10a0-\u10ff"), ("ethiopic", "\u1200-\u137f"),
    ("devanagari", "\u0900-\u097f"), ("bengali", "\u0980-\u09ff"), ("gurmukhi", "\u0a00-\u0a7f"),
    ("gujarati", "\u0a80-\u0aff"), ("tamil", "\u0b80-\u0bff"), ("telugu", "\u0c00-\u0c7f"),
    ("kannada", "\u0c80-\u0cff"), ("malayalam", "\u0d00-\u0d7f"), ("sinhala", "\u0d80-\u0dff"),
    ("latin", "A-Za-z\u00c0-\u024f"),
]
_SCRIPT_RE = [(name, re.compile(f"[{chars}]")) for name, chars in _SCRIPTS]
_BY_SCRIPT = {"kana": ("ja", "Japanese kana"), "hangul": ("ko", "Korean Hangul"), "han": ("zh", "Chinese characters"),
              "thai": ("th", "Thai script"), "lao": ("lo", "Lao script"), "khmer": ("km", "Khmer script"),
              "myanmar": ("my", "Myanmar script"), "arabic": ("ar", "Arabic script"), "hebrew": ("he", "Hebrew script"),
              "greek": ("el", "Greek script"), "cyrillic": ("ru", "Cyrillic script"), "armenian": ("hy", "Armenian script"),
              "georgian": ("ka", "Georgian script"), "ethiopic": ("am", "Ethiopic script"),
              "devanagari": ("hi", "Devanagari script"), "bengali": ("bn", "Bengali script"),
              "gurmukhi": ("pa", "Gurmukhi script"), "gujarati": ("gu", "Gujarati script"), "tamil": ("ta", "Tamil script"),
              "telugu": ("te", "Telugu script"), "kannada": ("kn", "Kannada script"),
              "malayalam": ("ml", "Malayalam script"), "sinhala": ("si", "Sinhala script")}
# Frequent characters only one of the two Chinese writing systems uses.
_TRADITIONAL = set("們這個說來時會對為國學與還麼開關過當發從點體現經動應問題們裡讓頭實們覺買見東車長門話語")
_SIMPLIFIED = set("们这个说来时会对为国学与还么开关过当发从点体现经动应问题们里让头实们觉买见东车长门话语")
_PERSIAN = set("پچژگ")
_URDU = set("ٹڈڑںےۓ")
_UKRAINIAN = set("іїєґІЇЄҐ")
# The commonest short words (the same few hundred tokens make up a third of any conversation).
_STOPWORDS = {
    "en": "the and to of a i it that you is in was we they this for but so what have not on with be are do my just "
          "think there about like know if at can all because then don't it's i'm yeah really",
    "nl": "de het een en van ik je dat is niet in we op te met zijn maar dan ook wat er voor die om nog wel "
          "heel dus hebben naar als bij ze was kan zo moet geen eigenlijk gewoon",
    "de": "der die das und ich ist nicht es sie zu den wir mit auch ein eine auf für dass aber so von im hat "
          "sich dann noch wie was haben wenn schon also ja mal oder sind",
    "fr": "le la les de et je est que un une il pas des en on du ce qui c'est dans pour ne mais ça nous vous "
          "avec sur au plus bien très oui alors donc j'ai",
    "es": "el la de que y en los se no un una por es lo con las para del pero como más yo me muy sí bueno "
          "porque está hay eso esto cuando",
    "it": "il di che e la non è un una per in sono mi ho lo ma ci si questo anche come con le del della molto "
          "perché cosa sì allora",
    "pt": "o a de que e do da em um uma não é para com os no na se mas eu muito isso por as dos então também "
          "está tem você",
}
_STOP = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
SAMPLE = 20_000  # characters read: enough for any of these tests, fast on a two-hour transcript


@dataclass(frozen=True)
class Guess:
    lang: str
    reason: str  # what it was told by, for the importer's message


def guess(text: str) -> Guess | None:
    """The language of *text*, or None when it cannot be told with confidence."""
    sample = text[:SAMPLE]
    counts = Counter()
    for name, regex in _SCRIPT_RE:
        counts[name] = len(regex.findall(sample))
    letters = sum(counts.values())
    if letters < 20:
        return None
    if counts["kana"] >= 0.05 * letters:
        return _share(Guess("ja", "Japanese kana and kanji"), counts["kana"] + counts["han"], letters)
    top, n = max(((name, k) for name, k in counts.items() if name != "latin"), key=lambda x: x[1])
    if n >= 0.5 * letters:
        lang, reason = _BY_SCRIPT[top]
        chars = set(sample)
        if top == "han" and len(chars & _TRADITIONAL) > 2 * len(chars & _SIMPLIFIED):
            lang, reason = "zh-Hant", "Chinese characters, traditional"
        elif top == "arabic" and chars & _PERSIAN:
            lang, reason = ("ur", "Arabic script with Urdu letters") if chars & _URDU else ("fa", "Arabic script with Persian letters")
        elif top == "cyrillic" and chars & _UKRAINIAN:
            lang, reason = "uk", "Cyrillic script with Ukrainian letters"
        return _share(Guess(lang, reason), n, letters)
    if counts["latin"] < 0.8 * letters:
        return None
    tokens = [unicodedata.normalize("NFC", t).lower().replace("’", "'") for t in _TOKEN_RE.findall(sample)]
    if len(tokens) < 8:
        return None
    scores = sorted(((sum(1 for t in tokens if t in stop), lang) for lang, stop in _STOP.items()), reverse=True)
    (best, lang), (second, _) = scores[0], scores[1]
    if best < max(4, 0.15 * len(tokens)) or best < 1.3 * second:
        return None
    return Guess(lang, f"{round(100 * best / len(tokens))}% of its words are common {lang} words")


def _share(g: Guess, n: int, letters: int) -> Guess:
    return Guess(g.lang, f"{round(100 * n / letters)}% {g.reason}")
