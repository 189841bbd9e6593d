"""Secret scanning: evidencepack beside the peer scanners on a generated tree.

    .venv/bin/python benchmarks/secrets.py [--size-mb 175] [--tools gitleaks,trivy,...]

Generates (once, cached under /tmp) a tree of about 200 MB with planted fake secrets and
decoys and a short Git history (`../shared/peers/gen_big.py --git`), then times a working
tree scan and a history scan by evidencepack and by each peer installed by
`../shared/peers/setup.sh` (gitleaks, betterleaks, trivy, detect-secrets, trufflehog), with
`/usr/bin/time` for wall time and peak memory. Prints throughput (MB/s), wall time, peak
RSS, and recall / decoys / other findings from `../shared/peers/score_secrets.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = HERE.parent.parent / "shared" / "peers"
PEERS_HOME = Path(os.environ.get("PEERS_HOME", "/tmp/peers"))


def timed(command: list[str], cwd: Path | None = None,
          env: dict[str, str] | None = None) -> tuple[float, int, subprocess.CompletedProcess[str]]:
    """(wall seconds, peak RSS in KiB, completed process) of `command`."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        done = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", stats.name, *command],
                              cwd=cwd, capture_output=True, text=True, env=env, check=False)
        wall, rss = stats.read().split()[-2:]
    return float(wall), int(rss), done


def ours(tree: Path, history: bool, repeat: int) -> tuple[float, int, list[dict[str, object]]]:
    binary = str(Path(sys.executable).parent / "evidencepack")
    command = [binary, "scan", "secrets", str(tree), "--format", "json"]
    if history:
        command.append("--history")
    runs = [timed(command) for _ in range(repeat)]
    wall = statistics.median(r[0] for r in runs)
    rss = max(r[1] for r in runs)
    done = runs[-1][2]
    if done.returncode not in (0, 1):
        sys.exit(f"evidencepack failed: {done.stderr[-400:]}")
    tool = "evidencepack-git" if history else "evidencepack"
    found = [{"tool": tool, "file": f["path"], "line": f["line"], "rule": f["rule"]}
             for f in json.loads(done.stdout)["findings"]]
    return wall, rss, found


def peers(tree: Path, tools: list[str], repeat: int) -> dict[str, tuple[float, int, list[dict[str, object]]]]:
    """Each peer through the shared runner, one tool at a time, timed; a peer that takes
    under 30 s is run `repeat` times and its median kept."""
    out: dict[str, tuple[float, int, list[dict[str, object]]]] = {}
    for tool in tools:
        walls: list[float] = []
        rss_max = 0
        lines: list[dict[str, object]] = []
        while len(walls) < repeat and (not walls or walls[0] < 30):
            with tempfile.TemporaryDirectory() as raw:
                env = {**os.environ, "OUT_DIR": raw, "PEERS_HOME": str(PEERS_HOME)}
                wall, rss, done = timed(["bash", str(PEERS / "run_secrets.sh"), str(tree), tool], env=env)
            lines = [json.loads(x) for x in done.stdout.splitlines() if x.strip().startswith("{")]
            if not lines and done.returncode not in (0, 1):
                print(f"  {tool}: not run ({done.stderr.strip().splitlines()[-1:]})")
                break
            walls.append(wall)
            rss_max = max(rss_max, rss)
        if walls:
            out[tool] = (statistics.median(walls), rss_max, lines)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=175)
    parser.add_argument("--tools", default="gitleaks-dir,gitleaks-git,betterleaks-dir,betterleaks-git,"
                                           "trivy,trufflehog-git,detect-secrets",
                        help="peers, as ../shared/peers/run_secrets.sh names them")
    parser.add_argument("--tree", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the median is shown")
    args = parser.parse_args()
    tree = args.tree or Path(f"/tmp/evidencepack-secrets-bench-{int(args.size_mb)}")
    truth = Path(f"{tree}.truth.jsonl")
    if not truth.exists():
        subprocess.run([sys.executable, str(PEERS / "gen_big.py"), str(tree), "--size-mb",
                        str(args.size_mb), "--git", "--seed", "1"], check=True)
    size_mb = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file() and ".git" not in p.parts) / 1e6
    rows: dict[str, tuple[float, int, list[dict[str, object]]]] = {}
    rows["evidencepack"] = ours(tree, history=False, repeat=args.repeat)
    rows["evidencepack-git"] = ours(tree, history=True, repeat=args.repeat)
    rows.update(peers(tree, [t for t in args.tools.split(",") if t], args.repeat))
    findings = Path(tempfile.mkstemp(suffix=".jsonl")[1])
    findings.write_text("".join(json.dumps(f) + "\n" for _, _, found in rows.values() for f in found))
    print(f"tree: {tree} ({size_mb:.0f} MB of text), {os.cpu_count()} cores")
    print(f"median of {args.repeat} runs (tools over 30 s: one run)")
    print(f"{'scanner':20} {'wall s':>8} {'MB/s':>8} {'peak MB':>8} {'findings':>9}")
    for name, (wall, rss, found) in rows.items():
        print(f"{name:20} {wall:8.2f} {size_mb / max(wall, 1e-3):8.1f} {rss / 1024:8.0f} {len(found):9}")
    print()
    subprocess.run([sys.executable, str(PEERS / "score_secrets.py"), str(findings), str(truth)],
                   check=False)


if __name__ == "__main__":
    main()
