"""Admiralty source grading: source reliability A-F and information credibility 1-6.

STIX has only `confidence` (0-100); its Appendix A maps credibility to it, and 6 ("truth cannot
be judged") means no confidence at all. Reliability has no STIX home and travels in our own
property extension (tansiq.sharing.stix).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tansiq.errors import InvalidInput

RELIABILITY = {
    "A": "Completely reliable",
    "B": "Usually reliable",
    "C": "Fairly reliable",
    "D": "Not usually reliable",
    "E": "Unreliable",
    "F": "Reliability cannot be judged",
}
CREDIBILITY = {
    1: "Confirmed by other sources",
    2: "Probably true",
    3: "Possibly true",
    4: "Doubtful",
    5: "Improbable",
    6: "Truth cannot be judged",
}
_CONFIDENCE = {1: 90, 2: 70, 3: 50, 4: 30, 5: 10}
_GRADE = re.compile(r"^([A-Fa-f])([1-6])$")


@dataclass(frozen=True, slots=True)
class Grade:
    reliability: str
    credibility: int

    def __post_init__(self) -> None:
        if self.reliability not in RELIABILITY or self.credibility not in CREDIBILITY:
            raise InvalidInput(f"bad grade {self.reliability}{self.credibility}: use A-F and 1-6")

    @property
    def confidence(self) -> int | None:
        """The STIX confidence for this credibility (Appendix A); None for 6."""
        return _CONFIDENCE.get(self.credibility)

    def __str__(self) -> str:
        return f"{self.reliability}{self.credibility}"


def parse_grade(text: str) -> Grade:
    match = _GRADE.match(text.strip())
    if not match:
        raise InvalidInput(
            f"bad grade {text!r}: a letter A-F (source reliability) then a digit 1-6 "
            "(information credibility), e.g. B2"
        )
    return Grade(match.group(1).upper(), int(match.group(2)))
