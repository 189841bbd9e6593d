"""Offline OSV matching: index every advisory of shared/data/osv, then match generated inventories.

    .venv/bin/python benchmarks/osv_match.py [--sizes 2000,10000] [--repeat 3]

Builds the index of `../shared/data/osv` (PyPI YAML, Go, crates.io, npm JSON) into a fresh
cache folder (index build time), opens it again as a later run would (load time), then
times opening the index plus `match_components` over generated inventories of each size with a warm index: a
mix of packages that have advisories (at versions taken from their advisories, so many
match) and packages that have none. Prints the timings and the matching counts.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from evidencepack.scanners.deps.matching import match_components
from evidencepack.scanners.deps.model import Component, Inventory, LockfileResult
from evidencepack.scanners.deps.osv_db import OfflineDatabase, open_database
from evidencepack.scanners.deps.sbom import cyclonedx_json
from evidencepack.scanners.deps.versions import version_key

HERE = Path(__file__).resolve().parent
OSV = HERE.parent.parent / "shared" / "data" / "osv"
PURL = {"PyPI": "pypi", "npm": "npm", "Go": "golang", "crates.io": "cargo"}


def candidates(db: OfflineDatabase) -> list[tuple[str, str, list[str]]]:
    """(ecosystem, package, versions named by its advisories) for every advised package."""
    found: dict[tuple[str, str], set[str]] = {}
    for advisory in db.all_advisories():
        for affected in advisory.get("affected") or ():
            pkg = affected.get("package") or {}
            eco, name = pkg.get("ecosystem"), pkg.get("name")
            if eco not in PURL or not name:
                continue
            versions = found.setdefault((eco, name), set())
            versions.update(v for v in affected.get("versions") or () if isinstance(v, str))
            for rng in affected.get("ranges") or ():
                for event in rng.get("events") or ():
                    versions.update(v for k, v in event.items() if k != "introduced" or v != "0")
    out = []
    for (eco, name), versions in sorted(found.items()):
        usable = sorted(v for v in versions if _valid(eco, v))
        if usable:
            out.append((eco, name, usable))
    return out


def _valid(eco: str, version: str) -> bool:
    try:
        version_key(eco, version)
        return True
    except ValueError:
        return False


def inventory(size: int, advised: list[tuple[str, str, list[str]]], seed: int,
              share: float) -> list[Component]:
    rng = random.Random(seed)
    out = []
    for n in range(size):
        if rng.random() < share:
            eco, name, versions = rng.choice(advised)
            version = rng.choice(versions)
        else:
            eco = rng.choice(list(PURL))
            name, version = f"no-advisory-{n}", f"1.{n % 50}.{n % 7}"
        if eco == "Go":
            version = "v" + version.removeprefix("v")
        out.append(Component(eco, name, version, f"pkg:{PURL[eco]}/{name}@{version}", "lockfile"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--advised-share", type=float, default=0.5,
                        help="share of components that are packages with advisories")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="osv-bench-") as cache:
        started = time.perf_counter()
        built = open_database(OSV, Path(cache))
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        db = open_database(OSV, Path(cache))
        load_s = time.perf_counter() - started
        assert not db.info.index_built
        print(f"advisories indexed: {db.info.advisories:,} (newest modified {db.info.newest_modified})")
        print(f"index build: {build_s:.2f} s   index load: {load_s * 1000:.1f} ms")
        built.close()
        advised = candidates(db)
        print(f"packages with advisories: {len(advised):,}")
        for size in (int(s) for s in args.sizes.split(",")):
            components = inventory(size, advised, seed=size, share=args.advised_share)
            print(f"-- {size:,} components, {args.advised_share:.0%} of them packages with advisories")
            # Warm: the index is open and the first lookups have paged it in.
            match_components(components[:200], db, scanned_at="2026-11-26T00:00:00Z")
            timings, cpu = [], []
            for attempt in range(args.repeat):
                version_key.cache_clear()
                started, started_cpu = time.perf_counter(), time.process_time()
                # A later run: open the index (file list checked), match from cold caches.
                fresh = open_database(OSV, Path(cache))
                report = match_components(components, fresh, scanned_at="2026-11-26T00:00:00Z")
                timings.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
                fresh.close()
                if attempt == 0:
                    counts = report.to_json()["summary"]
            lockfile = LockfileResult("lockfile", "generated", tuple(components))
            generated = Inventory((lockfile,), tuple(sorted(set(components))))
            started, started_cpu = time.perf_counter(), time.process_time()
            cyclonedx_json(generated, repository="bench/repo", commit="0" * 40,
                           tool_version="bench", timestamp=datetime(2026, 11, 26, tzinfo=UTC))
            sbom_s, sbom_cpu = time.perf_counter() - started, time.process_time() - started_cpu
            print(f"CycloneDX SBOM of {size:>6,} components: {sbom_s:.3f} s wall ({sbom_cpu:.3f} s CPU)")
            print(f"load + match {size:>6,} components: best {min(timings):.3f} s wall "
                  f"({min(cpu):.3f} s CPU), median {sorted(timings)[len(timings) // 2]:.3f} s "
                  f"({report.looked_up:,} package versions, {counts['total']:,} vulnerabilities, "
                  f"{len(report.not_comparable):,} not comparable)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
