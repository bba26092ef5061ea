#!/usr/bin/env python3
"""What iotaudit finds in each real vendor image of ../shared/realdata/firmware: containers,
filesystems with file counts, root filesystems, unclaimed bytes, diagnostics.

    bench/realdata_inventory.py IOTAUDIT_BINARY [--shared DIR] [--out FILE]
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
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "realdata_inventory.md"))
    a = ap.parse_args()
    root = os.path.join(a.shared, "realdata", "firmware")
    if not os.path.isdir(root):
        print(f"SKIP: {root} not present")
        return 77
    version = subprocess.run([a.binary, "version"], capture_output=True, text=True).stdout.strip()
    lines = ["# Real firmware: what iotaudit finds", "",
             f"Command: `bench/realdata_inventory.py BINARY` ({version}, {time.strftime('%Y-%m-%d')}).",
             "Each file of `../shared/realdata/firmware` is scanned with `iotaudit scan FILE -f json`.", "",
             "| image | size | seconds | layers (format@offset, status) | filesystems (files/links/dirs) | root filesystems | unclaimed: padding / data bytes | diagnostics | exit |",
             "|---|---:|---:|---|---|---:|---|---:|---:|"]
    for d in sorted(os.listdir(root)):
        for f in sorted(os.listdir(os.path.join(root, d))):
            path = os.path.join(root, d, f)
            t0 = time.monotonic()
            p = subprocess.run([a.binary, "scan", "-q", "-f", "json", path], capture_output=True, text=True)
            dt = time.monotonic() - t0
            if p.returncode != 0 or not p.stdout:
                lines.append(f"| {d}/{f} | {os.path.getsize(path)} | {dt:.2f} | | | | | | {p.returncode} |")
                continue
            r = json.loads(p.stdout)
            layers = "; ".join(f'{l["logical_path"].split(" » ", 1)[1]} ({l["status"]})' for l in r["layers"]) or "—"
            fss = "; ".join(f'{x["format"]}: {x["files"]}/{x["symlinks"]}/{x["directories"]}'
                            for x in r.get("filesystems", []) if not x["root_filesystem"]) or "—"
            pad = sum(u["length"] for u in r.get("unclaimed_regions", []) if u["fill"] != "mixed")
            data = sum(u["length"] for u in r.get("unclaimed_regions", []) if u["fill"] == "mixed")
            lines.append(f"| {d}/{f} | {r['input']['size']} | {dt:.2f} | {layers} | {fss} | "
                         f"{len(r['root_filesystems'])} | {pad} / {data} | {len(r['diagnostics'])} | {p.returncode} |")
    text = "\n".join(lines) + "\n"
    open(a.out, "w").write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
