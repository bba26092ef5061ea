#!/usr/bin/env bash
# Re-checking stored SBOMs against a vulnerability database, in one run on the same machine:
#  - SBOMs of the demo image and four real images (`iotaudit sbom --no-db`);
#  - `iotaudit version`, the cost of starting and ending the process at that moment;
#  - `iotaudit match SBOM -o OUT` end to end for each (hyperfine: process start, SBOM parsing,
#    matching, CycloneDX written);
#  - a fleet of 120 SBOMs (40 copies each of three kernel SBOMs) in one `iotaudit match` run,
#    CycloneDX, then CycloneDX and SARIF;
#  - the matcher in process (match_bench: the same SBOMs, and 1,000 synthetic components).
# Usage: bench/match_speed.sh DB [BUILD_DIR]   (DB: a database from `iotaudit db import`, e.g. of
# every feed in ../shared/realdata/vulndata as bench/vulndb_speed.sh builds it)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
db="${1:?usage: bench/match_speed.sh DB [BUILD_DIR]}"
build="${2:-$repo/build/release}"
bin="$build/apps/iotaudit/iotaudit"
fw="$repo/../shared/realdata/firmware"
command -v hyperfine >/dev/null || { echo "hyperfine is needed (scripts/install-deps.sh --bench)"; exit 77; }
cmake --build "$build" --target iotaudit match_bench >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

declare -A inputs=(
  [demo]="$repo/demo/out/democam-fw-2.4.1.bin"
  [lancom]="$fw/lancom-fact-test/test.ros"
  [yi-camera]="$fw/yi-home-1080p-bfus-mtd-dump"
  [mr3020]="$fw/openwrt-12.09.2-librarybox-tl-mr3020/openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin"
  [wr841n]="$fw/tplink-tl-wr841n-v14-spi-dump"
)
names=()
for n in demo lancom yi-camera mr3020 wr841n; do
  [[ -e "${inputs[$n]}" ]] || { echo "skipping $n: no ${inputs[$n]}"; continue; }
  "$bin" sbom -q --no-db "${inputs[$n]}" -o "$work/$n.cdx.json"
  names+=("$n")
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
# The floor of any run at this moment (the VM's speed drifts): starting and ending the process.
hyperfine -N -w 3 -r 30 "$bin version" --export-json "$work/hf.json" >/dev/null 2>&1
python3 -c "import json; r=json.load(open('$work/hf.json'))['results'][0]; print('process floor: iotaudit version median %.1f ms, min %.1f ms' % (r['median']*1e3, r['min']*1e3))"
for n in "${names[@]}"; do
  hyperfine -N -w 2 -r 15 "$bin match -q --db $db $work/$n.cdx.json -o $work/out.json" \
    --export-json "$work/hf.json" >/dev/null 2>&1
  matches=$("$bin" match --db "$db" "$work/$n.cdx.json" -o "$work/out.json" 2>&1 | sed -n 's/.*, \([0-9]*\) affecting.*/\1/p')
  python3 -c "import json; r=json.load(open('$work/hf.json'))['results'][0]; print('%-10s %5s affecting matches | iotaudit match median %.1f ms, min %.1f ms' % ('$n', '$matches', r['median']*1e3, r['min']*1e3))"
done
fleet=()
for n in yi-camera mr3020 wr841n; do
  [[ -f "$work/$n.cdx.json" ]] || continue
  for i in $(seq 1 40); do cp "$work/$n.cdx.json" "$work/fleet-$n-$i.cdx.json"; fleet+=("$work/fleet-$n-$i.cdx.json"); done
done
if ((${#fleet[@]})); then
  /usr/bin/time -f "fleet of ${#fleet[@]} SBOMs, CycloneDX: wall %e s, max RSS %M KB" \
    "$bin" match -q --db "$db" "${fleet[@]}" --output-dir "$work/fleet-out"
  rm -rf "$work/fleet-out"
  /usr/bin/time -f "fleet of ${#fleet[@]} SBOMs, CycloneDX and SARIF: wall %e s, max RSS %M KB" \
    "$bin" match -q --db "$db" "${fleet[@]}" --output-dir "$work/fleet-out" -f cyclonedx -f sarif
fi
for n in "${names[@]}"; do
  echo "in process, $n: $("$build/match_bench" --db "$db" --sbom "$work/$n.cdx.json" --repeat 9 | tail -1)"
done
echo "in process, synthetic: $("$build/match_bench" --db "$db" --synthetic 1000 --repeat 9 | tail -1)"
