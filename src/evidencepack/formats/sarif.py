"""Findings as a SARIF 2.1.0 log that GitHub code scanning accepts.

The mapping follows GitHub's documented subset of SARIF: every rule carries a short and a
full description, help text and a `security-severity`, every result has exactly one
location with a start line and a `primaryLocationLineHash` fingerprint.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from evidencepack.model import Finding, Severity

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_VERSION = "2.1.0"
TOOL_NAME = "evidencepack"
TOOL_INFORMATION_URI = "https://evidencepack.dev"
SRCROOT = "%SRCROOT%"

REPOSITORY_LEVEL_URI = "no file associated with this alert"
"""Artifact URI of a finding about the repository or platform rather than a file.

GitHub shows a result only if it has a location with a start line. OpenSSF Scorecard
reports its repository-level checks under this exact URI, so code scanning users already
know it as "not about a file"; inventing a file to point at would mislead them.
"""

SECURITY_SEVERITY: Mapping[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
"""GitHub reads `security-severity` as a string score: >9.0 critical, 7-8.9 high, 4-6.9 medium,
0.1-3.9 low, 0.0 none."""

LEVEL: Mapping[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class RuleInfo:
    """What SARIF says about one rule, independent of any finding."""

    id: str
    """The rule id findings carry in `Finding.rule`."""
    name: str
    """Short name GitHub uses to filter by rule (at most 255 characters)."""
    short_description: str
    """One line shown next to each alert."""
    help_uri: str | None
    """Where the rule and its remediation are documented."""
    default_severity: Severity
    full_description: str | None = None
    """Longer description; the short one is reused when absent."""


def sarif_log(
    findings: Sequence[Finding],
    *,
    tool_version: str,
    rules: Mapping[str, RuleInfo] | None = None,
) -> dict[str, Any]:
    """Return a SARIF 2.1.0 log with one run holding `findings`.

    `rules` describes rules by id; a rule used by a finding but missing from `rules` is
    derived from its findings. Rules and results are sorted, so equal input gives equal
    output.
    """
    known = dict(rules or {})
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    for rule_id, rule_findings in by_rule.items():
        if rule_id not in known:
            known[rule_id] = _derive_rule(rule_id, rule_findings)

    rule_ids = sorted(known)
    rule_index = {rule_id: index for index, rule_id in enumerate(rule_ids)}
    descriptors = [_reporting_descriptor(known[rule_id], by_rule.get(rule_id, ())) for rule_id in rule_ids]

    ordered = sorted(findings, key=_finding_order)
    # GitHub's fingerprint suffix counts identical hashes, so two equal findings in one file
    # stay two alerts instead of collapsing into one.
    seen: Counter[str] = Counter()
    results = []
    for finding in ordered:
        digest = _fingerprint(finding)
        seen[digest] += 1
        results.append(_result(finding, rule_index[finding.rule], f"{digest}:{seen[digest]}"))

    driver: dict[str, Any] = {
        "name": TOOL_NAME,
        "version": tool_version,
        "informationUri": TOOL_INFORMATION_URI,
        "rules": descriptors,
    }
    if _SEMVER.match(tool_version):
        driver["semanticVersion"] = tool_version

    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {
                    # The checkout path differs per runner, so the base is left for the
                    # consumer to supply (GitHub resolves it against the repository root).
                    SRCROOT: {"description": {"text": "The root of the repository checkout."}}
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _derive_rule(rule_id: str, findings: Sequence[Finding]) -> RuleInfo:
    """A rule description made from the findings that use it."""
    help_uris = sorted({f.help_uri for f in findings if f.help_uri})
    severity = min((f.severity for f in findings), key=lambda s: s.rank)
    sources = sorted({f.source for f in findings})
    short = _humanize(rule_id)
    return RuleInfo(
        id=rule_id,
        name=rule_id,
        short_description=short,
        help_uri=help_uris[0] if help_uris else None,
        default_severity=severity,
        full_description=f"{short} (reported by {', '.join(sources)}).",
    )


def _humanize(rule_id: str) -> str:
    """`zizmor/unpinned-uses` -> `Unpinned uses`."""
    words = rule_id.rsplit("/", 1)[-1].replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else rule_id


def _reporting_descriptor(rule: RuleInfo, findings: Sequence[Finding]) -> dict[str, Any]:
    full = rule.full_description or rule.short_description
    tags = ["security", *sorted({f.source for f in findings})]
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name[:255],
        "shortDescription": {"text": rule.short_description[:1024]},
        "fullDescription": {"text": full[:1024]},
    }
    if rule.help_uri:
        descriptor["helpUri"] = rule.help_uri
        descriptor["help"] = {
            "text": f"{full}\nDocumentation and remediation: {rule.help_uri}",
            "markdown": f"{_markdown_escape(full)}\n\n[Documentation and remediation]({rule.help_uri})",
        }
    else:
        descriptor["help"] = {"text": full, "markdown": _markdown_escape(full)}
    descriptor["defaultConfiguration"] = {"level": LEVEL[rule.default_severity]}
    descriptor["properties"] = {
        "tags": list(dict.fromkeys(tags)),
        "security-severity": SECURITY_SEVERITY[rule.default_severity],
        "problem.severity": _problem_severity(rule.default_severity),
    }
    return descriptor


def _problem_severity(severity: Severity) -> str:
    level = LEVEL[severity]
    return "recommendation" if level == "note" else level


def _markdown_escape(text: str) -> str:
    """Keep rule text literal when GitHub renders it as Markdown (links, emphasis, HTML)."""
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)


def _finding_order(finding: Finding) -> tuple[str, int, int, str, str, int]:
    location = finding.location
    return (
        location.path if location else "",
        (location.line or 0) if location else 0,
        (location.column or 0) if location else 0,
        finding.rule,
        finding.message,
        finding.severity.rank,
    )


def _normalized_message(message: str) -> str:
    return _WHITESPACE.sub(" ", message).strip()


def _fingerprint(finding: Finding) -> str:
    """First 16 hex digits of sha256 over rule, path and message, like GitHub's line hash.

    Line numbers are left out on purpose: an alert keeps its identity when the lines
    above it change.
    """
    path = finding.location.path if finding.location else ""
    material = "\0".join((finding.rule, path, _normalized_message(finding.message)))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]


def _artifact_uri(path: str) -> str:
    """A repository-relative POSIX path as a relative URI reference."""
    clean = path.replace("\\", "/")
    while clean.startswith("./"):
        clean = clean[2:]
    return quote(clean.lstrip("/"), safe="/")


def _location(finding: Finding) -> dict[str, Any]:
    location = finding.location
    if location is None:
        return {
            "physicalLocation": {
                "artifactLocation": {"uri": REPOSITORY_LEVEL_URI},
                "region": {"startLine": 1},
            },
            "message": {"text": "The finding concerns the repository or platform settings."},
        }
    # GitHub requires a start line; a finding about a whole file is anchored on its first line.
    region: dict[str, Any] = {"startLine": location.line or 1}
    if location.line is not None and location.column is not None:
        region["startColumn"] = location.column
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": _artifact_uri(location.path), "uriBaseId": SRCROOT},
            "region": region,
        }
    }


def _result(finding: Finding, rule_index: int, fingerprint: str) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "evidencepack/severity": str(finding.severity),
        "evidencepack/source": finding.source,
    }
    if finding.confidence:
        properties["evidencepack/confidence"] = finding.confidence
    if finding.location is not None and finding.location.line is None:
        properties["evidencepack/file-level"] = True
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": _normalized_message(finding.message) or finding.rule},
        "locations": [_location(finding)],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint},
        "properties": properties,
    }
    if finding.allowed_by:
        # An allow-listed finding stays in the log, marked as an accepted exception, so the
        # record of what was accepted and why is not lost. GitHub code scanning ignores
        # suppressions unless the repository treats suppressed results as dismissed.
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": finding.allowed_by}
        ]
    return result
