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
    "de": {
        "contents": "Inhalt", "chapter": "Kapitel", "part": "Teil", "interview": "Interview", "foreword": "Geleitwort",
        "introduction": "Einleitung", "preface": "Vorwort", "afterword": "Nachwort", "appendix": "Anhang",
        "colophon": "Impressum", "notes": "Anmerkungen", "cover": "Umschlag", "title_page": "Titelseite",
        "landmarks": "Orientierung", "pages": "Seiten", "start": "Textbeginn", "speakers": "Gesprächspartner",
        "back_to_text": "Zurück zum Text", "series_number": "Nr.", "by": "von", "with": "mit",
        "listing": "Listing", "file_name": "Datei", "callout_note": "Hinweis", "callout_tip": "Tipp", "callout_important": "Wichtig", "callout_warning": "Warnung", "callout_caution": "Vorsicht",
    },
    "fr": {
        "contents": "Table des matières", "chapter": "Chapitre", "part": "Partie", "interview": "Entretien",
        "foreword": "Avant-propos", "introduction": "Introduction", "preface": "Préface", "afterword": "Postface",
        "appendix": "Annexe", "colophon": "Colophon", "notes": "Notes", "cover": "Couverture",
        "title_page": "Page de titre", "landmarks": "Repères", "pages": "Pages", "start": "Début du texte",
        "speakers": "Intervenants", "back_to_text": "Retour au texte", "series_number": "n°", "by": "par", "with": "avec",
        "listing": "Listing", "file_name": "Fichier", "callout_note": "Remarque", "callout_tip": "Astuce", "callout_important": "Important", "callout_warning": "Avertissement", "callout_caution": "Attention",
    },
    "es": {
        "contents": "Índice", "chapter": "Capítulo", "part": "Parte", "interview": "Entrevista", "foreword": "Prólogo",
        "introduction": "Introducción", "preface": "Prefacio", "afterword": "Epílogo", "appendix": "Apéndice",
        "colophon": "Colofón", "notes": "Notas", "cover": "Cubierta", "title_page": "Portada",
        "landmarks": "Puntos de referencia", "pages": "Páginas", "start": "Inicio del contenido",
        "speakers": "Participantes", "back_to_text": "Volver al texto", "series_number": "n.º", "by": "por", "with": "con",
        "listing": "Listado", "file_name": "Archivo", "callout_note": "Nota", "callout_tip": "Consejo", "callout_important": "Importante", "callout_warning": "Advertencia", "callout_caution": "Precaución",
    },
}
assert all(set(table) == set(LABELS["en"]) for table in LABELS.values())


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
