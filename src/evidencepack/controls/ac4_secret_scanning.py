"""AC-4: secret scanning on every push, no unresolved secret in the change."""

from __future__ import annotations

from ..scanners.pipeline.model import CapabilityKind
from .base import Evidence, needs_platform
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
        return (
            "the result of scanning this change is not in the pack, and "
            + needs_platform(evidence, "secret scanning and push protection settings")
        )
