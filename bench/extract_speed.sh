#!/usr/bin/env bash
# Side-by-side extraction speed: iotaudit extract vs binwalk -Me (signature scan + external
# extractors, recursive) on whole images, and vs unsquashfs -d on bare squashfs images. Each tool
# runs on the same file in the same run, writing to tmpfs (/dev/shm); times are medians of repeated
# runs (hyperfine; against unsquashfs, the two tools alternate run by run, bench/tools/interleave.py);
# peak resident memory comes from one /usr/bin/time run. Writes bench/extract_speed.md.
#   bench/extract_speed.sh [IOTAUDIT_BINARY]
# Needs: scripts/install-deps.sh --bench (binwalk, hyperfine), and ../shared next to the repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
bin=${1:-$repo/build/release/apps/iotaudit/iotaudit}
shared=${IOTAUDIT_SHARED_DIR:-$repo/../shared}
work=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
clean="$here/tools/clean_out.sh"
trap '"$clean" "$work/bw"; rm -rf "$work"' EXIT
out="$here/extract_speed.md"

images=("$shared"/corpus/*.{bin,trx,itb,ext4,ext2,jffs2,ubi,cramfs,uimage,zip,gz,squashfs})
for f in "$shared"/realdata/firmware/*/*; do
  [[ -f "$f" && $(stat -c %s "$f") -gt 65536 ]] && images+=("$f")
done

# Plain squashfs images large enough that start-up costs do not dominate: /usr/bin of this
# machine (a few hundred MiB of real binaries), packed with gzip and with zstd.
if command -v mksquashfs >/dev/null; then
  for comp in gzip zstd; do
    mksquashfs /usr/bin "$work/usr-bin-$comp.squashfs" -comp "$comp" -no-progress -quiet >/dev/null 2>&1 &&
      images+=("$work/usr-bin-$comp.squashfs")
  done
fi

median() {  # hyperfine JSON -> median seconds
  python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"
}

{
  echo "# Extraction speed, side by side"
  echo
  echo "Command: \`bench/extract_speed.sh\` ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m))."
  echo "iotaudit $("$bin" version | awk '{print $2}'), $(binwalk --help 2>&1 | sed -n 2p | tr -d ' '), $(unsquashfs -version 2>&1 | head -1)."
  echo "iotaudit: median wall time of 10 hyperfine runs after two warm-ups (warm cache); binwalk: median of 3 runs"
  echo "(it takes seconds to minutes). On squashfs images iotaudit and unsquashfs also run alternately, 20 runs each after"
  echo "three warm-ups (\`bench/tools/interleave.py\`), and the last two columns are those medians: this VM's speed drifts"
  echo "within minutes, and a tool timed after the other can be off by a third."
  echo "'ratio' = other tool's time / iotaudit's time. binwalk runs as \`binwalk -Me\`"
  echo "(recursive extraction with its external extractors, like iotaudit's recursion). Output goes to tmpfs."
  echo "'files' = regular files each tool wrote: binwalk writes few where it cannot reach the filesystem"
  echo "(it then only carves; Debian has no extractor for squashfs 2.x/3.x LZMA variants, JFFS2 or UBIFS)."
  echo
  echo "| image | size | iotaudit extract (s) | files | peak RSS (MiB) | binwalk -Me (s) | files | ratio | iotaudit, alternating (s) | unsquashfs -d (s) | ratio |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} > "$out"

for img in "${images[@]}"; do
  [[ -f "$img" ]] || { echo "skip (absent): $img" >&2; continue; }
  name=$(basename "$img")
  size=$(stat -c %s "$img")
  hyperfine -N --warmup 2 --runs 10 --export-json "$work/ia.json" \
    --prepare "rm -rf $work/ia" "$bin extract -q $img -o $work/ia" >/dev/null 2>&1
  rm -rf "$work/ia"
  rss=$( { /usr/bin/time -f %M "$bin" extract -q "$img" -o "$work/ia" >/dev/null; } 2>&1 | tail -1)
  rss=$(python3 -c "print('%.0f' % ($rss / 1024))")
  iaf=$(find "$work/ia" -type f ! -name extract.json | wc -l)
  rm -rf "$work/ia"
  ia=$(median "$work/ia.json")
  # binwalk is slow: three runs per image, no warm-up (its run-to-run spread is far below the ratios). The
  # generated plain squashfs images are compared with unsquashfs only.
  bw="—"; ratio="—"; bwf="—"
  if [[ "$name" != usr-bin-* ]]; then
    "$clean" "$work/bw"
    hyperfine -N -i --runs 3 --export-json "$work/bw.json" --prepare "$clean $work/bw" \
      "binwalk -q -Me --run-as=$(id -un) -C $work/bw $img" >/dev/null 2>&1
    bw=$(median "$work/bw.json")
    bwf=$(find "$work/bw" -type f 2>/dev/null | wc -l)
    "$clean" "$work/bw"
    ratio=$(python3 -c "print('%.1f' % ($bw / $ia))")
  fi
  ia2="—"; us="—"; usr="—"
  if [[ $(head -c 4 "$img" | tr -d '\0') == "hsqs" ]]; then
    read -r ia2 us < <(python3 "$here/tools/interleave.py" 20 3 "$work/pair" \
      "$bin extract -q $img -o {out}" "unsquashfs -n -q -d {out} $img" | awk '{printf "%s ", $1} END {print ""}')
    usr=$(python3 -c "print('%.2f' % ($us / $ia2))")
    ia2=$(python3 -c "print('%.4f' % $ia2)"); us=$(python3 -c "print('%.4f' % $us)")
  fi
  echo "| $name | $size | $ia | $iaf | $rss | $bw | $bwf | $ratio | $ia2 | $us | $usr |" >> "$out"
done
cat "$out"
