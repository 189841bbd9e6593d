"""Time `evidencepack run` on a repository holding the whole workflow corpus, beside zizmor.

    .venv/bin/python benchmarks/workflow_corpus.py [--repeat 5] [--corpus DIR]

Builds a Git repository whose .github/workflows/ holds every file of the shared workflow
corpus, then times (wall clock, best and median of N) `zizmor --offline` on those files,
`evidencepack scan workflows` and the full `evidencepack run` (analysis, 17 controls, pack,
signature, archive, store). Prints the figures and the ratio to zizmor.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "data" / "workflows"


def timed(command: list[str], cwd: Path, repeat: int, ok: tuple[int, ...]) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode not in ok:
            sys.exit(f"{command[0]} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    evidencepack, zizmor = str(bindir / "evidencepack"), str(bindir / "zizmor")
    files = sorted(p for p in args.corpus.iterdir() if p.suffix in (".yml", ".yaml"))
    with tempfile.TemporaryDirectory(prefix="evidencepack-bench-") as tmp:
        repo = Path(tmp) / "repo"
        (repo / ".github" / "workflows").mkdir(parents=True)
        for path in files:
            shutil.copyfile(path, repo / ".github" / "workflows" / path.name)
        env = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        subprocess.run(["git", *env, "commit", "-qm", "corpus"], cwd=repo, check=True)
        size = sum(p.stat().st_size for p in files)
        rel = [f".github/workflows/{p.name}" for p in files]
        results = {
            "zizmor --offline": timed([zizmor, "--offline", "--format", "json", *rel], repo,
                                      args.repeat, (0, 10, 11, 12, 13, 14)),
            "evidencepack scan workflows": timed(
                [evidencepack, "scan", "workflows", ".", "--format", "json"], repo, args.repeat,
                (0,)),
            "evidencepack run": timed(
                [evidencepack, "run", ".", "--store", str(Path(tmp) / "store"), "--format",
                 "json"], repo, args.repeat, (0,)),
        }
    print(f"corpus: {len(files)} workflow files, {size / 1024:.0f} KiB; {args.repeat} runs each")
    base = statistics.median(results["zizmor --offline"])
    print(f"{'command':32} {'best s':>8} {'median s':>9} {'x zizmor':>9}")
    for name, times in results.items():
        median = statistics.median(times)
        print(f"{name:32} {min(times):8.3f} {median:9.3f} {median / base:9.2f}")


if __name__ == "__main__":
    main()
