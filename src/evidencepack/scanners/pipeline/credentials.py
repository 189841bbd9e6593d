"""Names of secrets and variables that hold long-lived cloud credentials (AC-1)."""

from __future__ import annotations

import re

# Matched on whole `_`-separated words, so `PROD_AWS_ACCESS_KEY_ID` counts and
# `AWS_ROLE_ARN` does not.
_CLOUD_CREDENTIAL_NAMES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (provider, re.compile(rf"(?:^|_)(?:{pattern})(?:_|$)", re.IGNORECASE))
    for provider, pattern in (
        ("aws", r"AWS_ACCESS_KEY(?:_ID)?|AWS_SECRET_ACCESS_KEY|AWS_SECRET_KEY|AWS_SESSION_TOKEN"),
        ("azure", r"AZURE_CREDENTIALS|AZURE_CLIENT_SECRET|ARM_CLIENT_SECRET"
                  r"|AZURE_SP_CREDENTIALS?"),
        ("gcp", r"GCP_SA_KEY|GCP_CREDENTIALS|GCP_SA_JSON|GOOGLE_CREDENTIALS"
                r"|GOOGLE_APPLICATION_CREDENTIALS(?:_JSON)?|GCLOUD_SERVICE_KEY|GCLOUD_AUTH"
                r"|\w*SERVICE_ACCOUNT_(?:KEY|JSON)|\w+_SA_KEY|FIREBASE_SERVICE_ACCOUNT\w*"),
    )
)


def credential_provider(name: str) -> str | None:
    """`aws`, `gcp` or `azure` when `name` names a long-lived credential of that cloud."""
    for provider, pattern in _CLOUD_CREDENTIAL_NAMES:
        if pattern.search(name):
            return provider
    return None
