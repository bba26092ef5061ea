#!/usr/bin/env bash
# `iotaudit match` on several SBOMs (--output-dir): every report is byte for byte the report of a
# run on that SBOM alone, names that collide are numbered, an unreadable SBOM is reported (exit 3)
# without stopping the others, and the usage errors are refused.
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

rc=0; "$bin" match -q --db "$work/v.db" "$work/a/cam.cdx.json" "$work/other.json" 2>/dev/null || rc=$?
[[ $rc -eq 2 ]] || fail "several SBOMs without --output-dir: expected exit 2, got $rc"
rc=0; "$bin" match -q --db "$work/v.db" "$work/other.json" --output-dir "$work/o2" -o x.json 2>/dev/null || rc=$?
[[ $rc -eq 2 ]] || fail "-o with --output-dir: expected exit 2, got $rc"
rc=0; "$bin" match -q --db "$work/v.db" "$work/a/cam.cdx.json" "$work/other.json" --output-dir "$work/o3" \
  --fail-on low 2>/dev/null || rc=$?
[[ $rc -eq 1 ]] || fail "--fail-on low over the batch: expected exit 1, got $rc"
echo "batch match: ok"
