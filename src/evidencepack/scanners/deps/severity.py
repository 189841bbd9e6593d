"""The severity of an advisory: computed from its CVSS vectors, else the advisory's rating.

Base scores come from RedHat's `cvss` package (CVSS v3.0/v3.1 and v4.0); the score is
turned into a rating with the bands CVSS itself defines. A vector that does not parse is
not guessed at: the next source is used, and the report says which one decided.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cvss import CVSS3, CVSS4  # type: ignore[import-untyped]
from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

from ...model import Severity

# The GitHub Advisory Database rates with MODERATE where CVSS says medium.
_RATINGS = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}


@dataclass(frozen=True)
class Rating:
    """How severe one advisory is, and what said so."""

    severity: Severity | None
    """None when neither a vector nor the advisory's own rating tells."""
    score: float | None
    """The CVSS base score, when a vector decided."""
    basis: str
    """E.g. `CVSS:3.1/AV:N/... = 9.8`, `database_specific.severity HIGH`, or `unknown`."""

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": str(self.severity) if self.severity else "unknown",
            "score": self.score,
            "basis": self.basis,
        }


UNKNOWN = Rating(None, None, "unknown")


def band(score: float) -> Severity:
    """CVSS v3.x/v4.0 qualitative rating: 0 none, 0.1-3.9 low, 4-6.9 medium, 7-8.9 high, 9+ critical."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO


def cvss_score(kind: str, vector: str) -> float | None:
    """The base score of a CVSS_V3 or CVSS_V4 vector; None when it does not parse."""
    try:
        if kind == "CVSS_V4":
            return float(CVSS4(vector).base_score)
        if kind == "CVSS_V3":
            return float(CVSS3(vector).base_score)
    except (CVSSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return None


def _severity_entries(advisory: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    yield from _dicts(advisory.get("severity"))
    for affected in _dicts(advisory.get("affected")):
        yield from _dicts(affected.get("severity"))


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def rate(advisory: Mapping[str, Any]) -> Rating:
    """The advisory's severity: the highest CVSS v4.0, else v3.x, score; else its own rating."""
    for kind in ("CVSS_V4", "CVSS_V3"):
        best: Rating | None = None
        for entry in _severity_entries(advisory):
            vector = entry.get("score")
            if entry.get("type") != kind or not isinstance(vector, str):
                continue
            score = cvss_score(kind, vector)
            if score is not None and (best is None or (best.score or 0.0) < score):
                best = Rating(band(score), score, f"{vector} = {score:g}")
        if best is not None:
            return best
    specific = advisory.get("database_specific")
    if isinstance(specific, Mapping):
        label = specific.get("severity")
        if isinstance(label, str) and label.upper() in _RATINGS:
            return Rating(_RATINGS[label.upper()], None, f"database_specific.severity {label}")
    return UNKNOWN


def worst(ratings: Iterable[Rating]) -> Rating:
    """The most severe of several ratings of one vulnerability (its aliases' advisories)."""
    known = [r for r in ratings if r.severity is not None]
    if not known:
        return UNKNOWN
    return min(known, key=lambda r: (r.severity.rank if r.severity else 9, -(r.score or 0.0)))
