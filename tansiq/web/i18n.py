"""The interface's translations: gettext catalogues (`locale/<lang>/LC_MESSAGES/tansiq.po`).

English is the source language: the msgids are the English strings. They come from two
places, both read by `messages_in_use` (and so by `python -m tansiq.web.i18n pot`, which writes
the template `locale/tansiq.pot` that translators merge with `pybabel update`; see
docs/translating.md):

- the templates, as `_("...")` and `ngettext("...", "...", n)` calls;
- `strings.json`, the tree of every string the page's scripts show: a leaf is a string, or
  `{"one": ..., "other": ...}` for a count.

The page does not look strings up itself: each page embeds the tree already translated for its
language (`page_strings`), with a count's forms under the CLDR plural categories of that
language (Arabic has six: zero, one, two, few, many, other) so that the script picks one with
`Intl.PluralRules`. The catalogues' `Plural-Forms` are gettext's; `plural_categories` maps their
indices to CLDR's, and the tests check the two agree for every number up to 1,000.

Why gettext: it is what translators' tools (Poedit, Weblate, Pontoon, Lokalize) open, and it
carries plurals and translator comments. Babel reads it; nothing is compiled at build time.
"""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_decimal

from tansiq.domain.languages import DEFAULT, Language

WEB_DIR = Path(__file__).parent
LOCALE_DIR = WEB_DIR / "locale"
TEMPLATES_DIR = WEB_DIR / "templates"
STRINGS_FILE = WEB_DIR / "strings.json"
DOMAIN = "tansiq"

LOCALE_TAGS = {Language.EN: "en-GB", Language.AR: "ar-IQ", Language.CKB: "ckb-IQ"}
"""BCP 47 tags for formatting dates and numbers (Intl in the page): Iraq's conventions."""

DISPLAY_ZONE = ZoneInfo("Asia/Baghdad")
"""Times on the pages are the centre's local time (both partners are in it)."""

_EASTERN_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
"""Arabic and Sorani pages write digits as the browser's Intl does for ar-IQ and ckb-IQ."""


def format_number(n: int, language: Language) -> str:
    text = format_decimal(n, locale=_babel_tag(language), numbering_system="default")
    return _digits(text, language)


def format_day(day: date, language: Language) -> str:
    """A calendar date as the page's language writes one."""
    return _digits(format_date(day, "medium", locale=_babel_tag(language)), language)


def format_when(moment: str | datetime | None, language: Language) -> str:
    """A STIX timestamp (or datetime) as the page's language writes a date and time."""
    if moment is None:
        return ""
    when = moment if isinstance(moment, datetime) else _parse(moment)
    if when is None:
        return str(moment)
    text = format_datetime(when, "medium", tzinfo=DISPLAY_ZONE, locale=_babel_tag(language))
    return _digits(text, language)


def _babel_tag(language: Language) -> str:
    return LOCALE_TAGS[language].replace("-", "_")


def _digits(text: str, language: Language) -> str:
    return text if language is Language.EN else text.translate(_EASTERN_DIGITS)


def _parse(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_CALL = re.compile(r"""\b(_|ngettext)\(\s*"((?:[^"\\]|\\.)*)"(?:\s*,\s*"((?:[^"\\]|\\.)*)")?""")
_PLACEHOLDER = re.compile(r"\{(\w+)\}|%\((\w+)\)s")

Message = str | tuple[str, str]
"""A msgid, or (singular, plural) for a count."""


@dataclass(frozen=True)
class Translation:
    """One language's catalogue, ready to look strings up in."""

    language: Language
    singular: dict[str, str]
    plurals: dict[str, tuple[str, ...]]
    plural_index: Callable[[int], int]

    def gettext(self, message: str) -> str:
        return self.singular.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self.plurals.get(singular)
        if not forms:
            return singular if n == 1 else plural
        index = self.plural_index(n)
        return forms[index] if index < len(forms) and forms[index] else forms[-1]

    def plural_forms(self, singular: str, plural: str) -> dict[str, str]:
        """A count's forms by CLDR category, for the page's Intl.PluralRules."""
        forms = self.plurals.get(singular)
        if not forms:
            return {"one": singular, "other": plural}
        categories = plural_categories(self.language)
        return {categories[i]: form for i, form in enumerate(forms) if i in categories and form}


def catalogue_path(language: Language) -> Path:
    return LOCALE_DIR / language.value / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def catalogue(language: Language) -> Catalog:
    with catalogue_path(language).open("rb") as file:
        return read_po(file, locale=_babel_locale(language), domain=DOMAIN)


def _babel_locale(language: Language) -> str:
    return language.value


@functools.cache
def translation(language: Language) -> Translation:
    """The translation for a language (English: the msgids themselves)."""
    if language is DEFAULT:
        return Translation(language, {}, {}, lambda n: 0 if n == 1 else 1)
    found = catalogue(language)
    singular: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for message in found:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, (tuple, list)):
            plurals[message.id[0]] = tuple(message.string or ())
        elif isinstance(message.string, str) and message.string:
            singular[message.id] = message.string
    return Translation(language, singular, plurals, gettext.c2py(found.plural_expr))


@functools.cache
def plural_categories(language: Language) -> dict[int, str]:
    """gettext plural index -> CLDR category, found by asking both about 0..1000."""
    index = translation(language).plural_index if language is not DEFAULT else None
    rule = Locale.parse(_babel_locale(language)).plural_form
    found: dict[int, str] = {}
    for n in range(1001):
        i = index(n) if index else (0 if n == 1 else 1)
        found.setdefault(i, rule(n))
    return found


@functools.cache
def page_strings(language: Language) -> bytes:
    """strings.json translated into `language`, as JSON for the page to embed."""
    tr = translation(language)
    return orjson.dumps(_translated(_source_tree(), tr))


@functools.cache
def _source_tree() -> dict[str, Any]:
    tree: dict[str, Any] = orjson.loads(STRINGS_FILE.read_bytes())
    return tree


def role_label(language: Language, role: str) -> str:
    """A role's name (strings.json "roles") in `language`."""
    return translation(language).gettext(_source_tree()["roles"].get(role, role))


def _translated(node: Any, tr: Translation) -> Any:
    if isinstance(node, str):
        return tr.gettext(node)
    if isinstance(node, list):
        return [_translated(item, tr) for item in node]
    if _is_count(node):
        return tr.plural_forms(node["one"], node["other"])
    return {key: _translated(value, tr) for key, value in node.items()}


def _is_count(node: Any) -> bool:
    return isinstance(node, dict) and set(node) == {"one", "other"}


def messages_in_use() -> list[Message]:
    """Every msgid the interface uses, templates first, in order of appearance."""
    found: dict[Message, None] = {}
    for template in sorted(TEMPLATES_DIR.glob("*.html")):
        for call, first, second in _CALL.findall(template.read_text(encoding="utf-8")):
            text = _unescape(first)
            found[(text, _unescape(second)) if call == "ngettext" else text] = None
    for message in _leaves(_source_tree()):
        found[message] = None
    return list(found)


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


def _leaves(node: Any) -> Iterator[Message]:
    if isinstance(node, str):
        if any(ch.isalpha() for ch in node):  # "100+" is not a message
            yield node
    elif isinstance(node, list):
        for item in node:
            yield from _leaves(item)
    elif _is_count(node):
        yield (node["one"], node["other"])
    else:
        for value in node.values():
            yield from _leaves(value)


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in _PLACEHOLDER.findall(text)}


def problems(language: Language) -> list[str]:
    """What a catalogue lacks or gets wrong: untranslated or fuzzy messages, and translations
    whose {placeholders} differ from the English."""
    tr = translation(language)
    found: list[str] = []
    for message in messages_in_use():
        if isinstance(message, tuple):
            forms = tr.plurals.get(message[0], ())
            if len(forms) != len(plural_categories(language)) or not all(forms):
                found.append(f"{language}: no plural forms for {message[0]!r}")
            elif any(placeholders(f) != placeholders(message[1]) for f in forms):
                found.append(f"{language}: placeholders differ in {message[0]!r}")
            continue
        text = tr.singular.get(message)
        if not text:
            found.append(f"{language}: untranslated {message!r}")
        elif placeholders(text) != placeholders(message):
            found.append(f"{language}: placeholders differ in {message!r}")
    return found


def template_catalogue() -> Catalog:
    """The .pot: every message in use, for translators' tools to merge."""
    pot = Catalog(project="tansiq", domain=DOMAIN, fuzzy=False)
    for message in messages_in_use():
        pot.add(message)
    return pot


def write_template(path: Path = LOCALE_DIR / f"{DOMAIN}.pot") -> int:
    """Write the .pot (scripts/translations runs this); how many messages it holds."""
    pot = template_catalogue()
    with path.open("wb") as file:
        write_po(file, pot, width=100)
    return len(pot)
