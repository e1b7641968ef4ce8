"""Conservative clean-up of spoken text: filler sounds ("um", "uh") and
stutters ("I I", "the the", "w- we") go; words that can be repeated on
purpose ("that that", "had had") and meaningful interjections ("ah",
"hmm", "yeah") stay. Every removal is counted."""

from __future__ import annotations

import re

from spindle.project.language import primary

_FILLERS = {
    "en": r"u+m+|u+h+m*|e+r+m+|er",
    "nl": r"e+h+m*|u+h+m*|u+m+|euh",
}
# Short words whose doubling is a stutter, never grammar ("that that", "had had" are excluded).
_STUTTER_WORDS = {
    "en": "i|i'm|i've|we|we're|you|he|she|it|it's|they|the|a|an|and|but|so|or|to|in|of|on|is|was|what|when|my|our|if",
    "nl": "ik|we|wij|je|jij|hij|zij|ze|het|de|een|en|maar|dus|of|in|op|is|was|wat|als|mijn|ons",
}

# After these, ", um," keeps its comma ("Yes, um, I agree" -> "Yes, I agree"); elsewhere both go.
_KEEP_COMMA = {"yes", "no", "well", "okay", "ok", "right", "oh", "now", "ja", "nee", "nou", "goed", "oké"}


class Cleaner:
    """Fillers and stutter words are known for English and Dutch; in other languages only
    broken-off fragments ("w- we") go."""

    def __init__(self, lang: str):
        lang = primary(lang)
        fillers = _FILLERS.get(lang, r"(?!)")  # (?!): matches nothing
        words = _STUTTER_WORDS.get(lang, r"(?!)").replace("'", "['’]")
        # ", um," / "Um, " / " um " / "um..." -- the filler with the punctuation it brings along.
        self.filler = re.compile(rf"(?P<pre>,\s*)?(?<![\w'’-])(?:{fillers})(?![\w'’-])(?:\.\.\.|…)?(?P<post>\s*,)?", re.I)
        self.stutter = re.compile(rf"(?<![\w'’-])({words})(?:,?\s+\1)+(?![\w'’-])", re.I)
        self.fragment = re.compile(r"(?<![\w'’-])(?P<frag>\w{1,12})-\s+(?P<word>(?P=frag)\w*)", re.I)  # "w- we", "I- I"

    def clean(self, text: str) -> tuple[str, int]:
        count = 0

        def filler(m: re.Match) -> str:
            nonlocal count
            count += 1
            if m.group("pre") and m.group("post"):  # ", um," -- keep a comma only after "yes", "well"...
                before = re.search(r"(\w+)\W*$", m.string[: m.start()])
                return ",\x00" if before and before.group(1).lower() in _KEEP_COMMA else "\x00"
            return "\x00"

        def stutter(m: re.Match) -> str:
            nonlocal count
            count += len(re.findall(r"\s+", m.group(0)))
            return m.group(1)

        def fragment(m: re.Match) -> str:  # "W- we" -> "We"
            nonlocal count
            count += 1
            word = m.group("word")
            return word[0].upper() + word[1:] if m.group("frag")[0].isupper() else word

        text = self.filler.sub(filler, text)
        if count:
            text = _tidy(text)
        text = self.fragment.sub(fragment, text)
        text = self.stutter.sub(stutter, text)
        if not re.search(r"\w", text):  # nothing but a filler was said
            text = ""
        return text, count


def _tidy(text: str) -> str:
    """Close the gaps where fillers were (marked \\x00); a sentence that began
    with a filler begins with a capital again. Nothing else is touched."""
    text = re.sub(r"\s*\x00\s*(?=[,.;:!?…])", "", text)
    text = re.sub(r"^\s*\x00[\s,;:.]*", "\x01", text)
    text = re.sub(r"(?<=[.!?…])(\s+)\x00\s*", "\\1\x01", text)
    text = re.sub(r"\x01([a-z])", lambda m: m.group(1).upper(), text).replace("\x01", "")
    text = re.sub(r"\s*\x00\s*", " ", text)
    return text.strip()
