"""AC-3: static pipeline secrets are rotated within the policy's days."""

from __future__ import annotations

from datetime import date, datetime

from ..model import Location, Severity, Status
from .base import (
    PLATFORM_API_EVIDENCE,
    Control,
    Evidence,
    Outcome,
    accept,
    expired_allowances,
    needs_platform,
    plural,
    unavailable_reason,
)


def _age_days(stamp: str | None, today: date) -> int | None:
    if not stamp:
        return None
    try:
        return (today - datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()).days
    except ValueError:
        return None


class SecretRotation(Control):
    id = "AC-3"
    title = "Static pipeline secrets rotated within the policy's days"
    criteria = ("CC6.1",)
    iso27001 = ("A.5.17",)
    evidence_needed = ("names and update times of repository and environment secrets (platform API)",)
    status_rule = (
        "pass when every static secret was updated within `secrets.rotation_days`; fail when "
        "one is older; not_applicable when the pipeline has no stored secret; manual where the "
        "platform gives no timestamps (GitLab); error without platform evidence"
    )

    def evaluate(self, evidence: Evidence) -> Outcome:
        platform = evidence.platform
        if platform is None:
            return Outcome(Status.ERROR, needs_platform(
                evidence, "age of the repository and environment secrets"))
        if platform.secrets is None:
            return Outcome(Status.ERROR, unavailable_reason(
                evidence, "the pipeline's secrets", platform.missing("repository secrets")
                + platform.missing("variables") + platform.missing("CI/CD")))
        files = PLATFORM_API_EVIDENCE
        if not platform.secrets:
            return Outcome(Status.NOT_APPLICABLE, "the pipeline stores no secret", evidence=files)
        days = evidence.policy.secrets.rotation_days
        if not platform.secrets_have_dates:
            names = ", ".join(s.name for s in platform.secrets[:5])
            return Outcome(Status.MANUAL, f"{platform.platform} gives no creation or update time for "
                           f"its {plural(len(platform.secrets), 'variable')} ({names}): a person "
                           f"must attest they were rotated within {days} days", evidence=files)
        findings = []
        undated = []
        for secret in platform.secrets:
            age = _age_days(secret.updated_at or secret.created_at, evidence.today)
            where = Location(f"{platform.platform}:{platform.repository} secret {secret.name}")
            if age is None:
                undated.append(secret.name)
            elif age > days:
                findings.append(self.finding(
                    "secret-not-rotated",
                    f"{secret.name} ({secret.scope}) was last updated {age} days ago; the policy "
                    f"allows {days}", Severity.HIGH, where))
        open_, accepted = accept(self.id, findings, evidence)
        extra = (*accepted, *expired_allowances(self.id, evidence))
        if open_:
            return Outcome(Status.FAIL, f"{plural(len(open_), 'secret')} older than {days} days: "
                           + ", ".join(f.message.split(' ', 1)[0] for f in open_[:5]),
                           (*open_, *extra), files)
        if undated:
            return Outcome(Status.ERROR, f"no update time for {', '.join(undated[:5])}",
                           extra, files)
        refused = platform.missing("environment secrets") + (
            platform.missing("environments")
            if platform.platform == "github" and platform.environments is None else ())
        if refused:
            return Outcome(Status.ERROR, unavailable_reason(evidence, "some secrets", refused),
                           extra, files)
        return Outcome(Status.PASS, f"all {plural(len(platform.secrets), 'secret')} updated within "
                       f"{days} days", extra, files)
