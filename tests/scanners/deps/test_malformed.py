"""Malformed and hostile lockfiles: recorded with an error, never skipped, never a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from evidencepack.scanners.deps.interface import MAX_LOCKFILE_BYTES
from evidencepack.scanners.deps.inventory import build_inventory
from evidencepack.scanners.deps.model import LockfileResult

MALFORMED: list[tuple[str, str, str]] = [
    # (file name, content, part of the expected error)
    ("requirements.txt", "flask==3.0\n!!! not a requirement\n", "requirements.txt:2: not a requirement"),
    ("requirements.txt", "--no-such-option x\n", "unknown option --no-such-option"),
    ("requirements.txt", "-r missing.txt\n", "-r missing.txt: no such file"),
    ("requirements.txt", "-r ../../etc/passwd\n", "leads outside the tree"),
    ("poetry.lock", "[[package]\nname = 'x'\n", "invalid TOML"),
    ("poetry.lock", "[[package]]\nname = 'x'\n", "version of x is not a string"),
    ("uv.lock", "[[package]]\nname = 'x'\nversion = '1'\n", "not a uv.lock"),
    ("Pipfile.lock", "{\"default\": {}}", "not a Pipfile.lock"),
    ("Pipfile.lock", "{\"_meta\": {}, \"default\": {\"x\": {\"version\": \">=1\"}}}", "is not pinned"),
    ("Pipfile.lock", "{\"_meta\": {}, \"default\": [", "invalid JSON"),
    ("pdm.lock", "[[package]]\nname = 'x'\nversion = '1'\n", "not a pdm.lock"),
    ("package-lock.json", "{\"lockfileVersion\": 7, \"packages\": {}}", "lockfileVersion 7"),
    ("package-lock.json", "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/x\": {}}}",
     "has no version"),
    ("package-lock.json", "[1, 2]", "package-lock.json is not an object"),
    ("package-lock.json", "{\"lockfileVersion\": 3, \"packages\": []}", "packages is not an object"),
    ("yarn.lock", "# yarn lockfile v1\n\nleft-pad@^1.0.0\n  version \"1.3.0\"\n",
     "line 3: expected an entry header"),
    ("yarn.lock", "__metadata:\n  version: 8\n\"x@npm:^1\":\n  version: 1.0.0\n", "has no resolution"),
    ("yarn.lock", "__metadata:\n  version: 8\n\"x@npm:^1\": [unclosed\n", "yarn.lock:"),
    ("pnpm-lock.yaml", "packages:\n  /x/1.0.0: {}\n", "no lockfileVersion"),
    ("pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: {a: [1, 2\n", "pnpm-lock.yaml:"),
    ("go.mod", "module x\n\nrequire (\n  github.com/a/b v1.0.0\n", "unclosed require"),
    ("go.mod", "module x\nrequire github.com/a/b\n", "line 2: require needs a module and a version"),
    ("go.mod", "module x\nrequire github.com/a/b latest\n", "is not a module version"),
    ("Cargo.lock", "version = 3\n[[package]]\nname = 'x'\n", "has no name or version"),
    ("Cargo.lock", "version = 3\npackage = 'x'\n", "package is not a list"),
    ("Gemfile.lock", "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack\n",
     "line 4: not a `name (version)` spec"),
    ("Gemfile.lock", "hello\n", "not a Gemfile.lock"),
    ("composer.lock", "{\"content-hash\": \"x\"}", "not a composer.lock"),
    ("composer.lock", "{\"packages\": [{\"name\": \"a/b\"}]}", "has no name or version"),
    ("gradle.lockfile", "com.acme:lib=runtimeClasspath\n", "line 1: not `group:artifact:version"),
    ("pom.xml", "<project><dependencies><dependency></project>", "invalid XML"),
    ("pom.xml", "<settings/>", "not <project>"),
    ("packages.lock.json", "{\"version\": 1}", "not a NuGet packages.lock.json"),
    ("packages.lock.json",
     "{\"version\": 1, \"dependencies\": {\"net8.0\": {\"A\": {\"type\": \"Direct\"}}}}",
     "has no resolved version"),
]


def _only(root: Path) -> LockfileResult:
    inventory = build_inventory(root)
    assert len(inventory.lockfiles) == 1
    assert inventory.errors == inventory.lockfiles
    assert inventory.components == ()
    return inventory.lockfiles[0]


@pytest.mark.parametrize(("name", "content", "error"), MALFORMED,
                         ids=[f"{i}-{m[0]}" for i, m in enumerate(MALFORMED)])
def test_malformed_lockfile_is_an_error(tmp_path: Path, name: str, content: str, error: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    result = _only(tmp_path)
    assert result.path == name
    assert result.error is not None and error in result.error
    assert "\n" not in result.error


def test_every_format_has_a_malformed_case() -> None:
    from evidencepack.scanners.deps.registry import EXTRACTORS

    covered = {name for name, _, _ in MALFORMED}
    for extractor in EXTRACTORS:
        assert any(extractor.matches(Path(n)) for n in covered), extractor.format  # type: ignore[arg-type]


BOMB_YAML = "\n".join(
    ["lockfileVersion: '9.0'", "a: &a [x, x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
       f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]"
       for i in range(8)]
    + ["packages:", "  bomb@1.0.0: {resolution: {integrity: *i}}"]
) + "\n"


@pytest.mark.parametrize("name", ["pnpm-lock.yaml", "yarn.lock"])
def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path, name: str) -> None:
    text = BOMB_YAML if name == "pnpm-lock.yaml" else "__metadata:\n  version: 8\n" + BOMB_YAML
    (tmp_path / name).write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = _only(tmp_path)
    assert time.monotonic() - started < 5
    assert result.error is not None and "alias bomb" in result.error


def test_xml_entity_bomb_in_pom_is_refused(tmp_path: Path) -> None:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ]
    pom = (
        '<?xml version="1.0"?>\n<!DOCTYPE project [\n' + "\n".join(entities) + "\n]>\n"
        "<project><dependencies><dependency><groupId>g</groupId><artifactId>&lol9;</artifactId>"
        "<version>1</version></dependency></dependencies></project>\n"
    )
    (tmp_path / "pom.xml").write_text(pom, encoding="utf-8")
    result = _only(tmp_path)
    assert result.error is not None and "DTDs and entities are not read" in result.error


def test_xml_external_entity_in_pom_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("hunter2", encoding="utf-8")
    pom = (
        '<?xml version="1.0"?>\n<!DOCTYPE project [<!ENTITY xxe SYSTEM "file://'
        + str(tmp_path / "secret.txt")
        + '">]>\n<project><dependencies><dependency><groupId>g</groupId><artifactId>&xxe;</artifactId>'
        "<version>1</version></dependency></dependencies></project>\n"
    )
    (tmp_path / "pom.xml").write_text(pom, encoding="utf-8")
    result = _only(tmp_path)
    assert result.error is not None and "hunter2" not in result.error


def test_recursive_maven_properties_are_bounded(tmp_path: Path) -> None:
    props = "".join(f"<p{i}>${{p{i + 1}}}${{p{i + 1}}}${{p{i + 1}}}${{p{i + 1}}}</p{i}>" for i in range(12))
    pom = (f"<project><properties>{props}<p12>x</p12></properties><dependencies><dependency>"
           "<groupId>g</groupId><artifactId>a</artifactId><version>${p0}</version>"
           "</dependency></dependencies></project>")
    (tmp_path / "pom.xml").write_text(pom, encoding="utf-8")
    result = _only(tmp_path)
    assert result.error is not None and "expands beyond" in result.error


def test_huge_lockfile_is_not_read(tmp_path: Path) -> None:
    with (tmp_path / "package-lock.json").open("wb") as f:
        f.truncate(MAX_LOCKFILE_BYTES + 1)  # sparse: no disk used
    result = _only(tmp_path)
    assert result.error is not None and "over the" in result.error and "limit" in result.error


def test_binary_lockfile_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "Cargo.lock").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)))
    result = _only(tmp_path)
    assert result.error == "binary file, not a lockfile"


def test_non_utf8_lockfile_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_bytes(b"module caf\xe9\n")
    result = _only(tmp_path)
    assert result.error is not None and "not UTF-8" in result.error


def test_symlink_out_of_the_tree_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "poetry.lock").write_text('[[package]]\nname = "secret"\nversion = "1.0"\n', encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "poetry.lock").symlink_to(outside / "poetry.lock")
    (repo / "linked").symlink_to(outside, target_is_directory=True)
    result = _only(repo)
    assert result.path == "poetry.lock"
    assert result.error == "symbolic link leads outside the tree; not read"


def test_requirements_include_through_a_symlink_out_of_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret-package==1.0\n", encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "base.txt").symlink_to(outside)
    (repo / "requirements.txt").write_text("-r base.txt\n", encoding="utf-8")
    result = _only(repo)
    assert result.error is not None and "outside the tree" in result.error


def test_deeply_nested_json_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "composer.lock").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = _only(tmp_path)
    assert result.error is not None


def test_installed_and_vendored_trees_are_skipped(tmp_path: Path) -> None:
    for folder in ("node_modules/left-pad", ".venv/lib", "vendor/github.com/x", ".git/x"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "package-lock.json").write_text("not json", encoding="utf-8")
    (tmp_path / "Cargo.lock").write_text("version = 3\n", encoding="utf-8")
    inventory = build_inventory(tmp_path)
    assert [lf.path for lf in inventory.lockfiles] == ["Cargo.lock"]
    assert inventory.errors == ()


def test_missing_root_is_an_input_error(tmp_path: Path) -> None:
    from evidencepack.errors import InputError

    with pytest.raises(InputError, match="no such file or directory"):
        build_inventory(tmp_path / "nope")


def test_unlistable_directory_is_an_error_not_skipped(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "Cargo.lock").write_text("version = 3\n", encoding="utf-8")
    real = os.scandir

    def scandir(path: str) -> object:
        # What os.walk meets on a directory without read permission (tests run as root here).
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    inventory = build_inventory(tmp_path)
    assert [(lf.path, lf.format, lf.error) for lf in inventory.errors] == [
        ("locked", "directory", "cannot be listed: Permission denied")]


def test_lockfile_with_too_many_packages_is_an_error(tmp_path: Path) -> None:
    from evidencepack.scanners.deps.interface import MAX_COMPONENTS

    lines = "".join(f"com.acme:lib{i}:1.0=runtimeClasspath\n" for i in range(MAX_COMPONENTS + 1))
    (tmp_path / "gradle.lockfile").write_text(lines, encoding="utf-8")
    result = _only(tmp_path)
    assert result.error == "50,001 packages, more than the 50,000 one lockfile may list"
