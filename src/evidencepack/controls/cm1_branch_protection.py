"""CM-1: the production branch is protected and needs approving reviews, with no bypass."""

from __future__ import annotations

from .base import Evidence
from .platform_only import PlatformControl


class BranchProtection(PlatformControl):
    id = "CM-1"
    title = "Production branch protected, approving reviews required, no bypass"
    criteria = ("CC8.1", "CC5.2", "CC6.1")
    iso27001 = ("A.8.32", "A.8.4")
    evidence_needed = (
        "classic branch protection and rulesets of each production branch (platform API)",
        "bypass actors and enforce_admins (platform API)",
    )
    status_rule = (
        "pass when every production branch is protected (classic protection or rulesets) "
        "with at least the policy's approvals and no bypass; error without platform evidence"
    )

    def missing(self, evidence: Evidence) -> str:
        branches = ", ".join(evidence.policy.production_branches)
        return f"branch protection and rulesets of {branches}"
