#!/usr/bin/env python3
"""Component identification against the corpus truth: precision and recall of (product, version).

    bench/accuracy/components.py IOTAUDIT_BINARY [--shared DIR] [--out FILE] [--check]

Each corpus image is scanned with `iotaudit scan -f json`; its components (classifier id and
version) are compared with the truth's components (name and upstream_version). Truth names that
differ from classifier ids are mapped below. With --check the exit status is 1 when any reported
component is not in the truth (a false positive) - recall is reported, not gated, so the test
suite fails on a wrong identification, not on a product nobody taught the tool yet.
"""
import argparse
import json
import os
import subprocess
import sys

# truth component name -> iotaudit classifier id
NAME_MAP = {"linux": "linux-kernel", "gdbserver": "gdb", "gcc-runtime": "gcc"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--shared", default=os.environ.get("IOTAUDIT_SHARED_DIR",
                                                       os.path.join(os.path.dirname(__file__), "../../../shared")))
    ap.add_argument("--out")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    corpus = os.path.join(a.shared, "corpus")
    if not os.path.isfile(os.path.join(corpus, "index.json")):
        print(f"SKIP: no corpus at {corpus}")
        return 77
    known = set()
    listing = subprocess.run([a.binary, "list", "components"], capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        if line.startswith("| `"):
            known.add(line.split("`")[1])
    rows, tp_all, fp_all, fn_all, fn_known = [], 0, 0, 0, 0
    fps, misses = [], {}
    for img in json.load(open(os.path.join(corpus, "index.json")))["images"]:
        truth = json.load(open(os.path.join(corpus, img["truth"])))
        want = {(NAME_MAP.get(c["name"], c["name"]), c.get("upstream_version") or c["version"])
                for c in truth["components"]}
        rep = json.loads(subprocess.run([a.binary, "scan", "-q", "-f", "json", os.path.join(corpus, img["file"])],
                                        capture_output=True, text=True).stdout)
        got = {(c["id"], c["version"]) for c in rep["components"]}
        tp, fp, fn = got & want, got - want, want - got
        tp_all += len(tp)
        fp_all += len(fp)
        fn_all += len(fn)
        fn_known += sum(1 for p, _ in fn if p in known)
        fps += [f'{img["file"]}: {p} {v}' for p, v in sorted(fp)]
        for p, v in fn:
            misses[p] = misses.get(p, 0) + 1
        rows.append((img["file"], len(want), len(tp), len(fp), len(fn),
                     ", ".join(f"{p} {v}" for p, v in sorted(fn)), ", ".join(f"{p} {v}" for p, v in sorted(fp))))
    prec = tp_all / max(tp_all + fp_all, 1)
    rec = tp_all / max(tp_all + fn_all, 1)
    lines = ["# Component identification on the corpus", "",
             "Command: `bench/accuracy/components.py BINARY --out bench/accuracy/components.md`.", "",
             f"(product, version) pairs in the truth: {tp_all + fn_all}; found: {tp_all}; false identifications: "
             f"{fp_all}. Precision {100 * prec:.1f} %, recall {100 * rec:.1f} %.", "",
             "Missed products, and why: " + (", ".join(
                 f"{p} ({n}{'' if p in known else ', no classifier'})" for p, n in sorted(misses.items())) or "none")
             + ".", "",
             "| image | truth | found | false | missed | missed components | false identifications |",
             "|---|---:|---:|---:|---:|---|---|"]
    for r in rows:
        lines.append("| " + " | ".join(str(x) for x in r) + " |")
    text = "\n".join(lines) + "\n"
    if a.out:
        open(a.out, "w").write(text)
    print(text)
    if a.check and fps:
        print("false identifications:\n  " + "\n  ".join(fps), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
