#!/usr/bin/env bash
# `iotaudit extract` on a real OpenWrt 12.09 factory image (MIPS, squashfs-xz after an LZMA
# kernel) writes the root filesystem with the modes, links and files the image holds.
# Skips (exit 77) when ../shared/realdata is absent.
#   openwrt_extract.sh IOTAUDIT_BINARY SHARED_DIR WORK_DIR
set -euo pipefail
bin=$1 shared=$2 work=$3
img="$shared/realdata/firmware/openwrt-12.09.2-librarybox-tl-mr3020/openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin"
if [[ ! -f "$img" ]]; then
  echo "SKIP: $img not present (set IOTAUDIT_SHARED_DIR)"
  exit 77
fi
rm -rf "$work"
"$bin" extract -q "$img" -o "$work"
fail() { echo "FAIL: $*"; exit 1; }
# The root filesystem is the squashfs at 0xed0cc of the image (inside the TP-Link header's rootfs part).
bb=$(find "$work" -path '*squashfs@*/bin/busybox' | head -1)
[[ -n "$bb" ]] || fail "no squashfs root filesystem with bin/busybox under $work"
root=$(dirname "$(dirname "$bb")")
mode() { stat -c %a "$1"; }
[[ $(mode "$root/bin/busybox") == 755 ]] || fail "bin/busybox mode $(mode "$root/bin/busybox")"
[[ $(mode "$root/etc/init.d/telnet") == 755 ]] || fail "etc/init.d/telnet mode"
[[ $(mode "$root/etc/shadow") == 600 ]] || fail "etc/shadow mode $(mode "$root/etc/shadow")"
[[ $(mode "$root/tmp") == 777 ]] || fail "tmp mode $(mode "$root/tmp")"
grep -q 'telnetd' "$root/etc/init.d/telnet" || fail "telnet init script content"
head -c 4 "$root/bin/busybox" | grep -q 'ELF' || fail "busybox is not an ELF file"
[[ -L "$root/bin/sh" ]] || fail "bin/sh is not a symlink"
[[ $(readlink -f "$root/bin/sh") == "$(readlink -f "$root/bin/busybox")" ]] || fail "bin/sh does not lead to busybox"
# Every symlink written resolves inside the output directory.
real_work=$(readlink -f "$work")
while IFS= read -r -d '' l; do
  t=$(readlink -m "$l")
  [[ "$t" == "$real_work"/* ]] || fail "symlink $l resolves outside: $t"
done < <(find "$work" -type l -print0)
python3 - "$work/extract.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
paths = {n.get("path"): n for n in d["nodes"]}
for p, mode in [("/bin/busybox", "0755"), ("/etc/init.d/telnet", "0755"), ("/etc/shadow", "0600")]:
    assert paths[p]["mode"] == mode, (p, paths[p]["mode"])
    assert paths[p]["unpacker"] == "squashfs"
    assert "squashfs@" in paths[p]["container"].rsplit(" \u00bb ", 1)[-1], paths[p]["container"]
n_files = sum(1 for n in d["nodes"] if n["type"] == "file")
assert n_files > 500, n_files
print(f"ok: {n_files} files listed")
PY
