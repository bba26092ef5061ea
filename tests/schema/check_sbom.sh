#!/usr/bin/env bash
# SBOM output against the official schemas and the corpus:
#  1. CycloneDX output of the demo image and of corpus images validates against the CycloneDX 1.6
#     JSON schema, taken from the npm package @cyclonedx/cyclonedx-library (fetched once with
#     `npm pack`, kept under ~/.cache/iotaudit);
#  2. the SBOM lists the components the JSON report lists, with the image as root component;
#  3. SPDX 2.3 output has the fields SPDX 2.3 requires of a document and of each package, unique
#     SPDX ids, and relationships that name existing elements.
# Exits 77 (skipped) only when the schema package cannot be fetched.
#   check_sbom.sh IOTAUDIT_BINARY SOURCE_DIR WORK_DIR [SHARED_DIR]
set -euo pipefail
bin=$1 src=$2 work=$3 shared=${4:-}
rm -rf "$work" && mkdir -p "$work"
pkg="@cyclonedx/cyclonedx-library@6.13.1"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/iotaudit/npm"
mkdir -p "$cache"
tgz=$(ls "$cache"/cyclonedx-cyclonedx-library-6.13.1.tgz 2>/dev/null || true)
if [[ -z "$tgz" ]]; then
  if ! (cd "$cache" && npm pack "$pkg" --silent >/dev/null 2>&1); then
    echo "SKIP: cannot fetch $pkg with npm"
    exit 77
  fi
  tgz="$cache/cyclonedx-cyclonedx-library-6.13.1.tgz"
fi
tar -xzf "$tgz" -C "$work" package/res/schema
schemas="$work/package/res/schema"

image=$("$src/demo/build-image.sh" "$work/demo")
inputs=("$image")
if [[ -n "$shared" && -d "$shared/corpus" ]]; then
  inputs+=("$shared/corpus/pub01-router-mipsel-flash8.bin" "$shared/corpus/pub11-voip-armhf-zipbundle.zip")
fi
i=0
for img in "${inputs[@]}"; do
  "$bin" scan "$img" -q -f json -o "$work/r$i.json" -f cyclonedx -o "$work/c$i.json" -f spdx -o "$work/s$i.json"
  "$bin" sbom "$img" -q -o "$work/sbom$i.json"
  i=$((i + 1))
done

python3 - "$schemas" "$work" "$i" <<'PY'
import json, os, sys
import jsonschema
schemas, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def load(name):
    return json.load(open(os.path.join(schemas, name)))
bom = load("bom-1.6.SNAPSHOT.schema.json")
store = {"http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json": load("spdx.SNAPSHOT.schema.json"),
         "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json": load("jsf-0.82.SNAPSHOT.schema.json")}
resolver = jsonschema.RefResolver.from_schema(bom, store=store)
validator = jsonschema.Draft7Validator(bom, resolver=resolver)
for k in range(n):
    rep = json.load(open(f"{work}/r{k}.json"))
    cdx = json.load(open(f"{work}/c{k}.json"))
    errors = sorted(validator.iter_errors(cdx), key=lambda e: list(e.path))
    assert not errors, "CycloneDX invalid: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    assert json.load(open(f"{work}/sbom{k}.json"))["components"] == cdx["components"], "sbom and scan -f cyclonedx differ"
    want = {(c["id"], c["version"]) for c in rep["components"]}
    got = {(c["name"], c["version"]) for c in cdx["components"]}
    assert want == got and want, f"CycloneDX components {got} != report components {want}"
    assert cdx["metadata"]["component"]["name"] == rep["input"]["name"]
    deps = {d["ref"]: d.get("dependsOn", []) for d in cdx["dependencies"]}
    assert set(deps["firmware"]) == {c["bom-ref"] for c in cdx["components"]}
    for c in cdx["components"]:
        assert c["evidence"]["occurrences"], c["name"]
    # The compliance attestation: every verdict of the report is a requirement of its standard under
    # definitions.standards, mapped to one claim whose evidence names the verdict's findings.
    verdicts = {(v["standard_id"], v["provision"]): v for v in rep["verdicts"]}
    requirements = {r["bom-ref"] for s in cdx["definitions"]["standards"] for r in s["requirements"]}
    assert requirements == {f"requirement:{sid}:{p}" for sid, p in verdicts}, "requirements != verdicts"
    assert {s["bom-ref"] for s in cdx["definitions"]["standards"]} == {"standard:" + s["id"] for s in rep["standards"]}
    decl = cdx["declarations"]
    claims = {c["bom-ref"]: c for c in decl["claims"]}
    evidence = {e["bom-ref"] for e in decl.get("evidence", [])}
    mapped = 0
    for att in decl["attestations"]:
        assert att["assessor"] in {a["bom-ref"] for a in decl["assessors"]}
        for m in att["map"]:
            sid, prov = m["requirement"].split(":", 2)[1:]
            v = verdicts[(sid, prov)]
            refs = m.get("claims", []) + m.get("counterClaims", [])
            assert len(refs) == 1 and refs[0] in claims, m
            assert ("counterClaims" in m) == (v["status"] == "fail"), (m, v["status"])
            c = claims[refs[0]]
            assert c["predicate"].endswith(": " + v["status"]), (c["predicate"], v["status"])
            want_ev = {"evidence:finding:" + fp for fp in v["findings"]}
            assert want_ev <= set(c.get("evidence", [])) and set(c.get("evidence", [])) <= evidence, (c, v)
            mapped += 1
    assert mapped == len(verdicts), f"{mapped} requirements attested, {len(verdicts)} verdicts"
    # SPDX 2.3: required document and package fields.
    spdx = json.load(open(f"{work}/s{k}.json"))
    for key in ("spdxVersion", "dataLicense", "SPDXID", "name", "documentNamespace", "creationInfo", "packages"):
        assert key in spdx, f"SPDX document lacks {key}"
    assert spdx["spdxVersion"] == "SPDX-2.3" and spdx["dataLicense"] == "CC0-1.0"
    assert spdx["creationInfo"]["creators"] and spdx["creationInfo"]["created"].endswith("Z")
    ids = [p["SPDXID"] for p in spdx["packages"]]
    assert len(ids) == len(set(ids)), "duplicate SPDX ids"
    for p in spdx["packages"]:
        for key in ("SPDXID", "name", "downloadLocation"):
            assert key in p, f"SPDX package lacks {key}"
        assert p["SPDXID"].startswith("SPDXRef-") and all(ch.isalnum() or ch in ".-" for ch in p["SPDXID"][8:])
        # SPDX 2.3 JSON spells the purposes with underscores (tag-value uses hyphens).
        assert p.get("primaryPackagePurpose", "OTHER") in {
            "APPLICATION", "FRAMEWORK", "LIBRARY", "CONTAINER", "OPERATING_SYSTEM", "DEVICE", "FIRMWARE", "SOURCE",
            "ARCHIVE", "FILE", "INSTALL", "OTHER"}, p["primaryPackagePurpose"]
    known = set(ids) | {"SPDXRef-DOCUMENT"}
    for r in spdx["relationships"]:
        assert r["spdxElementId"] in known and r["relatedSpdxElement"] in known, r
    spdx_got = {(p["name"], p.get("versionInfo")) for p in spdx["packages"] if p["SPDXID"] != "SPDXRef-Firmware"}
    assert spdx_got == want, f"SPDX packages {spdx_got} != {want}"
print(f"ok: {n} image(s), CycloneDX 1.6 valid with the compliance attestation, SPDX 2.3 structure valid")
PY

# Vulnerabilities: a database from the test feeds in tests/schema/fixtures (written for this test),
# the demo image scanned against it, its SBOM re-checked with `iotaudit match`, and both CycloneDX
# outputs validated; SARIF structure, KEV, VEX suppression and the platform-only rule checked.
fx="$src/tests/schema/fixtures"
"$bin" db import -q --db "$work/v.db" "$fx/nvd-test.json" "$fx/kev-test.json" >/dev/null
"$bin" scan "$image" -q --db "$work/v.db" --vex "$fx/openvex-test.json" \
  -f json -o "$work/rv.json" -f cyclonedx -o "$work/cv.json" -f sarif -o "$work/sv.sarif"
"$bin" scan "$image" -q -j 1 --db "$work/v.db" --vex "$fx/openvex-test.json" -f json -o "$work/rv1.json"
"$bin" match -q --db "$work/v.db" --vex "$fx/openvex-test.json" "$work/sbom0.json" \
  -o "$work/mv.json" -f sarif -o "$work/mv.sarif"
python3 - "$schemas" "$work" <<'PY'
import json, os, sys
import jsonschema
schemas, work = sys.argv[1], sys.argv[2]
def load(name):
    return json.load(open(os.path.join(schemas, name)))
bom = load("bom-1.6.SNAPSHOT.schema.json")
store = {"http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json": load("spdx.SNAPSHOT.schema.json"),
         "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json": load("jsf-0.82.SNAPSHOT.schema.json")}
validator = jsonschema.Draft7Validator(bom, resolver=jsonschema.RefResolver.from_schema(bom, store=store))
rep = json.load(open(f"{work}/rv.json"))
assert rep["vulnerability_scan"]["database_present"], rep["vulnerability_scan"]
one = json.load(open(f"{work}/rv1.json"))
for r in (rep, one):
    r.pop("stats")
assert rep == one, "report with vulnerabilities differs between -j 1 and all cores"
status = {(v["cve"], v["component_id"]): v["status"] for v in rep["vulnerabilities"]}
assert status.get(("CVE-2099-0101", "busybox")) == "affected", status
assert status.get(("CVE-2099-0103", "u-boot")) == "suppressed", status          # the OpenVEX statement
assert ("CVE-2099-0104", "busybox") not in status, "a platform-only product was reported"
# Debian's busybox-static has no udhcpd: the applet filter rules CVE-2099-0102 out when so.
kev = [v for v in rep["vulnerabilities"] if v["cve"] == "CVE-2099-0101"][0]
assert kev["kev"] and kev["kev_detail"]["date_added"] == "2099-02-01", kev
for name in ("cv.json", "mv.json"):
    cdx = json.load(open(f"{work}/{name}"))
    errors = sorted(validator.iter_errors(cdx), key=lambda e: list(e.path))
    assert not errors, f"{name} invalid: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    refs = {c["bom-ref"] for c in cdx["components"]}
    vulns = {v["id"]: v for v in cdx["vulnerabilities"]}
    assert "CVE-2099-0101" in vulns and "CVE-2099-0104" not in vulns, sorted(vulns)
    for v in cdx["vulnerabilities"]:
        assert all(a["ref"] in refs for a in v["affects"]), v["affects"]
    assert vulns["CVE-2099-0103"]["analysis"]["state"] == "not_affected"
    assert vulns["CVE-2099-0103"]["analysis"]["justification"] == "code_not_reachable"
for name in ("sv.sarif", "mv.sarif"):
    s = json.load(open(f"{work}/{name}"))
    assert s["version"] == "2.1.0" and len(s["runs"]) == 1
    run = s["runs"][0]
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    for r in run["results"]:
        assert r["ruleId"] in rules and r["level"] in ("error", "warning", "note"), r
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri and not uri.startswith("/") and " " not in uri, uri
    res = {r["ruleId"]: r for r in run["results"]}
    assert "CVE-2099-0101" in res and res["CVE-2099-0101"]["level"] == "error"
    assert res["CVE-2099-0101"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bin/busybox"
    assert res["CVE-2099-0103"].get("suppressions"), "VEX-suppressed CVE must be a suppressed result"
print("ok: vulnerabilities in CycloneDX (scan and match) valid; SARIF structure, KEV, VEX and platform rule hold")
PY
