"""The interface in English, Arabic and Sorani Kurdish: complete catalogues, right plurals."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from babel import Locale
from babel.messages.pofile import read_po

from tansiq.domain.languages import Language, from_accept_language, language
from tansiq.errors import InvalidInput
from tansiq.web import i18n

TRANSLATED = [Language.AR, Language.CKB]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_in_use_is_translated_with_its_placeholders(lang: Language) -> None:
    assert i18n.problems(lang) == []


def test_the_shipped_template_lists_exactly_the_messages_in_use() -> None:
    with (i18n.LOCALE_DIR / "tansiq.pot").open("rb") as file:
        shipped = {m.id for m in read_po(file) if m.id}
    assert shipped == set(i18n.messages_in_use()), "run scripts/translations"


@pytest.mark.parametrize("lang", [*TRANSLATED, Language.EN])
def test_gettext_plural_forms_agree_with_cldr_for_every_count(lang: Language) -> None:
    """The page picks a form by CLDR category (Intl.PluralRules), the server by gettext
    index: both must name the same form for any number."""
    categories = i18n.plural_categories(lang)
    index = i18n.translation(lang).plural_index
    rule = Locale.parse(lang.value).plural_form
    for n in range(0, 10_001):
        assert categories[index(n)] == rule(n), n


def test_arabic_counts_use_all_six_forms() -> None:
    ar = i18n.translation(Language.AR)
    forms = [ar.ngettext("{total} incident", "{total} incidents", n) for n in (0, 1, 2, 3, 11, 100)]
    assert forms == [
        "{total} حادث",
        "{total} حادث",
        "{total} حادثان",
        "{total} حوادث",
        "{total} حادثًا",
        "{total} حادث",
    ]


def _shape(node: Any) -> Any:
    if isinstance(node, dict) and not set(node) <= {"zero", "one", "two", "few", "many", "other"}:
        return {key: _shape(value) for key, value in node.items()}
    if isinstance(node, list):
        return len(node)
    return "leaf"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_page_gets_every_string_in_its_language(lang: Language) -> None:
    english = orjson.loads(i18n.page_strings(Language.EN))
    translated = orjson.loads(i18n.page_strings(lang))

    assert _shape(translated) == _shape(english)
    assert translated["pageTitle"] != english["pageTitle"]
    assert set(translated["count"]) == set(i18n.plural_categories(lang).values())


def test_page_strings_cannot_close_their_script_element() -> None:
    from tansiq.web.pages import _script_safe

    assert "</" not in _script_safe(orjson.dumps({"x": "</script><script>alert(1)</script>"}))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ar-IQ,ar;q=0.9,en;q=0.8", Language.AR),
        ("ckb-IQ", Language.CKB),
        ("ku-Arab", Language.CKB),
        ("fr-FR, en;q=0.5", Language.EN),
        ("", Language.EN),
        (None, Language.EN),
    ],
)
def test_the_browser_language_picks_one_we_have(header: str | None, expected: Language) -> None:
    assert from_accept_language(header) is expected


def test_an_unknown_language_code_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="use one of en, ar, ckb"):
        language("fr")


def test_numbers_and_times_are_written_the_way_each_language_writes_them() -> None:
    assert i18n.format_number(12345, Language.EN) == "12,345"
    assert i18n.format_number(12345, Language.AR) == "١٢٬٣٤٥"
    assert i18n.format_number(12345, Language.CKB) == "١٢٬٣٤٥"
    stamp = "2026-11-26T04:49:15.748970Z"  # 07:49 in Baghdad
    assert i18n.format_when(stamp, Language.EN) == "26 Nov 2026, 07:49:15"
    assert "٧:٤٩" in i18n.format_when(stamp, Language.AR)
    assert "٢٦" in i18n.format_when(stamp, Language.CKB)
    assert i18n.format_when("not a time", Language.AR) == "not a time"
