#!/usr/bin/env bash
# `iotaudit match` on several SBOMs (--output-dir): every report is byte for byte the report of a
# run on that SBOM alone, names that collide are numbered, an unreadable SBOM is reported (exit 3)
# without stopping the others, and the usage errors are refused. A database of the older schema is
# refused with the way out named, and `db upgrade` converts it to one that answers the same.
#   check_batch.sh IOTAUDIT_BINARY SOURCE_DIR WORK_DIR
set -euo pipefail
bin=$(realpath "$1") src=$(realpath "$2") work=$3
rm -rf "$work" && mkdir -p "$work/a" "$work/b"
fx="$src/tests/schema/fixtures"
"$bin" db import -q --db "$work/v.db" "$fx/nvd-test.json" "$fx/kev-test.json" >/dev/null
image=$("$src/demo/build-image.sh" "$work/demo")
"$bin" sbom -q --no-db "$image" -o "$work/a/cam.cdx.json"
python3 "$src/tests/golden/build_fixture.py" "$work/goldencam.bin"
"$bin" sbom -q --no-db "$work/goldencam.bin" -o "$work/b/cam.cdx.json"   # same file name, other SBOM
cp "$work/a/cam.cdx.json" "$work/other.json"
printf '{"bomFormat": "CycloneDX", "components": 7}\n' >"$work/broken.cdx.json"

fail() { echo "FAIL: $*" >&2; exit 1; }

rc=0
"$bin" match --db "$work/v.db" "$work/a/cam.cdx.json" "$work/broken.cdx.json" "$work/b/cam.cdx.json" \
  "$work/other.json" --output-dir "$work/out" -f cyclonedx -f sarif 2>"$work/batch.err" || rc=$?
[[ $rc -eq 3 ]] || fail "expected exit 3 for the unreadable SBOM, got $rc"
grep -q "broken.cdx.json" "$work/batch.err" || fail "the unreadable SBOM is not named: $(cat "$work/batch.err")"
expected="cam.sarif cam.vulns.cdx.json cam-2.sarif cam-2.vulns.cdx.json other.sarif other.vulns.cdx.json"
got=$(cd "$work/out" && ls | sort | tr '\n' ' ' | sed 's/ $//')
[[ "$got" == "$(tr ' ' '\n' <<<"$expected" | sort | tr '\n' ' ' | sed 's/ $//')" ]] || fail "reports: $got"

check_same() {  # SBOM NAME: a run on SBOM alone writes what the batch wrote as NAME.*
  "$bin" match -q --db "$work/v.db" "$1" -o "$work/single.json" -f sarif -o "$work/single.sarif"
  cmp -s "$work/single.json" "$work/out/$2.vulns.cdx.json" || fail "$2.vulns.cdx.json differs from a single run"
  cmp -s "$work/single.sarif" "$work/out/$2.sarif" || fail "$2.sarif differs from a single run"
}
check_same "$work/a/cam.cdx.json" cam
check_same "$work/b/cam.cdx.json" cam-2
check_same "$work/other.json" other
python3 - "$work/out/cam.vulns.cdx.json" "$work/out/cam-2.vulns.cdx.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    vulns = json.load(open(path)).get("vulnerabilities", [])
    assert vulns, f"{path}: no vulnerabilities: the comparison proves nothing"
PY

# IOTAUDIT_TRACE: the phases on stderr, in order, and the same report; nothing without it.
IOTAUDIT_TRACE=1 "$bin" match -q --db "$work/v.db" "$work/other.json" -o "$work/traced.json" 2>"$work/trace.err"
cmp -s "$work/traced.json" "$work/out/other.vulns.cdx.json" || fail "a traced run writes another report"
phases=$(sed -n 's/^ *[0-9.]*  [0-9]*  //p' "$work/trace.err" | grep -xE "main|database open|SBOM parsed|matched|report written" | tr '\n' ,)
# The database opens beside the SBOM's parse: those two in either order.
[[ "$phases" == "main,database open,SBOM parsed,matched,report written," ||
   "$phases" == "main,SBOM parsed,database open,matched,report written," ]] || fail "trace phases: $(cat "$work/trace.err")"
"$bin" match -q --db "$work/v.db" "$work/other.json" -o "$work/untraced.json" 2>"$work/untraced.err"
[[ ! -s "$work/untraced.err" ]] || fail "output on stderr without IOTAUDIT_TRACE: $(cat "$work/untraced.err")"

rc=0; "$bin" match -q --db "$work/v.db" "$work/a/cam.cdx.json" "$work/other.json" 2>/dev/null || rc=$?
[[ $rc -eq 2 ]] || fail "several SBOMs without --output-dir: expected exit 2, got $rc"
rc=0; "$bin" match -q --db "$work/v.db" "$work/other.json" --output-dir "$work/o2" -o x.json 2>/dev/null || rc=$?
[[ $rc -eq 2 ]] || fail "-o with --output-dir: expected exit 2, got $rc"
rc=0; "$bin" match -q --db "$work/v.db" "$work/a/cam.cdx.json" "$work/other.json" --output-dir "$work/o3" \
  --fail-on low 2>/dev/null || rc=$?
[[ $rc -eq 1 ]] || fail "--fail-on low over the batch: expected exit 1, got $rc"
# A full device: the report cannot be written in full, which is exit 4, never a silent 0.
if [[ -w /dev/full ]]; then
  rc=0; "$bin" match -q --db "$work/v.db" "$work/other.json" -o /dev/full 2>/dev/null || rc=$?
  [[ $rc -eq 4 ]] || fail "report to a full device: expected exit 4, got $rc"
  rc=0; "$bin" match -q --db "$work/v.db" "$work/other.json" >/dev/full 2>/dev/null || rc=$?
  [[ $rc -eq 4 ]] || fail "report on a full standard output: expected exit 4, got $rc"
fi
# Schema 1: the product index without entries.
python3 - "$work/v.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""CREATE TABLE a1(vendor TEXT NOT NULL, product TEXT NOT NULL, cve INTEGER NOT NULL);
INSERT INTO a1 SELECT vendor, product, cve FROM affects; DROP TABLE affects; ALTER TABLE a1 RENAME TO affects;
CREATE INDEX affects_cve ON affects(cve); PRAGMA user_version = 1;""")
db.commit()
PY
rc=0; "$bin" match -q --db "$work/v.db" "$work/other.json" -o "$work/old.json" 2>"$work/old.err" || rc=$?
[[ $rc -eq 3 ]] || fail "schema 1 database: expected exit 3, got $rc"
grep -q "iotaudit db upgrade" "$work/old.err" || fail "the way out is not named: $(cat "$work/old.err")"
"$bin" db upgrade --db "$work/v.db" 2>/dev/null || fail "db upgrade failed"
"$bin" match -q --db "$work/v.db" "$work/other.json" -o "$work/upgraded.json"
cmp -s "$work/upgraded.json" "$work/out/other.vulns.cdx.json" || fail "the upgraded database answers differently"
rc=0; "$bin" db upgrade --db "$work/missing.db" 2>/dev/null || rc=$?
[[ $rc -eq 3 && ! -e "$work/missing.db" ]] || fail "db upgrade of a missing file: expected exit 3 and no file, got $rc"
echo "batch match: ok"
