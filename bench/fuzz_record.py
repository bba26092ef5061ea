#!/usr/bin/env python3
"""Writes bench/FUZZING.md from the logs of tests/fuzz/run_fuzzers.sh (BUILD/fuzz-runs/<target>/).

    bench/fuzz_record.py [--build build/fuzz] [--min-seconds 600] [--note TEXT]

One row per target that has a log: seconds run, executions, executions per second, new corpus
units, peak RSS, corpus size, and what libFuzzer left in artifacts/ (crash-, oom-, timeout-
reproducers). Targets below --min-seconds are listed as short runs.
"""
import argparse
import glob
import os
import re
import sys
import time


def stat(log, key):
    m = re.findall(rf"stat::{key}:\s*(\d+)", log)
    return int(m[-1]) if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/fuzz")
    ap.add_argument("--min-seconds", type=int, default=600)
    ap.add_argument("--note", default="")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "FUZZING.md"))
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    targets = sorted(os.path.basename(p)[:-len("_fuzz.cpp")]
                     for p in glob.glob(os.path.join(here, "..", "tests", "fuzz", "*_fuzz.cpp")))
    rows, long_runs, missing = [], [], []
    for t in targets:
        d = os.path.join(a.build, "fuzz-runs", t)
        logp = os.path.join(d, "fuzz.log")
        if not os.path.isfile(logp):
            missing.append(t)
            continue
        log = open(logp, errors="replace").read()
        m = re.search(r"Done (\d+) runs in (\d+) second", log)
        secs = int(m.group(2)) if m else None
        execs = stat(log, "number_of_executed_units")
        rate = stat(log, "average_exec_per_sec")
        new = stat(log, "new_units_added")
        rss = stat(log, "peak_rss_mb")
        corpus = len(os.listdir(os.path.join(d, "corpus"))) if os.path.isdir(os.path.join(d, "corpus")) else 0
        arts = sorted(os.listdir(os.path.join(d, "artifacts"))) if os.path.isdir(os.path.join(d, "artifacts")) else []
        when = time.strftime("%Y-%m-%d", time.gmtime(os.path.getmtime(logp)))
        if secs is not None and secs >= a.min_seconds:
            long_runs.append(t)
        rows.append(f"| `{t}` | {when} | {secs if secs is not None else 'stopped'} | {execs or '?'} | {rate or '?'} | "
                    f"{new or 0} | {rss or '?'} | {corpus} | {', '.join(arts) or 'none'} |")
    lines = ["# Fuzzing record", "",
             "Every parser and unpacker has a libFuzzer target in `tests/fuzz/` (ASan + UBSan, clang; see "
             "`docs/fuzzing.md`). This file is written by `bench/fuzz_record.py` from the logs of",
             "", "```sh", "cmake --preset fuzz && cmake --build build/fuzz --target fuzzers",
             "tests/fuzz/run_fuzzers.sh -t 600 -j 1 TARGET...   # 10 minutes per target", "bench/fuzz_record.py", "```", "",
             f"Targets: {len(targets)}; run for at least {a.min_seconds} s in the last recorded campaign: "
             f"{len(long_runs)} ({', '.join(long_runs) or 'none'}); shorter runs are listed with their time; "
             f"not run in this build directory: {', '.join(missing) or 'none'}.", ""]
    if a.note:
        lines += [a.note, ""]
    lines += ["| target | date | seconds | executions | exec/s | new units | peak RSS (MiB) | corpus | artifacts |",
              "|---|---|---:|---:|---:|---:|---:|---:|---|"] + rows
    lines += ["", "An artifact listed here is a reproducer libFuzzer kept; each one found so far has been fixed and "
              "kept in `tests/fuzz/crashes/<target>/`, which the test suite replays."]
    open(a.out, "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
