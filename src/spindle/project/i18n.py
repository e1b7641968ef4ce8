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
        "listing": "Listing",
        "file_name": "Filename",
        "callout_note": "Note",
        "callout_tip": "Tip",
        "callout_important": "Important",
        "callout_warning": "Warning",
        "callout_caution": "Caution",
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
        "listing": "Listing",
        "file_name": "Bestand",
        "callout_note": "Opmerking",
        "callout_tip": "Tip",
        "callout_important": "Belangrijk",
        "callout_warning": "Waarschuwing",
        "callout_caution": "Let op",
    },
}


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["en"])
