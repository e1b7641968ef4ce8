"""Built-in labels and typographic conventions per language."""

from __future__ import annotations

QUOTES = {
    # double open, double close, single open, single close (markdown-it order)
    "en": "“”‘’",
    "nl": "„”‚’",
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


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["en"])
