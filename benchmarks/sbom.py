"""SBOM: evidencepack's component lists beside cyclonedx-py and syft, and its speed.

    .venv/bin/python benchmarks/sbom.py [--corpus DIR] [--sizes 2000,10000] [--repeat 3]

1. Component lists. On the lockfile fixtures (tests/fixtures/lockfiles, one folder per
   format; or --corpus DIR), compares the name@version sets per ecosystem of
   `evidencepack`'s inventory with those of cyclonedx-py (Python: `requirements`, `poetry`,
   `pipenv` per folder that has the file it reads), cyclonedx-npm (`--package-lock-only`
   per package-lock.json with its package.json) and syft (`syft scan dir:`), installed by
   ../shared/peers/setup.sh under $PEERS_HOME (default /tmp/peers). Prints counts per
   ecosystem and the differences.
2. Speed. Times `build_inventory` + `cyclonedx_json` on generated package-lock.json (v3)
   and poetry.lock files of 2,000 and 10,000 components (best of --repeat runs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from packageurl import PackageURL
from packaging.utils import canonicalize_name

from evidencepack.scanners.deps.inventory import build_inventory
from evidencepack.scanners.deps.sbom import cyclonedx_json

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "tests" / "fixtures" / "lockfiles"
PEERS_HOME = Path(os.environ.get("PEERS_HOME", "/tmp/peers"))
ECOSYSTEM = {"pypi": "PyPI", "npm": "npm", "golang": "Go", "cargo": "crates.io", "gem": "RubyGems",
             "composer": "Packagist", "maven": "Maven", "nuget": "NuGet"}

Sets = dict[str, set[str]]


def key(purl: str) -> tuple[str, str] | None:
    """(ecosystem, name@version) of a purl, names compared as each ecosystem does."""
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return None
    ecosystem = ECOSYSTEM.get(p.type)
    if ecosystem is None or not p.version:
        return None
    name = p.name
    if p.namespace:
        name = f"{p.namespace}:{p.name}" if p.type == "maven" else f"{p.namespace}/{p.name}"
    if p.type == "pypi":
        name = str(canonicalize_name(name))
    if p.type == "composer":
        name = name.lower()
    return ecosystem, f"{name}@{p.version}"


def walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for c in components:
        yield c
        yield from walk(c.get("components", []))


def sets_of_cyclonedx(document: dict[str, Any]) -> Sets:
    out: Sets = defaultdict(set)
    for c in walk(document.get("components", [])):
        k = key(str(c.get("purl", "")))
        if k:
            out[k[0]].add(k[1])
    return out


def ours(corpus: Path) -> Sets:
    out: Sets = defaultdict(set)
    for c in build_inventory(corpus).components:
        k = key(c.purl)
        if k:
            out[k[0]].add(k[1])
    return out


def tool(name: str) -> Path:
    return PEERS_HOME / "venv" / "bin" / name


def cyclonedx_py(corpus: Path, work: Path) -> Sets | str:
    binary = tool("cyclonedx-py")
    if not binary.exists():
        return f"not installed ({binary})"
    out: Sets = defaultdict(set)
    for case in sorted(p for p in corpus.iterdir() if p.is_dir()):
        commands = []
        for req in sorted(case.glob("requirements*.txt")):
            commands.append(["requirements", str(req)])
        if (case / "poetry.lock").exists() and (case / "pyproject.toml").exists():
            commands.append(["poetry", "--all-extras", str(case)])
        if (case / "Pipfile.lock").exists():
            commands.append(["pipenv", "--categories", "default,develop", str(case)])
        for i, args in enumerate(commands):
            target = work / f"cdxpy-{case.name}-{i}.json"
            done = subprocess.run([str(binary), *args, "--output-format", "JSON", "--no-validate", "-o",
                                   str(target)], capture_output=True, text=True, check=False)
            try:
                document = json.loads(target.read_text())
            except (OSError, ValueError):
                reason = done.stderr.strip().splitlines()[-1:] or ["no output"]
                print(f"cyclonedx-py {args[0]} {case.name}: failed: {reason[0][:160]}")
                continue
            for eco, items in sets_of_cyclonedx(document).items():
                out[eco] |= items
    return out


def cyclonedx_npm(corpus: Path, work: Path) -> Sets | str:
    binary = PEERS_HOME / "npm" / "node_modules" / ".bin" / "cyclonedx-npm"
    if not binary.exists():
        return f"not installed ({binary})"
    out: Sets = defaultdict(set)
    for lock in sorted(corpus.rglob("package-lock.json")):
        if "node_modules" in lock.parts or not (lock.parent / "package.json").exists():
            continue
        target = work / f"cdxnpm-{len(out)}-{lock.parent.name}.json"
        done = subprocess.run([str(binary), "--package-lock-only", "--output-format", "JSON",
                               "--output-file", str(target)], cwd=lock.parent, capture_output=True,
                              text=True, check=False)
        try:
            document = json.loads(target.read_text())
        except (OSError, ValueError):
            reason = done.stderr.strip().splitlines()[-1:] or ["no output"]
            print(f"cyclonedx-npm {lock.parent.name}: failed: {reason[0][:160]}")
            continue
        for eco, items in sets_of_cyclonedx(document).items():
            out[eco] |= items
    return out


def syft(corpus: Path, work: Path) -> Sets | str:
    binary = tool("syft")
    if not binary.exists():
        return f"not installed ({binary})"
    target = work / "syft.json"
    env = {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}
    done = subprocess.run([str(binary), "scan", f"dir:{corpus}", "-o", f"cyclonedx-json={target}", "-q"],
                          capture_output=True, text=True, env=env, check=False)
    if not target.exists():
        return f"failed: {done.stderr.strip()[-200:]}"
    return sets_of_cyclonedx(json.loads(target.read_text()))


def compare(corpus: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        copy = work / "corpus"
        shutil.copytree(corpus, copy)
        results: dict[str, Sets | str] = {
            "evidencepack": ours(copy), "cyclonedx-py": cyclonedx_py(copy, work),
            "cyclonedx-npm": cyclonedx_npm(copy, work), "syft": syft(copy, work)}
    for name, result in results.items():
        if isinstance(result, str):
            print(f"{name}: {result}")
    ecosystems = sorted({e for r in results.values() if not isinstance(r, str) for e in r})
    print(f"\nComponent lists on {corpus} (name@version sets per ecosystem)\n")
    print("| ecosystem | evidencepack | cyclonedx-py | cyclonedx-npm | syft | only evidencepack (vs syft) "
          "| only syft |")
    print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
    mine = results["evidencepack"]
    assert not isinstance(mine, str)
    for eco in ecosystems:
        counts = []
        for name in ("evidencepack", "cyclonedx-py", "cyclonedx-npm", "syft"):
            r = results[name]
            counts.append("-" if isinstance(r, str) else str(len(r.get(eco, set()))))
        other = results["syft"]
        theirs = set() if isinstance(other, str) else other.get(eco, set())
        only_ours = sorted(mine.get(eco, set()) - theirs)
        only_theirs = sorted(theirs - mine.get(eco, set()))
        print(f"| {eco} | {' | '.join(counts)} | {', '.join(only_ours) or '-'} "
              f"| {', '.join(only_theirs) or '-'} |")
    for peer, eco in (("cyclonedx-py", "PyPI"), ("cyclonedx-npm", "npm")):
        cdx = results[peer]
        if not isinstance(cdx, str):
            a, b = mine.get(eco, set()), cdx.get(eco, set())
            print(f"\n{eco}, evidencepack vs {peer}: only evidencepack {sorted(a - b) or '-'}; "
                  f"only {peer} {sorted(b - a) or '-'}")


def package_lock(n: int) -> str:
    packages: dict[str, Any] = {"": {"name": "big", "version": "1.0.0",
                                     "dependencies": {f"pkg-{i}": "^1.0.0" for i in range(0, n, 10)}}}
    for i in range(n):
        entry: dict[str, Any] = {
            "version": f"1.{i % 50}.{i % 7}",
            "resolved": f"https://registry.npmjs.org/pkg-{i}/-/pkg-{i}-1.0.0.tgz",
            "integrity": "sha512-" + "A" * 86 + "==",
        }
        if i + 1 < n:
            entry["dependencies"] = {f"pkg-{i + 1}": "^1.0.0"}
        packages[f"node_modules/pkg-{i}"] = entry
    return json.dumps({"name": "big", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
                       "packages": packages}, indent=2)


def poetry_lock(n: int) -> str:
    parts = []
    for i in range(n):
        parts.append(
            f'[[package]]\nname = "pkg-{i}"\nversion = "1.{i % 50}.{i % 7}"\ndescription = ""\n'
            f'optional = false\npython-versions = ">=3.8"\ngroups = ["main"]\nfiles = [\n'
            f'    {{file = "pkg_{i}-1.0.0-py3-none-any.whl", hash = "sha256:{i:064x}"}},\n]\n'
            + (f'\n[package.dependencies]\npkg-{i + 1} = ">=1"\n' if i + 1 < n else "")
        )
    parts.append('[metadata]\nlock-version = "2.1"\npython-versions = ">=3.10"\ncontent-hash = "0"\n')
    return "\n".join(parts)


def speed(sizes: list[int], repeat: int) -> None:
    print(f"\nbuild_inventory + cyclonedx_json (best of {repeat}, seconds)\n")
    print("| lockfile | components | inventory s | SBOM s | total s | SBOM bytes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    when = datetime(2026, 11, 2, tzinfo=UTC)
    for name, make in (("package-lock.json", package_lock), ("poetry.lock", poetry_lock)):
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                (root / name).write_text(make(n), encoding="utf-8")
                best = (float("inf"), float("inf"))
                size = 0
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    inventory = build_inventory(root)
                    t1 = time.perf_counter()
                    sbom = cyclonedx_json(inventory, repository="acme/big", commit="0" * 40,
                                          tool_version="bench", timestamp=when)
                    t2 = time.perf_counter()
                    assert len(inventory.components) == n, (name, len(inventory.components))
                    best = min(best, (t1 - t0, t2 - t1), key=sum)
                    size = len(sbom)
                print(f"| {name} | {n:,} | {best[0]:.2f} | {best[1]:.2f} | {sum(best):.2f} | {size:,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--sizes", default="2000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-peers", action="store_true", help="only the timings")
    args = parser.parse_args()
    if not args.no_peers:
        compare(args.corpus)
    speed([int(s) for s in args.sizes.split(",")], args.repeat)


if __name__ == "__main__":
    sys.exit(main())
