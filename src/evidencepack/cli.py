"""Command line: parse, call, format, exit code. No business logic lives here."""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import __version__
from .errors import EvidencepackError, InputError
from .model import Finding, Severity, Status
from .policy import DEFAULT_POLICY_TEXT, POLICY_FILENAME, default_policy
from .snippets import GITHUB_SNIPPET, GITLAB_SNIPPET

STATUS_STYLE = {
    Status.PASS: "bold green",
    Status.FAIL: "bold red",
    Status.ERROR: "bold yellow",
    Status.MANUAL: "bold cyan",
    Status.NOT_APPLICABLE: "dim",
}
SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _password() -> bytes | None:
    value = os.environ.get("EVIDENCEPACK_KEY_PASSWORD")
    return value.encode() if value else None


def _cosign_password() -> bytes | None:
    # Unlike EVIDENCEPACK_KEY_PASSWORD, an empty COSIGN_PASSWORD is a password: cosign's own.
    value = os.environ.get("COSIGN_PASSWORD")
    return value.encode() if value is not None else None


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"evidencepack: error: {message}", err=True)
    sys.exit(code)


class _Group(click.Group):
    """Prints the project's errors as one line in one place; `--verbose` adds the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EvidencepackError as exc:
            if ctx.find_root().params.get("verbose"):
                traceback.print_exc()
            message = exc.message if not exc.remediation else f"{exc.message} ({exc.remediation})"
            _fail(message, exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as exc:
            if ctx.find_root().params.get("verbose"):
                traceback.print_exc()
            _fail(f"internal error: {type(exc).__name__}: {exc} (run with --verbose for details)")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evidencepack")
@click.option("--verbose", is_flag=True, help="Show tracebacks of errors.")
def main(verbose: bool) -> None:
    """Turn a CI/CD pipeline run into a signed, verifiable SOC 2 Evidence Pack."""


_store_option = click.option(
    "--store",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="EVIDENCEPACK_STORE",
    default=Path(".evidence"),
    show_default=True,
    help="Evidence store folder [env: EVIDENCEPACK_STORE].",
)


_osv_db_option = click.option(
    "--osv-db", type=click.Path(path_type=Path),
    help="Offline OSV database: a folder of OSV JSON/YAML advisories or all.zip archives, or "
         "one such file [env: EVIDENCEPACK_OSV_DB]; default: the policy's vulnerabilities.osv_db.")
_online_option = click.option(
    "--online", is_flag=True, envvar="EVIDENCEPACK_OSV_ONLINE",
    help="Ask the OSV API (EVIDENCEPACK_OSV_API, default https://api.osv.dev) instead of an "
         "offline database [env: EVIDENCEPACK_OSV_ONLINE].")


@main.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path())
@_store_option
@click.option("--key", type=click.Path(path_type=Path, dir_okay=False), envvar="EVIDENCEPACK_KEY",
              help="Private signing key: PEM, or a cosign.key with COSIGN_PASSWORD "
                   "[env: EVIDENCEPACK_KEY]; default: the store's key.")
@click.option("--artifact", "artifacts", multiple=True, metavar="PATH", envvar="EVIDENCEPACK_ARTIFACTS",
              help="An artifact the run built (glob; repeatable) to attest and sign "
                   "[env: EVIDENCEPACK_ARTIFACTS, whitespace-separated].")
@click.option("--keyless", is_flag=True, envvar="EVIDENCEPACK_KEYLESS",
              help="Sign artifacts through Sigstore with the CI's OIDC identity "
                   "(needs evidencepack[keyless]).")
@click.option("--verified-pack", type=click.Path(path_type=Path), metavar="PACK",
              help="The build's pack: verify each --artifact against it and record the result.")
@click.option("--verify-key", type=click.Path(path_type=Path, dir_okay=False),
              envvar="EVIDENCEPACK_VERIFY_KEY",
              help="Public key the --verified-pack must be signed with "
                   "[env: EVIDENCEPACK_VERIFY_KEY].")
@click.option("--policy", type=click.Path(path_type=Path, dir_okay=False),
              envvar="EVIDENCEPACK_POLICY",
              help=f"Policy file [env: EVIDENCEPACK_POLICY]; default: {POLICY_FILENAME} in PATH.")
@click.option("--since", metavar="REF",
              help="Examine the changes since this commit (default: since the previous pack).")
@click.option("--github-token", metavar="TOKEN",
              help="GitHub token (default: GITHUB_TOKEN, then GH_TOKEN); API at GITHUB_API_URL.")
@click.option("--gitlab-token", metavar="TOKEN",
              help="GitLab token (default: GITLAB_TOKEN, then CI_JOB_TOKEN); API at CI_API_V4_URL.")
@click.option("--sbom", "sboms", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="An SBOM (CycloneDX or SPDX JSON) another step produced, merged into the "
                   "pack's SBOM; repeatable.")
@_osv_db_option
@_online_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--sarif", "sarif_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the open findings of every control as SARIF 2.1.0 to this file.")
@click.option("--summary-markdown", "summary_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write a Markdown summary (a CI job summary) to this file.")
def run(path: Path, store: Path, key: Path | None, artifacts: tuple[str, ...], keyless: bool,
        verified_pack: Path | None, verify_key: Path | None, policy: Path | None,
        since: str | None, github_token: str | None, gitlab_token: str | None,
        sboms: tuple[Path, ...], osv_db: Path | None, online: bool, fmt: str,
        sarif_file: Path | None, summary_file: Path | None) -> None:
    """Collect evidence for PATH, evaluate every control, build and sign a pack."""
    from .run import RunOptions
    from .run import run as run_job
    from .run_reports import check_report_paths, write_run_reports

    check_report_paths(sarif=sarif_file, summary=summary_file)
    outcome = run_job(RunOptions(path=path, store=store, key=key, key_password=_password(),
                                 policy=policy, since=since, github_token=github_token,
                                 gitlab_token=gitlab_token, artifacts=artifacts,
                                 cosign_password=_cosign_password(), keyless=keyless,
                                 verified_pack=verified_pack,
                                 verified_pack_key=verify_key, sboms=tuple(sboms), osv_db=osv_db,
                                 online=online))
    pack = outcome.pack
    write_run_reports(pack, sarif=sarif_file, summary=summary_file)
    if fmt == "json":
        click.echo(json.dumps({
            "pack": str(pack.directory),
            "archive": str(pack.archive),
            "id": pack.pack_id,
            "keyid": pack.keyid,
            "controls": {r.control_id: str(r.status) for r in outcome.results},
            "summary": pack.content.summary.counts,
            "enforced_failures": [r.control_id for r in outcome.enforced_failures],
            "ledger_seq": outcome.ledger.seq,
            "warnings": list(outcome.warnings),
            "artifacts": [a.to_json() for a in outcome.artifacts],
        }, indent=2))
    else:
        console = _console()
        subject = pack.content.subject
        name = subject.repository or path.resolve().name
        table = Table(title=f"evidencepack: {name} @ {subject.commit[:12]}", title_justify="left")
        table.add_column("Control", no_wrap=True)
        table.add_column("Status", no_wrap=True)
        table.add_column("Why")
        for r in outcome.results:
            status = Text(str(r.status), style=STATUS_STYLE[r.status])
            if r.enforced:
                status.append(" (enforced)", style="bold")
            table.add_row(r.control_id, status, r.rationale)
        console.print(table)
        counts = ", ".join(f"{n} {s}" for s, n in pack.content.summary.counts.items() if n)
        console.print(f"Controls: {counts}")
        console.print(f"Pack:     {pack.directory}")
        console.print(f"Archive:  {pack.archive}")
        console.print(f"Signed:   key {pack.keyid[:16]}…  (ledger entry {outcome.ledger.seq})")
        err = _console(stderr=True)
        for warning in outcome.warnings:
            err.print(f"[yellow]warning:[/yellow] {warning}", markup=True, highlight=False)
    if outcome.enforced_failures:
        failed = ", ".join(r.control_id for r in outcome.enforced_failures)
        click.echo(f"evidencepack: enforced control(s) failed: {failed}", err=True)
        sys.exit(1)


@main.command()
@click.argument("pack", type=click.Path(path_type=Path))
@click.option("--key", type=click.Path(path_type=Path, dir_okay=False),
              envvar="EVIDENCEPACK_VERIFY_KEY",
              help="Public key (PEM) the pack must be signed with [env: EVIDENCEPACK_VERIFY_KEY].")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def verify(pack: Path, key: Path | None, fmt: str) -> None:
    """Recompute every digest of PACK (directory or .tar.gz) and check its signature."""
    from .pack.verify import verify_pack

    result = verify_pack(pack, key)
    if fmt == "json":
        click.echo(json.dumps({
            "pack": result.pack, "id": result.pack_id, "ok": result.ok, "keyid": result.keyid,
            "key_pinned": result.key_pinned, "files_checked": result.files_checked,
            "problems": list(result.problems),
        }, indent=2))
    elif result.ok:
        how = (
            "the given key" if result.key_pinned
            else "the key in its manifest (pass --key to pin the signer)"
        )
        click.echo(f"OK: pack {result.pack_id}: {result.files_checked} files match the signed "
                   f"statement; signature verifies with {how}, key id {result.keyid}")
    else:
        for problem in result.problems:
            click.echo(f"FAIL: {problem}", err=True)
        click.echo(f"evidencepack: pack {result.pack} does not verify "
                   f"({len(result.problems)} problem(s))", err=True)
    if not result.ok:
        sys.exit(1)


@main.command("verify-artifact")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--pack", "pack", type=click.Path(path_type=Path), required=True,
              help="The build's pack (directory or .tar.gz).")
@click.option("--key", type=click.Path(path_type=Path, dir_okay=False),
              envvar="EVIDENCEPACK_VERIFY_KEY",
              help="Public key (PEM, e.g. cosign.pub) the pack must be signed with "
                   "[env: EVIDENCEPACK_VERIFY_KEY].")
@click.option("--bundle", type=click.Path(path_type=Path, dir_okay=False),
              help="A Sigstore bundle for FILE to check offline as well.")
@click.option("--repository", metavar="OWNER/NAME", help="The repository it must be built from.")
@click.option("--branch", metavar="NAME", help="The branch it must be built from.")
@click.option("--builder", metavar="ID", help="The builder id it must be built by "
              "(without @ref: any ref).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def verify_artifact_command(file: Path, pack: Path, key: Path | None, bundle: Path | None,
                            repository: str | None, branch: str | None, builder: str | None,
                            fmt: str) -> None:
    """Check that FILE is an artifact PACK's run built and signed; exit 1 with the reason if not."""
    from .pack.verify_artifact import Expectations, verify_artifact

    check = verify_artifact(file, pack, key=key, bundle=bundle,
                            expect=Expectations(repository, branch, builder))
    if fmt == "json":
        click.echo(json.dumps(check.to_json(), indent=2))
    elif check.ok:
        click.echo(check.reason)
    else:
        click.echo(f"FAIL: {check.reason}", err=True)
    if not check.ok:
        sys.exit(1)


@main.group()
def scan() -> None:
    """Run one scanner on its own."""


@scan.command("workflows")
@click.argument("path", type=click.Path(path_type=Path), default=Path())
@click.option("--format", "fmt", type=click.Choice(["table", "json", "sarif"]), default="table",
              show_default=True)
@click.option("--policy", type=click.Path(path_type=Path, dir_okay=False),
              envvar="EVIDENCEPACK_POLICY", help="Policy file (persona, limits).")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file instead of standard output.")
@click.option("--fail-on", type=click.Choice([str(s) for s in Severity]),
              help="Exit 1 when a finding is at least this severe.")
def scan_workflows(path: Path, fmt: str, policy: Path | None, output: Path | None,
                   fail_on: str | None) -> None:
    """Analyse the GitHub Actions and GitLab CI configuration under PATH."""
    from .formats.sarif import sarif_log
    from .policy import load_policy
    from .scanners.pipeline import analyze_pipeline
    from .scanners.pipeline.findings import workflow_findings
    from .sources.repository import open_tree

    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if not path.is_dir():
        raise InputError(f"{path}: not a directory")
    tree = open_tree(path)
    chosen = load_policy(policy) if policy else default_policy()
    report = analyze_pipeline(tree, chosen)
    findings = workflow_findings(report.analysis)
    if fmt == "sarif":
        text = json.dumps(sarif_log(findings, tool_version=__version__), indent=2) + "\n"
    elif fmt == "json":
        text = json.dumps({
            "files": [f.path for f in report.analysis.pipeline_files],
            "engine": report.analysis.hardening_engine,
            "engine_error": report.analysis.hardening_error,
            "findings": [f.to_json() for f in findings],
            "analysis": report.analysis.to_json(),
        }, indent=2) + "\n"
    else:
        text = ""
    if output is not None:
        try:
            output.write_text(text if fmt != "table" else _findings_text(findings), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{output}: cannot write: {exc.strerror}") from None
    elif fmt == "table":
        _print_findings(findings, len(report.analysis.pipeline_files), report.analysis.hardening_error)
    else:
        click.echo(text, nl=False)
    if fail_on and any(f.severity.at_least(Severity(fail_on)) for f in findings):
        sys.exit(1)


@scan.command("secrets")
@click.argument("path", type=click.Path(path_type=Path), default=Path())
@click.option("--since", metavar="REF", help="Scan the lines added by the commits since REF.")
@click.option("--history", is_flag=True, help="Scan the lines added by every commit of HEAD's history.")
@click.option("--rules", "extra_rules", type=click.Path(path_type=Path, dir_okay=False),
              help="A gitleaks-format TOML file of extra rules.")
@click.option("--policy", type=click.Path(path_type=Path, dir_okay=False),
              envvar="EVIDENCEPACK_POLICY",
              help=f"Policy file (extra rules, size limit, AC-4 allow entries); default: "
                   f"{POLICY_FILENAME} in PATH.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "sarif"]), default="table",
              show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file instead of standard output.")
def scan_secrets(path: Path, since: str | None, history: bool, extra_rules: Path | None,
                 policy: Path | None, fmt: str, output: Path | None) -> None:
    """Scan PATH (its tree, a commit range or its history) for credentials; exit 1 on findings.

    What is found is never printed: each finding shows the rule, the place, the first four
    characters and the length of the secret.
    """
    from datetime import date

    from .formats.sarif import sarif_log
    from .policy import load_policy
    from .scanners.secrets.scan import apply_policy_allowances, policy_rules, scan_history, scan_tree
    from .sources.history import resolve_commit
    from .sources.repository import open_checkout

    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if since and history:
        raise InputError("--since and --history exclude each other")
    root = path.resolve()
    if policy is None and (root / POLICY_FILENAME).is_file():
        policy = root / POLICY_FILENAME
    chosen = load_policy(policy) if policy else default_policy()
    rules = policy_rules(chosen, root, extra_rules)
    if since or history:
        checkout = open_checkout(path)
        base = resolve_commit(checkout, since) if since else None
        result = scan_history(checkout, base, rules=rules)
    else:
        result = scan_tree(root, rules=rules, max_bytes=chosen.secrets.max_file_bytes)
    result = apply_policy_allowances(result, chosen, date.today())
    findings = [f.to_finding() for f in result.findings]
    if fmt == "sarif":
        text = json.dumps(sarif_log(findings, tool_version=__version__), indent=2) + "\n"
    elif fmt == "json":
        text = json.dumps(result.to_json(), indent=2) + "\n"
    else:
        text = _findings_text(findings)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{output}: cannot write: {exc.strerror}") from None
    elif fmt == "table":
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(result.skipped.items())) or "none"
        _print_findings(findings, result.files_scanned, None, "file(s)")
        _console(stderr=True).print(
            f"scanned {result.files_scanned} file(s), {result.bytes_scanned:,} bytes"
            + (f", {result.commits_scanned} commit(s)" if result.commits_scanned else "")
            + f" with {result.rules} rules; skipped: {skipped}", highlight=False)
    else:
        click.echo(text, nl=False)
    if result.unresolved:
        sys.exit(1)


@scan.command("deps")
@click.argument("path", type=click.Path(path_type=Path), default=Path())
@click.option("--sbom", "sboms", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="An SBOM (CycloneDX or SPDX JSON) to add to the inventory; repeatable.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "cyclonedx", "sarif"]),
              default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file instead of standard output.")
@click.option("--policy", type=click.Path(path_type=Path, dir_okay=False),
              envvar="EVIDENCEPACK_POLICY",
              help=f"Policy file (vulnerabilities.osv_db); default: {POLICY_FILENAME} in PATH.")
@_osv_db_option
@_online_option
def scan_deps(path: Path, sboms: tuple[Path, ...], fmt: str, output: Path | None,
              policy: Path | None, osv_db: Path | None, online: bool) -> None:
    """List the components of every lockfile under PATH and, with advisory data, their known
    vulnerabilities; exit 1 if a lockfile cannot be read or a vulnerability is open."""
    from datetime import UTC, datetime

    from .scanners.deps.findings import vulnerability_sarif, vulnerability_table
    from .scanners.deps.report import inventory_table, scan_deps
    from .scanners.deps.vulnerabilities import vulnerabilities_of_tree

    if osv_db is not None and online:
        raise InputError("--osv-db and --online exclude each other")
    from .policy import load_policy

    policy_path = policy if policy is not None else (
        path / POLICY_FILENAME if (path / POLICY_FILENAME).is_file() else None)
    chosen = load_policy(policy_path) if policy_path is not None else default_policy()
    result = scan_deps(path, sboms, chosen.dependencies.exclude_paths)
    report = vulnerabilities_of_tree(path, result.inventory, env=os.environ,
                                     now=datetime.now(UTC).replace(microsecond=0),
                                     policy_file=policy, osv_db=osv_db, online=online)
    if fmt == "sarif" and report is None:
        raise InputError("--format sarif lists vulnerabilities: give advisory data with --osv-db, "
                         "EVIDENCEPACK_OSV_DB, the policy's vulnerabilities.osv_db, or --online")
    if fmt == "table":
        parts: list[Any] = [inventory_table(result.inventory)]
        if report is not None:
            parts.append(vulnerability_table(report))
        if output is None:
            for part in parts:
                _console().print(part)
        else:
            _write(output, "".join(_render_text(part) for part in parts))
    else:
        if fmt == "sarif" and report is not None:
            text = json.dumps(vulnerability_sarif(report, __version__), indent=2) + "\n"
        elif fmt == "json" and report is not None:
            document = json.loads(result.render("json", tool_version=__version__))
            document["vulnerabilities"] = report.to_json()
            text = json.dumps(document, indent=2) + "\n"
        else:
            text = result.render(fmt, tool_version=__version__)
        if output is None:
            click.echo(text, nl=False)
        else:
            _write(output, text)
    if result.failed or (report is not None and report.open):
        sys.exit(1)


def _write(output: Path, text: str) -> None:
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror}") from None


def _render_text(renderable: Any) -> str:
    import io

    console = Console(record=True, width=160, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def _findings_text(findings: Sequence[Finding]) -> str:
    return "".join(
        f"{f.severity}\t{f.rule}\t{f.location or ''}\t{f.message}"
        + (f"\taccepted: {f.allowed_by}" if f.allowed_by else "") + "\n"
        for f in findings
    )


def _print_findings(findings: Sequence[Finding], files: int, engine_error: str | None,
                    what: str = "configuration file(s)") -> None:
    console = _console()
    if engine_error:
        _console(stderr=True).print(f"[yellow]warning:[/yellow] {engine_error}")
    if not findings:
        console.print(f"No findings in {files} {what}.")
        return
    table = Table(title=f"{len(findings)} finding(s) in {files} {what}", title_justify="left")
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule", overflow="fold")
    table.add_column("Location", overflow="fold")
    table.add_column("Message", min_width=24, ratio=1)
    for f in findings:
        message = f.message + (f" [accepted: {f.allowed_by}]" if f.allowed_by else "")
        table.add_row(Text(str(f.severity), style=SEVERITY_STYLE[f.severity]), f.rule,
                      str(f.location or ""), message)
    console.print(table)


@main.command()
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=Path())
@click.option("--force", is_flag=True, help=f"Replace an existing {POLICY_FILENAME}.")
def init(path: Path, force: bool) -> None:
    """Write a policy file with the defaults, and print the pipeline snippet to add."""
    if not path.is_dir():
        raise InputError(f"{path}: not a directory")
    target = path / POLICY_FILENAME
    if (target.exists() or target.is_symlink()) and not force:
        raise InputError(f"{target}: already exists (use --force to replace it)")
    try:
        if target.is_symlink():
            target.unlink()
        target.write_text(DEFAULT_POLICY_TEXT, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{target}: cannot write: {exc.strerror}") from None
    click.echo(f"Wrote {target}.\n")
    click.echo("Add this job to a GitHub Actions workflow (.github/workflows/evidence.yml):\n")
    click.echo(GITHUB_SNIPPET)
    click.echo("Or this job to .gitlab-ci.yml:\n")
    click.echo(GITLAB_SNIPPET)


@main.command()
@click.option("--out-dir", type=click.Path(path_type=Path, file_okay=False), default=Path(),
              show_default=True, help="Folder for signing.key and signing.pub.")
@click.option("--name", default="signing", show_default=True, help="File name stem.")
@click.option("--force", is_flag=True, help="Replace existing key files.")
@click.option("--cosign", is_flag=True,
              help="Write a cosign key pair (cosign.key encrypted with COSIGN_PASSWORD).")
def keygen(out_dir: Path, name: str, force: bool, cosign: bool) -> None:
    """Create an ECDSA P-256 signing key pair (encrypted if EVIDENCEPACK_KEY_PASSWORD is set)."""
    from .pack.signing import generate_keypair

    if "/" in name or name in ("", ".", ".."):
        raise InputError(f"--name {name!r}: a file name stem, without folders")
    if cosign:
        from .errors import SigningKeyError
        from .pack.cosign_key import generate_cosign_keypair

        password = _cosign_password()
        if password is None:
            raise SigningKeyError("keygen --cosign encrypts cosign.key with COSIGN_PASSWORD: "
                                  "set it (empty for no password)")
        stem = "cosign" if name == "signing" else name
        pair = generate_cosign_keypair(out_dir / f"{stem}.key", out_dir / f"{stem}.pub",
                                       password, overwrite=force)
    else:
        pair = generate_keypair(out_dir / f"{name}.key", out_dir / f"{name}.pub", _password(),
                                overwrite=force)
    click.echo(f"Private key: {pair.private} (keep it secret; give it to the pipeline as a secret)")
    click.echo(f"Public key:  {pair.public} (give it to auditors)")
    click.echo(f"Key id:      {pair.keyid}")


@main.group()
def store() -> None:
    """Look into an evidence store."""


@store.command("list")
@_store_option
@click.option("--repository", help="Only packs of this repository (owner/name).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def store_list(store: Path, repository: str | None, fmt: str) -> None:
    """List the packs in the store, oldest first."""
    from .store.local import LocalStore

    if not store.is_dir():
        raise InputError(f"{store}: no evidence store here")
    records = LocalStore(store).packs(repository)
    if fmt == "json":
        click.echo(json.dumps([r.__dict__ for r in records], indent=2))
        return
    if not records:
        click.echo(f"No packs in {store}.")
        return
    table = Table(title=f"{len(records)} pack(s) in {store}", title_justify="left")
    for column in ("Pack", "Created", "Repository", "Commit", "Branch", "Controls"):
        table.add_column(column, no_wrap=column != "Controls")
    for r in records:
        counts: dict[str, int] = {}
        for status in r.controls.values():
            counts[status] = counts.get(status, 0) + 1
        summary = Text()
        for status in Status:
            if counts.get(str(status)):
                summary.append(f"{counts[str(status)]} {status}  ", style=STATUS_STYLE[status])
        table.add_row(r.pack_id, r.created_at, r.repository or "-", r.commit[:12],
                      r.branch or "-", summary)
    _console().print(table)


@store.command("verify")
@_store_option
def store_verify(store: Path) -> None:
    """Check the store's ledger hash chain."""
    from .store.local import LocalStore

    if not store.is_dir():
        raise InputError(f"{store}: no evidence store here")
    local = LocalStore(store)
    problems = local.verify_ledger()
    for problem in problems:
        click.echo(f"FAIL: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo(f"OK: {len(local.ledger())} ledger entries chain correctly.")


@main.command("controls")
def list_controls() -> None:
    """List the control catalog."""
    from .controls.registry import CONTROLS

    table = Table(title="evidencepack controls", title_justify="left")
    table.add_column("Id", no_wrap=True)
    table.add_column("Title")
    table.add_column("Criteria")
    table.add_column("ISO 27001")
    for c in CONTROLS:
        table.add_row(c.id, c.title, ", ".join(c.criteria), ", ".join(c.iso27001))
    _console().print(table)
