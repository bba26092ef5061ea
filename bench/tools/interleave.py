#!/usr/bin/env python3
"""Runs commands alternately, one run of each per round, and prints each one's median and mean.

    interleave.py RUNS WARMUPS OUT_DIR CMD [CMD ...]

`{out}` in a command stands for OUT_DIR, which is emptied (outside the timed part) before every
run. Alternating the commands puts them under the same conditions: on a virtual machine whose
speed drifts within minutes, running all of one tool's runs and then all of the other's (as
hyperfine does) can shift a ratio by a third. Output, one line per command in order:
    <median seconds> <mean seconds> <min seconds>
"""
import shlex
import shutil
import statistics
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    runs, warmups, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    commands = [shlex.split(c.replace("{out}", out)) for c in sys.argv[4:]]
    times = [[] for _ in commands]
    for round_ in range(warmups + runs):
        for k, argv in enumerate(commands):
            shutil.rmtree(out, ignore_errors=True)
            start = time.perf_counter()
            rc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode
            elapsed = time.perf_counter() - start
            if rc != 0:
                print(f"command failed ({rc}): {shlex.join(argv)}", file=sys.stderr)
                return 1
            if round_ >= warmups:
                times[k].append(elapsed)
    shutil.rmtree(out, ignore_errors=True)
    for t in times:
        print(f"{statistics.median(t):.4f} {statistics.fmean(t):.4f} {min(t):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
