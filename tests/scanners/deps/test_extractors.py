"""Every lockfile format, read from real-world shaped fixtures: exact component lists."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from evidencepack.scanners.deps.inventory import build_inventory
from evidencepack.scanners.deps.model import Component, LockfileResult

from .conftest import LOCKFILES

# (case folder, lockfile, format, [(purl without qualifiers, direct, scope)])
EXPECTED: list[tuple[str, str, str, list[tuple[str, bool | None, str | None]]]] = [
    ("cargo", "Cargo.lock", "Cargo.lock", [
        ("pkg:cargo/cfg-if@1.0.0", True, None),
        ("pkg:cargo/log@0.4.21", True, None),
        ("pkg:cargo/rand@0.7.3", True, None),
        ("pkg:cargo/rand@0.8.5", True, None),
        ("pkg:cargo/tiny-git@0.3.0", True, None),
    ]),
    ("composer", "composer.lock", "composer.lock", [
        ("pkg:composer/phpunit/phpunit@10.5.17", True, "dev"),
        ("pkg:composer/psr/container@2.0.2", False, None),
        ("pkg:composer/symfony/console@v6.4.6", True, None),
    ]),
    ("gemfile", "Gemfile.lock", "Gemfile.lock", [
        ("pkg:gem/concurrent-ruby@1.2.3", False, None),
        ("pkg:gem/nokogiri@1.16.4", True, None),
        ("pkg:gem/racc@1.7.3", False, None),
        ("pkg:gem/rack@3.0.10", False, None),
        ("pkg:gem/rspec@3.13.0", True, None),
        ("pkg:gem/sprockets@4.2.1", True, None),
    ]),
    ("go-legacy", "go.mod", "go.mod", [
        ("pkg:golang/github.com/sirupsen/logrus@v1.8.1", True, None),
        ("pkg:golang/golang.org/x/sys@v0.0.0-20191026070338-33540a1f6037", False, None),
    ]),
    ("go-modern", "go.mod", "go.mod", [
        ("pkg:golang/github.com/gin-gonic/gin@v1.9.1", True, None),
        ("pkg:golang/github.com/google/uuid@v1.6.0", True, None),
        ("pkg:golang/github.com/pkg/errors@v0.9.1", True, None),
        ("pkg:golang/golang.org/x/net@v0.23.0", False, None),
        ("pkg:golang/gopkg.in/yaml.v3@v3.0.1", False, None),
    ]),
    ("gradle", "gradle.lockfile", "gradle.lockfile", [
        ("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.17.0", None, None),
        ("pkg:maven/com.google.guava/guava@33.1.0-jre", None, None),
        ("pkg:maven/junit/junit@4.13.2", None, "dev"),
        ("pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", None, None),
    ]),
    ("maven", "pom.xml", "pom.xml", [
        ("pkg:maven/com.acme/orders-api@1.4.0", True, None),
        ("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.17.0", True, None),
        ("pkg:maven/com.google.guava/guava@33.1.0-jre", True, None),
        ("pkg:maven/junit/junit@4.13.2", True, "dev"),
        ("pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", True, None),
    ]),
    ("npm-v1", "package-lock.json", "package-lock.json v1", [
        ("pkg:npm/debug@2.6.9", False, None),
        ("pkg:npm/debug@4.3.3", False, "dev"),
        ("pkg:npm/express@4.17.1", True, None),
        ("pkg:npm/lodash@4.17.21", True, None),
        ("pkg:npm/mocha@9.2.2", True, "dev"),
        ("pkg:npm/ms@2.0.0", False, None),
        ("pkg:npm/ms@2.1.2", False, "dev"),
    ]),
    ("npm-v2-workspaces", "package-lock.json", "package-lock.json v2", [
        ("pkg:npm/%40types/react@18.2.79", True, "dev"),
        ("pkg:npm/is-even@1.0.0", True, None),
        ("pkg:npm/is-odd@0.1.2", False, None),
        ("pkg:npm/loose-envify@1.4.0", False, None),
        ("pkg:npm/react@17.0.2", True, None),
        ("pkg:npm/react@18.2.0", False, None),
        ("pkg:npm/string-width@4.2.3", True, None),
        ("pkg:npm/string-width@5.1.2", False, None),
        ("pkg:npm/typescript@5.4.5", True, "dev"),
    ]),
    ("npm-v3", "package-lock.json", "package-lock.json v3", [
        ("pkg:npm/%40babel/runtime@7.24.4", True, None),
        ("pkg:npm/fsevents@2.3.3", True, "optional"),
        ("pkg:npm/lru-cache@6.0.0", False, None),
        ("pkg:npm/regenerator-runtime@0.14.1", False, None),
        ("pkg:npm/semver@7.6.0", True, None),
        ("pkg:npm/yallist@4.0.0", False, None),
    ]),
    ("nuget", "packages.lock.json", "packages.lock.json", [
        ("pkg:nuget/Newtonsoft.Json@13.0.3", True, None),
        ("pkg:nuget/Serilog@3.1.1", False, None),
        ("pkg:nuget/Serilog.Sinks.Console@5.0.1", True, None),
    ]),
    ("pdm", "pdm.lock", "pdm.lock", [
        ("pkg:pypi/click@8.1.7", True, None),
        ("pkg:pypi/colorama@0.4.6", False, None),
        ("pkg:pypi/pytest@8.1.1", True, "dev"),
    ]),
    ("pipfile", "Pipfile.lock", "Pipfile.lock", [
        ("pkg:pypi/pytest@8.1.1", None, "dev"),
        ("pkg:pypi/pyyaml@6.0.1", None, None),
    ]),
    ("pnpm-v5", "pnpm-lock.yaml", "pnpm-lock.yaml v5.4", [
        ("pkg:npm/%40testing-library/react@12.1.5", True, "dev"),
        ("pkg:npm/js-tokens@4.0.0", False, None),
        ("pkg:npm/loose-envify@1.4.0", False, None),
        ("pkg:npm/react@17.0.2", True, None),
        ("pkg:npm/react-dom@17.0.2", True, None),
    ]),
    ("pnpm-v6", "pnpm-lock.yaml", "pnpm-lock.yaml v6.0", [
        ("pkg:npm/axios@1.6.8", True, None),
        ("pkg:npm/follow-redirects@1.15.6", False, None),
        ("pkg:npm/qs@6.12.1", True, None),
        ("pkg:npm/tiny-utils@1.0.0", True, None),
        ("pkg:npm/vitest@1.5.0", True, "dev"),
    ]),
    ("pnpm-v9", "pnpm-lock.yaml", "pnpm-lock.yaml v9.0", [
        ("pkg:npm/%40vue/shared@3.4.23", True, None),
        ("pkg:npm/typescript@5.4.5", True, "dev"),
        ("pkg:npm/vue@3.4.23", True, None),
    ]),
    ("poetry-v1", "poetry.lock", "poetry.lock", [
        ("pkg:pypi/certifi@2023.7.22", False, None),
        ("pkg:pypi/flask@2.3.3", True, None),
        ("pkg:pypi/itsdangerous@2.1.2", False, None),
        ("pkg:pypi/pytest@7.4.2", True, "dev"),
        ("pkg:pypi/werkzeug@2.3.7", False, None),
    ]),
    ("poetry-v2", "poetry.lock", "poetry.lock", [
        ("pkg:pypi/colorama@0.4.6", False, "dev"),
        ("pkg:pypi/pydantic@2.6.4", True, "optional"),
        ("pkg:pypi/pytest@8.1.1", True, "dev"),
        ("pkg:pypi/requests-toolbelt@1.0.0", True, None),
        ("pkg:pypi/typing-extensions@4.10.0", False, "optional"),
    ]),
    ("requirements-compiled", "requirements.txt", "requirements.txt", [
        ("pkg:pypi/certifi@2024.2.2", False, None),
        ("pkg:pypi/charset-normalizer@3.3.2", False, None),
        ("pkg:pypi/django@4.2.11", True, None),
        ("pkg:pypi/idna@3.6", False, None),
        ("pkg:pypi/pywin32@306", True, None),
        ("pkg:pypi/requests@2.31.0", True, None),
        ("pkg:pypi/urllib3@2.2.1", False, None),
    ]),
    ("requirements-include", "requirements-dev.txt", "requirements.txt", [
        ("pkg:pypi/flask@3.0.2", None, None),
        ("pkg:pypi/itsdangerous@2.1.2", None, None),
        ("pkg:pypi/jinja2@3.1.3", None, None),
        ("pkg:pypi/markupsafe@2.1.5", None, None),
        ("pkg:pypi/pytest@8.1.1", None, None),
    ]),
    ("requirements-include", "requirements.txt", "requirements.txt", [
        ("pkg:pypi/flask@3.0.2", None, None),
        ("pkg:pypi/itsdangerous@2.1.2", None, None),
        ("pkg:pypi/jinja2@3.1.3", None, None),
        ("pkg:pypi/markupsafe@2.1.5", None, None),
    ]),
    ("requirements-unpinned", "requirements.txt", "requirements.txt", [
        ("pkg:pypi/six@1.16.0", None, None),
    ]),
    ("uv", "uv.lock", "uv.lock", [
        ("pkg:pypi/anyio@4.3.0", True, None),
        ("pkg:pypi/httpx@0.27.0", True, None),
        ("pkg:pypi/idna@3.7", False, None),
        ("pkg:pypi/ruff@0.4.1", True, "dev"),
        ("pkg:pypi/sniffio@1.3.1", False, None),
    ]),
    ("yarn-berry", "yarn.lock", "yarn.lock berry (v8)", [
        ("pkg:npm/fast-json-stringify@5.14.1", False, None),
        ("pkg:npm/fastify@4.26.2", True, None),
        ("pkg:npm/resolve@1.22.8", True, None),
        ("pkg:npm/typescript@5.4.5", True, None),
        ("pkg:npm/utils@2.1.0", False, None),
    ]),
    ("yarn-classic", "yarn.lock", "yarn.lock v1", [
        ("pkg:npm/ansi-styles@4.3.0", False, None),
        ("pkg:npm/chalk@4.1.2", True, None),
        ("pkg:npm/color-convert@2.0.1", False, None),
        ("pkg:npm/has-flag@4.0.0", False, None),
        ("pkg:npm/left-pad@1.3.0", True, "dev"),  # only in devDependencies of package.json
        ("pkg:npm/lodash@4.17.21", True, None),
        ("pkg:npm/supports-color@7.2.0", False, None),
    ]),
]


def _lockfile(case: str, path: str) -> LockfileResult:
    inventory = build_inventory(LOCKFILES / case)
    return next(lf for lf in inventory.lockfiles if lf.path == path)


def _component(case: str, path: str, purl: str) -> Component:
    return next(c for c in _lockfile(case, path).components if c.purl.split("?")[0] == purl)


@pytest.mark.parametrize(("case", "path", "fmt", "expected"), EXPECTED,
                         ids=[f"{e[0]}/{e[1]}" for e in EXPECTED])
def test_components_of_each_format(case: str, path: str, fmt: str,
                                   expected: list[tuple[str, bool | None, str | None]]) -> None:
    result = _lockfile(case, path)
    assert result.error is None
    assert result.format == fmt
    got = [(c.purl.split("?")[0], c.direct, c.scope) for c in result.components]
    assert got == expected


def test_every_fixture_case_is_in_the_table() -> None:
    assert {case for case, *_ in EXPECTED} == {p.name for p in LOCKFILES.iterdir() if p.is_dir()}


def _sri_hex(label: str) -> str:
    # The fixtures' integrity values are SHA-512 digests of a label, in SRI base64.
    return hashlib.sha512(label.encode()).hexdigest()


def test_npm_integrity_becomes_a_sha512_hash() -> None:
    c = _component("npm-v3", "package-lock.json", "pkg:npm/semver@7.6.0")
    assert c.hashes == (("SHA-512", _sri_hex("semver-7.6.0")),)
    # sha1 SRI of npm 5 era lockfiles
    ms = _component("npm-v1", "package-lock.json", "pkg:npm/ms@2.0.0")
    assert ms.hashes == (("SHA-1", "5608aeadfc00be6c2901df5f9861788de0d597c8"),)


def test_npm_aliases_name_the_real_package() -> None:
    lodash = _component("npm-v1", "package-lock.json", "pkg:npm/lodash@4.17.21")
    assert lodash.name == "lodash"
    cjs = _component("npm-v2-workspaces", "package-lock.json", "pkg:npm/string-width@4.2.3")
    assert cjs.direct is True  # `string-width-cjs: npm:string-width@^4` of a workspace member
    qs = _component("pnpm-v6", "pnpm-lock.yaml", "pkg:npm/qs@6.12.1")
    assert qs.direct is True


def test_npm_git_dependency_keeps_its_origin_and_no_fake_hash() -> None:
    c = _component("npm-v2-workspaces", "package-lock.json", "pkg:npm/is-even@1.0.0")
    assert "vcs_url=git%2Bssh://git%40github.com/i-voted-for-trump/is-even.git" in c.purl
    assert c.hashes == ()  # the commit id after `#` is not a tarball digest
    left_pad = _component("yarn-classic", "yarn.lock", "pkg:npm/left-pad@1.3.0")
    assert left_pad.hashes == ()


def test_package_lock_graph_follows_node_resolution() -> None:
    result = _lockfile("npm-v2-workspaces", "package-lock.json")
    react17 = next(c for c in result.components if c.purl == "pkg:npm/react@17.0.2")
    react18 = next(c for c in result.components if c.purl == "pkg:npm/react@18.2.0")
    assert react17.dependencies == ("pkg:npm/loose-envify@1.4.0",)
    assert react18.dependencies == ("pkg:npm/loose-envify@1.4.0",)
    # workspace member packages/ui uses its nested react 17, not the hoisted 18
    assert react17.direct is True
    assert react18.direct is not True
    assert not any("acme" in c.purl for c in result.components)  # the workspace itself


def test_dependency_graphs() -> None:
    flask = _component("poetry-v1", "poetry.lock", "pkg:pypi/flask@2.3.3")
    assert flask.dependencies == ("pkg:pypi/itsdangerous@2.1.2", "pkg:pypi/werkzeug@2.3.7")
    rand = _component("cargo", "Cargo.lock", "pkg:cargo/rand@0.8.5")
    assert rand.dependencies == ("pkg:cargo/cfg-if@1.0.0",)
    requests = _component("requirements-compiled", "requirements.txt", "pkg:pypi/requests@2.31.0")
    assert requests.dependencies == (
        "pkg:pypi/certifi@2024.2.2", "pkg:pypi/charset-normalizer@3.3.2", "pkg:pypi/idna@3.6",
        "pkg:pypi/urllib3@2.2.1",
    )
    testing = _component("pnpm-v5", "pnpm-lock.yaml", "pkg:npm/%40testing-library/react@12.1.5")
    assert testing.dependencies == ("pkg:npm/react-dom@17.0.2", "pkg:npm/react@17.0.2")
    vue = _component("pnpm-v9", "pnpm-lock.yaml", "pkg:npm/vue@3.4.23")
    assert vue.dependencies == ("pkg:npm/%40vue/shared@3.4.23", "pkg:npm/typescript@5.4.5")
    fastify = _component("yarn-berry", "yarn.lock", "pkg:npm/fastify@4.26.2")
    assert fastify.dependencies == ("pkg:npm/fast-json-stringify@5.14.1",)
    sinks = _component("nuget", "packages.lock.json", "pkg:nuget/Serilog.Sinks.Console@5.0.1")
    assert sinks.dependencies == ("pkg:nuget/Serilog@3.1.1",)
    sprockets = _component("gemfile", "Gemfile.lock", "pkg:gem/sprockets@4.2.1")
    assert sprockets.dependencies == ("pkg:gem/concurrent-ruby@1.2.3", "pkg:gem/rack@3.0.10")
    console = _component("composer", "composer.lock", "pkg:composer/symfony/console@v6.4.6")
    assert console.dependencies == ("pkg:composer/psr/container@2.0.2",)


def test_hashes_of_python_rust_ruby_nuget() -> None:
    certifi = _component("requirements-compiled", "requirements.txt", "pkg:pypi/certifi@2024.2.2")
    assert certifi.hashes == (
        ("SHA-256", "0569859f95fc761b18b45ef421b1290a0f65f147e92a1e5eb3e635f9a5e4e66f"),
        ("SHA-256", "dc383c07b76109f368f6106eee2b593b04a011ea4d55f652c6ca24a754d1cdd1"),
    )
    log = _component("cargo", "Cargo.lock", "pkg:cargo/log@0.4.21")
    assert log.hashes == (("SHA-256", "90ed8c1e510134f979dbc4f070f87d4313098b704861a105fe34231c70a3901c"),)
    rack = _component("gemfile", "Gemfile.lock", "pkg:gem/rack@3.0.10")
    assert rack.hashes == (("SHA-256", "bf42a1ff47e19e1c2fd8bb7d4ab1b2e1aeb1d49d2f0d1bd33b0da6e43c9e5d1d"),)
    newtonsoft = _component("nuget", "packages.lock.json", "pkg:nuget/Newtonsoft.Json@13.0.3")
    assert newtonsoft.hashes[0][0] == "SHA-512" and newtonsoft.hashes[0][1].startswith("1eb0b9057765d3")
    anyio = _component("uv", "uv.lock", "pkg:pypi/anyio@4.3.0")
    assert len(anyio.hashes) == 2  # sdist and wheel
    old_poetry = _component("poetry-v1", "poetry.lock", "pkg:pypi/certifi@2023.7.22")
    assert len(old_poetry.hashes) == 2  # from [metadata.files]


def test_pep503_names_and_extras_markers() -> None:
    result = _lockfile("requirements-compiled", "requirements.txt")
    names = [c.name for c in result.components]
    assert "django" in names  # `Django[argon2]==4.2.11 ; python_version >= "3.8"`
    assert "pywin32" in names  # a marker does not drop a pinned requirement
    pyyaml = _component("pipfile", "Pipfile.lock", "pkg:pypi/pyyaml@6.0.1")
    assert pyyaml.name == "pyyaml"


def test_requirements_includes_keep_their_own_source() -> None:
    result = _lockfile("requirements-include", "requirements-dev.txt")
    sources = {c.name: c.source for c in result.components}
    assert sources == {
        "flask": "requirements.txt", "jinja2": "requirements.txt",
        "itsdangerous": "requirements/base.txt", "markupsafe": "requirements/base.txt",
        "pytest": "requirements-dev.txt",
    }


def test_unpinned_requirements_are_reported_not_invented() -> None:
    result = _lockfile("requirements-unpinned", "requirements.txt")
    assert result.unresolved == (
        "requirements.txt:1: requests>=2.31 (not pinned with ==)",
        "requirements.txt:2: numpy==1.26.* (not pinned with ==)",
        "requirements.txt:4: git+https://github.com/pallets/click.git@8.1.7#egg=click (editable, no version)",
        "requirements.txt:5: ./vendor/local_pkg (a path or URL, no version)",
        "requirements.txt:6: attrs @ https://files.pythonhosted.org/packages/attrs-23.2.0-py3-none-any.whl"
        " (not pinned with ==)",
    )


def test_maven_unresolvable_versions_are_reported() -> None:
    result = _lockfile("maven", "pom.xml")
    assert result.unresolved == (
        "org.springframework.boot:spring-boot-starter-web:(no version) (version not given in this file)",
        "org.yaml:snakeyaml:${snakeyaml.version} (version not given in this file)",
    )


def test_go_replace_and_local_replacement() -> None:
    result = _lockfile("go-modern", "go.mod")
    names = [c.name for c in result.components]
    assert "github.com/acme/internal" not in names  # replaced by ./internal
    assert "golang.org/x/net" in names
    net = next(c for c in result.components if c.name == "golang.org/x/net")
    assert (net.version, net.purl) == ("0.23.0", "pkg:golang/golang.org/x/net@v0.23.0")  # OSV's spelling


def test_local_path_packages_are_not_components() -> None:
    for case, path, name in (
        ("poetry-v1", "poetry.lock", "mylib"),
        ("pdm", "pdm.lock", "app-core"),
        ("composer", "composer.lock", "acme/billing"),
        ("gemfile", "Gemfile.lock", "billing"),
        ("cargo", "Cargo.lock", "core"),
        ("yarn-classic", "yarn.lock", "shared"),
        ("nuget", "packages.lock.json", "acme.shared"),
    ):
        assert name not in {c.name for c in _lockfile(case, path).components}, case


def test_pipfile_git_entry_without_version_is_reported() -> None:
    assert _lockfile("pipfile", "Pipfile.lock").unresolved == ("default.records (no pinned version)",)


def test_inventory_is_sorted_and_deduplicated(tmp_path: Path) -> None:
    inventory = build_inventory(LOCKFILES / "requirements-include")
    assert list(inventory.components) == sorted(inventory.components)
    keys = [(c.ecosystem, c.name, c.version, c.source) for c in inventory.components]
    assert len(keys) == len(set(keys)) == 5


def test_pnpm_v9_tarball_dependency(tmp_path: Path) -> None:
    (tmp_path / "pnpm-lock.yaml").write_text(
        "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      tiny:\n"
        "        specifier: https://codeload.github.com/acme/tiny/tar.gz/0a1b2c3\n"
        "        version: https://codeload.github.com/acme/tiny/tar.gz/0a1b2c3\n\n"
        "packages:\n\n  tiny@https://codeload.github.com/acme/tiny/tar.gz/0a1b2c3:\n"
        "    resolution: {tarball: https://codeload.github.com/acme/tiny/tar.gz/0a1b2c3}\n"
        "    version: 1.2.0\n\nsnapshots:\n\n"
        "  tiny@https://codeload.github.com/acme/tiny/tar.gz/0a1b2c3: {}\n",
        encoding="utf-8")
    [lockfile] = build_inventory(tmp_path).lockfiles
    assert lockfile.error is None and lockfile.unresolved == ()
    [tiny] = lockfile.components
    assert (tiny.name, tiny.version, tiny.direct) == ("tiny", "1.2.0", True)
    assert tiny.purl == ("pkg:npm/tiny@1.2.0?download_url=https://codeload.github.com/acme/tiny/tar.gz/0a1b2c3")


def test_git_qualifier_names_a_reference_only_when_there_is_one() -> None:
    from evidencepack.scanners.deps.components import vcs_qualifier

    assert vcs_qualifier("https://github.com/acme/lib.git", "v1.2.0") == {
        "vcs_url": "git+https://github.com/acme/lib.git@v1.2.0"}
    assert vcs_qualifier("https://github.com/acme/lib.git", None) == {
        "vcs_url": "git+https://github.com/acme/lib.git"}
    assert vcs_qualifier("git+ssh://git@example.com/lib.git", "") == {
        "vcs_url": "git+ssh://git@example.com/lib.git"}
