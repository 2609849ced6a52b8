"""Geocoding of report text: the place a text names, from the shipped gazetteer, or nothing.

Reads English, Arabic and Sorani Kurdish (Arabic script). The text is cut into words; runs of up
to four words are looked up among the gazetteer's names, strictest key first (see
tansiq.analysis.place_names for how spellings are folded). Each name found becomes a mention;
a mention's words around it say what kind of place is meant ("Kirkuk province" is the
governorate, "Kirkuk" the city), whether it is a place at all ("Baghdad says ..." is the
government) and whether the event is only near it ("40 km north of Baghdad").

Same-named places are told apart by the governorates the text names (the context), else by
size (a governorate capital over a village), else the mention is dropped. The answer is the
most specific place mentioned, with a confidence from 0 to 1; below `min_confidence` the
geocoder abstains, because a wrong point on a map is worse than none. A governorate alone
scores 0.4, so with the default 0.5 "in Diyala province" abstains (measured: governorate points
are rarely within 25 km of the event; see bench/geocode_bench.py).

Pure: the gazetteer rows come in, matches go out; no I/O.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Final

from tansiq.analysis import place_names as names
from tansiq.analysis.gazetteer_index import (
    MIN_KEY,
    GazetteerIndex,
    Place,
    PlaceKind,
    Strength,
    build_index,
)
from tansiq.geo.reference import GazetteerEntry

DEFAULT_MIN_CONFIDENCE: Final = 0.5
MAX_TEXT_LENGTH: Final = 4000
"""Longer texts are cut here: a report's place is named near its start."""

_MAX_SPAN: Final = 4  # words in the longest name looked up
_SAME_PLACE_KM: Final = 20.0  # same-named rows closer than this are one place


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """The place found in a text. `confidence` is 0..1; `matched_name` is the gazetteer name
    (English), `matched_name_ar` its Arabic-script name when one of the rows for it has one."""

    latitude: float
    longitude: float
    adm1_pcode: str
    adm2_pcode: str | None
    matched_name: str
    confidence: float
    matched_name_ar: str | None = None  # the place's name in Arabic script, when known

    def as_dict(self) -> dict[str, object]:
        return {
            "latitude": self.latitude,
            "longitude": self.longitude,
            "adm1_pcode": self.adm1_pcode,
            "adm2_pcode": self.adm2_pcode,
            "matched_name": self.matched_name,
            "confidence": self.confidence,
            "matched_name_ar": self.matched_name_ar,
        }


# --- reading the text --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Word:
    raw: str
    latin: str  # the folded Latin form, "" for an Arabic-script word
    arabic: str  # the folded Arabic form, "" for a Latin word
    gap_before: bool  # punctuation (a comma, a colon...) between this word and the one before


_WORD: Final = re.compile(r"[^\W\d_]+(?:['’‘ʿʾ`][^\W\d_]+)*")
_ARABIC_MARKS: Final = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_JOINERS: Final = frozenset(" \t\n-–—")


def _words(text: str) -> list[_Word]:
    text = _ARABIC_MARKS.sub("", unicodedata.normalize("NFC", text[:MAX_TEXT_LENGTH]))
    words: list[_Word] = []
    end = 0
    for found in _WORD.finditer(text):
        raw = found.group()
        gap = any(c not in _JOINERS for c in text[end : found.start()])
        end = found.end()
        if names.is_arabic_script(raw):
            folded = names.arabic_words(raw)
            words.append(_Word(raw, "", folded[0] if folded else "", gap))
        else:
            words.append(_Word(raw, _latin_word(raw), "", gap))
    return words


@functools.lru_cache(maxsize=65_536)  # running text repeats its words
def _latin_word(raw: str) -> str:
    return "".join(names.latin_words(raw))


# --- what the words around a name say ----------------------------------------------------------


def _folded_arabic(*words: str) -> frozenset[str]:
    return frozenset(w for word in words for w in names.arabic_words(word))


_GOVERNORATE_AFTER: Final = frozenset({"province", "governorate", "provinces", "governorates"})
_DISTRICT_AFTER: Final = frozenset({"district", "qada", "qadha"})
_GOVERNORATE_BEFORE: Final = _folded_arabic("محافظة", "محافظات", "پارێزگای", "پارێزگا")
_DISTRICT_BEFORE: Final = _folded_arabic("قضاء", "قضا", "قەزای", "قەزا")
_SUBDISTRICT_BEFORE: Final = _folded_arabic("ناحية", "ناحیەی", "ناحیە")
_DIRECTIONS: Final = frozenset(
    {"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest"}
    | {"outside", "kms", "km", "miles", "kilometres", "kilometers"}
)
_NEAR: Final = frozenset(
    {"near", "around", "outside", "nearby", "outskirts", "close", "towards", "toward"}
)
_ARABIC_NEAR: Final = _folded_arabic(
    *("شمال", "جنوب", "شرق", "غرب", "شمالي", "جنوبي", "شرقي", "غربي", "خارج", "قرب"),
    *("بالقرب", "محيط", "اطراف", "ضواحي"),
    # Sorani: north of, south of, east of, west of, outside, near, around
    *("باکووری", "باشووری", "ڕۆژهەڵاتی", "ڕۆژئاوای", "دەرەوەی", "نزیک", "نزیکی", "دەوروبەری"),
)
_ARABIC_OF: Final = _folded_arabic("من", "لە")
# Words after a city's name that make it the government seated there ("Baghdad says").
_GOVERNMENT_AFTER: Final = frozenset(
    {"says", "said", "say", "urges", "urged", "wants", "warns", "warned", "accuses", "rejects"}
    | {"denies", "demands", "vows", "asks", "agrees", "calls", "government", "govt", "blames"}
    | {"authorities", "announces", "orders", "threatens", "claims", "insists", "condemns"}
    | {"slams", "seeks", "refuses", "approves", "pledges", "dismisses", "backs", "welcomes"}
    | {"talks", "deal", "dispute", "budget", "officials", "leaders", "responds", "tells"}
)
_GOVERNMENT_AFTER_ARABIC: Final = _folded_arabic(
    *("تطالب", "ترفض", "تتهم", "تعلن", "تؤكد", "تدعو", "تنفي", "تحذر", "توافق", "تقول"),
)
_GOVERNMENT_BEFORE: Final = frozenset({"between"}) | _folded_arabic("حكومة", "حكومەتی", "بين")


@dataclass(frozen=True, slots=True)
class _Mention:
    """A name found in the text, with what its neighbours say about it."""

    start: int
    end: int
    places: tuple[Place, ...]
    strength: Strength
    intent: PlaceKind | None  # "province" after it, "قضاء" before it...
    relative: bool  # "north of X": the event is near X, not at it
    government: bool  # "Baghdad says": not a place


def _intent(words: Sequence[_Word], start: int, end: int) -> PlaceKind | None:
    after = words[end].latin if end < len(words) and not words[end].gap_before else ""
    before = words[start - 1].arabic if start > 0 else ""
    if after in _GOVERNORATE_AFTER or before in _GOVERNORATE_BEFORE:
        return PlaceKind.GOVERNORATE
    if after in _DISTRICT_AFTER or before in _DISTRICT_BEFORE:
        return PlaceKind.DISTRICT
    if before in _SUBDISTRICT_BEFORE:
        return PlaceKind.SUBDISTRICT
    return None


def _relative(words: Sequence[_Word], start: int) -> bool:
    """Whether the text puts the event only near the place: "north of X", "near X"."""
    before = words[start - 1] if start >= 1 else None
    if before is None:
        return False
    if before.latin in _NEAR:
        return not _also_in(words, start - 1)
    if before.arabic in _ARABIC_NEAR:
        return True
    two_before = words[start - 2] if start >= 2 else None
    if two_before is not None and before.latin in {"of", "to"}:
        return two_before.latin in _DIRECTIONS or two_before.latin in _NEAR
    if two_before is not None and before.arabic in _ARABIC_OF:
        return two_before.arabic in _ARABIC_NEAR
    return False


def _also_in(words: Sequence[_Word], near: int) -> bool:
    """Whether "around X" follows "in" ("in and around X", "in, outside X"): then the event
    was also at X."""
    previous = [word.latin for word in words[max(0, near - 2) : near]]
    return previous[-1:] == ["in"] or previous == ["in", "and"]


def _government(words: Sequence[_Word], start: int, end: int) -> bool:
    """Whether the name stands for the government seated there ("Baghdad says", "حكومة بغداد",
    "بغداد ترفض")."""
    after = words[end] if end < len(words) and not words[end].gap_before else None
    before = words[start - 1] if start > 0 else None
    return (
        after is not None
        and (after.latin in _GOVERNMENT_AFTER or after.arabic in _GOVERNMENT_AFTER_ARABIC)
    ) or (
        before is not None
        and (before.latin in _GOVERNMENT_BEFORE or before.arabic in _GOVERNMENT_BEFORE)
    )


# --- finding the names -------------------------------------------------------------------------


def _capitalised(words: Sequence[_Word]) -> bool:
    """Whether the first word of a Latin name that is not an article starts with a capital."""
    for word in words:
        if word.latin not in names.ARTICLES:
            return word.raw[:1].isupper()
    return False


def _arabic_lookup(index: GazetteerIndex, span: Sequence[_Word]) -> list[Place] | None:
    rest = names.arabic_key([word.arabic for word in span[1:]])
    for first in names.arabic_word_variants(span[0].arabic):
        found = index.arabic_places(f"{first} {rest}" if rest else first)
        if found:
            return found
    return None


def _runs(words: Sequence[_Word], start: int) -> list[Sequence[_Word]]:
    """The runs of words from `start` a name may fill, longest first: up to four words, not
    across punctuation."""
    runs: list[Sequence[_Word]] = []
    for end in range(start + 1, min(start + _MAX_SPAN, len(words)) + 1):
        if end > start + 1 and words[end - 1].gap_before:
            break
        runs.append(words[start:end])
    return runs[::-1]


# English words that are also names of Iraqi towns ("hit" and Hīt): in lower case, words.
_ENGLISH_WORDS: Final = frozenset({"hit", "hero", "between", "brutal", "tribal", "missiles"})


def _latin_runs(
    runs: Sequence[Sequence[_Word]], cased: bool
) -> list[tuple[int, names.LatinKeys, bool]]:
    """The Latin runs that may be names, with their keys and whether they are capitalised.

    In a text with capitals a name starts with one; in an all-lower-case text (typed in a
    hurry) any run may be a name, but not a common English word.
    """
    found = []
    for run in runs:
        if not all(word.latin for word in run):
            continue
        capital = _capitalised(run)
        if (cased and not capital) or (len(run) == 1 and run[0].raw in _ENGLISH_WORDS):
            continue
        keys = names.latin_keys([word.latin for word in run])
        if len(keys.exact) >= MIN_KEY:
            found.append((len(run), keys, capital))
    return found


def _best_at(
    index: GazetteerIndex, words: Sequence[_Word], start: int, cased: bool
) -> tuple[int, list[Place], Strength] | None:
    """The name starting at `start`: the strictest key first, then the longest run. A run
    is all Arabic script or all Latin."""
    runs = _runs(words, start)
    for run in runs:
        if all(word.arabic for word in run) and (found := _arabic_lookup(index, run)):
            return start + len(run), found, Strength.EXACT
    latin = _latin_runs(runs, cased)
    for strength in (Strength.EXACT, Strength.PHONETIC, Strength.SKELETON):
        for length, keys, capital in latin:
            if strength == Strength.SKELETON and not capital and len(keys.skeleton) < 5:
                continue  # short lower-case skeletons are English words ("brutal", "tribal")
            if found := index.latin_places(keys, strength):
                return start + length, found, strength
    return None


def _mentions(index: GazetteerIndex, words: Sequence[_Word]) -> list[_Mention]:
    """Every name in the text, from the left; a longer name hides the names inside it."""
    cased = any(word.raw[:1].isupper() for word in words if word.latin)
    mentions: list[_Mention] = []
    start = 0
    while start < len(words):
        found = _best_at(index, words, start, cased)
        if found is None:
            start += 1
            continue
        end, places, strength = found
        mentions.append(
            _Mention(
                start,
                end,
                tuple(places),
                strength,
                _intent(words, start, end),
                _relative(words, start),
                _government(words, start, end),
            )
        )
        start = end
    return _paired_governments(words, mentions)


def _paired_governments(words: Sequence[_Word], mentions: list[_Mention]) -> list[_Mention]:
    """ "Baghdad and Erbil agree", "between Baghdad and Erbil": a pair of names joined by
    "and" (or a hyphen) is two governments if either of them is."""
    for i in range(len(mentions) - 1):
        first, second = mentions[i], mentions[i + 1]
        joined = second.start == first.end or (
            second.start == first.end + 1 and words[first.end].latin in {"and", "&"}
        )
        if joined and (first.government or second.government):
            mentions[i] = replace(first, government=True)
            mentions[i + 1] = replace(second, government=True)
    return mentions


_STRENGTH_SCORE: Final = {Strength.EXACT: 0.95, Strength.PHONETIC: 0.9, Strength.SKELETON: 0.75}


# --- choosing among same-named places ----------------------------------------------------------


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


@dataclass(slots=True)
class _Cluster:
    """Same-named places close enough to be one; the heaviest stands for them, with the first
    Arabic name among them (UCDP rows have none, GeoNames and COD rows do)."""

    head: Place
    weight: float


def _clusters(places: Iterable[Place]) -> list[_Cluster]:
    clusters: list[_Cluster] = []
    for place in sorted(places, key=lambda p: -p.weight):
        for cluster in clusters:
            head = cluster.head
            if distance_km(head.latitude, head.longitude, place.latitude, place.longitude) < (
                _SAME_PLACE_KM
            ):
                cluster.weight += place.weight
                if head.name_ar is None and place.name_ar is not None:
                    cluster.head = replace(head, name_ar=place.name_ar)
                break
        else:
            clusters.append(_Cluster(place, place.weight))
    return clusters


def _of_kind(mention: _Mention) -> list[Place]:
    """The places of the kind the text means: what its words say, else the most specific;
    but a governorate over namesakes outside it ("Salahuddin" is the governorate, not the
    resort town of that name in Erbil)."""
    if mention.intent is not None:
        meant = [p for p in mention.places if p.kind == mention.intent]
        if meant:
            return meant
    best = max(p.kind for p in mention.places)
    chosen = [p for p in mention.places if p.kind == best]
    governorates = [p for p in mention.places if p.kind == PlaceKind.GOVERNORATE]
    if governorates and not any(p.adm1_pcode == governorates[0].adm1_pcode for p in chosen):
        return governorates
    return chosen


@dataclass(frozen=True, slots=True)
class _Resolved:
    mention: _Mention
    place: Place
    in_context: bool  # a governorate named in the text holds it
    by_size: bool  # chosen over same-named places for being bigger


_DOMINANT: Final = 3.0  # a place this many times heavier than its namesakes wins on size


def _resolve(mention: _Mention, context: frozenset[str]) -> _Resolved | None:
    clusters = _clusters(_of_kind(mention))
    inside = [c for c in clusters if c.head.adm1_pcode in context]
    if len(inside) == 1:
        return _Resolved(mention, inside[0].head, True, len(clusters) > 1)
    pool = sorted(inside or clusters, key=lambda c: -c.weight)
    if len(pool) == 1:
        return _Resolved(mention, pool[0].head, False, False)
    if pool[0].weight >= _DOMINANT * pool[1].weight:
        return _Resolved(mention, pool[0].head, bool(inside), True)
    return None


# --- the answer --------------------------------------------------------------------------------

_KIND_SCORE: Final = {
    PlaceKind.TOWN: 1.0,
    PlaceKind.SUBDISTRICT: 0.9,
    PlaceKind.DISTRICT: 0.8,
    PlaceKind.GOVERNORATE: 0.42,
}


def _names_governorate(mention: _Mention, others: Sequence[_Mention]) -> bool:
    """Whether a name means its governorate: said so, only a governorate, or the frame of
    another place named in the text ("Hawija, Kirkuk": Kirkuk is the governorate here)."""
    governorates = {p.adm1_pcode for p in mention.places if p.kind == PlaceKind.GOVERNORATE}
    if not governorates or mention.government:
        return False
    if mention.intent == PlaceKind.GOVERNORATE or len(governorates) == len(mention.places):
        return True
    return any(
        p.adm1_pcode in governorates and p.kind > PlaceKind.GOVERNORATE
        for other in others
        if other is not mention
        for p in other.places
    )


def _with_governorates(mentions: Sequence[_Mention]) -> tuple[list[_Mention], frozenset[str]]:
    """The mentions, those that name a governorate marked so, and the governorates named."""
    marked: list[_Mention] = []
    named: set[str] = set()
    for mention in mentions:
        if _names_governorate(mention, mentions):
            mention = replace(mention, intent=PlaceKind.GOVERNORATE)
            named.update(p.adm1_pcode for p in mention.places if p.kind == PlaceKind.GOVERNORATE)
        marked.append(mention)
    return marked, frozenset(named)


def _confidence(chosen: _Resolved, context: frozenset[str], others: int) -> float:
    """How sure the answer is, 0..1: the match's strength times the place's specificity, up
    when a named governorate holds it, down when one does not, when it won on size alone, when
    the text puts the event only near it, and halved for each other place of its kind the
    text names far from it (on the UCDP headlines, answers with two far-apart towns named
    were right less than half the time)."""
    mention, place = chosen.mention, chosen.place
    score = _STRENGTH_SCORE[mention.strength] * _KIND_SCORE[place.kind]
    if place.kind != PlaceKind.GOVERNORATE and context:
        score = min(1.0, score + 0.05) if chosen.in_context else score * 0.7
    if chosen.by_size and not chosen.in_context:
        score *= 0.75
    if mention.relative:
        score *= 0.5
    return round(score * 0.5**others, 3)


def _distinct_others(chosen: _Resolved, resolved: Sequence[_Resolved]) -> int:
    """How many other places of the same kind, far from the chosen one, the text names."""
    here = chosen.place
    return sum(
        1
        for other in resolved
        if other.place.kind == here.kind
        and distance_km(here.latitude, here.longitude, other.place.latitude, other.place.longitude)
        > _SAME_PLACE_KM
    )


def _choose(resolved: Sequence[_Resolved], context: frozenset[str]) -> PlaceMatch | None:
    """The most specific place: in the named governorate, not "north of", first in the text."""
    best = max(
        resolved,
        key=lambda r: (
            r.place.kind,
            r.in_context,
            not r.mention.relative,
            r.mention.strength,
            -r.mention.start,
        ),
    )
    place = best.place
    return PlaceMatch(
        place.latitude,
        place.longitude,
        place.adm1_pcode,
        place.adm2_pcode,
        place.name,
        _confidence(best, context, _distinct_others(best, resolved)),
        place.name_ar,
    )


class Geocoder:
    """The gazetteer indexed for reading text; build once (about 50 ms) and share: it is
    read-only once built."""

    def __init__(self, entries: Iterable[GazetteerEntry]) -> None:
        self._index = build_index(entries)

    @classmethod
    def from_shipped(cls) -> Geocoder:
        """A geocoder over the gazetteer shipped with tansiq."""
        from tansiq.geo.reference import gazetteer

        return cls(gazetteer())

    def geocode(
        self, text: str, min_confidence: float = DEFAULT_MIN_CONFIDENCE
    ) -> PlaceMatch | None:
        """The place the text names, or None when it names none or too uncertainly."""
        mentions = [m for m in _mentions(self._index, _words(text)) if not m.government]
        mentions, context = _with_governorates(mentions)
        resolved = [r for m in mentions if (r := _resolve(m, context)) is not None]
        if not resolved:
            return None
        match = _choose(resolved, context)
        return match if match is not None and match.confidence >= min_confidence else None

    def places_named(self, text: str) -> list[Place]:
        """Every gazetteer place any name in the text could be, before choosing: what the
        text offers at best (the benchmark's ceiling)."""
        return [p for m in _mentions(self._index, _words(text)) for p in m.places]
