"""CM-1: the production branch is protected and needs approving reviews, with no bypass."""

from __future__ import annotations

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


class BranchProtection(Control):
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
        "with at least the policy's approvals, no bypass, no force pushes; fail otherwise; "
        "error without platform evidence"
    )

    def evaluate(self, evidence: Evidence) -> Outcome:
        branches = ", ".join(evidence.policy.production_branches)
        platform = evidence.platform
        if platform is None:
            return Outcome(Status.ERROR,
                           needs_platform(evidence, f"branch protection and rulesets of {branches}"))
        if platform.branch_rules is None:
            return Outcome(Status.ERROR, unavailable_reason(
                evidence, f"branch protection of {branches}", platform.missing("branch")
                + platform.missing("rules") + platform.missing("ruleset")))
        if not platform.branch_rules:
            return Outcome(Status.ERROR, f"none of the production branches ({branches}) exists in "
                           f"{platform.repository}: set production_branches in the policy")
        required = evidence.policy.approvals.required
        findings = []
        for rules in platform.branch_rules:
            where = Location(f"{platform.platform}:{platform.repository}@{rules.branch}")
            if not rules.protected:
                findings.append(self.finding(
                    "branch-not-protected",
                    f"{rules.branch} is not protected: anyone with write access can push to it",
                    Severity.HIGH, where))
                continue
            if rules.required_approvals < required:
                findings.append(self.finding(
                    "too-few-approvals",
                    f"{rules.branch} requires {rules.required_approvals} approving review(s); "
                    f"the policy requires {required}", Severity.HIGH, where))
            for actor in rules.bypass_actors:
                findings.append(self.finding(
                    "bypass-allowed", f"{rules.branch}: {actor} may bypass the rules",
                    Severity.MEDIUM, where))
            if rules.allow_force_pushes:
                findings.append(self.finding(
                    "force-push-allowed", f"{rules.branch} allows force pushes", Severity.MEDIUM,
                    where))
            if rules.allow_deletions:
                findings.append(self.finding(
                    "deletion-allowed", f"{rules.branch} may be deleted", Severity.LOW, where))
        open_, accepted = accept(self.id, findings, evidence)
        extra = (*accepted, *expired_allowances(self.id, evidence))
        failing = [f for f in open_ if f.severity.at_least(Severity.MEDIUM)]
        files = PLATFORM_API_EVIDENCE
        if failing:
            return Outcome(Status.FAIL, f"{plural(len(failing), 'problem')} with branch protection: "
                           + "; ".join(f.message for f in failing[:3]), (*open_, *extra), files)
        unseen = platform.missing("ruleset") + platform.missing("branch approval rules")
        if unseen:
            # Bypass actors or approval counts that could not be read may be what fails.
            return Outcome(Status.ERROR, unavailable_reason(
                evidence, "part of the branch rules", unseen), (*open_, *extra), files)
        described = "; ".join(
            f"{r.branch} protected by {', '.join(r.sources) or 'rules'} with "
            f"{r.required_approvals} required approval(s)" for r in platform.branch_rules)
        return Outcome(Status.PASS, described, (*open_, *extra), files)
