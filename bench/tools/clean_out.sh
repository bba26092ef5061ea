#!/bin/sh
# Empties a benchmark output directory. binwalk -Me running as root mounts ext images it carves
# (loop mounts under its output directory); those are unmounted first so the directory can go.
dir=$1
[ -n "$dir" ] || exit 2
awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
  umount -l "$m" 2>/dev/null || true
done
rm -rf "$dir"
