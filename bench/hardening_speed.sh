#!/usr/bin/env bash
# ELF hardening, iotaudit against Debian's checksec, in one run on the same machine:
#  - the OpenWrt 12.09 TL-MR3020 image from ../shared/realdata is extracted with `iotaudit extract`;
#  - `checksec --dir=DIR --output=csv` (once: it runs readelf several times per file) and
#    `iotaudit hardening DIR -f json` (3 times) on the same directory, wall time of each;
#  - per-file verdicts compared (bench/hardening_compare.py): NX, PIE, RELRO, canary;
#  - the same on the corpus images pub03 (MIPS LE TRX) and pub05 (AArch64 ext4) when present;
#  - the same on four synthetic files from tests/fuzz/seeds/elf that show where checksec's readelf
#    greps go wrong (no section headers, several PT_GNU_STACK headers).
#   bench/hardening_speed.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
build="${1:-$repo/build/release}"
bin="$build/apps/iotaudit/iotaudit"
shared="$repo/../shared"
img="$shared/realdata/firmware/openwrt-12.09.2-librarybox-tl-mr3020/openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin"
[[ -f "$img" ]] || { echo "no $img"; exit 77; }
command -v checksec >/dev/null || { echo "no checksec (apt-get install checksec)"; exit 77; }
cmake --build "$build" --target iotaudit >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "$(checksec --version | head -1)"
now() { date +%s.%N; }

one() {  # one(NAME, IMAGE)
  local name=$1 image=$2 dir="$work/$1"
  "$bin" extract -q "$image" -o "$dir"
  echo "== $name: $(find "$dir" -type f | wc -l) files extracted"
  local t0 t1 cs best=""
  t0=$(now)
  checksec --dir="$dir" --output=csv > "$work/$name.csv" 2>/dev/null
  t1=$(now)
  cs=$(echo "$t1 - $t0" | bc -l)
  for i in 1 2 3; do
    t0=$(now)
    "$bin" hardening -q "$dir" -f json > "$work/$name.json"
    t1=$(now)
    local t; t=$(echo "$t1 - $t0" | bc -l)
    if [[ -z "$best" ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  printf 'checksec --dir: %.2f s; iotaudit hardening: %.3f s (best of 3); ratio %.0fx\n' "$cs" "$best" \
    "$(echo "$cs / $best" | bc -l)"
  python3 "$here/hardening_compare.py" "$work/$name.csv" "$work/$name.json" "$dir"
}

one openwrt-mr3020 "$img"
t0=$(now)
"$bin" hardening -q "$img" > /dev/null
t1=$(now)
printf 'iotaudit hardening on the image itself (unpacking included): %.3f s\n' "$(echo "$t1 - $t0" | bc -l)"
for c in pub03-router-mipsel-trx.trx pub05-nas-arm64-ext4.ext4; do
  [[ -f "$shared/corpus/$c" ]] && one "$c" "$shared/corpus/$c"
done
mkdir -p "$work/synthetic-src"
cp "$repo"/tests/fuzz/seeds/elf/{mips32be_sstrip_hash,arm32le_gnu_hash_two_stacks,x86_64_pie_full_relro,ppc64be_exec_bindnow}.elf \
  "$work/synthetic-src/"
echo "== synthetic (tests/fuzz/seeds/elf)"
checksec --dir="$work/synthetic-src" --output=csv > "$work/synthetic.csv" 2>/dev/null
"$bin" hardening -q "$work/synthetic-src" -f json > "$work/synthetic.json"
python3 "$here/hardening_compare.py" "$work/synthetic.csv" "$work/synthetic.json" "$work/synthetic-src"
