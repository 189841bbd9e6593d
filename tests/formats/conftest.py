"""A realistic pack to render: all 17 controls, every status, findings with and without
locations, and the evidence files the results point to."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from evidencepack.model import (
    ControlResult,
    Finding,
    Location,
    PackContent,
    PackFile,
    Severity,
    Status,
    Subject,
)

SCHEMAS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "schemas"

ZIZMOR_DOCS = "https://docs.zizmor.sh/audits/"
CONTROL_DOCS = "https://evidencepack.dev/controls/"

SUBJECT = Subject(
    repository="acme/payments-api",
    commit="3f9c2d41b7e8a05c6d1e2f3a4b5c6d7e8f901234",
    ref="refs/heads/main",
    branch="main",
    remote_url="https://github.com/acme/payments-api.git",
    server_url="https://github.com",
    platform="github",
    run_id="9876543210",
    run_attempt="1",
    run_url="https://github.com/acme/payments-api/actions/runs/9876543210",
    actor="dana-ops",
    triggering_actor="dana-ops",
    workflow_ref="acme/payments-api/.github/workflows/deploy.yml@refs/heads/main",
    event_name="push",
    author="Lee Park <lee@acme.example>",
    committer="GitHub <noreply@github.com>",
    commit_time="2025-03-14T09:41:07Z",
)

EVIDENCE_FILES = (
    PackFile("evidence/pipeline/analysis.json", "a1" * 32, 18_422),
    PackFile("evidence/pipeline/workflows/deploy.yml", "b2" * 32, 2_311),
    PackFile("evidence/pipeline/workflows/ci.yml", "c3" * 32, 1_874),
    PackFile("evidence/github/branch-protection.json", "d4" * 32, 3_120),
    PackFile("evidence/github/pulls.json", "e5" * 32, 56_204),
    PackFile("evidence/github/secret-scanning-alerts.json", "f6" * 32, 412),
    PackFile("evidence/scanners/secrets.sarif", "07" * 32, 5_630),
    PackFile("evidence/scanners/zizmor.sarif", "18" * 32, 24_871),
    PackFile("evidence/scanners/osv.json", "29" * 32, 88_019),
    PackFile("evidence/sbom/cyclonedx.json", "3a" * 32, 1_402_555),
    PackFile("evidence/policy/evidencepack.yml", "4b" * 32, 933),
)


def _results() -> tuple[ControlResult, ...]:
    deploy = "evidence/pipeline/workflows/deploy.yml"
    analysis = "evidence/pipeline/analysis.json"
    return (
        ControlResult(
            "CM-1",
            "Production branch protected",
            ("CC8.1", "CC5.2", "CC6.1"),
            ("A.8.32", "A.8.4"),
            Status.PASS,
            "Branch main requires 2 approving reviews, dismisses stale reviews and allows no bypass.",
            evidence=("evidence/github/branch-protection.json",),
            enforced=True,
        ),
        ControlResult(
            "CM-2",
            "Every change reviewed before merge by someone other than its authors",
            ("CC8.1", "CC6.3"),
            ("A.8.32",),
            Status.FAIL,
            "1 of 4 pull requests in this deploy was merged without an approval on the merged commit.",
            findings=(
                Finding(
                    "unreviewed-change",
                    "Pull request #412 was approved on 9b1e0c2 but merged at 3f9c2d4 after a "
                    "new push by its author.",
                    Severity.HIGH,
                    help_uri=CONTROL_DOCS + "cm-2",
                ),
            ),
            evidence=("evidence/github/pulls.json",),
            enforced=True,
        ),
        ControlResult(
            "CM-3",
            "Pipeline configuration is code, changed only through reviewed pull requests",
            ("CC8.1",),
            ("A.8.32", "A.8.9"),
            Status.PASS,
            "All 2 workflow files are tracked in Git and covered by branch protection.",
            evidence=(deploy, "evidence/pipeline/workflows/ci.yml"),
        ),
        ControlResult(
            "CM-4",
            "Automated tests run on every change and are required checks",
            ("CC8.1",),
            ("A.8.29", "A.8.32"),
            Status.PASS,
            "Job test runs on pull_request and push and is a required status check.",
            evidence=(analysis, "evidence/github/branch-protection.json"),
        ),
        ControlResult(
            "AC-1",
            "Cloud access through OIDC federation, no static cloud keys",
            ("CC6.1", "CC6.6"),
            ("A.5.17", "A.8.5"),
            Status.FAIL,
            "The deploy job reads a long-lived AWS access key from repository secrets.",
            findings=(
                Finding(
                    "static-cloud-credentials",
                    "Step 'Configure AWS' uses secrets.AWS_SECRET_ACCESS_KEY instead of OIDC "
                    "(role-to-assume).",
                    Severity.HIGH,
                    Location(".github/workflows/deploy.yml", 41, 15),
                    help_uri=CONTROL_DOCS + "ac-1",
                ),
            ),
            evidence=(deploy, analysis),
            enforced=True,
        ),
        ControlResult(
            "AC-2",
            "Least-privilege pipeline token",
            ("CC6.1", "CC6.3"),
            ("A.8.2", "A.5.15"),
            Status.FAIL,
            "Workflow ci.yml sets no permissions block, so the token gets the repository default.",
            findings=(
                Finding(
                    "zizmor/excessive-permissions",
                    "default permissions used due to no permissions: block",
                    Severity.MEDIUM,
                    Location(".github/workflows/ci.yml", 1, 1),
                    help_uri=ZIZMOR_DOCS + "#excessive-permissions",
                    source="zizmor",
                    confidence="medium",
                ),
                Finding(
                    "zizmor/excessive-permissions",
                    "default permissions used due to no permissions: block",
                    Severity.MEDIUM,
                    Location(".github/workflows/release.yml"),
                    help_uri=ZIZMOR_DOCS + "#excessive-permissions",
                    source="zizmor",
                    confidence="medium",
                ),
            ),
            evidence=(analysis,),
        ),
        ControlResult(
            "AC-3",
            "Static secrets rotated within policy",
            ("CC6.1",),
            ("A.5.17",),
            Status.ERROR,
            "Secret metadata could not be read: the token lacks the secrets:read permission (HTTP 403).",
        ),
        ControlResult(
            "AC-4",
            "Secret scanning on every push, no unresolved secret in the change",
            ("CC6.7", "CC7.1"),
            ("A.8.12",),
            Status.PASS,
            "Secret scanning and push protection are on; no secret found in the change.",
            findings=(
                Finding(
                    "generic-api-key",
                    "Possible API key in tests/fixtures/sample.env (value redacted: sk_****).",
                    Severity.LOW,
                    Location("tests/fixtures/sample.env", 3),
                    allowed_by="Test fixture with a revoked sandbox key; expires 2025-06-30.",
                ),
            ),
            evidence=("evidence/scanners/secrets.sarif", "evidence/github/secret-scanning-alerts.json"),
        ),
        ControlResult(
            "VM-1",
            "Dependencies scanned on every build against a fresh database",
            ("CC7.1", "CC6.8"),
            ("A.8.8",),
            Status.PASS,
            "412 packages from 2 lockfiles matched against OSV data fetched 4 minutes before the build.",
            evidence=("evidence/scanners/osv.json",),
        ),
        ControlResult(
            "VM-2",
            "Critical and high vulnerabilities fixed within SLA",
            ("CC7.1",),
            ("A.8.8",),
            Status.FAIL,
            "1 critical vulnerability is older than the 7-day SLA.",
            findings=(
                Finding(
                    "vulnerability-sla",
                    "GHSA-jfh8-c2jp-5v3q (log4j-core 2.14.1) is critical and was published "
                    "31 days ago; SLA is 7 days.",
                    Severity.CRITICAL,
                    Location("gradle.lockfile", 57),
                    help_uri="https://osv.dev/vulnerability/GHSA-jfh8-c2jp-5v3q",
                ),
                Finding(
                    "vulnerability-sla",
                    "PYSEC-2023-62 (requests 2.28.1) is medium; within its 90-day SLA.",
                    Severity.MEDIUM,
                    Location("requirements.txt", 12),
                    help_uri="https://osv.dev/vulnerability/PYSEC-2023-62",
                ),
            ),
            evidence=("evidence/scanners/osv.json",),
        ),
        ControlResult(
            "MO-1",
            "Pipeline status monitored and failures alerted",
            ("CC7.2", "CC4.1"),
            ("A.8.16",),
            Status.MANUAL,
            "Alert routing for failed runs is configured outside the repository; attest that "
            "failures notify the on-call channel.",
        ),
        ControlResult(
            "LG-1",
            "Pipeline logs kept for the policy's retention",
            ("CC7.2", "CC2.1"),
            ("A.8.15",),
            Status.ERROR,
            "The Actions log retention setting is only readable by organisation owners.",
        ),
        ControlResult(
            "IN-1",
            "Build artifacts signed",
            ("CC8.1", "CC6.8"),
            ("A.8.24",),
            Status.PASS,
            "The container image is signed with cosign keyless signing in the deploy job.",
            evidence=(deploy,),
        ),
        ControlResult(
            "IN-2",
            "An SBOM with every build",
            ("CC7.1", "CC9.2"),
            ("A.5.21",),
            Status.PASS,
            "A CycloneDX 1.6 SBOM with 412 components was generated for this build.",
            evidence=("evidence/sbom/cyclonedx.json",),
        ),
        ControlResult(
            "IN-3",
            "Artifact integrity verified before deployment",
            ("CC8.1", "CC6.8"),
            ("A.8.32",),
            Status.NOT_APPLICABLE,
            "This pipeline publishes a library and deploys nothing.",
        ),
        ControlResult(
            "HD-1",
            "Pipeline hardening: pinned actions, no dangerous triggers, no injection",
            ("CC6.8", "CC8.1"),
            ("A.8.9", "A.8.28"),
            Status.FAIL,
            "2 actions are referenced by tag instead of a commit SHA.",
            findings=(
                Finding(
                    "zizmor/unpinned-uses",
                    "action is not pinned to a hash (required by blanket policy)",
                    Severity.HIGH,
                    Location(".github/workflows/deploy.yml", 23, 9),
                    help_uri=ZIZMOR_DOCS + "#unpinned-uses",
                    source="zizmor",
                    confidence="high",
                ),
                Finding(
                    "zizmor/unpinned-uses",
                    "action is not pinned to a hash (required by blanket policy)",
                    Severity.HIGH,
                    Location(".github/workflows/deploy.yml", 35, 9),
                    help_uri=ZIZMOR_DOCS + "#unpinned-uses",
                    source="zizmor",
                    confidence="high",
                ),
                Finding(
                    "zizmor/template-injection",
                    "${{ github.event.pull_request.title }} may expand into attacker-controllable code",
                    Severity.INFO,
                    Location(".github/workflows/ci.yml", 48, 14),
                    help_uri=ZIZMOR_DOCS + "#template-injection",
                    source="zizmor",
                    confidence="low",
                ),
            ),
            evidence=("evidence/scanners/zizmor.sarif", deploy),
        ),
        ControlResult(
            "DOC-1",
            "As-built: declared policy matches observed configuration",
            ("CC5.3", "CC4.1"),
            ("A.5.36",),
            Status.FAIL,
            "The policy declares 2 required approvals; branch protection requires 2, but the "
            "policy declares log retention of 400 days and it could not be observed.",
            findings=(
                Finding(
                    "as-built-mismatch",
                    "log_retention_days: declared 400, observed unknown",
                    Severity.MEDIUM,
                    Location("evidencepack.yml", 9),
                ),
            ),
            evidence=("evidence/policy/evidencepack.yml", analysis),
        ),
    )


def build_content(**changes: Any) -> PackContent:
    """The sample pack, with any field replaced."""
    values: dict[str, Any] = {
        "pack_id": "20250314T094233Z-3f9c2d41b7e8",
        "created_at": "2025-03-14T09:42:33Z",
        "tool_version": "0.1.0",
        "subject": SUBJECT,
        "policy_digest": "sha256:" + "5c" * 32,
        "policy_source": "evidencepack.yml",
        "results": _results(),
        "evidence_files": EVIDENCE_FILES,
        "signer_keyid": "SHA256:q9Jd3cT0m2rYl8wQ1vB6nE4kX7aZ5pF0sG2hU9iO3yM",
    }
    values.update(changes)
    return PackContent(**values)


@pytest.fixture
def pack_content() -> PackContent:
    return build_content()


@pytest.fixture
def make_content() -> Callable[..., PackContent]:
    return build_content


def _load_schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


def _translate_unicode_classes(node: Any) -> Any:
    """OSCAL's \\p{L} and \\p{N} in Python `re` terms; nothing else of the schema changes."""
    if isinstance(node, dict):
        return {
            key: (
                re.sub(r"\\p\{N\}", r"\\d", re.sub(r"\\p\{L\}", r"[^\\W\\d_]", value))
                if key == "pattern" and isinstance(value, str)
                else _translate_unicode_classes(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_translate_unicode_classes(item) for item in node]
    return node


@pytest.fixture(scope="session")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = _load_schema("sarif-schema-2.1.0.json")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="session")
def oscal_validator() -> jsonschema.protocols.Validator:
    schema = _translate_unicode_classes(_load_schema("oscal_assessment-results_schema.json"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)
