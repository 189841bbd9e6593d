"""Manifests whose dependencies no lockfile pins: reported, so the SBOM is not taken as complete."""

from __future__ import annotations

from pathlib import Path

from evidencepack.scanners.deps.inventory import build_inventory


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_unlocked_manifests_are_listed(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "web/package.json": '{"dependencies": {"react": "^18"}}',
        "tools/package.json": '{"name": "tools", "scripts": {"lint": "eslint ."}}',  # no deps
        "mono/package.json": '{"workspaces": ["packages/*"], "devDependencies": {"ts": "^5"}}',
        "mono/package-lock.json": '{"lockfileVersion": 3, "packages": {}}',
        "mono/packages/ui/package.json": '{"dependencies": {"react": "^18"}}',  # root lock
        "api/pyproject.toml": '[project]\nname = "api"\ndependencies = ["flask>=3"]\n',
        "lint/pyproject.toml": "[tool.ruff]\nline-length = 100\n",  # configuration only
        "svc/pyproject.toml": '[project]\nname = "svc"\ndependencies = ["httpx"]\n',
        "svc/requirements.txt": "httpx==0.27.0\n",
        "crates/Cargo.toml": '[workspace]\nmembers = ["a"]\n',
        "crates/Cargo.lock": "version = 3\n",
        "crates/a/Cargo.toml": '[package]\nname = "a"\n[dependencies]\nserde = "1"\n',
        "rb/Gemfile": 'source "https://rubygems.org"\ngem "rails"\n',
        "php/composer.json": '{"require": {"php": ">=8.1", "ext-json": "*"}}',
        "cs/App.csproj": '<Project><ItemGroup><PackageReference Include="Serilog" Version="3.1.1" />'
                         "</ItemGroup></Project>",
        "node_modules/x/package.json": '{"dependencies": {"y": "1"}}',
    })
    inventory = build_inventory(root)
    assert inventory.unlocked == ("api/pyproject.toml", "cs/App.csproj", "rb/Gemfile", "web/package.json")


def test_unreadable_manifest_counts_as_declaring(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"package.json": "{not json"})
    assert build_inventory(root).unlocked == ("package.json",)
