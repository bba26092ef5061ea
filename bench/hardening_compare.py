#!/usr/bin/env python3
"""Per-file comparison of `checksec --dir=DIR --output=csv` with `iotaudit hardening DIR -f json`.

    hardening_compare.py CHECKSEC_CSV IOTAUDIT_JSON DIR

Prints the number of files each tool reports, agreement per mitigation (NX, PIE, RELRO, canary)
over the files both report, and every kind of disagreement with its count and up to three
example paths.
"""
import collections
import csv
import json
import sys

cs_csv, ia_json, root = sys.argv[1], sys.argv[2], sys.argv[3].rstrip("/")

RELRO = {"Full RELRO": "full", "Partial RELRO": "partial", "No RELRO": "none"}
CANARY = {"Canary found": "yes", "No Canary found": "no"}
NX = {"NX enabled": "yes", "NX disabled": "no"}
PIE = {"PIE enabled": "yes", "No PIE": "no", "DSO": "dso", "REL": "rel"}

checksec = {}
with open(cs_csv, newline="") as f:
    for row in csv.reader(f):
        if len(row) < 11 or row[0] not in RELRO:
            continue
        path = row[-1]
        if path.startswith(root + "/"):
            path = path[len(root):]
        checksec[path] = {"relro": RELRO[row[0]], "canary": CANARY.get(row[1], row[1]),
                          "nx": NX.get(row[2], row[2]), "pie": PIE.get(row[3], row[3])}

iotaudit = {}
for f in json.load(open(ia_json))["files"]:
    iotaudit[f["path"]] = {"relro": f["relro"], "canary": f["canary"], "nx": f["nx"],
                           "pie": f["pie"], "type": f["type"], "machine": f["machine"]}

both = sorted(set(checksec) & set(iotaudit))
print(f"files: checksec {len(checksec)}, iotaudit {len(iotaudit)}, both {len(both)}")
for p in sorted(set(checksec) - set(iotaudit))[:5]:
    print(f"  only checksec: {p}")
for p in sorted(set(iotaudit) - set(checksec))[:5]:
    print(f"  only iotaudit: {p}")
# Kernel modules and object files (ET_REL) have no program headers: checksec still calls their NX
# "disabled", iotaudit "unknown"; agreement is given with and without them.
linked = [p for p in both if iotaudit[p]["type"] != "REL"]
for field in ("nx", "pie", "relro", "canary"):
    agree = sum(checksec[p][field] == iotaudit[p][field] for p in both)
    agree_linked = sum(checksec[p][field] == iotaudit[p][field] for p in linked)
    print(f"{field:7} agree {agree}/{len(both)} (executables and libraries: {agree_linked}/{len(linked)})")
kinds = collections.defaultdict(list)
for p in both:
    for field in ("nx", "pie", "relro", "canary"):
        c, i = checksec[p][field], iotaudit[p][field]
        if c != i:
            kinds[(field, iotaudit[p]["type"], iotaudit[p]["machine"], c, i)].append(p)
for (field, typ, machine, c, i), paths in sorted(kinds.items()):
    print(f"  {field}: checksec {c} / iotaudit {i} ({typ}, {machine}): {len(paths)} files, e.g. "
          + ", ".join(paths[:3]))
