"""The interface languages: English, Arabic and Sorani Kurdish (Central Kurdish, `ckb`).

Arabic and Sorani are both written right to left in Arabic script. Sorani's ISO 639-3 code
`ckb` is what CLDR, gettext and browsers (Accept-Language) use for it.
"""

from __future__ import annotations

from enum import StrEnum

from tansiq.errors import InvalidInput


class Language(StrEnum):
    EN = "en"
    AR = "ar"
    CKB = "ckb"

    @property
    def rtl(self) -> bool:
        return self is not Language.EN

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"


DEFAULT = Language.EN

NATIVE_NAMES = {Language.EN: "English", Language.AR: "العربية", Language.CKB: "کوردی"}
"""Each language's name in itself, as the language switch shows it."""


def language(code: str) -> Language:
    """The language for a code; InvalidInput for one we do not have."""
    try:
        return Language(code)
    except ValueError:
        known = ", ".join(x.value for x in Language)
        raise InvalidInput(f"unknown language {code[:20]!r}: use one of {known}") from None


def from_accept_language(header: str | None) -> Language:
    """The first language of an Accept-Language header that we have (`ku` is taken as
    Sorani: Kurdish readers of this interface in Iraq read Sorani), else the default."""
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().lower()
        primary = tag.split("-")[0]
        if primary == "ku":
            return Language.CKB
        if primary in Language._value2member_map_:
            return Language(primary)
    return DEFAULT
