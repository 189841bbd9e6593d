"""Controls whose evidence comes only from the platform's API (reviews, settings, runs)."""

from __future__ import annotations

from typing import ClassVar

from ..model import Status
from .base import Control, Evidence, Outcome, needs_platform


class PlatformControl(Control):
    """A control that, without platform evidence, is an `error` naming what was not observed."""

    not_observed: ClassVar[str] = ""
    """What is missing without a token, e.g. `pull requests and reviews`."""

    def missing(self, evidence: Evidence) -> str:
        """What is not observed without platform evidence, for this run."""
        return self.not_observed

    def evaluate(self, evidence: Evidence) -> Outcome:
        return Outcome(Status.ERROR, needs_platform(evidence, self.missing(evidence)))
