#!/usr/bin/env bash
# SARIF output against the official SARIF 2.1.0 JSON schema (the OASIS 2.1.0 schema as shipped in
# the npm package @microsoft/jest-sarif, lib/schemas/sarif-2.1.0-rtm.5.json; fetched once with
# `npm pack`, kept under ~/.cache/iotaudit): `scan -f sarif` of the demo image with the test
# vulnerability feeds and VEX of tests/schema/fixtures, of the golden fixture image (hostile names in
# URIs), of corpus images when ../shared is present, and `iotaudit match -f sarif` of an SBOM.
# Exits 77 (skipped) only when the schema package cannot be fetched.
#   check_sarif.sh IOTAUDIT_BINARY SOURCE_DIR WORK_DIR [SHARED_DIR]
set -euo pipefail
bin=$(realpath "$1") src=$(realpath "$2") work=$3 shared=${4:-}
rm -rf "$work" && mkdir -p "$work"
pkg="@microsoft/jest-sarif@1.0.0-beta.0"
tgz_name="microsoft-jest-sarif-1.0.0-beta.0.tgz"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/iotaudit/npm"
mkdir -p "$cache"
if [[ ! -f "$cache/$tgz_name" ]]; then
  if ! (cd "$cache" && npm pack "$pkg" --silent >/dev/null 2>&1) || [[ ! -f "$cache/$tgz_name" ]]; then
    echo "SKIP: cannot fetch $pkg with npm"
    exit 77
  fi
fi
tar -xzf "$cache/$tgz_name" -C "$work" package/lib/schemas/sarif-2.1.0-rtm.5.json
schema="$work/package/lib/schemas/sarif-2.1.0-rtm.5.json"

fx="$src/tests/schema/fixtures"
"$bin" db import -q --db "$work/v.db" "$fx/nvd-test.json" "$fx/kev-test.json" >/dev/null
image=$("$src/demo/build-image.sh" "$work/demo")
python3 "$src/tests/golden/build_fixture.py" "$work/goldencam.bin"
inputs=("$image" "$work/goldencam.bin")
if [[ -n "$shared" && -d "$shared/corpus" ]]; then
  inputs+=("$shared/corpus/pub01-router-mipsel-flash8.bin" "$shared/corpus/pub11-voip-armhf-zipbundle.zip")
fi
logs=()
i=0
for img in "${inputs[@]}"; do
  "$bin" scan "$img" -q --db "$work/v.db" --vex "$fx/openvex-test.json" -f sarif -o "$work/s$i.sarif" -f cyclonedx -o "$work/c$i.json"
  logs+=("$work/s$i.sarif")
  i=$((i + 1))
done
"$bin" match -q --db "$work/v.db" "$work/c0.json" -o "$work/m.json" -f sarif -o "$work/m.sarif"
logs+=("$work/m.sarif")

python3 - "$schema" "${logs[@]}" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft4Validator.check_schema(schema)
validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
total = 0
for path in sys.argv[2:]:
    log = json.load(open(path))
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, f"{path} is not valid SARIF 2.1.0:\n" + "\n".join(
        f"  {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:10])
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"], r["ruleId"]
    total += len(run["results"])
assert total > 0, "no results at all: the schema check proves nothing"
print(f"ok: {len(sys.argv) - 2} SARIF log(s), {total} results, valid against the SARIF 2.1.0 schema")
PY
