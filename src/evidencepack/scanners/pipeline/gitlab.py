"""GitLab CI configuration, read offline: cloud access, hardening, capabilities, deploys.

The main `.gitlab-ci.yml` and its local includes are read as one configuration, the way
GitLab merges them: a job in one file may extend a template defined in another, and the
main file's definitions win over the included ones. Remote, project, component and
template includes are not fetched; what their reference shows (whether it is pinned,
whether it is one of GitLab's security templates) is still evidence.

Every result points at the line that shows it. Keys brought in by a `<<` merge carry no
position of their own in the merging mapping, so each file keeps an index of where every
literal key and value is, and a merged-in value is placed where it was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...model import Finding, Location, Severity
from ...yamltree import Mark, YMap, YSeq
from .capabilities import recognise_gitlab_template, recognise_image, recognise_script
from .credentials import credential_provider
from .model import (
    Capability,
    CapabilityKind,
    CloudAccess,
    CloudMethod,
    ConfigFile,
    ConfigKind,
    DeployJob,
    PlatformFindings,
)

K = CapabilityKind

# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------

GLOBAL_KEYWORDS = frozenset(
    {
        "default", "include", "stages", "variables", "workflow", "image", "services", "cache",
        "before_script", "after_script", "spec",
    }
)
"""Top-level keys of a GitLab CI file that are not jobs."""

# Keywords `default:` supplies to every job that does not set them (and does not opt out
# with `inherit: default:`); the four legacy top-level keywords do the same.
_DEFAULT_KEYWORDS = frozenset(
    {"image", "services", "before_script", "after_script", "id_tokens", "artifacts"}
)
_LEGACY_GLOBAL_DEFAULTS = frozenset({"image", "services", "before_script", "after_script"})

# GitLab's default stage order when a configuration declares no `stages:`.
_DEFAULT_STAGES = (".pre", "build", "test", "deploy", ".post")

# Words of a stage name that say its jobs release or deploy.
_DEPLOY_STAGE_WORDS = frozenset(
    {"deploy", "deploys", "deployment", "release", "releases", "production", "prod"}
)

# GitLab stops resolving `extends:` beyond this many levels; so do we.
_MAX_EXTENDS_DEPTH = 11
# Bounds that keep hostile `!reference` fan-out and self-referring variables linear.
_MAX_REFERENCE_DEPTH = 10
_MAX_SCRIPT_NODES = 10_000
_MAX_EXPANDED_CHARS = 20_000

# Job names GitLab's security templates define. A job with one of these names, or one that
# extends one, is that scanner even when the template itself is included remotely.
_TEMPLATE_JOBS: dict[str, tuple[CapabilityKind, str]] = {
    name: (kind, detail)
    for names, kind, detail in (
        (("secret_detection", "secret_detection_default_branch", ".secret-analyzer"),
         K.SECRET_SCAN, "GitLab Secret-Detection job"),
        (("dependency_scanning", "dependency-scanning", ".ds-analyzer",
          "gemnasium-dependency_scanning", "gemnasium-maven-dependency_scanning",
          "gemnasium-python-dependency_scanning"),
         K.DEPENDENCY_SCAN, "GitLab Dependency-Scanning job"),
        (("container_scanning", ".cs-analyzer"),
         K.DEPENDENCY_SCAN, "GitLab Container-Scanning job"),
    )
    for name in names
}

# `artifacts: reports:` types that only a scanner of that kind produces.
_REPORT_KINDS: dict[str, CapabilityKind] = {
    "secret_detection": K.SECRET_SCAN,
    "dependency_scanning": K.DEPENDENCY_SCAN,
    "container_scanning": K.DEPENDENCY_SCAN,
    "cyclonedx": K.SBOM,
}

# A credential-file path that workload identity federation also uses (it points at a
# generated credential configuration), so it is not a static key in a federated job.
_FEDERATION_PATH_VARIABLES = frozenset({"GOOGLE_APPLICATION_CREDENTIALS"})

# `$NAME`, `${NAME}`, PowerShell `$env:NAME` and cmd `%NAME%`.
_VARIABLE_REFERENCE = re.compile(r"\$(?:env:)?\{?([A-Za-z_]\w*)\}?|%([A-Za-z_]\w*)%")

# A shell continuation keeps a command on one logical line.
_SAME_COMMAND = r"(?:[^\n]|\\\n)*?"

_STATIC_COMMANDS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (provider, re.compile(pattern, re.IGNORECASE), detail)
    for provider, pattern, detail in (
        ("aws", r"\baws\s+configure\s+set\s+(?:\S+\.)?aws_secret_access_key\b",
         "aws configure set aws_secret_access_key"),
        ("gcp", rf"\bgcloud\s+auth\s+activate-service-account\b{_SAME_COMMAND}--key-file\b",
         "gcloud auth activate-service-account --key-file"),
        ("azure", rf"\baz\s+login\b(?!{_SAME_COMMAND}--federated-token)"
                  rf"(?={_SAME_COMMAND}--service-principal)"
                  rf"(?={_SAME_COMMAND}(?:\s-p\b|--password\b))",
         "az login --service-principal with a password"),
    )
)

_OIDC_COMMANDS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (provider, re.compile(pattern, re.IGNORECASE), detail)
    for provider, pattern, detail in (
        ("aws", r"\baws\s+sts\s+assume-role-with-web-identity\b",
         "aws sts assume-role-with-web-identity"),
        ("gcp", r"\bgcloud\s+iam\s+workload-identity-pools\b",
         "gcloud iam workload-identity-pools"),
        ("gcp", r"\bGCP_WORKLOAD_IDENTITY_PROVIDER\b", "GCP_WORKLOAD_IDENTITY_PROVIDER"),
        ("azure", rf"\baz\s+login\b{_SAME_COMMAND}--federated-token\b",
         "az login --federated-token"),
    )
)

# Variables that together make the AWS SDKs assume a role with the job's ID token.
_AWS_WEB_IDENTITY_VARIABLES = ("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")

# `id_tokens: aud:` values that name a cloud's token exchange.
_AUDIENCES: tuple[tuple[str, str], ...] = (
    ("sts.amazonaws.com", "aws"),
    ("//iam.googleapis.com", "gcp"),
    ("api://azureadtokenexchange", "azure"),
)

# `only:`/`except:` keywords that select pipeline sources rather than refs.
_ONLY_SOURCES = frozenset(
    {
        "api", "chat", "external", "external_pull_requests", "merge_requests", "pipelines",
        "pushes", "schedules", "triggers", "web",
    }
)

# GitLab parses durations with ChronicDuration, strictly: numbers, these units, and the
# join words; anything else is a configuration error. Months are 30 days, years 365.25.
_DAY = 86_400
_DURATION_UNITS: dict[str, float] = {
    unit: seconds
    for units, seconds in (
        (("s", "sec", "secs", "second", "seconds"), 1),
        (("m", "min", "mins", "minute", "minutes"), 60),
        (("h", "hr", "hrs", "hour", "hours"), 3_600),
        (("d", "dy", "day", "days"), _DAY),
        (("w", "wk", "wks", "week", "weeks"), 7 * _DAY),
        (("mo", "mos", "month", "months"), 30 * _DAY),
        (("y", "yr", "yrs", "year", "years"), 31_557_600),
    )
    for unit in units
}
_DURATION_JOIN_WORDS = frozenset({"and", "with", "plus"})
_COLON_UNITS = (1, 60, 3_600, _DAY, 7 * _DAY, 30 * _DAY, 31_557_600)
NEVER_EXPIRES_DAYS = 36_500
"""Days recorded for `expire_in: never`."""

_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_SHA1_SEGMENT = re.compile(r"(?:^|[/=@])[0-9a-fA-F]{40}(?:$|[/?#&])")
_DIGEST = re.compile(r"@sha256:[0-9a-fA-F]{64}\b")
_TAG_REF = re.compile(r"^(?:refs/tags/)?v?\d+(?:\.\d+)+(?:[-+][\w.]+)?$")
_FULL_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(?:[-+][\w.]+)?$")
_PARTIAL_VERSION = re.compile(r"^v?\d+(?:\.\d+)?$")
_URL_SCHEME = re.compile(r"^https?://", re.IGNORECASE)


@dataclass(frozen=True)
class _Rule:
    id: str
    title: str

    @property
    def help_uri(self) -> str:
        return f"https://evidencepack.dev/controls/HD-1#{self.id}"


IMAGE_NOT_PINNED = _Rule("gitlab-image-not-pinned", "Container image not pinned by digest")
REMOTE_INCLUDE_UNPINNED = _Rule(
    "gitlab-remote-include-unpinned", "Included configuration not pinned to a commit"
)
DEPLOY_WITHOUT_ENVIRONMENT = _Rule(
    "gitlab-deploy-without-environment", "Deploy job without an environment"
)
RULES = (IMAGE_NOT_PINNED, REMOTE_INCLUDE_UNPINNED, DEPLOY_WITHOUT_ENVIRONMENT)
"""The HD-1 rules this analysis reports."""


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def local_includes(document: Any) -> list[str]:
    """Repository-relative paths (globs kept) of the local includes of a parsed CI file."""
    found: list[str] = []
    if not isinstance(document, dict):
        return found
    for entry, _ in _include_entries(document.get("include"), (1, 1)):
        reference: Any = None
        if isinstance(entry, str) and not _URL_SCHEME.match(entry):
            reference = entry
        elif isinstance(entry, dict):
            reference = entry.get("local")
        if isinstance(reference, str) and reference.strip("/ "):
            path = reference.strip().lstrip("/")
            if path not in found:
                found.append(path)
    return found


def analyze_gitlab(files: Sequence[ConfigFile]) -> PlatformFindings:
    """What the analysable GitLab CI files show, read together as one configuration."""
    config = _Config(files)
    out = _Results()
    for source in config.sources:
        _check_includes(source, source.root.get("include"), source.root, "include", out)
        for _, definition in source.definitions():
            trigger = definition.get("trigger")
            if isinstance(trigger, YMap):
                _check_includes(source, trigger.get("include"), trigger, "include", out)
        _check_images(source, out)

    jobs = [_JobView.analyse(config, name, out) for name in config.job_names]
    running = [job for job in jobs if job.runs]
    stage_order = config.stage_order()
    for job in running:
        out.capabilities.extend(job.capabilities)
        _cloud_access(job, out)
        _retention(job, out)
    _global_static_variables(config, out)
    for job in running:
        _deploy(job, running, stage_order, out)

    return PlatformFindings(
        cloud_access=tuple(sorted(out.cloud.values())),
        hardening=tuple(sorted(out.findings.values(), key=_finding_order)),
        capabilities=tuple(sorted(set(out.capabilities))),
        deploy_jobs=tuple(sorted(out.deploy_jobs)),
        artifact_retention_days=tuple(sorted(out.retention.items())),
        notes=tuple(dict.fromkeys(out.notes)),
    )


def parse_expire_in(value: Any) -> int | None:
    """Whole days of a GitLab `expire_in` duration; None when GitLab would reject it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value // _DAY) if value >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text == "never":
        return NEVER_EXPIRES_DAYS
    seconds = _duration_seconds(text)
    return None if seconds is None else int(seconds // _DAY)


# --------------------------------------------------------------------------------------
# The merged configuration
# --------------------------------------------------------------------------------------


class _Positions:
    """Where each literal key and value of one file is, to place merged-in keys."""

    def __init__(self, root: Any) -> None:
        self._origin: dict[tuple[Any, int], tuple[Mark, Mark]] = {}
        seen: set[int] = set()
        stack: list[Any] = [root]
        while stack:
            node = stack.pop()
            if not isinstance(node, YMap | YSeq) or id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, YMap):
                for key, mark in node.key_marks.items():
                    value = node.get(key)
                    self._origin.setdefault((key, id(value)), (mark, node.value_mark(key)))
                stack.extend(reversed(list(node.values())))
            else:
                stack.extend(reversed(node))

    def key(self, node: YMap, key: Any) -> Mark:
        if key in node.key_marks:
            return node.key_marks[key]
        origin = self._origin.get((key, id(node.get(key))))
        return origin[0] if origin else node.mark

    def value(self, node: YMap, key: Any) -> Mark:
        if key in node.key_marks:
            return node.value_mark(key)
        origin = self._origin.get((key, id(node.get(key))))
        return origin[1] if origin else node.mark


@dataclass(eq=False)
class _Source:
    """One analysable file of the configuration."""

    path: str
    root: YMap
    positions: _Positions

    def at(self, mark: Mark) -> Location:
        return Location(self.path, mark[0], mark[1])

    def key_at(self, node: YMap, key: Any) -> Location:
        return self.at(self.positions.key(node, key))

    def value_at(self, node: YMap, key: Any) -> Location:
        return self.at(self.positions.value(node, key))

    def definitions(self) -> Iterator[tuple[str, YMap]]:
        """Names and mappings of the jobs and hidden templates of this file."""
        for key, value in self.root.items():
            if isinstance(key, str) and key not in GLOBAL_KEYWORDS and isinstance(value, YMap):
                yield key, value


class _Config:
    """The files as GitLab merges them: the main file first, then later includes first."""

    def __init__(self, files: Sequence[ConfigFile]) -> None:
        usable = [
            _Source(f.path, f.document, _Positions(f.document))
            for f in files
            if f.kind is ConfigKind.GITLAB_CI and f.analysable and isinstance(f.document, YMap)
        ]
        main = next((s for s in usable if s.path == ".gitlab-ci.yml"), None)
        main = main or (usable[0] if usable else None)
        rest = [s for s in usable if s is not main]
        self.sources: list[_Source] = ([main] if main else []) + rest[::-1]
        self.definitions: dict[str, list[tuple[_Source, YMap]]] = {}
        for source in self.sources:
            for name, node in source.definitions():
                self.definitions.setdefault(name, []).append((source, node))
        # Jobs in file order, the order a reader of the files meets them.
        self.job_names: list[str] = list(
            dict.fromkeys(
                name for source in usable for name, _ in source.definitions()
                if not name.startswith(".")
            )
        )

    def default(self, key: str) -> tuple[Any, _Source, YMap] | None:
        for source in self.sources:
            default = source.root.get("default")
            if isinstance(default, YMap) and key in default:
                return default[key], source, default
        if key in _LEGACY_GLOBAL_DEFAULTS:
            for source in self.sources:
                if key in source.root:
                    return source.root[key], source, source.root
        return None

    def global_variables(self) -> list[tuple[_Source, YMap]]:
        return [
            (source, source.root["variables"])
            for source in self.sources
            if isinstance(source.root.get("variables"), YMap)
        ]

    def stage_order(self) -> dict[str, int]:
        stages: Any = None
        for source in self.sources:
            if isinstance(source.root.get("stages"), YSeq):
                stages = source.root["stages"]
                break
        names = [s for s in stages if isinstance(s, str)] if stages is not None else []
        if not names:
            names = list(_DEFAULT_STAGES)
        names = [".pre", *(n for n in names if n not in (".pre", ".post")), ".post"]
        return {name: index for index, name in enumerate(names)}


@dataclass(frozen=True)
class _Line:
    """One script item of a job."""

    section: str
    text: str
    location: Location
    recognised: tuple[tuple[CapabilityKind, str], ...] = ()
    """What the item does, with the job's variables expanded."""

    def does(self, kind: CapabilityKind) -> bool:
        return any(k is kind for k, _ in self.recognised)


@dataclass
class _JobView:
    """A job with `extends:` and `default:` resolved, and what its lines show."""

    name: str
    source: _Source
    """The file whose definition of the job wins (the main file when it defines it)."""
    chain: list[tuple[_Source, YMap]]
    ancestors: list[str]
    config: _Config
    lines: list[_Line] = field(default_factory=list)
    capabilities: list[Capability] = field(default_factory=list)
    runs: bool = True

    @property
    def id(self) -> str:
        return f"{self.source.path}#{self.name}"

    @property
    def location(self) -> Location:
        return self.source.key_at(self.source.root, self.name)

    @classmethod
    def analyse(cls, config: _Config, name: str, out: _Results) -> _JobView:
        chain, ancestors = _resolve_extends(config, name, out)
        job = cls(name, chain[0][0], chain, ancestors, config)
        job.runs = not _never_runs(job.find("rules"))
        variables = job.variables()
        job.lines = [
            _Line(
                line.section, line.text, line.location,
                # `make $MAKE_CHECK_ARGS` runs the tests its variable names.
                tuple((k, d) for k, d, _ in recognise_script(_expand(line.text, variables))),
            )
            for line in _script_lines(job)
        ]
        job.capabilities = _job_capabilities(job)
        return job

    def find(self, key: str) -> tuple[Any, _Source, YMap] | None:
        """The value of `key` for this job, its file and the mapping that sets it."""
        for source, node in self.chain:
            if key in node:
                return node[key], source, node
        if key in _DEFAULT_KEYWORDS and self._inherits("default", key):
            return self.config.default(key)
        return None

    def find_in(self, key: str, sub: str) -> tuple[Any, _Source, YMap] | None:
        """`key: sub:` deep-merged over `extends:`, as GitLab merges mappings."""
        for source, node in self.chain:
            if key not in node:
                continue
            value = node[key]
            if not isinstance(value, YMap):
                return None
            if sub in value:
                return value[sub], source, value
        # `default:` keywords are replaced, not merged, so they count only when no
        # mapping of the chain sets `key` at all (the loop above has returned otherwise).
        found = self.find(key)
        if found is not None and isinstance(found[0], YMap) and sub in found[0]:
            return found[0][sub], found[1], found[0]
        return None

    def value(self, key: str) -> Any:
        found = self.find(key)
        return found[0] if found else None

    def variables(self) -> dict[str, str]:
        """Variable values for expanding image names: job over global, as GitLab does."""
        maps = [n["variables"] for _, n in self.chain if isinstance(n.get("variables"), YMap)]
        if self._inherits("variables"):
            maps += [m for _, m in self.config.global_variables()]
        values: dict[str, str] = {}
        for variables in maps:  # highest priority first, so the first value seen stays
            for name, value in _variable_values(variables).items():
                values.setdefault(name, value)
        return values

    def stage(self) -> str:
        stage = self.value("stage")
        return stage if isinstance(stage, str) else "test"

    def _inherits(self, what: str, key: str | None = None) -> bool:
        inherit = next((n["inherit"] for _, n in self.chain if "inherit" in n), None)
        if not isinstance(inherit, YMap) or what not in inherit:
            return True
        setting = inherit[what]
        if isinstance(setting, bool):
            return setting
        if isinstance(setting, YSeq):
            return key is None or key in setting
        return True


def _resolve_extends(
    config: _Config, name: str, out: _Results
) -> tuple[list[tuple[_Source, YMap]], list[str]]:
    """The job's definitions, highest priority first, then what it extends, recursively.

    `extends: [a, b]` merges `a`, then `b` over it, then the job over both, so the order
    is job, b and its parents, a and its parents; a template reached twice keeps its first
    (higher) place, which is what GitLab's repeated deep merge amounts to.
    """
    chain: list[tuple[_Source, YMap]] = []
    ancestors: list[str] = []
    done: set[str] = set()
    on_path: list[str] = []

    def visit(current: str, depth: int) -> None:
        if current in on_path:
            out.notes.append(f"GitLab job '{name}': extends cycle through '{current}'")
            return
        if current in done:
            return
        if depth > _MAX_EXTENDS_DEPTH:
            out.notes.append(
                f"GitLab job '{name}': extends nested deeper than {_MAX_EXTENDS_DEPTH} levels"
            )
            return
        done.add(current)
        if current != name:
            ancestors.append(current)
        definitions = config.definitions.get(current, [])
        if not definitions:
            if current not in _TEMPLATE_JOBS:
                out.notes.append(f"GitLab job '{name}' extends '{current}', which is not defined")
            return
        chain.extend(definitions)
        parents = next((node["extends"] for _, node in definitions if "extends" in node), None)
        on_path.append(current)
        for parent in reversed(_names(parents)):
            visit(parent, depth + 1)
        on_path.pop()

    visit(name, 0)
    return chain, ancestors


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _never_runs(rules: tuple[Any, _Source, YMap] | None) -> bool:
    """True when every rule says `when: never`, as in GitLab's configuration-only jobs."""
    if rules is None or not isinstance(rules[0], list) or not rules[0]:
        return False
    return all(isinstance(r, dict) and r.get("when") == "never" for r in rules[0])


def _variable_values(variables: YMap) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in variables.items():
        text = _variable_text(value)
        if isinstance(name, str) and text is not None:
            values[name] = text
    return values


def _variable_text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _expand(text: str, variables: dict[str, str]) -> str:
    """`text` with `$NAME`/`${NAME}` replaced by known values, a few rounds deep."""
    for _ in range(5):
        expanded = _VARIABLE_REFERENCE.sub(
            lambda m: variables.get(m.group(1) or m.group(2) or "", m.group(0)), text
        )
        if expanded == text or len(expanded) > _MAX_EXPANDED_CHARS:
            break
        text = expanded
    return text


# --------------------------------------------------------------------------------------
# Scripts and capabilities
# --------------------------------------------------------------------------------------


def _script_lines(job: _JobView) -> Iterator[_Line]:
    budget = [_MAX_SCRIPT_NODES]
    for section in ("before_script", "script", "after_script"):
        found = job.find(section)
        if found is None:
            continue
        value, source, node = found
        if isinstance(value, str):
            yield _Line(section, value, source.value_at(node, section))
        elif isinstance(value, YSeq):
            yield from _sequence_lines(job, section, source, value, 0, budget)


def _sequence_lines(
    job: _JobView, section: str, source: _Source, items: YSeq, depth: int, budget: list[int]
) -> Iterator[_Line]:
    """Script items, nested lists flattened; `budget` counts the nodes still to walk."""
    budget[0] -= 1
    if depth > _MAX_REFERENCE_DEPTH or budget[0] < 0:
        return
    reference = _reference(job.config, items) if depth else None
    if reference is not None:
        ref_source, owner, key = reference
        value = owner[key]
        if isinstance(value, YSeq):
            yield from _sequence_lines(job, section, ref_source, value, depth + 1, budget)
        elif isinstance(value, str):
            yield _Line(section, value, ref_source.value_at(owner, key))
        return
    for index, item in enumerate(items):
        budget[0] -= 1
        if budget[0] < 0:
            return
        if isinstance(item, str):
            yield _Line(section, item, source.at(items.item_mark(index)))
        elif isinstance(item, YSeq):
            yield from _sequence_lines(job, section, source, item, depth + 1, budget)


def _reference(config: _Config, items: YSeq) -> tuple[_Source, YMap, str] | None:
    """Resolve a nested `!reference [job, key, ...]`: the tag is gone, the shape is not.

    Returns the file, the mapping holding the referenced value and its key.
    """
    if len(items) < 2 or not all(isinstance(i, str) for i in items):
        return None
    definitions = config.definitions.get(items[0])
    if not definitions:
        return None
    source, owner = definitions[0]
    for key in items[1:-1]:
        inner = owner.get(key)
        if not isinstance(inner, YMap):
            return None
        owner = inner
    if items[-1] not in owner:
        return None
    return source, owner, items[-1]


def _job_capabilities(job: _JobView) -> list[Capability]:
    identity = list(_identity(job))
    found: list[Capability] = []
    seen: set[tuple[CapabilityKind, str]] = set()
    for line in job.lines:
        for kind, detail in line.recognised:
            if (kind, detail) not in seen:
                seen.add((kind, detail))
                found.append(Capability(kind, line.location, detail, job.id))
    kinds = {c.kind for c in found}
    for kind, detail, location in identity:
        if kind not in kinds:
            kinds.add(kind)
            found.append(Capability(kind, location, detail, job.id))
    return found


def _identity(job: _JobView) -> Iterator[tuple[CapabilityKind, str, Location]]:
    """What the job is, beyond its script: image, report types, template names, keywords."""
    image = _job_image(job)
    if image is not None:
        text, location = image
        for kind, _ in recognise_image(_expand(text, job.variables())):
            yield kind, f"image {text}", location
    reports = job.find_in("artifacts", "reports")
    if reports is not None and isinstance(reports[0], YMap):
        value, source, _ = reports
        for report in value:
            if report in _REPORT_KINDS:
                yield _REPORT_KINDS[report], f"{report} report", source.key_at(value, report)
    for name in (job.name, *job.ancestors):
        if name in _TEMPLATE_JOBS:
            kind, detail = _TEMPLATE_JOBS[name]
            yield kind, f"{detail} ({name})", job.location
    environment = _environment(job)
    if environment is not None and environment.deploys:
        yield K.DEPLOY, f"environment {environment.name or '(unnamed)'}", environment.location
    failure = _on_failure(job)
    if failure is not None:
        yield K.FAILURE_ALERT, "job runs when: on_failure", failure


def _job_image(job: _JobView) -> tuple[str, Location] | None:
    found = job.find("image")
    if found is None:
        return None
    value, source, node = found
    if isinstance(value, str):
        return value, source.value_at(node, "image")
    if isinstance(value, YMap) and isinstance(value.get("name"), str):
        return value["name"], source.value_at(value, "name")
    return None


def _on_failure(job: _JobView) -> Location | None:
    found = job.find("when")
    if found is not None and found[0] == "on_failure":
        return found[1].value_at(found[2], "when")
    rules = job.find("rules")
    if rules is not None and isinstance(rules[0], list):
        for rule in rules[0]:
            if isinstance(rule, YMap) and rule.get("when") == "on_failure":
                return rules[1].value_at(rule, "when")
    return None


@dataclass(frozen=True)
class _Environment:
    name: str | None
    deploys: bool
    """False for `action: stop`, `prepare`, `verify` and `access`, which deploy nothing."""
    location: Location


def _environment(job: _JobView) -> _Environment | None:
    found = job.find("environment")
    if found is None or found[0] is None:
        return None
    value, source, node = found
    location = source.key_at(node, "environment")
    if isinstance(value, str):
        return _Environment(value, True, location)
    if not isinstance(value, YMap):
        return None
    name = job.find_in("environment", "name")
    action = job.find_in("environment", "action")
    action_value = action[0] if action else None
    return _Environment(
        name[0] if name and isinstance(name[0], str) else None,
        action_value in (None, "start"),
        location,
    )


# --------------------------------------------------------------------------------------
# Cloud access (AC-1)
# --------------------------------------------------------------------------------------


def _static_provider(name: Any) -> str | None:
    return credential_provider(name) if isinstance(name, str) else None


def _cloud_access(job: _JobView, out: _Results) -> None:
    federated = _oidc(job, out)
    text = "\n".join(line.text for line in job.lines)

    def exempt(name: str, provider: str) -> bool:
        return provider in federated and name in _FEDERATION_PATH_VARIABLES

    for source, node in job.chain:
        variables = node.get("variables")
        if not isinstance(variables, YMap):
            continue
        for name in variables:
            provider = _static_provider(name)
            if provider is not None and not exempt(name, provider):
                out.cloud_access(
                    provider, CloudMethod.STATIC, source.key_at(variables, name),
                    f"{name} set in the variables of job '{job.name}'",
                )
    reported: set[str] = set()
    for line in job.lines:
        for match in _VARIABLE_REFERENCE.finditer(line.text):
            name = match.group(1) or match.group(2)
            provider = _static_provider(name)
            if provider is None or name in reported or exempt(name, provider):
                continue
            if re.search(rf"(?<![$\w{{]){re.escape(name)}=(?!=)", text):
                continue  # the job computes it (e.g. from an assumed role), not a stored key
            reported.add(name)
            out.cloud_access(
                provider, CloudMethod.STATIC, line.location,
                f"${name} used in {line.section} (a CI/CD variable holding a static key)",
            )
        for provider, pattern, detail in _STATIC_COMMANDS:
            if pattern.search(line.text):
                out.cloud_access(provider, CloudMethod.STATIC, line.location, detail)


def _oidc(job: _JobView, out: _Results) -> set[str]:
    """Record the job's federated cloud logins; return their providers."""
    found = job.find("id_tokens")
    if found is None or not isinstance(found[0], YMap) or not found[0]:
        return set()
    tokens, token_source, _ = found
    names = ", ".join(str(n) for n in tokens)
    providers: set[str] = set()
    for line in job.lines:
        for provider, pattern, detail in _OIDC_COMMANDS:
            if provider not in providers and pattern.search(line.text):
                providers.add(provider)
                out.cloud_access(
                    provider, CloudMethod.OIDC, line.location, f"id_tokens {names} with {detail}"
                )
    if "aws" not in providers:
        where = _aws_web_identity(job)
        if where is not None:
            providers.add("aws")
            out.cloud_access(
                "aws", CloudMethod.OIDC, where,
                f"id_tokens {names} with AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE",
            )
    if providers:
        return providers
    for token_name, token in tokens.items():
        if not isinstance(token, YMap):
            continue
        audiences = token.get("aud")
        for audience in _names(audiences):
            named = next((p for needle, p in _AUDIENCES if needle in audience.lower()), None)
            if named is not None and named not in providers:
                providers.add(named)
                out.cloud_access(
                    named, CloudMethod.OIDC, token_source.value_at(token, "aud"),
                    f"id_tokens {token_name} with aud {audience}",
                )
    return providers


def _aws_web_identity(job: _JobView) -> Location | None:
    """Where AWS_ROLE_ARN is set or used, when AWS_WEB_IDENTITY_TOKEN_FILE is too."""
    places: dict[str, Location] = {}
    maps = [(s, n["variables"]) for s, n in job.chain if isinstance(n.get("variables"), YMap)]
    for source, variables in maps + job.config.global_variables():
        for name in _AWS_WEB_IDENTITY_VARIABLES:
            if name in variables:
                places.setdefault(name, source.key_at(variables, name))
    for line in job.lines:
        for name in _AWS_WEB_IDENTITY_VARIABLES:
            if re.search(rf"\b{name}\b", line.text):
                places.setdefault(name, line.location)
    if all(name in places for name in _AWS_WEB_IDENTITY_VARIABLES):
        return places[_AWS_WEB_IDENTITY_VARIABLES[0]]
    return None


def _global_static_variables(config: _Config, out: _Results) -> None:
    """Credential names in the global variables; call after the jobs' cloud access."""
    federated_gcp = any(
        c.provider == "gcp" and c.method is CloudMethod.OIDC for c in out.cloud.values()
    )
    for source, variables in config.global_variables():
        for name in variables:
            provider = _static_provider(name)
            if provider is None or (federated_gcp and name in _FEDERATION_PATH_VARIABLES):
                continue
            out.cloud_access(
                provider, CloudMethod.STATIC, source.key_at(variables, name),
                f"{name} set in the global variables",
            )


# --------------------------------------------------------------------------------------
# Hardening (HD-1)
# --------------------------------------------------------------------------------------


def _include_entries(value: Any, mark: Mark) -> Iterator[tuple[Any, Mark]]:
    """Each include entry with where it is; a single string or mapping is one entry."""
    if isinstance(value, str | dict):
        yield value, mark
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield item, value.item_mark(index) if isinstance(value, YSeq) else mark


def _check_includes(
    source: _Source, value: Any, owner: YMap, key: str, out: _Results
) -> None:
    if value is None:
        return
    job = f"{source.path}#include"
    for entry, mark in _include_entries(value, source.positions.value(owner, key)):
        if isinstance(entry, str):
            if _URL_SCHEME.match(entry):
                _check_remote(source, entry, source.at(mark), pinned=False, out=out)
                _template_capabilities(entry, source.at(mark), job, out)
            continue
        if not isinstance(entry, YMap):
            continue
        remote = entry.get("remote")
        if isinstance(remote, str):
            location = source.value_at(entry, "remote")
            _check_remote(source, remote, location, pinned="integrity" in entry, out=out)
            _template_capabilities(remote, location, job, out)
        project = entry.get("project")
        if isinstance(project, str):
            _check_project(source, entry, project, out)
            for file in _names(entry.get("file")):
                _template_capabilities(file, source.value_at(entry, "project"), job, out)
        component = entry.get("component")
        if isinstance(component, str):
            location = source.value_at(entry, "component")
            _check_component(component, location, out)
            _template_capabilities(component, location, job, out)
            out.notes.append(f"{source.path}: component '{component}' is not fetched or analysed")
        template = entry.get("template")
        if isinstance(template, str):
            _template_capabilities(template, source.value_at(entry, "template"), job, out)
            out.notes.append(f"{source.path}: GitLab template '{template}' is not analysed")


def _template_capabilities(reference: str, location: Location, job: str, out: _Results) -> None:
    for kind, detail in recognise_gitlab_template(reference):
        out.capabilities.append(Capability(kind, location, detail, job))


def _redact_url(url: str) -> str:
    """The URL without credentials, query or fragment, which may carry tokens."""
    without_query = re.split(r"[?#]", url, maxsplit=1)[0]
    return re.sub(r"^(https?://)[^/@]*@", r"\1", without_query, flags=re.IGNORECASE)


def _check_remote(source: _Source, url: str, location: Location, *, pinned: bool,
                  out: _Results) -> None:
    shown = _redact_url(url)
    out.notes.append(f"{source.path}: remote include '{shown}' is not fetched or analysed")
    if pinned or _SHA1_SEGMENT.search(url.split("://", 1)[-1]):
        return
    out.finding(
        REMOTE_INCLUDE_UNPINNED, Severity.HIGH, location,
        f"Remote include '{shown}' is fetched at pipeline run time and is not pinned to a "
        "commit SHA or an `integrity:` hash, so its jobs can change without review.",
    )


def _check_project(source: _Source, entry: YMap, project: str, out: _Results) -> None:
    out.notes.append(f"{source.path}: include of project '{project}' is not fetched or analysed")
    ref = entry.get("ref")
    if ref is None:
        out.finding(
            REMOTE_INCLUDE_UNPINNED, Severity.HIGH, source.value_at(entry, "project"),
            f"Include of project '{project}' has no `ref:`, so it follows that project's "
            "default branch; pin it to a commit SHA.",
        )
        return
    text = str(ref)
    location = source.value_at(entry, "ref")
    if _SHA1.match(text):
        return
    if _TAG_REF.match(text):
        out.finding(
            REMOTE_INCLUDE_UNPINNED, Severity.MEDIUM, location,
            f"Include of project '{project}' is pinned to tag '{text}', which can be moved; "
            "pin it to a commit SHA.",
        )
        return
    out.finding(
        REMOTE_INCLUDE_UNPINNED, Severity.HIGH, location,
        f"Include of project '{project}' follows ref '{text}', a branch or variable that "
        "moves; pin it to a commit SHA.",
    )


def _check_component(component: str, location: Location, out: _Results) -> None:
    version = component.rsplit("@", 1)[1] if "@" in component else ""
    if _SHA1.match(version) or _FULL_VERSION.match(version):
        return
    if not version:
        why = "names no version"
    elif version == "~latest":
        why = "follows ~latest"
    elif _PARTIAL_VERSION.match(version):
        why = f"follows the newest {version}.x release"
    else:
        why = f"follows '{version}', a branch or moving ref"
    out.finding(
        REMOTE_INCLUDE_UNPINNED, Severity.MEDIUM, location,
        f"Component '{component.split('@', 1)[0]}' {why}; pin it to a full release version "
        "or a commit SHA.",
    )


def _check_images(source: _Source, out: _Results) -> None:
    """Every image and service a file names, wherever a job, template or default sets it."""
    variables = source.root.get("variables")
    global_values = _variable_values(variables) if isinstance(variables, YMap) else {}
    contexts: list[YMap] = [source.root]
    if isinstance(source.root.get("default"), YMap):
        contexts.append(source.root["default"])
    contexts.extend(node for _, node in source.definitions())
    for context in contexts:
        values = dict(global_values)
        if context is not source.root and isinstance(context.get("variables"), YMap):
            values.update(_variable_values(context["variables"]))
        for image, location, what in _images_of(source, context):
            if not _DIGEST.search(_expand(image, values)):
                out.finding(
                    IMAGE_NOT_PINNED, Severity.MEDIUM, location,
                    f"{what} '{image}' is not pinned by digest (`@sha256:`), so whoever can "
                    "push that tag decides what the job runs.",
                )


def _images_of(source: _Source, context: YMap) -> Iterator[tuple[str, Location, str]]:
    image = context.get("image")
    if isinstance(image, str) and image.strip():
        yield image, source.value_at(context, "image"), "Image"
    elif isinstance(image, YMap) and isinstance(image.get("name"), str) and image["name"].strip():
        yield image["name"], source.value_at(image, "name"), "Image"
    services = context.get("services")
    if isinstance(services, YSeq):
        for index, service in enumerate(services):
            if isinstance(service, str) and service.strip():
                yield service, source.at(services.item_mark(index)), "Service image"
            elif isinstance(service, YMap) and isinstance(service.get("name"), str):
                yield service["name"], source.value_at(service, "name"), "Service image"


# --------------------------------------------------------------------------------------
# Deploy jobs, branches, verification
# --------------------------------------------------------------------------------------


def _deploy(
    job: _JobView, jobs: list[_JobView], stage_order: dict[str, int], out: _Results
) -> None:
    environment = _environment(job)
    if environment is not None and not environment.deploys:
        return
    reasons: list[str] = []
    if environment is not None:
        reasons.append(f"environment {environment.name or '(unnamed)'}")
    reasons.extend(
        dict.fromkeys(
            detail for line in job.lines for kind, detail in line.recognised if kind is K.DEPLOY
        )
    )
    stage = job.stage()
    if _DEPLOY_STAGE_WORDS.intersection(re.split(r"[^a-z0-9]+", stage.lower())):
        reasons.append(f"stage {stage}")
    if not reasons:
        return
    if environment is None:
        out.finding(
            DEPLOY_WITHOUT_ENVIRONMENT, Severity.MEDIUM, job.location,
            f"Job '{job.name}' deploys ({'; '.join(reasons)}) without `environment:`, so "
            "GitLab records no deployment and protected-environment approvals cannot apply.",
        )
    out.deploy_jobs.append(
        DeployJob(
            job=job.id,
            location=job.location,
            detail="; ".join(reasons),
            environment=environment.name if environment else None,
            verification=_verification(job, jobs, stage_order),
            branches=_branches(job),
        )
    )


def _verify_lines(job: _JobView) -> list[tuple[int, Location]]:
    return [
        (index, line.location)
        for index, line in enumerate(job.lines)
        if line.section != "after_script" and line.does(K.VERIFY_SIGNATURE)
    ]


def _verification(
    job: _JobView, jobs: list[_JobView], stage_order: dict[str, int]
) -> Location | None:
    """A signature check that has run by the time the job deploys, if any."""
    first_deploy = next(
        (index for index, line in enumerate(job.lines) if line.does(K.DEPLOY)), None
    )
    for index, location in _verify_lines(job):
        if first_deploy is None or index < first_deploy:
            return location
    by_name = {other.name: other for other in jobs}
    needs = job.value("needs")
    earlier: list[_JobView] = []
    if isinstance(needs, list):
        # With `needs:` the job starts as soon as those jobs finish, not after the stage.
        for need in needs:
            name = need.get("job") if isinstance(need, dict) else need
            if isinstance(name, str) and name in by_name:
                earlier.append(by_name[name])
    else:
        for name in _names(job.value("dependencies")):
            if name in by_name:
                earlier.append(by_name[name])
        position = stage_order.get(job.stage())
        if position is not None:
            earlier.extend(
                other for other in jobs
                if stage_order.get(other.stage(), position) < position
            )
    for other in earlier:
        lines = _verify_lines(other)
        if lines:
            return lines[0][1]
    return None


_BRANCH_VARIABLE = re.compile(r"^\$\{?(?:CI_COMMIT_BRANCH|CI_COMMIT_REF_NAME)\}?$")
_OPERAND = r"\"[^\"]*\"|'[^']*'|\$\{?\w+\}?|/(?:\\.|[^/\\])*/[a-z]*"
_COMPARISON = re.compile(rf"({_OPERAND})\s*(==|=~)\s*({_OPERAND})")
_TAG_ONLY = re.compile(r"\$\{?CI_COMMIT_TAG\}?(?!\s*==\s*null)")


def _branches(job: _JobView) -> tuple[str, ...]:
    """Branches the job runs for, as its `rules:` or `only:` show; `*` for any."""
    rules = job.value("rules")
    found: list[str] = []
    if isinstance(rules, list):
        for rule in rules:
            if not isinstance(rule, dict) or rule.get("when") == "never":
                continue
            condition = rule.get("if")
            found.extend(_condition_branches(condition) if isinstance(condition, str) else ["*"])
    else:
        only = job.value("only")
        if isinstance(only, dict):
            only = only.get("refs", None if only else [])
        if only is None:
            return ("*",)
        for entry in [only] if isinstance(only, str) else _names(only):
            # `ref@group/project` limits the ref to one project (not to its forks).
            regex = re.match(r"^(/.*/[a-z]*)(?:@[\w./-]+)?$", entry)
            ref = regex.group(1) if regex else entry.split("@", 1)[0]
            if ref == "tags":
                continue
            found.append("*" if ref == "branches" or ref in _ONLY_SOURCES else ref)
    if "*" in found:
        return ("*",)
    return tuple(dict.fromkeys(found))


def _condition_branches(condition: str) -> list[str]:
    found: list[str] = []
    for alternative in condition.split("||"):
        branches = []
        for match in _COMPARISON.finditer(alternative):
            left, _, right = match.groups()
            for variable, other in ((left, right), (right, left)):
                if _BRANCH_VARIABLE.match(variable) and not _BRANCH_VARIABLE.match(other):
                    branches.append(_operand_text(other))
        if branches:
            found.extend(branches)
        elif not (_TAG_ONLY.search(alternative) and "CI_COMMIT_BRANCH" not in alternative):
            found.append("*")
    return found


def _operand_text(operand: str) -> str:
    if operand[:1] in "\"'":
        return operand[1:-1]
    if operand.startswith("$"):
        return "$" + operand.strip("${}")
    return operand


# --------------------------------------------------------------------------------------
# Artifact retention
# --------------------------------------------------------------------------------------


def _retention(job: _JobView, out: _Results) -> None:
    found = job.find_in("artifacts", "expire_in")
    if found is None:
        return
    value, source, node = found
    location = source.value_at(node, "expire_in")
    days = parse_expire_in(value)
    if days is None:
        out.notes.append(f"{location}: expire_in {value!r} is not a GitLab duration")
        return
    out.retention[location] = days


def _duration_seconds(text: str) -> float | None:
    number = r"[0-9]*\.?[0-9]+"
    compact = text.replace(" ", "")
    if re.fullmatch(rf"{number}(?::{number})+", compact):
        parts = compact.split(":")[::-1]
        if len(parts) > len(_COLON_UNITS):
            return None
        return sum(float(p) * unit for p, unit in zip(parts, _COLON_UNITS, strict=False))
    words = re.sub(number, lambda m: f" {m.group(0)} ", text).split()
    tokens: list[str] = []
    for word in words:
        word = word.strip(",")
        if not word or word in _DURATION_JOIN_WORDS:
            continue
        if re.fullmatch(number, word) or word in _DURATION_UNITS:
            tokens.append(word)
        else:
            return None
    if not tokens:
        return None
    if tokens[0] in _DURATION_UNITS:
        tokens.insert(0, "1")
    seconds = 0.0
    for index, token in enumerate(tokens):
        if re.fullmatch(number, token):
            unit = tokens[index + 1] if index + 1 < len(tokens) else "s"
            seconds += float(token) * _DURATION_UNITS.get(unit, 0)
    return seconds


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


@dataclass
class _Results:
    cloud: dict[tuple[str, CloudMethod, Location], CloudAccess] = field(default_factory=dict)
    findings: dict[tuple[str, Location], Finding] = field(default_factory=dict)
    capabilities: list[Capability] = field(default_factory=list)
    deploy_jobs: list[DeployJob] = field(default_factory=list)
    retention: dict[Location, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def cloud_access(
        self, provider: str, method: CloudMethod, location: Location, detail: str
    ) -> None:
        self.cloud.setdefault(
            (provider, method, location), CloudAccess(provider, method, location, detail)
        )

    def finding(self, rule: _Rule, severity: Severity, location: Location, message: str) -> None:
        self.findings.setdefault(
            (rule.id, location),
            Finding(
                rule=rule.id, message=message, severity=severity, location=location,
                help_uri=rule.help_uri, source="evidencepack",
            ),
        )


def _finding_order(finding: Finding) -> tuple[Location, str]:
    assert finding.location is not None
    return finding.location, finding.rule
