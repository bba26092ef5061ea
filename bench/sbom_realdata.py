#!/usr/bin/env python3
"""Components iotaudit finds in the real firmware of ../shared/realdata/firmware, and, where an
image carries a package database, how the binaries compare with it.

    bench/sbom_realdata.py IOTAUDIT_BINARY [--shared DIR] [--out FILE]

For every image: the components found by binary classifiers (id version) and how many came from a
package database. For images with both: products named by both sources, with the versions each
gives (agreement is the same upstream version).
"""
import argparse
import json
import os
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--shared", default=os.environ.get("IOTAUDIT_SHARED_DIR",
                                                       os.path.join(os.path.dirname(__file__), "../../shared")))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "sbom_realdata.md"))
    a = ap.parse_args()
    root = os.path.join(a.shared, "realdata", "firmware")
    if not os.path.isdir(root):
        print(f"SKIP: no {root}")
        return 77
    lines = ["# Components in real firmware", "",
             f"Command: `bench/sbom_realdata.py BINARY` ({time.strftime('%Y-%m-%d')}). Every file of "
             "`../shared/realdata/firmware` larger than 64 KiB is scanned; classifier hits are listed as "
             "`id version`; `pkgdb` counts components named only by a package database.", "",
             "| image | seconds | components from binaries | pkgdb only |", "|---|---:|---|---:|"]
    compare = []
    for d in sorted(os.listdir(root)):
        for f in sorted(os.listdir(os.path.join(root, d))):
            p = os.path.join(root, d, f)
            if not os.path.isfile(p) or os.path.getsize(p) <= 65536:
                continue
            t0 = time.time()
            out = subprocess.run([a.binary, "scan", "-q", "-f", "json", p], capture_output=True, text=True)
            secs = time.time() - t0
            rep = json.loads(out.stdout)
            by_bin, by_db = {}, {}
            for c in rep["components"]:
                methods = {o["method"].split(":")[0] for o in c["occurrences"]}
                if "classifier" in methods:
                    by_bin.setdefault(c["id"], set()).add(c["version"])
                if "package-db" in methods:
                    by_db.setdefault(c["id"], set()).add(c["version"])
            only_db = sum(1 for c in rep["components"]
                          if {o["method"].split(":")[0] for o in c["occurrences"]} == {"package-db"})
            listing = ", ".join(f"{k} {'/'.join(sorted(v))}" for k, v in sorted(by_bin.items())) or "—"
            lines.append(f"| {d}/{f} | {secs:.2f} | {listing} | {only_db} |")
            if by_db:
                both = sorted(set(by_bin) & set(by_db))
                agree = sum(1 for k in both if by_bin[k] & by_db[k])
                compare.append((f"{d}/{f}", len(by_db), len(by_bin), both, agree, by_bin, by_db))
    if compare:
        lines += ["", "## Binaries against the package database", ""]
        for name, n_db, n_bin, both, agree, by_bin, by_db in compare:
            lines.append(f"`{name}`: the package database lists {n_db} packages; classifiers name {n_bin} products; "
                         f"{len(both)} products are named by both, and {agree} of them with the same version.")
            lines.append("")
            lines.append("| product | binaries | package database |")
            lines.append("|---|---|---|")
            for k in both:
                lines.append(f"| {k} | {'/'.join(sorted(by_bin[k]))} | {'/'.join(sorted(by_db[k]))} |")
            only_bin = sorted(set(by_bin) - set(by_db))
            if only_bin:
                lines.append("")
                lines.append("Found in binaries but not listed as packages: " +
                             ", ".join(f"{k} {'/'.join(sorted(by_bin[k]))}" for k in only_bin) + ".")
            lines.append("")
    text = "\n".join(lines) + "\n"
    open(a.out, "w").write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
