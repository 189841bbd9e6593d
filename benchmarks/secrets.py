"""Secret scanning: evidencepack beside the peer scanners on a generated tree.

    .venv/bin/python benchmarks/secrets.py [--size-mb 175] [--tools gitleaks,trivy,...]

Generates (once, cached under /tmp) a tree of about 200 MB with planted fake secrets and
decoys and a short Git history (`../shared/peers/gen_big.py --git`), and a repository of a
few thousand commits with secrets planted and removed along the way (`--commits`), then times a working
tree scan and a history scan by evidencepack and by each peer installed by
`../shared/peers/setup.sh` (gitleaks, betterleaks, trivy, detect-secrets, trufflehog), with
`/usr/bin/time` for wall time and peak memory. Prints throughput (MB/s), wall time, peak
RSS, and recall / decoys / other findings from `../shared/peers/score_secrets.py`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

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


def _gen_big() -> Any:
    """The peer kit's generator module, for its fake secrets, decoys and code lines."""
    spec = importlib.util.spec_from_file_location("gen_big", PEERS / "gen_big.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_history_repo(out: Path, commits: int, seed: int = 1) -> Path:
    """A Git repository of `commits` commits written with `git fast-import`: small edits to
    150 files, a fake secret planted every 100th commit (two in three removed again ten
    commits later, so only a history scan finds them) and a decoy every 150th. The ground
    truth, in the format of ../shared/peers/score_secrets.py, is written beside it."""
    gen = _gen_big()
    r = random.Random(seed)
    files = {f"src/pkg{j % 10}/m{j}.py": [gen.code_line(r) for _ in range(30)] for j in range(150)}
    names = sorted(files)
    truth: list[dict[str, object]] = []
    pending: list[tuple[int, str, list[str]]] = []  # (commit to remove at, file, lines)
    stream: list[bytes] = []

    def blob(text: str) -> bytes:
        data = text.encode()
        return b"data %d\n%s\n" % (len(data), data)

    for number in range(1, commits + 1):
        changed: set[str] = set()
        if number == 1:
            changed.update(names)
        else:
            name = r.choice(names)
            lines = files[name]
            if r.random() < 0.5:
                lines.append(gen.code_line(r))
            else:
                lines[r.randrange(len(lines))] = gen.code_line(r)
            changed.add(name)
            if number % 100 == 0:
                kind = gen.KINDS[(number // 100) % len(gen.KINDS)]
                planted = gen.fake_secret(r, kind)
                target = r.choice(names)
                truth.append({"file": target, "line": len(files[target]) + 1, "kind": kind,
                              "expect": "secret", "lines": len(planted),
                              "where": "history" if (number // 100) % 3 else "worktree"})
                files[target].extend(planted)
                changed.add(target)
                if (number // 100) % 3:
                    pending.append((number + 10, target, planted))
            if number % 150 == 0:
                kind, text = gen.DECOYS[(number // 150) % len(gen.DECOYS)]
                target = r.choice(names)
                truth.append({"file": target, "line": len(files[target]) + 1, "kind": kind,
                              "expect": "decoy", "lines": 1, "where": "worktree"})
                files[target].append(text)
                changed.add(target)
            for _, target, planted in [p for p in pending if p[0] == number]:
                lines = files[target]
                start = next(i for i in range(len(lines)) if lines[i:i + len(planted)] == planted)
                del files[target][start:start + len(planted)]
                changed.add(target)
            pending = [p for p in pending if p[0] != number]
        author = f"dev{number % 7} <dev{number % 7}@example.com> {1_700_000_000 + number * 600} +0000"
        stream.append(f"commit refs/heads/main\nmark :{number}\nauthor {author}\n"
                      f"committer {author}\n".encode())
        stream.append(blob(f"change {number}"))
        if number > 1:
            stream.append(f"from :{number - 1}\n".encode())
        for name in sorted(changed):
            stream.append(f"M 100644 inline {name}\n".encode() + blob("\n".join(files[name]) + "\n"))
        stream.append(b"\n")
    out.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True)
    subprocess.run(["git", "-C", str(out), "fast-import", "--quiet"], input=b"".join(stream), check=True)
    subprocess.run(["git", "-C", str(out), "checkout", "-q", "main"], check=True)
    Path(f"{out}.truth.jsonl").write_text("".join(json.dumps(t) + "\n" for t in truth))
    return out


def history_benchmark(commits: int, tools: list[str], repeat: int) -> None:
    """Ours and the history-scanning peers on a repository of `commits` commits."""
    repo = Path(f"/tmp/evidencepack-secrets-history-{commits}")
    if not Path(f"{repo}.truth.jsonl").exists():
        if repo.exists():
            shutil.rmtree(repo)
        make_history_repo(repo, commits)
    rows = {"evidencepack-git": ours(repo, history=True, repeat=repeat)}
    rows.update(peers(repo, [t for t in tools if t.endswith("-git")], repeat))
    findings = Path(tempfile.mkstemp(suffix=".jsonl")[1])
    findings.write_text("".join(json.dumps(f) + "\n" for _, _, found in rows.values() for f in found))
    print(f"\nrepository: {repo} ({commits} commits), history scans")
    print(f"{'scanner':20} {'wall s':>8} {'commits/s':>10} {'peak MB':>8} {'findings':>9}")
    for name, (wall, rss, found) in rows.items():
        print(f"{name:20} {wall:8.2f} {commits / max(wall, 1e-3):10.0f} {rss / 1024:8.0f} {len(found):9}")
    print()
    subprocess.run([sys.executable, str(PEERS / "score_secrets.py"), str(findings), f"{repo}.truth.jsonl"],
                   check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=175)
    parser.add_argument("--tools", default="gitleaks-dir,gitleaks-git,betterleaks-dir,betterleaks-git,"
                                           "trivy,trufflehog-git,detect-secrets",
                        help="peers, as ../shared/peers/run_secrets.sh names them")
    parser.add_argument("--tree", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the median is shown")
    parser.add_argument("--commits", type=int, default=3000,
                        help="commits of the generated repository for history scans (0: skip)")
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
    if args.commits:
        history_benchmark(args.commits, [t for t in args.tools.split(",") if t], args.repeat)


if __name__ == "__main__":
    main()
