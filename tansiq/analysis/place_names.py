"""Place names reduced to lookup keys, so that spelling variants of one name meet.

Latin-script names (English transliterations of Arabic and Kurdish) get three keys, from strict
to loose: `exact` (case, diacritics, apostrophes, hyphens and the Arabic article gone:
"Al-Fallūjah" -> "fallujah"), `phonetic` (common transliteration choices folded: doubled
letters, ee/oo/ou, q/k, a final h after a vowel: "Heet" and "Hit", "Qayyarah" and "Al-Qayara"
meet) and `skeleton` (consonants only: "Salahuddin", "Salah al-Din" and "Salaheddine" meet).
Arabic-script names (Arabic and Sorani Kurdish) get one key after the usual normalisation:
alef forms, ta marbuta, ya and alef maqsura, tatweel and diacritics, Kurdish letters folded to
their Arabic neighbours, and the article ال dropped from each word; `arabic_word_variants`
gives the forms of a word in running text with its attached و/ب/ل/ف/ك prefixes taken off.

Written by hand: transliteration libraries (unidecode, anyascii) map one script to another but
do not fold the competing English spellings of one Arabic name onto each other, which is the
job here.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

# The Arabic article as English transliterations write it, assimilated or not ("ad-Din").
ARTICLES: Final = frozenset(
    {"al", "el", "il", "ul", "ad", "ed", "ud", "ar", "as", "ash", "at", "az", "an", "adh", "ath"}
    | {"ats", "aal"}
)
_APOSTROPHES: Final = "'’‘`´ʿʾʼ′\u02bb"
_POSSESSIVE: Final = re.compile(r"[" + _APOSTROPHES + r"]s\b")
_NON_WORD: Final = re.compile(r"[^0-9a-z]+")
_DOUBLE: Final = re.compile(r"(.)\1+")
_PHONETIC_FOLDS: Final = (("ou", "u"), ("oo", "u"), ("ee", "i"), ("q", "k"), ("ck", "k"))
_SKELETON_FOLDS: Final = (("kh", "k"), ("gh", "g"), ("dh", "d"), ("th", "t"), ("sh", "s"))
_SKELETON_FOLDS2: Final = (("j", "g"), ("w", "v"))
_VOWELS: Final = re.compile(r"[aeiouy]")

# Arabic script: diacritics (harakat, superscript alef), tatweel; letter folds.
_ARABIC_MARKS: Final = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_FOLDS: Final = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        # Sorani letters folded onto the Arabic letters their names are spelt with in Arabic.
        "ی": "ي",
        "ێ": "ي",
        "ک": "ك",
        "گ": "ك",
        "ە": "ه",
        "ھ": "ه",
        "ۆ": "و",
        "ۇ": "و",
        "ڵ": "ل",
        "ڕ": "ر",
        "ڤ": "ف",
        "چ": "ج",
        "پ": "ب",
        "ژ": "ز",
    }
)
_ARABIC_WORD: Final = re.compile(r"[\u0621-\u064a\u066e-\u06d5]+")
_ARABIC_PREFIXES: Final = ("و", "ب", "ل", "ف", "ك")


def is_arabic_script(text: str) -> bool:
    """Whether the text holds any Arabic-script letter (Arabic, Sorani Kurdish)."""
    return _ARABIC_WORD.search(text) is not None


# --- Latin script ------------------------------------------------------------------------------


def latin_words(text: str) -> list[str]:
    """Lower-case ASCII words of a Latin-script text, diacritics and apostrophes gone.

    "Iraq's Al-Fallūjah" -> ["iraq", "al", "fallujah"]. Non-Latin letters drop out.
    """
    text = _POSSESSIVE.sub("", text)
    for mark in _APOSTROPHES:
        text = text.replace(mark, "")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return [word for word in _NON_WORD.split(ascii_text) if word]


def without_articles(words: list[str]) -> list[str]:
    """The words with the Arabic article dropped (a leading "al" glued on stays: "alwand")."""
    kept = [word for word in words if word not in ARTICLES]
    return kept or words


def phonetic(exact: str) -> str:
    """Transliteration choices folded: "heet" -> "hit", "al qayyarah" -> "kayara"."""
    folded = exact.replace(" ", "")
    for old, new in _PHONETIC_FOLDS:
        folded = folded.replace(old, new)
    folded = _DOUBLE.sub(r"\1", folded)
    if len(folded) > 3 and folded.endswith("h") and folded[-2] in "aeiou":
        folded = folded[:-1]
    return folded


def skeleton(exact: str) -> str:
    """The consonants of the phonetic key: "salahuddin", "salah din", "salaheddine" -> "slhdn"."""
    folded = phonetic(exact)
    for table in (_SKELETON_FOLDS, _SKELETON_FOLDS2):
        for old, new in table:
            folded = folded.replace(old, new)
    return _DOUBLE.sub(r"\1", _VOWELS.sub("", folded))


@dataclass(frozen=True, slots=True)
class LatinKeys:
    """The three lookup keys of one Latin-script name (see the module docstring)."""

    exact: str
    phonetic: str
    skeleton: str


def latin_keys(words: list[str]) -> LatinKeys:
    """The keys of a name given as its `latin_words`."""
    return _keys(" ".join(without_articles(words)))


@functools.lru_cache(maxsize=65_536)  # running text repeats its words; keys are pure
def _keys(exact: str) -> LatinKeys:
    return LatinKeys(exact, phonetic(exact), skeleton(exact))


# --- Arabic script -----------------------------------------------------------------------------


def arabic_words(text: str) -> list[str]:
    """The Arabic-script words of a text, normalised (marks gone, letters folded)."""
    folded = _ARABIC_MARKS.sub("", unicodedata.normalize("NFC", text)).translate(_ARABIC_FOLDS)
    return _ARABIC_WORD.findall(folded)


def _without_article(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) > 3 else word


def arabic_key(words: list[str]) -> str:
    """The key of an Arabic-script name given as its `arabic_words`: articles dropped."""
    return " ".join(_without_article(word) for word in words)


def arabic_word_variants(word: str) -> list[str]:
    """The forms a word of running text may have as the start of a name, article-free.

    "وبالموصل" -> ["وبالموصل", "بالموصل", "موصل", ...]: one or two attached particles
    (و ب ل ف ك) taken off, and للـ read as ل + ال.
    """
    forms = [word]
    for _ in range(2):
        forms += [f[1:] for f in forms if len(f) > 3 and f[0] in _ARABIC_PREFIXES]
    forms += [f[1:] for f in forms if f.startswith("لل") and len(f) > 3]
    return list(dict.fromkeys(_without_article(f) for f in forms))
