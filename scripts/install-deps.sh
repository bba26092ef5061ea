#!/usr/bin/env bash
# Installs every Debian 12 package iotaudit needs to build, test and run its demo. Idempotent: when
# everything is present it only checks and exits. Runs apt-get as root, or through sudo.
#   scripts/install-deps.sh            build + test + demo dependencies
#   scripts/install-deps.sh --fuzz     also clang/libFuzzer for the fuzz preset
#   scripts/install-deps.sh --bench    also the tools benchmarks compare against (binwalk, checksec, ...)
set -euo pipefail

packages=(
  # toolchain
  g++ make cmake ninja-build pkg-config
  # libraries
  libsquashfs-dev libarchive-dev zlib1g-dev liblzma-dev liblzo2-dev libssl-dev libcrypt-dev
  libtbb-dev libcli11-dev libfmt-dev nlohmann-json3-dev libexpected-dev libext2fs-dev
  libbz2-dev libzstd-dev liblz4-dev libvectorscan-dev libre2-dev libsqlite3-dev libsimdjson-dev
  libyaml-cpp-dev nettle-dev libmimalloc-dev
  # tests and demo image
  libgtest-dev squashfs-tools cpio xz-utils gzip tar python3 python3-jsonschema
  e2fsprogs genisoimage xorriso p7zip-full binutils genromfs chromium
  u-boot-tools device-tree-compiler lzop bzip2 zstd lz4 mtd-utils util-linux busybox-static
  android-sdk-libsparse-utils mkbootimg
)
for arg in "$@"; do
  case "$arg" in
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    --bench) packages+=(binwalk checksec hyperfine valgrind time) ;;
    *) echo "usage: $0 [--fuzz] [--bench]" >&2; exit 2 ;;
  esac
done

# npm fetches the official JSON schemas the report tests validate against (CycloneDX, SARIF); any
# npm on the PATH will do, Debian's package otherwise.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "installing: ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "error: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
