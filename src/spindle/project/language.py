"""Language tags (BCP 47): any well-formed tag is accepted ('en', 'nl-BE',
'zh', 'zh-Hant-TW', 'pt-BR', 'yue', 'sr-Latn'), written in its canonical
case; a malformed one is one clear line. The registry itself is not shipped:
a two-letter language must be an ISO 639-1 code (that catches 'cn', 'jp',
'dk', the usual slips), a three-letter one is taken on trust."""

from __future__ import annotations

import re

# ISO 639-1 (the two-letter codes BCP 47 uses where one exists), including the deprecated in, iw, ji, jw, mo.
ISO639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el
en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik in io is it
iu iw ja ji jv jw ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mo
mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh
si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh
yi yo za zh zu
""".split())
_SLIPS = {"cn": "zh", "jp": "ja", "dk": "da", "gr": "el", "ua": "uk", "se": "sv", "cz": "cs", "kr": "ko",
          "vn": "vi", "ir": "fa", "il": "he", "gb": "en", "us": "en", "ch": "de"}

# RFC 5646 'langtag' (plus private use and the irregular grandfathered tags still seen, e.g. i-klingon)
_TAG_RE = re.compile(r"""^
    (?P<language>[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})
    (?:-(?P<script>[a-z]{4}))?
    (?:-(?P<region>[a-z]{2}|\d{3}))?
    (?P<variants>(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*)
    (?P<extensions>(?:-[\da-wyz](?:-[a-z\d]{2,8})+)*)
    (?:-x(?:-[a-z\d]{1,8})+)?
$|^x(?:-[a-z\d]{1,8})+$|^i-[a-z]{2,8}$""", re.X | re.I)
EXAMPLES = "e.g. 'en', 'nl-BE', 'zh', 'zh-Hant', 'pt-BR'"


def check(value: str) -> str:
    """*value* as a canonical BCP 47 tag, or ValueError with a one-line reason."""
    raw = value.strip().replace("_", "-") if isinstance(value, str) else value
    if not isinstance(raw, str) or not raw:
        raise ValueError(f"expected a BCP 47 language tag ({EXAMPLES}), got {value!r}")
    m = _TAG_RE.match(raw)
    if not m:
        raise ValueError(f"'{value}' is not a BCP 47 language tag ({EXAMPLES})")
    if m.group("language"):
        language = m.group("language").split("-")[0].lower()
        if len(language) >= 4:
            raise ValueError(f"'{value}': '{language}' is not a language code; use a two- or three-letter one ({EXAMPLES})")
        if len(language) == 2 and language not in ISO639_1:
            slip = _SLIPS.get(language)
            hint = f" (did you mean '{slip}'?)" if slip else f"; {EXAMPLES}"
            raise ValueError(f"'{value}': '{language}' is not an ISO 639-1 language code{hint}")
    return canonical(raw)


def canonical(tag: str) -> str:
    """RFC 5646 case: language lower, Script title, REGION upper, the rest lower."""
    parts = tag.split("-")
    out = [parts[0].lower()]
    private = False
    for part in parts[1:]:
        low = part.lower()
        private = private or low == "x"
        if not private and len(part) == 4 and part.isalpha() and len(out) >= 1 and out[-1] not in ("",):
            out.append(low.title() if not _after_singleton(out) else low)
        elif not private and len(part) == 2 and part.isalpha() and not _after_singleton(out):
            out.append(part.upper())
        else:
            out.append(low)
    return "-".join(out)


def _after_singleton(parts: list[str]) -> bool:
    return any(len(p) == 1 for p in parts[1:])


# Language names some tools write instead of a code (Whisper front ends, meeting exports).
NAMES = {"english": "en", "dutch": "nl", "nederlands": "nl", "flemish": "nl-BE", "german": "de", "deutsch": "de",
         "french": "fr", "français": "fr", "spanish": "es", "español": "es", "italian": "it", "portuguese": "pt",
         "chinese": "zh", "mandarin": "zh", "cantonese": "yue", "japanese": "ja", "korean": "ko", "arabic": "ar",
         "russian": "ru", "ukrainian": "uk", "polish": "pl", "turkish": "tr", "swahili": "sw", "hindi": "hi",
         "indonesian": "id", "vietnamese": "vi", "thai": "th", "persian": "fa", "hebrew": "he", "greek": "el"}


def from_name_or_tag(value: str) -> str:
    """A tag from what a file states: 'zh', 'en_us', or a name such as 'English' (ValueError otherwise)."""
    return NAMES.get(value.strip().lower()) or check(value)


def primary(tag: str) -> str:
    """The language subtag: 'zh' for 'zh-Hant-TW', 'nl' for 'nl-BE'."""
    return tag.split("-")[0].lower()


class Language(str):
    """A book's or chapter's language: a BCP 47 tag checked by the config schema."""

    KIND = "a BCP 47 language tag ('en', 'nl-BE', 'zh-Hant')"

    @classmethod
    def parse(cls, value: object) -> str:
        """The canonical tag, as a plain str (it is written to YAML and JSON as one)."""
        if isinstance(value, bool):  # YAML reads a bare no, yes, on, off as true or false
            raise ValueError(f"expected a BCP 47 language tag, got {str(value).lower()}; quote the tag (e.g. 'no' for Norwegian)")
        if not isinstance(value, str):
            raise ValueError(f"expected a BCP 47 language tag ({EXAMPLES}), got {value!r}")
        return check(value)
