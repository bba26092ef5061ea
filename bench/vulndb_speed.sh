#!/usr/bin/env bash
# Vulnerability database speed, in one run on the same machine:
#  - `iotaudit db import` of every NVD JSON 1.1 feed in ../shared/realdata/vulndata (+ KEV, EPSS,
#    kernel fix data) into a fresh database, 3 times; then a second import of the same files
#    (unchanged files are skipped by SHA-256);
#  - for scale, a plain Python pass that only decompresses and json.loads the same feeds
#    (--python; about a minute);
#  - the matcher in-process (bench/tools/match_bench.cpp): a stored CycloneDX SBOM re-evaluated,
#    and 100 / 1000 synthetic components of real products at real versions;
#  - `iotaudit match SBOM` end to end (process start, database open, matching, CycloneDX written).
#   bench/vulndb_speed.sh [--python] [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
python=0
[[ "${1:-}" == "--python" ]] && { python=1; shift; }
build="${1:-$repo/build/release}"
bin="$build/apps/iotaudit/iotaudit"
vd="$repo/../shared/realdata/vulndata"
[[ -d "$vd" ]] || { echo "no $vd"; exit 77; }
cmake --build "$build" --target iotaudit match_bench >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sources=("$vd/nvd-json-1.1-feeds" "$vd/cisa-kev/known_exploited_vulnerabilities.json"
         "$vd/cve-bin-tool-epss-sample/epss_score_test.csv" "$vd/linux-kernel-cves/stream_fixes.json"
         "$vd/linux-kernel-cves/CVEs.txt")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for i in 1 2 3; do
  rm -f "$work/v.db"*
  /usr/bin/time -f "  wall %e s, user %U s, sys %S s, max RSS %M KB" "$bin" db import -q --db "$work/v.db" "${sources[@]}" 2>&1 |
    sed "s/^/import $i: /"
done
ls -l "$work/v.db" | awk '{printf "database size: %.0f MB\n", $5/1048576}'
/usr/bin/time -f "  wall %e s" "$bin" db import -q --db "$work/v.db" "${sources[@]}" 2>&1 | sed 's/^/re-import (unchanged): /'
if [[ $python == 1 ]]; then
  python3 - "$vd/nvd-json-1.1-feeds" <<'PY'
import glob, gzip, json, sys, time
t = time.time(); n = 0
for f in sorted(glob.glob(sys.argv[1] + "/*.json.gz")):
    n += len(json.load(gzip.open(f))["CVE_Items"])
print(f"python3 gzip+json.load only: {n} records in {time.time() - t:.1f} s")
PY
fi
img="$repo/../shared/realdata/firmware/openwrt-12.09.2-librarybox-tl-mr3020/openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin"
if [[ -f "$img" ]]; then
  "$bin" sbom -q --no-db "$img" -o "$work/openwrt.cdx.json"
  echo "SBOM re-evaluation (OpenWrt 12.09 image, 87 components, Linux 3.3.8):"
  "$build/match_bench" --db "$work/v.db" --sbom "$work/openwrt.cdx.json" --repeat 9 | sed 's/^/  /'
  for i in 1 2 3; do
    /usr/bin/time -f "  iotaudit match end to end: wall %e s" "$bin" match -q --db "$work/v.db" "$work/openwrt.cdx.json" -o "$work/out.json"
  done
fi
for n in 100 1000; do
  echo "synthetic $n components:"
  "$build/match_bench" --db "$work/v.db" --synthetic $n --repeat 5 | sed 's/^/  /'
done
