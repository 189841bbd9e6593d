"""Recognising what a step does: run tests, scan dependencies, sign, verify, deploy.

One table for both platforms: GitHub steps are matched by action (`uses:`) and by their
`run:` script; GitLab jobs by image, script and included templates. Matching is on whole
command words so `pytest-cov` in a pip install line does not count as running tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import CapabilityKind

K = CapabilityKind


@dataclass(frozen=True)
class _Pattern:
    kind: CapabilityKind
    regex: re.Pattern[str]
    detail: str


# A command starts a line, follows a shell separator or a wrapper such as `uv run`, and may
# be called by a path (`.venv/bin/pytest`, `./node_modules/.bin/jest`).
_COMMAND_START = re.compile(
    r"(?:^|[;&|(`]|\$\(|\b(?:uv|poetry|pipenv|pdm|hatch|rye|npx|bundle|pnpm|yarn|bun)"
    r"\s+(?:run|exec)\s+|\b(?:exec|xargs|sudo|then|do|time)\s+)\s*(?:[\w.~-]*/)*",
    re.MULTILINE,
)


def _cmd(kind: CapabilityKind, pattern: str, detail: str) -> _Pattern:
    return _Pattern(kind, re.compile(pattern, re.MULTILINE), detail)


_COMMANDS: tuple[_Pattern, ...] = (
    # Tests
    _cmd(K.TESTS, r"(?:python3?\s+-m\s+)?pytest\b", "pytest"),
    _cmd(K.TESTS, r"(?:python3?\s+-m\s+)?(?:tox|nox)\b", "tox/nox"),
    _cmd(K.TESTS, r"python3?\s+-m\s+unittest\b", "unittest"),
    _cmd(K.TESTS, r"(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test\b", "npm test"),
    _cmd(K.TESTS, r"(?:npx\s+)?(?:jest|vitest|mocha|playwright\s+test)\b", "javascript tests"),
    _cmd(K.TESTS, r"go\s+test\b", "go test"),
    _cmd(K.TESTS, r"gotestsum\b", "gotestsum"),
    _cmd(K.TESTS, r"cargo\s+(?:test|nextest)\b", "cargo test"),
    _cmd(K.TESTS, r"(?:\./)?(?:mvnw?|gradlew?)\b[^\n]*\b(?:test|verify|check|build)\b", "maven/gradle"),
    _cmd(K.TESTS, r"dotnet\s+test\b", "dotnet test"),
    _cmd(K.TESTS, r"(?:bundle\s+exec\s+)?(?:rspec|rake\s+test)\b", "ruby tests"),
    _cmd(K.TESTS, r"(?:make|ninja|meson)\s+(?:[^\n;&|]*\s)?(?:test|check)\b", "make test"),
    _cmd(K.TESTS, r"ctest\b", "ctest"),
    _cmd(K.TESTS, r"(?:vendor/bin/)?phpunit\b", "phpunit"),
    _cmd(K.TESTS, r"mix\s+test\b", "mix test"),
    _cmd(K.TESTS, r"swift\s+test\b", "swift test"),
    # Dependency scanning
    _cmd(K.DEPENDENCY_SCAN, r"trivy\s+(?:fs|filesystem|repo|repository|image|rootfs|sbom)\b",
         "trivy"),
    _cmd(K.DEPENDENCY_SCAN, r"grype\b", "grype"),
    _cmd(K.DEPENDENCY_SCAN, r"osv-scanner\b", "osv-scanner"),
    _cmd(K.DEPENDENCY_SCAN, r"pip-audit\b", "pip-audit"),
    _cmd(K.DEPENDENCY_SCAN, r"safety\s+(?:check|scan)\b", "safety"),
    _cmd(K.DEPENDENCY_SCAN, r"(?:npm|pnpm|yarn)\s+audit\b", "npm audit"),
    _cmd(K.DEPENDENCY_SCAN, r"cargo\s+(?:audit|deny)\b", "cargo audit"),
    _cmd(K.DEPENDENCY_SCAN, r"govulncheck\b", "govulncheck"),
    _cmd(K.DEPENDENCY_SCAN, r"bundle[-\s]audit\b", "bundler-audit"),
    _cmd(K.DEPENDENCY_SCAN, r"snyk\s+test\b", "snyk"),
    _cmd(K.DEPENDENCY_SCAN, r"dependency-check(?:\.sh)?\b", "OWASP dependency-check"),
    _cmd(K.DEPENDENCY_SCAN, r"evidencepack\s+scan\s+deps\b", "evidencepack scan deps"),
    _cmd(K.DEPENDENCY_SCAN, r"evidencepack\s+run\b[^\n]*--(?:osv-db|online)\b",
         "evidencepack run with advisory data"),
    # Secret scanning
    _cmd(K.SECRET_SCAN, r"gitleaks\b", "gitleaks"),
    _cmd(K.SECRET_SCAN, r"betterleaks\b", "betterleaks"),
    _cmd(K.SECRET_SCAN, r"trufflehog\b", "trufflehog"),
    _cmd(K.SECRET_SCAN, r"detect-secrets(?:-hook)?\b", "detect-secrets"),
    _cmd(K.SECRET_SCAN, r"trivy\s+\w+\s+[^\n]*--scanners\s+[\w,]*secret", "trivy secret"),
    _cmd(K.SECRET_SCAN, r"ggshield\s+secret\b", "ggshield"),
    _cmd(K.SECRET_SCAN, r"evidencepack\s+scan\s+secrets\b", "evidencepack scan secrets"),
    _cmd(K.SECRET_SCAN, r"evidencepack\s+run\b", "evidencepack run (scans the change)"),
    # SBOM
    _cmd(K.SBOM, r"syft\b", "syft"),
    _cmd(K.SBOM, r"cyclonedx-(?:py|npm|gomod|bom)\b", "cyclonedx"),
    _cmd(K.SBOM, r"cdxgen\b", "cdxgen"),
    _cmd(K.SBOM, r"trivy\s+\w+\s+[^\n]*--format\s+(?:cyclonedx|spdx)", "trivy sbom"),
    _cmd(K.SBOM, r"docker\s+(?:sbom|buildx\s+build\s+[^\n]*--sbom)\b", "docker sbom"),
    _cmd(K.SBOM, r"evidencepack\s+scan\s+deps\s+[^\n]*--format\s+cyclonedx", "evidencepack sbom"),
    _cmd(K.SBOM, r"evidencepack\s+run\b", "evidencepack run (SBOM in the pack)"),
    # Signing
    _cmd(K.SIGNING, r"cosign\s+(?:sign|sign-blob|attest|attest-blob)\b", "cosign"),
    _cmd(K.SIGNING, r"evidencepack\s+run\b[^\n]*--artifact\b", "evidencepack run --artifact"),
    _cmd(K.SIGNING, r"gpg\s+[^\n]*--(?:detach-sign|sign|clearsign)\b", "gpg"),
    _cmd(K.SIGNING, r"notation\s+sign\b", "notation"),
    _cmd(K.SIGNING, r"(?:python3?\s+-m\s+)?sigstore\s+(?:sign|attest)\b", "sigstore"),
    _cmd(K.SIGNING, r"gh\s+attestation\s+sign\b", "gh attestation"),
    # Verification before deploy
    _cmd(K.VERIFY_SIGNATURE, r"cosign\s+verify(?:-blob|-attestation|-blob-attestation)?\b",
         "cosign verify"),
    _cmd(K.VERIFY_SIGNATURE, r"gh\s+attestation\s+verify\b", "gh attestation verify"),
    _cmd(K.VERIFY_SIGNATURE, r"evidencepack\s+verify(?:-artifact)?\b", "evidencepack verify"),
    _cmd(K.VERIFY_SIGNATURE, r"evidencepack\s+run\b[^\n]*--verified-pack\b",
         "evidencepack run --verified-pack"),
    _cmd(K.VERIFY_SIGNATURE, r"notation\s+verify\b", "notation verify"),
    _cmd(K.VERIFY_SIGNATURE, r"slsa-verifier\s+verify", "slsa-verifier"),
    _cmd(K.VERIFY_SIGNATURE, r"(?:python3?\s+-m\s+)?sigstore\s+verify\b", "sigstore verify"),
    _cmd(K.VERIFY_SIGNATURE, r"gpg\s+[^\n]*--verify\b", "gpg verify"),
    # Deploys
    _cmd(K.DEPLOY, r"kubectl\s+(?:apply|rollout|set\s+image|replace|create)\b", "kubectl"),
    _cmd(K.DEPLOY, r"helm\s+(?:upgrade|install)\b", "helm"),
    _cmd(K.DEPLOY, r"terraform\s+apply\b", "terraform apply"),
    _cmd(K.DEPLOY, r"tofu\s+apply\b", "tofu apply"),
    _cmd(K.DEPLOY, r"pulumi\s+up\b", "pulumi up"),
    _cmd(K.DEPLOY, r"aws\s+(?:ecs\s+update-service|lambda\s+update-function-code|s3\s+sync"
         r"|cloudformation\s+deploy|deploy\s+create-deployment)\b", "aws deploy"),
    _cmd(K.DEPLOY, r"(?:sam|cdk|serverless|sls)\s+deploy\b", "serverless deploy"),
    _cmd(K.DEPLOY, r"gcloud\s+(?:run\s+deploy|app\s+deploy|functions\s+deploy)\b",
         "gcloud deploy"),
    _cmd(K.DEPLOY, r"az\s+(?:webapp|functionapp|containerapp)\s+(?:deploy|up|update)\b",
         "az deploy"),
    _cmd(K.DEPLOY, r"(?:fly|flyctl)\s+deploy\b", "fly deploy"),
    _cmd(K.DEPLOY, r"(?:vercel|netlify)\s+deploy\b|vercel\s+--prod\b", "vercel/netlify"),
    _cmd(K.DEPLOY, r"heroku\s+(?:container:release|releases)\b", "heroku"),
    _cmd(K.DEPLOY, r"ansible-playbook\b", "ansible-playbook"),
    # A dry run publishes nothing.
    _cmd(K.DEPLOY, r"(?:twine\s+upload|npm\s+publish|cargo\s+publish|gem\s+push"
         r"|poetry\s+publish|uv\s+publish)\b(?![^\n]*--dry-run)", "package publish"),
)

# Actions: matched on `owner/repo[/path]` before the `@ref`, case-insensitively.
_ACTIONS: tuple[tuple[CapabilityKind, re.Pattern[str], str], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE), detail)
    for kind, pattern, detail in (
        (K.DEPENDENCY_SCAN, r"^aquasecurity/trivy-action$", "aquasecurity/trivy-action"),
        (K.DEPENDENCY_SCAN, r"^anchore/scan-action$", "anchore/scan-action (grype)"),
        (K.DEPENDENCY_SCAN, r"^google/osv-scanner-action(?:/.*)?$", "osv-scanner action"),
        (K.DEPENDENCY_SCAN, r"^pypa/gh-action-pip-audit$", "pip-audit action"),
        (K.DEPENDENCY_SCAN, r"^actions/dependency-review-action$", "dependency-review"),
        (K.DEPENDENCY_SCAN, r"^snyk/actions(?:/.*)?$", "snyk"),
        (K.DEPENDENCY_SCAN, r"^github/codeql-action/analyze$", "CodeQL"),
        (K.DEPENDENCY_SCAN, r"^dependency-check/dependency-check_action$", "dependency-check"),
        (K.DEPENDENCY_SCAN, r"^golang/govulncheck-action$", "govulncheck action"),
        (K.DEPENDENCY_SCAN, r"^rustsec/audit-check$", "cargo audit action"),
        (K.SECRET_SCAN, r"^gitleaks/gitleaks-action$", "gitleaks action"),
        (K.SECRET_SCAN, r"^evidencepack/evidencepack$", "evidencepack action (scans the change)"),
        (K.SBOM, r"^evidencepack/evidencepack$", "evidencepack action (SBOM in the pack)"),
        (K.SECRET_SCAN, r"^trufflesecurity/trufflehog(?:/.*)?$", "trufflehog action"),
        (K.SECRET_SCAN, r"^gitguardian/ggshield-action$", "ggshield action"),
        (K.SBOM, r"^anchore/sbom-action(?:/.*)?$", "anchore/sbom-action (syft)"),
        (K.SBOM, r"^cyclonedx/gh-[\w-]+-generate-sbom$", "CycloneDX action"),
        (K.SBOM, r"^actions/attest-sbom$", "actions/attest-sbom"),
        (K.SIGNING, r"^sigstore/cosign-installer$", "cosign-installer"),
        (K.SIGNING, r"^actions/attest-build-provenance$", "actions/attest-build-provenance"),
        (K.SIGNING, r"^actions/attest$", "actions/attest"),
        (K.SIGNING, r"^actions/attest-sbom$", "actions/attest-sbom"),
        (K.SIGNING, r"^sigstore/gh-action-sigstore-python$", "sigstore python action"),
        (K.SIGNING, r"^slsa-framework/slsa-github-generator(?:/.*)?$", "SLSA generator"),
        (K.SIGNING, r"^pypa/gh-action-pypi-publish$", "PyPI trusted publishing attestations"),
        (K.VERIFY_SIGNATURE, r"^slsa-framework/slsa-verifier(?:/.*)?$", "slsa-verifier"),
        (K.DEPLOY, r"^aws-actions/amazon-ecs-deploy-task-definition$", "ECS deploy"),
        (K.DEPLOY, r"^aws-actions/aws-cloudformation-github-deploy$", "CloudFormation deploy"),
        (K.DEPLOY, r"^google-github-actions/deploy-[\w-]+$", "Google Cloud deploy"),
        (K.DEPLOY, r"^azure/(?:webapps-deploy|functions-action|k8s-deploy|container-apps-deploy-action)$",
         "Azure deploy"),
        (K.DEPLOY, r"^actions/deploy-pages$", "GitHub Pages deploy"),
        (K.DEPLOY, r"^peaceiris/actions-gh-pages$", "GitHub Pages deploy"),
        (K.DEPLOY, r"^pypa/gh-action-pypi-publish$", "PyPI publish"),
        (K.DEPLOY, r"^superfly/flyctl-actions(?:/.*)?$", "fly deploy"),
        (K.DEPLOY, r"^amondnet/vercel-action$", "vercel deploy"),
        (K.DEPLOY, r"^akhileshns/heroku-deploy$", "heroku deploy"),
        (K.FAILURE_ALERT, r"^slackapi/slack-github-action$", "Slack notification"),
        (K.FAILURE_ALERT, r"^8398a7/action-slack$", "Slack notification"),
        (K.FAILURE_ALERT, r"^rtCamp/action-slack-notify$", "Slack notification"),
        (K.FAILURE_ALERT, r"^dawidd6/action-send-mail$", "mail notification"),
        (K.FAILURE_ALERT, r"^jayqi/failed-build-issue-action$", "issue on failure"),
    )
)

# GitLab templates (`include: template:` or `component:`) that give a capability.
_GITLAB_TEMPLATES: tuple[tuple[CapabilityKind, re.Pattern[str], str], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE), detail)
    for kind, pattern, detail in (
        (K.SECRET_SCAN, r"(?:^|/)Secret-Detection(?:\.latest)?\.gitlab-ci\.yml$",
         "GitLab Secret-Detection template"),
        (K.SECRET_SCAN, r"/components/secret-detection/", "GitLab secret-detection component"),
        (K.SECRET_SCAN, r"(?:^|/)evidencepack\.gitlab-ci\.yml$", "evidencepack template"),
        (K.SBOM, r"(?:^|/)evidencepack\.gitlab-ci\.yml$", "evidencepack template (SBOM)"),
        (K.DEPENDENCY_SCAN, r"(?:^|/)Dependency-Scanning(?:\.latest|\.v2)?\.gitlab-ci\.yml$",
         "GitLab Dependency-Scanning template"),
        (K.DEPENDENCY_SCAN, r"(?:^|/)Container-Scanning(?:\.latest)?\.gitlab-ci\.yml$",
         "GitLab Container-Scanning template"),
        (K.DEPENDENCY_SCAN, r"/components/(?:dependency-scanning|container-scanning)/",
         "GitLab scanning component"),
        (K.SBOM, r"(?:^|/)Dependency-Scanning(?:\.latest|\.v2)?\.gitlab-ci\.yml$",
         "GitLab Dependency-Scanning template (CycloneDX reports)"),
        (K.SBOM, r"/components/dependency-scanning/", "GitLab dependency-scanning component"),
    )
)


# Every command pattern at once: most command starts match none, and one C-level attempt
# rules them out before the patterns are tried one by one (this runs on every step).
_ANY_COMMAND = re.compile("|".join(f"(?:{p.regex.pattern})" for p in _COMMANDS), re.MULTILINE)


def recognise_script(script: str) -> list[tuple[CapabilityKind, str, int]]:
    """Capabilities a shell script gives: (kind, detail, 0-based line offset in the script)."""
    first: dict[int, int] = {}
    for start in _COMMAND_START.finditer(script):
        position = start.end()
        if _ANY_COMMAND.match(script, position) is None:
            continue
        for index, pattern in enumerate(_COMMANDS):
            if index not in first and pattern.regex.match(script, position):
                first[index] = position
    seen: set[tuple[CapabilityKind, str]] = set()
    found: list[tuple[CapabilityKind, str, int]] = []
    for index in sorted(first):
        pattern = _COMMANDS[index]
        if (pattern.kind, pattern.detail) in seen:
            continue
        seen.add((pattern.kind, pattern.detail))
        found.append((pattern.kind, pattern.detail, script.count("\n", 0, first[index])))
    return found


def action_name(uses: str) -> str:
    """`owner/repo/path@ref` -> `owner/repo/path`; docker and local actions unchanged."""
    if uses.startswith(("docker://", "./")):
        return uses
    return uses.split("@", 1)[0]


def recognise_action(uses: str) -> list[tuple[CapabilityKind, str]]:
    """Capabilities a `uses:` reference gives."""
    name = action_name(uses)
    return [(kind, detail) for kind, regex, detail in _ACTIONS if regex.match(name)]


def recognise_gitlab_template(reference: str) -> list[tuple[CapabilityKind, str]]:
    """Capabilities a GitLab `include:` template or component gives."""
    return [(kind, detail) for kind, regex, detail in _GITLAB_TEMPLATES if regex.search(reference)]


def recognise_image(image: str) -> list[tuple[CapabilityKind, str]]:
    """Capabilities implied by a job's container image (scanner images run their tool)."""
    lowered = image.lower()
    table = (
        (K.SECRET_SCAN, ("gitleaks", "trufflehog", "secrets:")),
        (K.DEPENDENCY_SCAN, ("aquasec/trivy", "anchore/grype", "osv-scanner", "gemnasium",
                             "dependency-scanning")),
        (K.SBOM, ("anchore/syft", "cyclonedx/cdxgen")),
    )
    return [
        (kind, image)
        for kind, needles in table
        if any(needle in lowered for needle in needles)
    ]
