#!/usr/bin/python3
"""The Python package's throughput beside kuzat-classify's (issue 20's targets).

    bench/python.py TEXTS [--build build] [-m MODEL] [--n 10000] [--repeat 5]
                    [--dask N_TEXTS]

TEXTS: one short text a line (make bench uses bench/corpus.sh's texts of
../shared/datasets); --n of them, spread over the file, are scored. Figures, best of --repeat
runs, in texts per second:

  cli          kuzat-classify --lines, one thread, the model's loading
               taken off (a run on no input is timed and subtracted)
  single       Model.score() one text at a time
  many-list    Model.score_many(texts), a list of Result, one thread
  many-numpy   the same with output="numpy"
  *-2          the same with threads=2

With --dask N, also examples/dask_score.py on two workers over N texts
(repeated from TEXTS) against kuzat-classify on one thread, the cluster's
start-up excluded (the example's own --timing).

Targets (issue 20): score_many >= 0.8x cli on one thread; threads=2 >=
1.7x itself on one; Dask on two workers >= 1.6x cli. On a machine shared
with other work, wall-clock figures move by tens of per cent from run to
run: read them with their spread.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
sys.path.insert(0, os.path.join(ROOT, "python"))


def best(f, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times), max(times)


def cli_seconds(prog, model, path, repeat):
    """Seconds kuzat-classify spends on the file, without the load."""
    def run(p):
        subprocess.run([prog, "-q", "-m", model, "--lines", p], stdout=subprocess.DEVNULL,
                       check=True)
    full, full_max = best(lambda: run(path), repeat)
    load, _ = best(lambda: run("/dev/null"), repeat)
    return full - load, full_max - load


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("texts")
    ap.add_argument("--build", default="build")
    ap.add_argument("-m", "--model", default=os.path.join(ROOT, "models", "default.kzm"))
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dask", type=int, default=0, metavar="N_TEXTS")
    args = ap.parse_args()
    os.environ.setdefault("KUZAT_LIBRARY", os.path.join(ROOT, args.build, "libkuzat.so.1"))
    import kuzat

    with open(args.texts, encoding="utf-8", errors="replace") as f:
        lines = [line.rstrip("\n") for line in f]
    texts = lines[::max(1, len(lines) // args.n)][:args.n]  # spread over the file
    n = len(texts)
    model = kuzat.Model.from_file(args.model)
    prog = os.path.join(ROOT, args.build, "kuzat-classify")
    rows = []
    with tempfile.TemporaryDirectory(prefix="kuzat-bench-") as d:
        path = os.path.join(d, "texts.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(t + "\n" for t in texts))
        rows.append(("cli",) + cli_seconds(prog, args.model, path, args.repeat))
        model.score_many(texts[:100], threads=2)  # scorers made before timing
        model.score("x")
        runs = [("single", lambda: [model.score(t) for t in texts]),
                ("many-list", lambda: model.score_many(texts)),
                ("many-numpy", lambda: model.score_many(texts, output="numpy")),
                ("many-list-2", lambda: model.score_many(texts, threads=2)),
                ("many-numpy-2", lambda: model.score_many(texts, threads=2, output="numpy"))]
        for name, f in runs:
            rows.append((name,) + best(f, args.repeat))
        speed = {name: n / lo for name, lo, hi in rows}
        print("%d texts (%s), best of %d; Python %s" % (
            n, os.path.basename(args.texts), args.repeat, sys.version.split()[0]))
        print("%-14s %10s %10s" % ("", "texts/s", "slowest"))
        for name, lo, hi in rows:
            print("%-14s %10.0f %10.0f" % (name, n / lo, n / hi))
        print("score_many / cli, one thread: list %.2fx, numpy %.2fx (target 0.8x)"
              % (speed["many-list"] / speed["cli"], speed["many-numpy"] / speed["cli"]))
        print("threads=2 / threads=1: list %.2fx, numpy %.2fx (target 1.7x)"
              % (speed["many-list-2"] / speed["many-list"],
                 speed["many-numpy-2"] / speed["many-numpy"]))
        if args.dask:
            dask_vs_cli(args, texts, prog, d)


def dask_vs_cli(args, texts, prog, d):
    path = os.path.join(d, "dask.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for i in range(args.dask):
            f.write(json.dumps({"id": str(i), "text": texts[i % len(texts)]},
                               ensure_ascii=False) + "\n")
    cli, _ = best(lambda: subprocess.run([prog, "-q", "-m", args.model, path],
                                         stdout=subprocess.DEVNULL, check=True), 1)
    load, _ = best(lambda: subprocess.run([prog, "-q", "-m", args.model, "/dev/null"],
                                          stdout=subprocess.DEVNULL, check=True), 3)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"),
               DASK_TEMPORARY_DIRECTORY=d)
    p = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "dask_score.py"),
                        "--workers", "2", "--timing", "-m", args.model, path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=True)
    m = re.search(r"([0-9.]+) s to start .* ([0-9.]+) s to score", p.stderr.decode())
    start, score = float(m.group(1)), float(m.group(2))
    print("dask, 2 workers, %d texts: %.2f s to score (%.2f s to start); kuzat-classify "
          "one thread: %.2f s (load %.2f s off): %.2fx (target 1.6x)"
          % (args.dask, score, start, cli - load, load, (cli - load) / score))


if __name__ == "__main__":
    main()
