"""AC-4: secret scanning on every push, no unresolved secret in the change."""

from __future__ import annotations

from ..model import Location, Severity, Status
from ..scanners.pipeline.model import CapabilityKind
from .base import PLATFORM_API_EVIDENCE, Evidence, Outcome, accept, needs_platform
from .capability import CapabilityControl


class SecretScanning(CapabilityControl):
    id = "AC-4"
    title = "Secret scanning on every push, no unresolved secret in the change"
    criteria = ("CC6.7", "CC7.1")
    iso27001 = ("A.5.17", "A.8.12")
    evidence_needed = (
        "a secret-scanning step in the pipeline",
        "the result of scanning this change",
        "secret scanning and push protection settings (platform API)",
    )
    status_rule = (
        "fail when nothing scans for secrets or the scan of the change found an unresolved "
        "secret; pass when the change was scanned clean and push protection is on; error "
        "when the scan result is not in the pack"
    )
    capability = CapabilityKind.SECRET_SCAN
    does = "scans for secrets"

    def still_missing(self, evidence: Evidence) -> str:
        platform = evidence.platform
        if platform is None:
            settings = needs_platform(evidence, "secret scanning and push protection settings")
        else:
            state = {True: "on", False: "off", None: "not observed"}
            settings = (f"platform secret scanning {state[platform.secret_scanning]}, push "
                        f"protection {state[platform.push_protection]}")
        return f"the result of scanning this change is not in the pack; {settings}"

    def evaluate(self, evidence: Evidence) -> Outcome:
        outcome = super().evaluate(evidence)
        platform = evidence.platform
        if platform is None or outcome.status is Status.FAIL:
            return outcome
        off = [name for name, on in (("secret scanning", platform.secret_scanning),
                                     ("push protection", platform.push_protection)) if on is False]
        if not off:
            return outcome
        where = Location(f"{platform.platform}:{platform.repository}")
        findings = tuple(self.finding(
            "platform-secret-scanning-off", f"{name} is off for {platform.repository}",
            Severity.HIGH, where) for name in off)
        open_, accepted = accept(self.id, findings, evidence)
        if not open_:
            return Outcome(outcome.status, outcome.rationale, (*accepted, *outcome.findings),
                           (*outcome.evidence, *PLATFORM_API_EVIDENCE))
        return Outcome(Status.FAIL, f"{' and '.join(off)} off on the platform; "
                       + outcome.rationale, (*open_, *accepted, *outcome.findings),
                       (*outcome.evidence, *PLATFORM_API_EVIDENCE))
