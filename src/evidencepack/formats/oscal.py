"""Control results as OSCAL 1.1 assessment results (`oscal/assessment-results.json`).

One OSCAL result covers the pack. Each control becomes one observation (what was looked at,
with its evidence files) and one finding (whether the control objective is satisfied).
Every UUID is derived from the pack id, so the same pack content gives the same document.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from evidencepack.model import ControlResult, Finding, PackContent, PackFile, Status

OSCAL_VERSION = "1.1.3"
PROP_NS = "https://evidencepack.dev/ns/oscal"
"""Namespace of every property evidencepack defines (OSCAL reserves un-namespaced names)."""

UUID_NAMESPACE = uuid.UUID("c5adc1f6-4d2f-5991-bdad-093c9d2c03f2")
"""Namespace of evidencepack's OSCAL UUIDs: uuid5(NAMESPACE_URL, PROP_NS), written out so that
it never changes; changing it would change the UUIDs of every document."""

EVIDENCE_HREF_PREFIX = "../"
"""The document sits in `oscal/` of the pack; hrefs resolve against it, so pack-relative
paths are reached one level up."""

_STATE: dict[Status, str] = {
    Status.PASS: "satisfied",
    Status.FAIL: "not-satisfied",
    # Only a pass satisfies an objective: missing evidence, a pending attestation or an
    # exemption is never reported as satisfied to an auditor's tooling.
    Status.ERROR: "not-satisfied",
    Status.MANUAL: "not-satisfied",
    Status.NOT_APPLICABLE: "not-satisfied",
}

_REASON: dict[Status, str] = {Status.PASS: "pass", Status.FAIL: "fail"}

_STATUS_REMARKS: dict[Status, str] = {
    Status.ERROR: "The evidence this control needs could not be collected, so it was not "
    "evaluated; it is reported as not satisfied until evaluated.",
    Status.MANUAL: "This control needs a person's attestation; evidencepack cannot observe "
    "it. It is reported as not satisfied until attested.",
    Status.NOT_APPLICABLE: "This control does not apply to this repository or run. OSCAL has "
    "no 'not applicable' objective state, so it is reported as not satisfied with the "
    "implementation status 'not-applicable'.",
}

_WHITESPACE = re.compile(r"\s+")


def assessment_results(content: PackContent) -> dict[str, Any]:
    """Return the OSCAL 1.1.3 assessment-results document for a pack, ready for `json.dump`."""
    ids = _Ids(content.pack_id)
    subject = content.subject
    short_sha = subject.commit[:7]
    repository = subject.repository or "local repository"
    evidence_files = {f.path: f for f in content.evidence_files}
    referenced = sorted({path for r in content.results for path in r.evidence} | set(evidence_files))

    metadata: dict[str, Any] = {
        "title": f"evidencepack assessment results for {repository}@{short_sha}",
        "last-modified": content.created_at,
        "version": content.tool_version,
        "oscal-version": OSCAL_VERSION,
        "props": _props(
            [
                ("pack-id", content.pack_id),
                ("commit", subject.commit),
                ("policy-digest", content.policy_digest),
                ("signer-keyid", content.signer_keyid),
            ]
        ),
    }

    result: dict[str, Any] = {
        "uuid": ids.of("result"),
        "title": f"SOC 2 pipeline controls for {repository}@{short_sha}",
        "description": _result_description(content, repository),
        "start": content.created_at,
        "end": content.created_at,
        "props": _props(_subject_props(content)),
        "local-definitions": {"components": _components(content, ids, repository)},
        "reviewed-controls": {"control-selections": [_control_selection(content)]},
    }
    observations = [_observation(r, content, ids, repository) for r in content.results]
    findings = [_finding(r, ids) for r in content.results]
    # OSCAL forbids empty arrays, so a pack without controls leaves these out entirely.
    if observations:
        result["observations"] = observations
        result["findings"] = findings

    resources = [_plan_resource(content, ids)]
    resources += [_evidence_resource(path, evidence_files.get(path), ids) for path in referenced]

    return {
        "assessment-results": {
            "uuid": ids.of("assessment-results"),
            "metadata": metadata,
            "import-ap": {
                "href": f"#{ids.of('assessment-plan')}",
                "remarks": "evidencepack evaluates its fixed SOC 2 pipeline control catalog; "
                "the plan is described in back-matter rather than as a separate document.",
            },
            "results": [result],
            "back-matter": {"resources": resources},
        }
    }


class _Ids:
    """Deterministic UUIDs (version 5) scoped to one pack."""

    def __init__(self, pack_id: str) -> None:
        self._pack_id = pack_id

    def of(self, *element: str) -> str:
        return str(uuid.uuid5(UUID_NAMESPACE, "/".join((self._pack_id, *element))))


def _control_selection(content: PackContent) -> dict[str, Any]:
    selection: dict[str, Any] = {
        "description": "The evidencepack SOC 2 pipeline control catalog.",
    }
    if content.results:
        selection["include-controls"] = [
            {"control-id": _control_token(r.control_id)} for r in content.results
        ]
    else:
        # OSCAL forbids an empty include-controls list; say plainly that nothing was reviewed.
        selection["remarks"] = "No control was evaluated for this pack."
    return selection


def _control_token(control_id: str) -> str:
    """`CM-1` -> `cm-1`: OSCAL control ids are lower-case tokens."""
    token = re.sub(r"[^a-z0-9._-]", "-", control_id.strip().lower())
    return token if token[:1].isalpha() or token[:1] == "_" else f"_{token}"


def _single_line(value: str) -> str:
    # OSCAL string values may not contain line breaks or surrounding whitespace.
    return _WHITESPACE.sub(" ", value).strip()


def _props(pairs: Iterable[tuple[str, str | None]]) -> list[dict[str, str]]:
    """evidencepack-namespaced props, skipping empty values (OSCAL forbids empty strings)."""
    props = []
    for name, value in pairs:
        text = _single_line(value or "")
        if text:
            props.append({"name": name, "ns": PROP_NS, "value": text})
    return props


def _subject_props(content: PackContent) -> list[tuple[str, str | None]]:
    subject = content.subject
    return [
        ("repository", subject.repository),
        ("commit", subject.commit),
        ("ref", subject.ref),
        ("branch", subject.branch),
        ("platform", subject.platform),
        ("run-id", subject.run_id),
        ("run-attempt", subject.run_attempt),
        ("run-url", subject.run_url),
        ("actor", subject.actor),
        ("event-name", subject.event_name),
        ("policy-source", content.policy_source),
    ]


def _result_description(content: PackContent, repository: str) -> str:
    counts = content.summary.counts
    tally = ", ".join(f"{counts[s]} {s}" for s in counts if counts[s])
    run = f" in pipeline run {content.subject.run_url}" if content.subject.run_url else ""
    return (
        f"Automated evaluation of {len(content.results)} SOC 2 pipeline controls for commit "
        f"{content.subject.commit} of {repository}{run}, recorded in evidence pack "
        f"{content.pack_id}. Outcome: {tally or 'no controls evaluated'}."
    )


def _components(content: PackContent, ids: _Ids, repository: str) -> list[dict[str, Any]]:
    pipeline: dict[str, Any] = {
        "uuid": ids.of("component", "pipeline"),
        "type": "software",
        "title": f"{repository} CI/CD pipeline",
        "description": f"The repository {repository} at commit {content.subject.commit} and the "
        "pipeline that builds and deploys it.",
        "status": {"state": "operational"},
    }
    props = _props(_subject_props(content)[:5])
    if props:
        pipeline["props"] = props
    tool = {
        "uuid": ids.of("component", "evidencepack"),
        "type": "software",
        "title": "evidencepack",
        "description": "The tool that collected the evidence and evaluated the controls.",
        "props": _props([("version", content.tool_version)]),
        "status": {"state": "operational"},
    }
    return [pipeline, tool]


def _control_pairs(result: ControlResult) -> list[tuple[str, str | None]]:
    """Properties shared by a control's observation and finding."""
    pairs: list[tuple[str, str | None]] = [
        ("control-id", result.control_id),
        ("evidencepack-status", str(result.status)),
        ("enforced", "true" if result.enforced else "false"),
    ]
    pairs += [("soc2-criterion", c) for c in result.criteria]
    pairs += [("iso27001-control", c) for c in result.iso27001]
    return pairs


def _observation(result: ControlResult, content: PackContent, ids: _Ids, repository: str) -> dict[str, Any]:
    manual = result.status is Status.MANUAL
    observation: dict[str, Any] = {
        "uuid": ids.of("observation", result.control_id),
        "title": f"{result.control_id} {result.title}",
        "description": _single_line(result.rationale) or f"{result.control_id} was evaluated.",
        "props": _props([("evaluation", "manual" if manual else "automated"), *_control_pairs(result)]),
        # TEST is OSCAL's method for exercising a mechanism and comparing with what is
        # expected, which is what an automated control check does; EXAMINE is a person
        # reviewing the evidence.
        "methods": ["EXAMINE" if manual else "TEST"],
        "types": ["control-objective", *(["finding"] if result.findings else [])],
        "origins": [{"actors": [{"type": "tool", "actor-uuid": ids.of("component", "evidencepack")}]}],
        "subjects": [
            {
                "subject-uuid": ids.of("component", "pipeline"),
                "type": "component",
                "title": f"{repository} CI/CD pipeline",
            }
        ],
    }
    files = {f.path: f for f in content.evidence_files}
    evidence = [_relevant_evidence(path, files.get(path), ids) for path in result.evidence]
    if evidence:
        observation["relevant-evidence"] = evidence
    observation["collected"] = content.created_at
    if result.findings:
        observation["remarks"] = "\n".join(_finding_line(f) for f in result.findings)
    return observation


def _finding_line(finding: Finding) -> str:
    where = f" at {finding.location}" if finding.location else ""
    allowed = f" (accepted: {finding.allowed_by})" if finding.allowed_by else ""
    return f"- [{finding.severity}] {finding.rule}: {_single_line(finding.message)}{where}{allowed}"


def _relevant_evidence(path: str, packed: PackFile | None, ids: _Ids) -> dict[str, Any]:
    detail = f" (sha256 {packed.sha256}, {packed.size} bytes)" if packed else ""
    return {
        "href": _evidence_href(path),
        "description": f"Evidence file {path} of the pack{detail}.",
        "links": [{"href": f"#{ids.of('evidence', path)}", "rel": "reference"}],
    }


def _evidence_href(path: str) -> str:
    return EVIDENCE_HREF_PREFIX + quote(path, safe="/")


def _evidence_resource(path: str, packed: PackFile | None, ids: _Ids) -> dict[str, Any]:
    rlink: dict[str, Any] = {"href": _evidence_href(path)}
    if packed:
        rlink["hashes"] = [{"algorithm": "SHA-256", "value": packed.sha256}]
    resource: dict[str, Any] = {
        "uuid": ids.of("evidence", path),
        "title": path,
        "description": "Raw evidence stored in the pack; its digest is also in the signed manifest.",
        "rlinks": [rlink],
    }
    if packed:
        resource["props"] = _props([("size", str(packed.size))])
    return resource


def _plan_resource(content: PackContent, ids: _Ids) -> dict[str, Any]:
    return {
        "uuid": ids.of("assessment-plan"),
        "title": "evidencepack SOC 2 pipeline assessment plan",
        "description": "Every control of the evidencepack catalog is evaluated automatically on "
        "each pipeline run against the declared policy; controls that need a person's "
        "attestation are reported as manual.",
        "props": _props([("version", content.tool_version), ("policy-digest", content.policy_digest)]),
        "rlinks": [{"href": "https://evidencepack.dev"}],
    }


def _finding(result: ControlResult, ids: _Ids) -> dict[str, Any]:
    status: dict[str, Any] = {
        "state": _STATE[result.status],
        "reason": _REASON.get(result.status, "other"),
    }
    if result.status in _STATUS_REMARKS:
        status["remarks"] = _STATUS_REMARKS[result.status]
    target: dict[str, Any] = {
        "type": "objective-id",
        "target-id": f"{_control_token(result.control_id)}_obj",
        "title": f"{result.control_id} {result.title}",
        "status": status,
    }
    if result.status is Status.NOT_APPLICABLE:
        target["implementation-status"] = {"state": "not-applicable"}
    return {
        "uuid": ids.of("finding", result.control_id),
        "title": f"{result.control_id}: {result.title}",
        "description": _single_line(result.rationale) or f"{result.control_id} was evaluated.",
        "props": _props(_control_pairs(result)),
        "origins": [{"actors": [{"type": "tool", "actor-uuid": ids.of("component", "evidencepack")}]}],
        "target": target,
        "related-observations": [{"observation-uuid": ids.of("observation", result.control_id)}],
    }
