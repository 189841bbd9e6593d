"""The main job: collect, evaluate, build and sign a pack, keep it in the store."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __version__
from .changes import change_record_note, change_records, changes_document
from .controls.base import (
    EVIDENCE_CHANGES,
    EVIDENCE_CONFIG_DIR,
    EVIDENCE_INVENTORY,
    EVIDENCE_PIPELINE,
    EVIDENCE_POLICY,
    EVIDENCE_SBOM,
    EVIDENCE_SECRETS,
    EVIDENCE_SUBJECT,
    EVIDENCE_VULNERABILITIES,
    EVIDENCE_VULNERABILITIES_SARIF,
    EVIDENCE_ZIZMOR,
    Evidence,
)
from .controls.registry import CONTROL_IDS, evaluate_all
from .errors import EvidencepackError, InputError, PolicyError
from .model import ControlResult, Status, Subject
from .pack.artifacts import (
    VERIFICATION,
    Artifact,
    SignedArtifact,
    collect_artifacts,
    sign_artifacts,
)
from .pack.build import BuiltPack, build_pack, compact_json_bytes, json_bytes
from .pack.keyless import BundleSigner, keyless_signer
from .pack.signing import KeyPair, Signer, generate_keypair, load_signer
from .policy import POLICY_FILENAME, Policy, default_policy, load_policy
from .scanners.deps.findings import vulnerability_sarif
from .scanners.deps.inventory import build_inventory
from .scanners.deps.matching import VulnerabilityReport
from .scanners.deps.model import Inventory
from .scanners.deps.report import inventory_json
from .scanners.deps.sbom import cyclonedx_json
from .scanners.deps.sbom_input import check_sbom_paths
from .scanners.deps.vulnerabilities import database_path, scan_vulnerabilities
from .scanners.pipeline import PipelineReport, analyze_pipeline
from .scanners.redaction import redact, redact_json
from .scanners.secrets.scan import ScanResult, policy_rules, scan_history, scan_tree
from .sources.ci import GITHUB_VARIABLES, GITLAB_VARIABLES, build_subject, pushed_range_base
from .sources.collect import collect_platform, platform_access
from .sources.history import commits_between, is_ancestor, resolve_commit
from .sources.platform import CollectRequest, LocalCommit, PlatformCollection
from .sources.repository import Checkout, open_checkout
from .store.interface import LedgerEntry, PackRecord, Store
from .store.local import LocalStore

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class RunOptions:
    path: Path
    store: Path
    key: Path | None = None
    key_password: bytes | None = None
    policy: Path | None = None
    since: str | None = None
    """Examine the changes since this commit, not since the previous pack."""
    github_token: str | None = None
    gitlab_token: str | None = None
    artifacts: tuple[str, ...] = ()
    """Glob patterns of the artifacts the run built, relative to `cwd`."""
    cwd: Path | None = None
    """Where artifact patterns are expanded; default: the process's working directory."""
    cosign_password: bytes | None = None
    """COSIGN_PASSWORD's value, for a cosign `--key`; None when unset."""
    keyless: bool = False
    """Sign artifacts through Sigstore (Fulcio/Rekor) with the CI's OIDC identity."""
    verified_pack: Path | None = None
    """The build's pack: verify each artifact against it and record the result (IN-3)."""
    verified_pack_key: Path | None = None
    """The public key the build's pack must be signed with; default: the pack's own."""
    sboms: tuple[Path, ...] = ()
    """SBOMs other steps of the pipeline produced, merged into this build's SBOM."""
    osv_db: Path | None = None
    """Offline OSV database (else EVIDENCEPACK_OSV_DB, else the policy's)."""
    online: bool = False
    """Ask the OSV API instead of an offline database."""

    def __repr__(self) -> str:  # tokens and passwords stay out of logs and tracebacks
        return f"RunOptions(path={self.path!r}, store={self.store!r})"


@dataclass(frozen=True)
class RunOutcome:
    pack: BuiltPack
    results: tuple[ControlResult, ...]
    ledger: LedgerEntry
    warnings: tuple[str, ...] = ()
    created_key: KeyPair | None = None
    store: Store | None = field(default=None, repr=False)
    artifacts: tuple[SignedArtifact, ...] = ()
    """The artifacts given to the run, as signed into the pack."""

    @property
    def enforced_failures(self) -> tuple[ControlResult, ...]:
        return tuple(r for r in self.results if r.enforced and r.status is Status.FAIL)


def resolve_policy(checkout: Checkout, explicit: Path | None) -> Policy:
    """The policy given, else `evidencepack.yml` at the repository root, else the defaults."""
    if explicit is not None:
        return load_policy(explicit)
    candidate = checkout.root / POLICY_FILENAME
    if candidate.exists() or candidate.is_symlink():
        return load_policy(candidate)
    return default_policy()


def check_policy_ids(policy: Policy, known: tuple[str, ...]) -> None:
    source = policy.source or POLICY_FILENAME
    for control_id in policy.enforce:
        if control_id not in known:
            raise PolicyError(f"{source}: 'enforce' names unknown control {control_id}")
    for allowance in policy.allow:
        if allowance.control not in known:
            raise PolicyError(f"{source}: 'allow' names unknown control {allowance.control}")


def new_pack_id(now: datetime, random: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """`YYYYMMDDTHHMMSSZ-xxxxxxxx`: sorts by creation time, unique by its random tail."""
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{random(4).hex()}"


def signer_for(options: RunOptions, store: Store) -> tuple[Signer, KeyPair | None]:
    """The signer given, else the store's own key, created on first use."""
    if options.key is not None:
        return load_signer(options.key, options.key_password,
                           cosign_password=options.cosign_password), None
    private = store.keys_dir / "signing.key"
    public = store.keys_dir / "signing.pub"
    if private.exists():
        return load_signer(private, options.key_password), None
    pair = generate_keypair(private, public)
    return load_signer(private), pair


def run(
    options: RunOptions,
    *,
    env: Mapping[str, str] | None = None,
    clock: Clock = utc_now,
    random: Callable[[int], bytes] = secrets.token_bytes,
    api_options: Mapping[str, Any] | None = None,
    bundle_signer: BundleSigner | None = None,
) -> RunOutcome:
    """Collect, evaluate, build, sign and store one pack for the checkout at `options.path`.

    `bundle_signer` replaces the Sigstore client `--keyless` would use.
    """
    environment = dict(os.environ if env is None else env)
    checkout = open_checkout(options.path)
    artifacts = collect_artifacts(options.artifacts, options.cwd or Path.cwd())
    if options.verified_pack is not None and not artifacts:
        raise InputError("--verified-pack needs the artifacts to check: give --artifact")
    if options.keyless and bundle_signer is None and artifacts:
        # Keyless signs artifacts only (the pack is signed with the key): no token needed without.
        bundle_signer = keyless_signer(environment)
    check_sbom_paths(options.sboms)
    policy = resolve_policy(checkout, options.policy)
    check_policy_ids(policy, CONTROL_IDS)
    subject, warnings = build_subject(checkout, environment)
    now = clock()
    try:
        report: PipelineReport | None = analyze_pipeline(checkout, policy)
        pipeline_error = None
    except EvidencepackError as exc:
        report, pipeline_error = None, exc.message
    files = _evidence_files(checkout, policy, report, subject.to_json(), environment)
    evidence = Evidence(
        subject=subject,
        policy=policy,
        today=now.date(),
        pipeline=report.analysis if report else None,
        pipeline_error=pipeline_error,
        config_evidence=tuple(sorted(n for n in files if n.startswith(EVIDENCE_CONFIG_DIR))),
        available=frozenset(files),
        policy_path=_relative(policy.source, checkout.root),
    )
    store = LocalStore(options.store)
    base = _base_commit(options, checkout, subject, store, environment, warnings)
    secret_scan, scan_error = _scan_change(checkout, policy, base, subject.commit, now)
    if secret_scan is not None:
        files[EVIDENCE_SECRETS] = json_bytes(secret_scan.to_json())
    evidence = replace(evidence, secret_scan=secret_scan, secret_scan_error=scan_error,
                       available=frozenset(files))
    inventory, inventory_error = _inventory(checkout.root, options.sboms,
                                            policy.dependencies.exclude_paths)
    if inventory is not None:
        files[EVIDENCE_SBOM] = cyclonedx_json(inventory,
                                              repository=subject.repository or checkout.root.name,
                                              commit=subject.commit, tool_version=__version__,
                                              timestamp=now)
        files[EVIDENCE_INVENTORY] = json_bytes(inventory_json(inventory, components=False))
    evidence = replace(evidence, inventory=inventory, inventory_error=inventory_error,
                       available=frozenset(files))
    vulnerabilities, vulnerability_error = _vulnerabilities(options, checkout, inventory,
                                                            inventory_error, policy, environment,
                                                            now, store, subject)
    if vulnerabilities is not None:
        files[EVIDENCE_VULNERABILITIES] = json_bytes(vulnerabilities.to_json())
        files[EVIDENCE_VULNERABILITIES_SARIF] = json_bytes(
            vulnerability_sarif(vulnerabilities, __version__))
    evidence = replace(evidence, vulnerabilities=vulnerabilities,
                       vulnerability_error=vulnerability_error, available=frozenset(files))
    platform, platform_error, commits = _platform(options, checkout, subject, policy, base,
                                                  environment, now, warnings, api_options or {})
    if platform is not None:
        files.update(platform.files)
        evidence = replace(evidence, platform=platform.evidence, commits=commits,
                           available=frozenset(files))
    elif platform_error:
        evidence = replace(evidence, platform_error=platform_error)
    created_at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    changes = change_records(evidence, created_at)
    if evidence.platform is not None and evidence.platform.changes is not None:
        # Written before the controls run so that CM-2's reference to it is kept.
        files[EVIDENCE_CHANGES] = json_bytes(changes_document(evidence, changes, created_at))
        evidence = replace(evidence, available=frozenset(files))
    signer, created = signer_for(options, store)
    if artifacts:
        evidence = _artifact_evidence(options, artifacts, evidence, files, signer, environment,
                                      created_at, bundle_signer if options.keyless else None)
    results = evaluate_all(evidence)
    if created is not None:
        warnings.append(
            f"no signing key given: created {created.private} (key id {created.keyid[:16]}); "
            f"give auditors {created.public}"
        )
    if report is not None:
        warnings.extend(report.analysis.notes)
    pack_id = new_pack_id(now, random)
    built = build_pack(
        packs_dir=store.packs_dir,
        pack_id=pack_id,
        created_at=now,
        tool_version=__version__,
        subject=subject,
        policy_digest=policy.digest,
        policy_source=_relative(policy.source, checkout.root),
        results=results,
        evidence=files,
        signer=signer,
        changes=changes,
        changes_note=change_record_note(evidence),
        artifacts=evidence.artifacts,
    )
    attestation = built.directory / "attestation.dsse.json"
    entry = store.record(PackRecord(
        pack_id=pack_id,
        repository=subject.repository,
        commit=subject.commit,
        branch=subject.branch,
        created_at=built.content.created_at,
        run_url=subject.run_url,
        controls={r.control_id: str(r.status) for r in results},
        attestation_sha256=hashlib.sha256(attestation.read_bytes()).hexdigest(),
        location=str(built.directory),
    ))
    return RunOutcome(built, results, entry, tuple(warnings), created, store, evidence.artifacts)


def _artifact_evidence(options: RunOptions, artifacts: tuple[Artifact, ...], evidence: Evidence,
                       files: dict[str, bytes], signer: Signer, env: Mapping[str, str],
                       created_at: str, bundle_signer: BundleSigner | None) -> Evidence:
    """Sign the run's artifacts into `files`; check them against the build's pack if given."""
    from .pack.verify_artifact import verify_artifacts

    signed, signed_files = sign_artifacts(artifacts, evidence.subject, env, signer, __version__,
                                          created_at, bundle_signer)
    files.update(signed_files)
    checks = None
    if options.verified_pack is not None:
        # The build's pack is opened and verified once; each artifact was hashed when collected.
        checks = verify_artifacts([(a.name, a.sha256) for a in artifacts], options.verified_pack,
                                  key=options.verified_pack_key)
        files[VERIFICATION] = json_bytes({
            "pack": options.verified_pack.name,
            "key_pinned": options.verified_pack_key is not None,
            "checks": [c.to_json() for c in checks],
        })
    return replace(evidence, artifacts=signed, artifact_checks=checks,
                   available=frozenset(files))


def _platform(
    options: RunOptions,
    checkout: Checkout,
    subject: Subject,
    policy: Policy,
    base: str | None,
    env: Mapping[str, str],
    now: datetime,
    warnings: list[str],
    api_options: Mapping[str, Any],
) -> tuple[PlatformCollection | None, str | None, tuple[LocalCommit, ...] | None]:
    """Read the platform's API when a token is given: settings and the deploy's changes."""
    access = platform_access(subject, env, github_token=options.github_token,
                             gitlab_token=options.gitlab_token)
    if access is None or subject.repository is None:
        if access is not None:
            return None, "the repository's path on the platform is unknown (no remote)", None
        return None, None, None
    commits, cut = commits_between(checkout, base, subject.commit)
    if cut:
        warnings.append(f"the deploy range holds more than {len(commits)} commits; only the "
                        "newest were examined")
    request = CollectRequest(
        repository=subject.repository,
        head=subject.commit,
        base=base,
        commits=commits,
        production_branches=policy.production_branches,
        window_days=policy.monitoring.window_days,
        ticket_pattern=policy.ticket_pattern,
        run_id=subject.run_id,
        now=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return collect_platform(access, request, **api_options), None, commits


def _scan_change(checkout: Checkout, policy: Policy, base: str | None, head: str,
                 now: datetime) -> tuple[ScanResult | None, str | None]:
    """Scan the change for secrets: the commits since `base`, else the checked-out tree."""
    try:
        rules = policy_rules(policy, checkout.root)
        if base is not None:
            return scan_history(checkout, base, head, rules=rules, today=now.date()), None
        return scan_tree(checkout.root, rules=rules, max_bytes=policy.secrets.max_file_bytes,
                         today=now.date()), None
    except EvidencepackError as exc:
        return None, exc.message


def _inventory(root: Path, sboms: tuple[Path, ...],
               exclude: tuple[str, ...]) -> tuple[Inventory | None, str | None]:
    """The lockfiles of the checkout and the SBOMs given; an SBOM that cannot be opened raises."""
    try:
        return build_inventory(root, sboms, exclude), None
    except OSError as exc:
        return None, f"the checkout could not be walked for lockfiles: {exc.strerror or exc}"


def _vulnerabilities(options: RunOptions, checkout: Checkout, inventory: Inventory | None,
                     inventory_error: str | None, policy: Policy, env: Mapping[str, str],
                     now: datetime, store: Store,
                     subject: Subject) -> tuple[VulnerabilityReport | None, str | None]:
    """This build's OSV scan, VEX applied and each finding dated by the store's earlier packs."""
    if inventory is None:
        wanted = options.online or database_path(options.osv_db, env, policy, checkout.root)
        return None, (f"no inventory to scan: {inventory_error}" if wanted else None)
    return scan_vulnerabilities(inventory, checkout.root, policy=policy, env=env, now=now,
                                osv_db=options.osv_db, online=options.online, store=store,
                                repository=subject.repository)


def _base_commit(options: RunOptions, checkout: Checkout, subject: Subject, store: Store,
                 environment: Mapping[str, str], warnings: list[str]) -> str | None:
    """`--since`; else the commit of the newest earlier pack of this repository in its
    history; else the range the CI names (a push's `before`, a merge request's base)."""
    if options.since:
        return resolve_commit(checkout, options.since)
    for record in reversed(store.packs(subject.repository)):
        if record.commit != subject.commit and is_ancestor(checkout, record.commit, subject.commit):
            return record.commit
    before, source = pushed_range_base(environment)
    if before is None or before == subject.commit:
        return None
    if is_ancestor(checkout, before, subject.commit):
        return before
    warnings.append(f"the CI names {before[:12]} ({source}) as the start of the change, but it is not "
                    "in the checkout's history (a shallow clone?): the whole tree was scanned instead")
    return None


def _relative(source: str | None, root: Path) -> str | None:
    if source is None:
        return None
    path = Path(source)
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _evidence_files(
    checkout: Checkout,
    policy: Policy,
    report: PipelineReport | None,
    subject: dict[str, Any],
    env: Mapping[str, str],
) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    redactions = 0
    if report is not None:
        for config in report.analysis.files:
            if config.text is None:
                continue
            redacted = redact(config.text)
            redactions += redacted.count
            files[f"{EVIDENCE_CONFIG_DIR}/{config.path}"] = redacted.text.encode("utf-8")
        analysis = report.analysis.to_json()
        analysis["redacted_values"] = redactions
        # Machine evidence, possibly large: compact JSON keeps the run fast.
        files[EVIDENCE_PIPELINE] = compact_json_bytes(analysis)
        if report.zizmor_json:
            # zizmor quotes the source lines it flags, which may hold a literal credential.
            text = report.zizmor_json.decode("utf-8", "replace")
            files[EVIDENCE_ZIZMOR] = redact_json(text).encode("utf-8")
    if policy.source is not None:
        text = Path(policy.source).read_text(encoding="utf-8")
        files[f"{EVIDENCE_CONFIG_DIR}/{POLICY_FILENAME}"] = redact(text).text.encode("utf-8")
    files[EVIDENCE_POLICY] = json_bytes({
        "source": _relative(policy.source, checkout.root),
        "digest": policy.digest,
        "effective": policy.to_json(),
    })
    recorded = {
        name: env[name] for name in (*GITHUB_VARIABLES, *GITLAB_VARIABLES) if env.get(name)
    }
    files[EVIDENCE_SUBJECT] = json_bytes({"subject": subject, "ci_variables": recorded})
    return files

