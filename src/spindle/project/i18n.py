"""Built-in labels and typographic conventions per language. A language is
any BCP 47 tag; it is looked up whole ('zh-Hant'), then by its language
subtag ('zh'); labels fall back to English (the build says so once)."""

from __future__ import annotations

from spindle.project.language import primary

QUOTES = {
    # double open, double close, single open, single close (markdown-it order)
    "en": "“”‘’",
    "nl": "„”‚’",
    "de": "„“‚‘", "cs": "„“‚‘", "sk": "„“‚‘", "sl": "„“‚‘", "is": "„“‚‘", "lt": "„“‚‘",
    "da": "»«›‹",
    "fr": ["«\u202f", "\u202f»", "“", "”"], "es": "«»“”", "it": "«»“”", "pt": "«»“”", "ca": "«»“”",
    "ru": "«»„“", "uk": "«»„“", "be": "«»„“", "el": "«»“”", "nb": "«»‘’", "no": "«»‘’", "nn": "«»‘’",
    "pl": "„”«»", "ro": "„”«»", "hu": "„”»«", "hr": "„”‘’", "bg": "„“‘’",
    "sv": "””’’", "fi": "””’’",
    "ja": "「」『』", "zh-Hant": "「」『』", "zh-TW": "「」『』", "zh-HK": "「」『』", "zh": "“”‘’", "ko": "“”‘’",
    "he": "”“’‘", "ar": "«»‹›", "fa": "«»‹›",
}

LABELS = {
    "en": {
        "contents": "Contents",
        "chapter": "Chapter",
        "part": "Part",
        "interview": "Interview",
        "foreword": "Foreword",
        "introduction": "Introduction",
        "preface": "Preface",
        "afterword": "Afterword",
        "appendix": "Appendix",
        "colophon": "Colophon",
        "notes": "Notes",
        "cover": "Cover",
        "title_page": "Title page",
        "landmarks": "Guide",
        "pages": "Pages",
        "start": "Start of content",
        "speakers": "Speakers",
        "back_to_text": "Back to text",
        "series_number": "No.",
        "by": "by",
        "with": "with",
    },
    "nl": {
        "contents": "Inhoud",
        "chapter": "Hoofdstuk",
        "part": "Deel",
        "interview": "Interview",
        "foreword": "Voorwoord",
        "introduction": "Inleiding",
        "preface": "Woord vooraf",
        "afterword": "Nawoord",
        "appendix": "Bijlage",
        "colophon": "Colofon",
        "notes": "Noten",
        "cover": "Omslag",
        "title_page": "Titelpagina",
        "landmarks": "Oriëntatie",
        "pages": "Pagina’s",
        "start": "Begin van de tekst",
        "speakers": "Sprekers",
        "back_to_text": "Terug naar de tekst",
        "series_number": "Nr.",
        "by": "door",
        "with": "met",
    },
}


def _lookup(table: dict, lang: str):
    if lang in table:
        return table[lang]
    parts = lang.split("-")
    for n in range(len(parts) - 1, 0, -1):  # zh-Hant-TW -> zh-Hant -> zh
        if "-".join(parts[:n]) in table:
            return table["-".join(parts[:n])]
    return table.get(primary(lang))


def labels(lang: str) -> dict[str, str]:
    return _lookup(LABELS, lang) or LABELS["en"]


def has_labels(lang: str) -> bool:
    """Whether the built-in labels ('Contents', 'Chapter') are translated into *lang*."""
    return _lookup(LABELS, lang) is not None


def quotes(lang: str):
    """The language's quotation marks (markdown-it order); English ones where none are known."""
    return _lookup(QUOTES, lang) or QUOTES["en"]
