#!/usr/bin/env python3
"""Scans every real firmware image with a vulnerability database and prints (1) the CVE list per
image, by component, matcher and confidence, and (2) a deterministic sample of matches to audit
by hand: per component up to two CVEs, plus kernel matches of each matcher. The audit verdicts
live in bench/vuln_audit.md.

  bench/accuracy/vuln_audit.py IOTAUDIT DB [--shared ../shared] [--out DIR] [--seed 3]
"""
import argparse
import collections
import glob
import json
import os
import random
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iotaudit")
    ap.add_argument("db")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "../../../shared"))
    ap.add_argument("--out", default="/tmp/iotaudit-vuln-audit")
    ap.add_argument("--seed", type=int, default=3)
    a = ap.parse_args()
    fw = os.path.join(a.shared, "realdata/firmware")
    if not os.path.isdir(fw):
        print(f"no {fw}", file=sys.stderr)
        return 77
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for d in sorted(glob.glob(os.path.join(fw, "*/"))):
        name = os.path.basename(os.path.dirname(d))
        files = sorted((f for f in glob.glob(os.path.join(d, "*")) if os.path.isfile(f)), key=os.path.getsize)
        if not files:
            continue
        image = files[-1]  # the largest file of the directory is the image
        out = os.path.join(a.out, name + ".json")
        subprocess.run([a.iotaudit, "scan", "-q", "--db", a.db, image, "-f", "json", "-o", out], check=True)
        r = json.load(open(out))
        vs = r["vulnerabilities"]
        affected = [v for v in vs if v["status"] == "affected"]
        print(f"\n{name}: {len(r['components'])} components, {len(affected)} affecting matches "
              f"({sum(v['kev'] for v in affected)} in CISA KEV), {len(vs) - len(affected)} ruled out")
        c = collections.Counter((v["component"], v["matcher"], v["status"], v["confidence"]) for v in vs)
        for (comp, matcher, status, conf), n in sorted(c.items()):
            print(f"  {comp:<34} {matcher:<18} {status:<13} {conf:<7} {n:>5}")
        rows += [(name, v) for v in vs]
    # The sample depends on which matches exist, not on their order or status in the report.
    rows.sort(key=lambda x: (x[0], x[1]["component"], x[1]["cve"]))
    rng = random.Random(a.seed)
    nonk = [x for x in rows if "linux-kernel" not in x[1]["component"]]
    kern = [x for x in rows if "linux-kernel" in x[1]["component"]]
    rng.shuffle(nonk)
    rng.shuffle(kern)
    seen, per, sample = set(), collections.Counter(), []
    for img, v in nonk:
        key = (v["component"], v["cve"])
        if key in seen or per[v["component"]] >= 2:
            continue
        seen.add(key)
        per[v["component"]] += 1
        sample.append((img, v))
    for matcher in ("linux-kernel-cves", "nvd-cpe"):
        sample += [x for x in kern if x[1]["matcher"] == matcher][:5]
    print(f"\nAudit sample ({len(sample)} matches, seed {a.seed}):")
    for i, (img, v) in enumerate(sample, 1):
        print(f"{i:>3}. {img} | {v['component']} | {v['cve']} | {v['status']}/{v['confidence']} | {v['matcher']}")
        print(f"     found: {v['found']}")
        print(f"     reason: {v['reason']}")
        print(f"     NVD: {v['description'][:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
