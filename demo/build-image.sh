#!/usr/bin/env bash
# Builds the demo firmware image from the files in demo/: a small IP-camera root filesystem
# (text files kept in the repository, one binary compiled here and the system's static BusyBox), packed with mksquashfs and
# placed in a raw 2 MiB flash-style image behind a bootloader area, the way vendor images are laid
# out. Deterministic: same inputs, same bytes.
#   demo/build-image.sh OUT_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-image.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage="$out/stage"
rm -rf "$stage"
mkdir -p "$stage"
cp -a "$here/rootfs/." "$stage/"

# Directories git cannot keep, and the links a BusyBox system has.
for d in bin sbin dev proc sys tmp var/run var/log root home/admin lib usr/bin usr/sbin etc/dropbear; do
  mkdir -p "$stage/$d"
done
cc -O2 -fno-stack-protector -no-pie -Wl,-z,norelro -o "$stage/usr/sbin/httpd" "$here/src/httpd.c"
# The system's real BusyBox (Debian's busybox-static), as on most cameras.
cp /bin/busybox "$stage/bin/busybox"
for applet in sh ash login telnetd; do ln -sf busybox "$stage/bin/$applet"; done
ln -sf ../usr/sbin/httpd "$stage/sbin/httpd"
ln -sf /proc/mounts "$stage/etc/mtab"
ln -sf ../../tmp/resolv.conf "$stage/etc/resolv.conf"
chmod 0755 "$stage/etc/init.d/rcS" "$stage/www/cgi-bin/diag.cgi" "$stage/usr/sbin/httpd"
chmod 0600 "$stage/etc/shadow"
chmod 1777 "$stage/tmp"
chmod 0777 "$stage/var/log"   # world-writable log directory: one of the deliberate problems

export SOURCE_DATE_EPOCH=1700000000
find "$stage" -exec touch -h -d @$SOURCE_DATE_EPOCH {} +

# Owners and device nodes come from pseudo definitions: nothing here needs root.
cat > "$out/pseudo" <<'PSEUDO'
/dev/console c 600 0 0 5 1
/dev/null c 666 0 0 1 3
/dev/mtdblock2 b 640 0 0 31 2
/home/admin m 700 1000 1000
PSEUDO
rm -f "$out/rootfs.squashfs"
mksquashfs "$stage" "$out/rootfs.squashfs" -comp xz -b 131072 -all-root -noappend -no-progress \
  -pf "$out/pseudo" -quiet >/dev/null

# Flash layout: 0x00000 bootloader area, 0x40000 root filesystem, padded with 0xFF to 2 MiB.
image="$out/democam-fw-2.4.1.bin"
python3 - "$image" "$out/rootfs.squashfs" <<'PY'
import sys
image, rootfs = sys.argv[1], sys.argv[2]
size = 2 * 1024 * 1024
boot = b"DEMOBOOT\x00" + b"U-Boot 2016.05-democam (Nov 14 2023 - 22:13:20 +0000)\x00"
buf = bytearray(b"\xff" * size)
buf[0:len(boot)] = boot
fs = open(rootfs, "rb").read()
if 0x40000 + len(fs) > size:
    sys.exit("root filesystem does not fit the flash layout")
buf[0x40000:0x40000 + len(fs)] = fs
open(image, "wb").write(buf)
PY
echo "$image"
