"""AC-3: static pipeline secrets are rotated within the policy's days."""

from __future__ import annotations

from .platform_only import PlatformControl


class SecretRotation(PlatformControl):
    id = "AC-3"
    title = "Static pipeline secrets rotated within the policy's days"
    criteria = ("CC6.1",)
    iso27001 = ("A.5.17",)
    evidence_needed = ("names and update times of repository and environment secrets (platform API)",)
    status_rule = (
        "pass when every static secret was updated within `secrets.rotation_days`; manual "
        "where the platform gives no timestamps; error without platform evidence"
    )
    not_observed = "age of the repository and environment secrets"
