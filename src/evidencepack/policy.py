"""The declared policy: `evidencepack.yml` at the repository root.

Every key has a default, so a repository without a policy file still gets a complete pack.
Unknown keys and wrong types are errors that name the file, line and key.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import EvidencepackError, PolicyError, YamlError
from .model import Severity
from .yamltree import YMap, YSeq, parse_yaml

POLICY_FILENAME = "evidencepack.yml"
MAX_POLICY_BYTES = 256 * 1024

CONTROL_ID = re.compile(r"^[A-Z]{2,3}-[0-9]+$")


@dataclass(frozen=True)
class Approvals:
    required: int = 1
    """Distinct approvals, by people who are not the change's authors, each change needs."""
    allow_stale: bool = False
    """Count an approval given on an earlier commit than the one merged."""
    allowed_bots: tuple[str, ...] = ()
    """Bot accounts whose approvals count."""
    emergency_label: str = ""
    """A label that turns an unreviewed change into a recorded exception ('' = none)."""


@dataclass(frozen=True)
class SecretRule:
    """An extra secret-scanning rule declared in the policy, with gitleaks' rule keys."""

    id: str
    regex: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    entropy: float | None = None
    secretGroup: int = 0  # noqa: N815 - the gitleaks key, so rules can be copied across

    def table(self) -> dict[str, Any]:
        """The rule as a gitleaks ``[[rules]]`` table."""
        out: dict[str, Any] = {"id": self.id, "regex": self.regex, "keywords": list(self.keywords),
                               "secretGroup": self.secretGroup}
        if self.description:
            out["description"] = self.description
        if self.entropy is not None:
            out["entropy"] = self.entropy
        return out


@dataclass(frozen=True)
class Secrets:
    rotation_days: int = 90
    """Static pipeline secrets older than this fail AC-3."""
    max_file_bytes: int = 5 * 1024 * 1024
    """Files larger than this are skipped by the secret scan of the working tree (and counted)."""
    rules_file: str = ""
    """A gitleaks-format TOML file in the repository whose rules are added to evidencepack's."""
    rules: tuple[SecretRule, ...] = ()
    """Extra rules written in the policy itself."""


@dataclass(frozen=True)
class Logs:
    retention_days: int = 400
    """How long pipeline logs must be kept (an audit period plus the audit)."""


@dataclass(frozen=True)
class SlaDays:
    critical: int = 15
    high: int = 30
    medium: int = 90
    low: int = 180


@dataclass(frozen=True)
class Vulnerabilities:
    sla_days: SlaDays = field(default_factory=SlaDays)
    """Days within which an open vulnerability of each severity must be fixed."""
    max_db_age_hours: int = 24
    """An advisory database older than this is not a scan."""
    osv_db: str = ""
    """Offline OSV database (folder of advisories or all.zip archives), relative to the
    repository root ('' = none; `--osv-db` and EVIDENCEPACK_OSV_DB take precedence)."""


@dataclass(frozen=True)
class Dependencies:
    exclude_paths: tuple[str, ...] = ()
    """Folders (or files) whose lockfiles are not this project's dependencies, such as test
    fixtures: left out of the inventory, the SBOM and the vulnerability scan, and listed as
    excluded in the evidence."""


@dataclass(frozen=True)
class Hardening:
    zizmor_persona: str = "regular"
    """zizmor persona: `regular`, `pedantic` or `auditor`."""
    fail_on: Severity = Severity.LOW
    """Lowest finding severity that fails HD-1."""


@dataclass(frozen=True)
class Monitoring:
    window_days: int = 30
    """Days of production-branch runs MO-1 looks at."""
    alert_channel: str = ""
    """Where failures are alerted, when not by a job in the pipeline ('' = not declared)."""


@dataclass(frozen=True)
class Pipeline:
    """What the organisation's written policy says the pipeline does (compared by DOC-1)."""

    tests: bool = True
    dependency_scanning: bool = True
    secret_scanning: bool = True
    sbom: bool = True
    signing: bool = True
    verify_before_deploy: bool = True
    oidc_only: bool = True


@dataclass(frozen=True)
class Allowance:
    """An accepted finding: matched by control, rule and path prefix; needs a reason."""

    control: str
    reason: str
    rule: str = ""
    path: str = ""
    expires: date | None = None

    def matches(self, control: str, rule: str, path: str | None) -> bool:
        if self.control != control:
            return False
        if self.rule and self.rule != rule:
            return False
        return not self.path or (path is not None and path.startswith(self.path))

    def expired(self, today: date) -> bool:
        return self.expires is not None and self.expires < today


@dataclass(frozen=True)
class Limits:
    max_config_bytes: int = 1024 * 1024
    """Pipeline configuration files larger than this are not parsed (HD-1 error)."""


@dataclass(frozen=True)
class Policy:
    version: int = 1
    production_branches: tuple[str, ...] = ("main", "master")
    approvals: Approvals = field(default_factory=Approvals)
    secrets: Secrets = field(default_factory=Secrets)
    logs: Logs = field(default_factory=Logs)
    vulnerabilities: Vulnerabilities = field(default_factory=Vulnerabilities)
    dependencies: Dependencies = field(default_factory=Dependencies)
    hardening: Hardening = field(default_factory=Hardening)
    monitoring: Monitoring = field(default_factory=Monitoring)
    pipeline: Pipeline = field(default_factory=Pipeline)
    ticket_pattern: str = ""
    """Regular expression for a ticket reference in a branch name, title or body."""
    enforce: tuple[str, ...] = ()
    """Control ids whose failure makes `run` exit 1."""
    allow: tuple[Allowance, ...] = ()
    limits: Limits = field(default_factory=Limits)
    source: str | None = field(default=None, compare=False)
    """The file this policy was read from; None for the defaults."""
    digest: str = field(default="", compare=False)
    """sha256 of the policy file, or of the canonical defaults."""

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = _to_json(self)
        return value

    def allowance(self, control: str, rule: str, path: str | None, today: date) -> Allowance | None:
        """The first `allow:` entry that accepts this finding and has not expired."""
        return next((a for a in self.allow if a.matches(control, rule, path) and not a.expired(today)),
                    None)


def _to_json(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {
            f.name: _to_json(getattr(obj, f.name))
            for f in fields(obj)
            if f.name not in ("source", "digest")
        }
    if isinstance(obj, tuple | list):
        return [_to_json(v) for v in obj]
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, Severity):
        return str(obj)
    return obj


def default_policy() -> Policy:
    policy = Policy()
    canonical = json.dumps(policy.to_json(), sort_keys=True).encode()
    return replace(policy, digest=hashlib.sha256(canonical).hexdigest())


def load_policy(path: Path) -> Policy:
    """Read a policy file; raise `PolicyError` naming file:line and key on any problem."""
    try:
        if path.is_symlink() or not path.is_file():
            raise PolicyError(f"{path}: not a regular file")
        if path.stat().st_size > MAX_POLICY_BYTES:
            raise PolicyError(f"{path}: larger than {MAX_POLICY_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not UTF-8 text") from None
    try:
        doc = parse_yaml(text, source=str(path))
    except YamlError as exc:
        raise PolicyError(exc.message) from None
    root = doc.root
    if root is None:
        root = YMap((1, 1))
    if not isinstance(root, YMap):
        raise PolicyError(f"{path}:1:1: the policy must be a mapping of keys")
    policy: Policy = _build(Policy, root, str(path), "")
    return replace(policy, source=str(path), digest=hashlib.sha256(raw).hexdigest())


_NESTED = {
    "approvals": Approvals,
    "secrets": Secrets,
    "logs": Logs,
    "vulnerabilities": Vulnerabilities,
    "dependencies": Dependencies,
    "sla_days": SlaDays,
    "hardening": Hardening,
    "monitoring": Monitoring,
    "pipeline": Pipeline,
    "limits": Limits,
}
_PERSONAS = ("regular", "pedantic", "auditor")


def _build(cls: Any, node: YMap, source: str, prefix: str) -> Any:
    known = {f.name: f for f in fields(cls) if f.name not in ("source", "digest")}
    values: dict[str, Any] = {}
    for key, value in node.items():
        line, col = node.key_mark(key)
        where = f"{source}:{line}:{col}"
        dotted = f"{prefix}{key}"
        if not isinstance(key, str) or key not in known:
            choices = ", ".join(sorted(known))
            raise PolicyError(f"{where}: unknown key '{dotted}' (expected one of: {choices})")
        vline, vcol = node.value_mark(key)
        vwhere = f"{source}:{vline}:{vcol}"
        values[key] = _convert(key, dotted, value, vwhere, source)
    try:
        return cls(**values)
    except TypeError as exc:  # pragma: no cover - guarded by the key check above
        raise PolicyError(f"{source}: {exc}") from None


def _convert(key: str, dotted: str, value: Any, where: str, source: str) -> Any:
    if key in _NESTED:
        if not isinstance(value, YMap):
            raise PolicyError(f"{where}: '{dotted}' must be a mapping, got {_kind(value)}")
        return _build(_NESTED[key], value, source, f"{dotted}.")
    if key == "exclude_paths":
        paths = _str_list(dotted, value, where)
        for item in paths:
            if not item or item.startswith("/") or ".." in PurePosixPath(item).parts:
                raise PolicyError(f"{where}: '{dotted}' entry '{item}' must be a path inside the "
                                  "repository")
        return tuple(paths)
    if key in ("production_branches", "allowed_bots", "enforce"):
        items = _str_list(dotted, value, where)
        if key == "enforce":
            for item in items:
                if not CONTROL_ID.match(item):
                    raise PolicyError(f"{where}: '{dotted}' entry '{item}' is not a control id")
        if key == "production_branches" and not items:
            raise PolicyError(f"{where}: '{dotted}' must name at least one branch")
        return tuple(items)
    if key == "rules":
        if not isinstance(value, YSeq):
            raise PolicyError(f"{where}: '{dotted}' must be a list, got {_kind(value)}")
        return tuple(_secret_rule(item, value.item_mark(i), source) for i, item in enumerate(value))
    if key == "rules_file":
        if not isinstance(value, str):
            raise PolicyError(f"{where}: '{dotted}' must be a string, got {_kind(value)}")
        if value.startswith("/") or ".." in PurePosixPath(value).parts:
            raise PolicyError(f"{where}: '{dotted}' must be a path inside the repository")
        return value
    if key == "allow":
        if not isinstance(value, YSeq):
            raise PolicyError(f"{where}: 'allow' must be a list, got {_kind(value)}")
        return tuple(_allowance(item, value.item_mark(i), source) for i, item in enumerate(value))
    if key in ("allow_stale", "tests", "dependency_scanning", "secret_scanning", "sbom",
               "signing", "verify_before_deploy", "oidc_only"):
        if not isinstance(value, bool):
            raise PolicyError(f"{where}: '{dotted}' must be true or false, got {_kind(value)}")
        return value
    if key in ("emergency_label", "alert_channel", "ticket_pattern", "zizmor_persona", "osv_db"):
        if not isinstance(value, str):
            raise PolicyError(f"{where}: '{dotted}' must be a string, got {_kind(value)}")
        if key == "zizmor_persona" and value not in _PERSONAS:
            raise PolicyError(f"{where}: '{dotted}' must be one of {', '.join(_PERSONAS)}")
        if key == "ticket_pattern" and value:
            try:
                re.compile(value)
            except re.error as exc:
                raise PolicyError(f"{where}: '{dotted}' is not a valid pattern: {exc}") from None
        return value
    if key == "fail_on":
        try:
            return Severity(value)
        except ValueError:
            choices = ", ".join(str(s) for s in Severity)
            raise PolicyError(f"{where}: '{dotted}' must be one of {choices}") from None
    # Every remaining key is a positive whole number.
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"{where}: '{dotted}' must be a whole number, got {_kind(value)}")
    minimum = 0 if key in ("required",) else 1
    if value < minimum:
        raise PolicyError(f"{where}: '{dotted}' must be at least {minimum}")
    if key == "version" and value != 1:
        raise PolicyError(f"{where}: policy version {value} is not supported (expected 1)")
    return value


def _allowance(item: Any, mark: tuple[int, int], source: str) -> Allowance:
    where = f"{source}:{mark[0]}:{mark[1]}"
    if not isinstance(item, YMap):
        raise PolicyError(f"{where}: each 'allow' entry must be a mapping")
    allowed = {"control", "rule", "path", "reason", "expires"}
    out: dict[str, Any] = {}
    for key, value in item.items():
        kline, kcol = item.key_mark(key)
        if key not in allowed:
            raise PolicyError(
                f"{source}:{kline}:{kcol}: unknown key 'allow.{key}' "
                f"(expected one of: {', '.join(sorted(allowed))})"
            )
        vline, vcol = item.value_mark(key)
        vwhere = f"{source}:{vline}:{vcol}"
        if key == "expires":
            if isinstance(value, str):
                try:
                    out[key] = date.fromisoformat(value)
                except ValueError:
                    raise PolicyError(f"{vwhere}: 'allow.expires' must be a date YYYY-MM-DD") from None
            else:
                raise PolicyError(f"{vwhere}: 'allow.expires' must be a date YYYY-MM-DD")
            continue
        if not isinstance(value, str):
            raise PolicyError(f"{vwhere}: 'allow.{key}' must be a string, got {_kind(value)}")
        out[key] = value
    for required in ("control", "reason"):
        if not out.get(required, "").strip():
            raise PolicyError(f"{where}: each 'allow' entry needs a non-empty '{required}'")
    if not CONTROL_ID.match(out["control"]):
        raise PolicyError(f"{where}: 'allow.control' '{out['control']}' is not a control id")
    return Allowance(**out)


def _secret_rule(item: Any, mark: tuple[int, int], source: str) -> SecretRule:
    from .scanners.secrets.rules import rule_from_table

    where = f"{source}:{mark[0]}:{mark[1]}"
    if not isinstance(item, YMap):
        raise PolicyError(f"{where}: each 'secrets.rules' entry must be a mapping")
    types: dict[str, tuple[type, ...]] = {"id": (str,), "regex": (str,), "description": (str,),
                                          "keywords": (YSeq, str), "entropy": (int, float),
                                          "secretGroup": (int,)}
    out: dict[str, Any] = {}
    for key, value in item.items():
        kline, kcol = item.key_mark(key)
        if key not in types:
            raise PolicyError(f"{source}:{kline}:{kcol}: unknown key 'secrets.rules.{key}' "
                              f"(expected one of: {', '.join(sorted(types))})")
        vline, vcol = item.value_mark(key)
        if isinstance(value, bool) or not isinstance(value, types[key]):
            raise PolicyError(f"{source}:{vline}:{vcol}: 'secrets.rules.{key}' has the wrong type "
                              f"({_kind(value)})")
        out[key] = tuple(_str_list(f"secrets.rules.{key}", value, f"{source}:{vline}:{vcol}")) \
            if key == "keywords" else value
    for required in ("id", "regex"):
        if not out.get(required):
            raise PolicyError(f"{where}: each 'secrets.rules' entry needs a non-empty '{required}'")
    rule = SecretRule(**out)
    try:
        rule_from_table(rule.table(), f"{where}: rule {rule.id!r}")
    except EvidencepackError as exc:
        raise PolicyError(exc.message) from None
    return rule


def _str_list(dotted: str, value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, YSeq) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where}: '{dotted}' must be a list of strings, got {_kind(value)}")
    return list(value)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, YSeq):
        return "a list"
    if isinstance(value, YMap):
        return "a mapping"
    return type(value).__name__


DEFAULT_POLICY_TEXT = """\
# evidencepack policy: the controls your SOC 2 description promises, as code.
# Every key is optional; the values below are the defaults.
version: 1
production_branches: [main, master]   # branches that deploy to production
approvals:
  required: 1              # approvals per change, by people other than its authors
  allow_stale: false       # count approvals given before the last push
  allowed_bots: []         # bot accounts whose approvals count
  emergency_label: ""      # label that turns an unreviewed change into a recorded exception
secrets:
  rotation_days: 90        # static pipeline secrets must be rotated within this
  max_file_bytes: 5242880  # larger files are skipped by the secret scan (and counted)
  rules_file: ""           # a gitleaks-format TOML file of extra rules, e.g. .gitleaks.toml
  rules: []                # extra rules: - {id: acme-key, regex: 'acme_[a-z0-9]{32}', keywords: [acme_]}
logs:
  retention_days: 400      # pipeline logs kept this long (audit period + audit)
vulnerabilities:
  sla_days: {critical: 15, high: 30, medium: 90, low: 180}
  max_db_age_hours: 24     # an older advisory database is not a scan
  osv_db: ""               # offline OSV database (advisory folder or all.zip files), if any
dependencies:
  exclude_paths: []        # lockfiles that are not this project's, e.g. [tests/fixtures/]
hardening:
  zizmor_persona: regular  # regular | pedantic | auditor
  fail_on: low             # lowest finding severity that fails HD-1
monitoring:
  window_days: 30          # production-branch runs looked at by MO-1
  alert_channel: ""        # where failures are alerted, if not by a pipeline job
pipeline:                  # what your written policy says the pipeline does (DOC-1)
  tests: true
  dependency_scanning: true
  secret_scanning: true
  sbom: true
  signing: true
  verify_before_deploy: true
  oidc_only: true
ticket_pattern: ""         # e.g. '[A-Z]+-[0-9]+'
enforce: []                # control ids whose failure fails the pipeline, e.g. [AC-1, HD-1]
allow: []                  # accepted findings: {control, rule, path, reason, expires}
limits:
  max_config_bytes: 1048576
"""
