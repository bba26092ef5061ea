#!/usr/bin/env bash
# Accuracy of default- and empty-password detection on the ground-truth corpus: scans every image
# in ${IOTAUDIT_SHARED_DIR:-../shared}/corpus/index.json with `iotaudit scan IMAGE -f json -q`,
# compares the credentials.default_password / credentials.empty_password findings with the
# default_password / empty_password issues of IMAGE's truth file (same kind, account and path),
# and writes bench/accuracy/passwords.md: per-image TP/FP/FN and overall precision/recall.
#   bench/accuracy/passwords.sh [IOTAUDIT_BINARY]
# Needs bash and python3 (standard library only).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin_arg=${1:-build/release/apps/iotaudit/iotaudit}
bin=$bin_arg
[[ "$bin" = /* ]] || bin="$repo/$bin"
shared=${IOTAUDIT_SHARED_DIR:-$repo/../shared}
corpus="$shared/corpus"
out="$here/passwords.md"
[[ -x "$bin" ]] || { echo "passwords.sh: $bin is not an executable (give the iotaudit binary)" >&2; exit 2; }
[[ -f "$corpus/index.json" ]] || { echo "passwords.sh: no corpus at $corpus (set IOTAUDIT_SHARED_DIR)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One scan per image; the exit code goes next to the report.
while IFS= read -r file; do
  set +e
  "$bin" scan "$corpus/$file" -f json -q >"$work/$file.json" 2>"$work/$file.err"
  echo $? >"$work/$file.rc"
  set -e
done < <(python3 -c 'import json,sys; [print(i["file"]) for i in json.load(open(sys.argv[1]))["images"]]' "$corpus/index.json")

python3 - "$corpus" "$work" "$out" "bench/accuracy/passwords.sh $bin_arg" "$("$bin" version)" <<'EOF'
import datetime, json, os, sys

corpus, work, out, command, version = sys.argv[1:6]
KINDS = {"default_password": "credentials.default_password", "empty_password": "credentials.empty_password"}
CHECK_TO_KIND = {v: k for k, v in KINDS.items()}
# Outer formats the tool is expected to read today (the same list as tests/corpus/corpus_test.cpp);
# flash images count when their root filesystem is squashfs.
SUPPORTED = {"squashfs", "trx", "uimage-multi", "zip-bundle", "tar.gz", "cpio.gz", "zip", "fit"}

def supported(truth):
    image = truth["image"]
    if image["format"] == "flash":
        return any(l.get("mount") == "/" and l["type"] == "squashfs" for l in image["layers"])
    return image["format"] in SUPPORTED

def truth_keys(truth):
    return {(i["kind"], i["detail"].get("user", ""), i["path"]) for i in truth["issues"] if i["kind"] in KINDS}

def reported_keys(report):
    keys = set()
    for f in report.get("findings", []):
        kind = CHECK_TO_KIND.get(f.get("check"))
        if kind and f.get("evidence"):
            e = f["evidence"][0]
            keys.add((kind, e.get("facts", {}).get("account", ""), e.get("path", "")))
    return keys

def ratio(a, b):
    return "n/a" if b == 0 else "%.0f%%" % (100.0 * a / b)

def summary(c):
    return "TP %d, FP %d, FN %d: precision %s, recall %s" % (
        c["tp"], c["fp"], c["fn"], ratio(c["tp"], c["tp"] + c["fp"]), ratio(c["tp"], c["tp"] + c["fn"]))

index = json.load(open(os.path.join(corpus, "index.json")))
rows = []
totals = {name: {"tp": 0, "fp": 0, "fn": 0} for name in ("all", "supported")}
by_kind = {k: {"tp": 0, "fp": 0, "fn": 0} for k in KINDS}
for img in index["images"]:
    truth = json.load(open(os.path.join(corpus, img["truth"])))
    rc = open(os.path.join(work, img["file"] + ".rc")).read().strip()
    try:
        report = json.load(open(os.path.join(work, img["file"] + ".json")))
    except ValueError:
        report = {}
    want, got = truth_keys(truth), reported_keys(report)
    c = {"tp": len(want & got), "fp": len(got - want), "fn": len(want - got)}
    sup = supported(truth)
    for name in ("all",) + (("supported",) if sup else ()):
        for k in c:
            totals[name][k] += c[k]
    for kind in KINDS:
        by_kind[kind]["tp"] += len({x for x in want & got if x[0] == kind})
        by_kind[kind]["fp"] += len({x for x in got - want if x[0] == kind})
        by_kind[kind]["fn"] += len({x for x in want - got if x[0] == kind})
    notes = []
    if rc != "0":
        notes.append("scan exit %s" % rc)
    notes += ["missed %s %s %s" % x for x in sorted(want - got)]
    notes += ["extra %s %s %s" % x for x in sorted(got - want)]
    if not sup:
        notes.append("format not supported yet")
    rows.append("| %s | %s | %s | %d | %d | %d | %d | %d | %s |" % (
        img["file"], truth["image"]["format"], "yes" if sup else "no", len(want),
        len(report.get("root_filesystems", [])), c["tp"], c["fp"], c["fn"], "; ".join(notes)))

with open(out, "w") as f:
    f.write("# Default and empty passwords: accuracy on the corpus\n\n")
    f.write("Command: `%s` (%s, %s).\n" % (command, datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"), version))
    f.write("Each image is scanned with `iotaudit scan IMAGE -f json -q`. A finding of "
            "`credentials.default_password` or `credentials.empty_password` is a true positive when the "
            "image's truth file lists an issue of the same kind (`default_password`, `empty_password`) "
            "for the same account (`detail.user`) at the same path; any other such finding is a false "
            "positive, and every unmatched truth issue a false negative.\n\n")
    f.write("- all %d images: %s\n" % (len(index["images"]), summary(totals["all"])))
    f.write("- images in formats the tool reads today: %s\n" % summary(totals["supported"]))
    for kind in KINDS:
        f.write("- %s, all images: %s\n" % (kind, summary(by_kind[kind])))
    f.write("\n| image | format | supported | truth issues | root filesystems read | TP | FP | FN | notes |\n")
    f.write("|---|---|---|---:|---:|---:|---:|---:|---|\n")
    f.write("\n".join(rows) + "\n")
EOF
cat "$out"
