"""AC-4: secret scanning on every push, no unresolved secret in the change."""

from __future__ import annotations

from ..model import Location, Severity, Status
from .base import (
    EVIDENCE_SECRETS,
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


class SecretScanning(Control):
    id = "AC-4"
    title = "Secret scanning on every push, no unresolved secret in the change"
    criteria = ("CC6.7", "CC7.1")
    iso27001 = ("A.5.17", "A.8.12")
    evidence_needed = (
        "evidencepack's own scan of the change (the commits since the previous pack, or the tree)",
        "secret scanning and push protection settings (platform API, when a token is given)",
    )
    status_rule = (
        "fail when the scan of the change found a secret that no baseline entry or inline "
        "comment accepts with a reason, or when the platform shows secret scanning or push "
        "protection off; pass when the scan ran clean (and, with platform data, both are on); "
        "error when the change could not be scanned or, with a token, the settings could not "
        "be read"
    )

    def evaluate(self, evidence: Evidence) -> Outcome:
        scan = evidence.secret_scan
        if scan is None:
            return Outcome(Status.ERROR, "the change was not scanned for secrets: "
                           + (evidence.secret_scan_error or "no scan result"))
        files: tuple[str, ...] = (EVIDENCE_SECRETS,)
        findings = [f.to_finding() for f in scan.findings]
        open_, accepted = accept(self.id, [f for f in findings if f.allowed_by is None], evidence)
        accepted = (*accepted, *(f for f in findings if f.allowed_by is not None))
        extra = (*accepted, *expired_allowances(self.id, evidence))
        what = _coverage(scan.scope, scan.files_scanned, scan.commits_scanned, scan.base)
        platform = evidence.platform
        off: list[str] = []
        unknown = False
        if platform is not None:
            files = (*files, *PLATFORM_API_EVIDENCE)
            for name, on in (("secret scanning", platform.secret_scanning),
                             ("push protection", platform.push_protection)):
                if on is False:
                    off.append(name)
                elif on is None:
                    unknown = True
        settings = []
        if off and platform is not None:
            where = Location(f"{platform.platform}:{platform.repository}")
            settings = [self.finding("platform-secret-scanning-off",
                                     f"{name} is off for {platform.repository}", Severity.HIGH,
                                     where) for name in off]
            settings_open, settings_accepted = accept(self.id, settings, evidence)
            open_ = (*open_, *settings_open)
            extra = (*extra, *settings_accepted)
        if open_:
            secrets_found = [f for f in open_ if f.rule.startswith("secret/")]
            text = []
            if secrets_found:
                text.append(f"{plural(len(secrets_found), 'unresolved secret')} in {what}: "
                            + "; ".join(f"{f.message} at {f.location}" for f in secrets_found[:3]))
            if any(f.rule == "platform-secret-scanning-off" for f in open_):
                text.append(" and ".join(off) + " off on the platform")
            return Outcome(Status.FAIL, "; ".join(text), (*open_, *extra), files)
        clean = f"no unresolved secret in {what}"
        if accepted:
            clean += f" ({plural(len(accepted), 'finding')} accepted with a reason)"
        if platform is not None and unknown:
            return Outcome(Status.ERROR, clean + "; " + unavailable_reason(
                evidence, "secret scanning and push protection settings",
                platform.missing("secret scanning") + platform.missing("security")), extra, files)
        if platform is None and evidence.platform_error:
            # A token was given but the platform could not be read: its settings are unknown.
            return Outcome(Status.ERROR, clean + "; " + needs_platform(
                evidence, "secret scanning and push protection settings"), extra, files)
        if platform is not None:
            clean += "; secret scanning and push protection are on"
        return Outcome(Status.PASS, clean, extra, files)


def _coverage(scope: str, files: int, commits: int, base: str | None) -> str:
    if scope == "worktree":
        return f"the checked-out tree ({plural(files, 'file')})"
    since = f" since {base[:12]}" if base else ""
    return f"the lines added by {plural(commits, 'commit')}{since}"
