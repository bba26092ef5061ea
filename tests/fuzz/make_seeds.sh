#!/usr/bin/env bash
# Regenerates the seeds of the parser, archive (squashfs, gzip, xz, tar, cpio, zip) and engine
# targets deterministically: same tool versions, same bytes. Seeds are small valid inputs plus
# truncated and corrupted variants, so the fuzzers start deep inside each format instead of
# spending their time discovering magic numbers.
#
# Needs: python3 (standard library only), mksquashfs (squashfs-tools 4.5 or later).
# Usage: tests/fuzz/make_seeds.sh [OUTPUT_DIR]    (default: tests/fuzz/seeds next to this script)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/seeds}"
repo="$(cd "$here/../.." && pwd)"

for tool in python3 mksquashfs; do
  command -v "$tool" >/dev/null || { echo "make_seeds.sh: $tool not found" >&2; exit 1; }
done

export LC_ALL=C TZ=UTC
# Read by the Python part for every timestamp it writes. mksquashfs refuses SOURCE_DATE_EPOCH
# together with -mkfs-time/-all-time, so it is removed from mksquashfs's environment only.
export SOURCE_DATE_EPOCH=0
umask 022

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Only the directories written here are replaced: other targets keep seeds made elsewhere.
targets=(squashfs_super elf_header passwd catalog squashfs gzip xz tar cpio zip engine)
for t in "${targets[@]}"; do rm -rf "${out:?}/$t"; done
mkdir -p "$out"

python3 - "$out" "$work" "$repo" <<'PY'
import gzip, io, lzma, os, random, stat, struct, subprocess, sys, tarfile, zipfile, zlib

OUT, WORK, REPO = sys.argv[1], sys.argv[2], sys.argv[3]
EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
MAX_SEED = 64 * 1024


def put(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    assert len(data) <= MAX_SEED, f"{target}/{name} is {len(data)} bytes"
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def flips(data, seed, count, lo=0, hi=None):
    """Deterministic bit flips in data[lo:hi]."""
    rng = random.Random(seed)
    b = bytearray(data)
    hi = len(b) if hi is None else min(hi, len(b))
    for _ in range(count):
        i = rng.randrange(lo, hi)
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


# ---------------------------------------------------------------------------------------------
# ELF: headers crafted by hand (32/64-bit, little/big-endian, with and without PT_INTERP).

def elf(bits, big, machine, interp=b"/lib/ld-uClibc.so.0", etype=2, pad=0, phnum=None,
        phoff=None, interp_size=None, interp_off=None):
    e = ">" if big else "<"
    ehsize, phentsize = (52, 32) if bits == 32 else (64, 56)
    phdrs = []
    data_off = ehsize + 4 * phentsize
    if interp is not None:
        phdrs.append((3, interp_off if interp_off is not None else data_off,
                      interp_size if interp_size is not None else len(interp) + 1))
    phdrs.append((1, 0, data_off + len(interp or b"") + 1))
    phdrs.append((0x6474E551, 0, 0))  # PT_GNU_STACK
    ident = b"\x7fELF" + bytes([1 if bits == 32 else 2, 2 if big else 1, 1, 0]) + bytes(8)
    n = len(phdrs) if phnum is None else phnum
    po = ehsize if phoff is None else phoff
    if bits == 32:
        hdr = ident + struct.pack(e + "HHIIIIIHHHHHH", etype, machine, 1, 0x10000, po, 0, 0,
                                  ehsize, phentsize, n, 40, 0, 0)
    else:
        hdr = ident + struct.pack(e + "HHIQQQIHHHHHH", etype, machine, 1, 0x10000, po, 0, 0,
                                  ehsize, phentsize, n, 64, 0, 0)
    body = b""
    for (t, off, size) in phdrs:
        if bits == 32:
            body += struct.pack(e + "IIIIIIII", t, off, 0, 0, size, size, 4, 4)
        else:
            body += struct.pack(e + "IIQQQQQQ", t, 4, off, 0, 0, size, size, 8)
    body += bytes(4 * phentsize - len(body))
    blob = hdr + body + (interp + b"\0" if interp is not None else b"")
    return blob + bytes(pad)


ELF_ARM = elf(32, False, 40)
ELF_MIPS = elf(32, True, 8, interp=b"/lib/ld.so.1", etype=3)
ELF_X64 = elf(64, False, 62, interp=b"/lib64/ld-linux-x86-64.so.2", etype=3)
ELF_PPC64 = elf(64, True, 21, interp=b"/lib64/ld64.so.1")

put("elf_header", "arm32le_exec_interp.elf", ELF_ARM)
put("elf_header", "mips32be_dyn_interp.elf", ELF_MIPS)
put("elf_header", "x86_64le_dyn_interp.elf", ELF_X64)
put("elf_header", "ppc64be_exec_interp.elf", ELF_PPC64)
put("elf_header", "aarch64le_static.elf", elf(64, False, 183, interp=None))
put("elf_header", "riscv_rel_no_phdrs.elf", elf(64, False, 243, interp=None, etype=1, phnum=0))
put("elf_header", "phoff_beyond_end.elf", elf(32, False, 40, phoff=0xFFFFFFF0))
put("elf_header", "phoff_wraps.elf", elf(64, False, 62, phoff=0xFFFFFFFFFFFFFFF0))
put("elf_header", "interp_size_huge.elf", elf(64, True, 21, interp_size=0xFFFFFFFFFFFF))
put("elf_header", "interp_size_past_end.elf", elf(32, True, 8, interp_size=200))
put("elf_header", "interp_off_beyond_end.elf", elf(32, False, 40, interp_off=0x7FFFFFFF))
put("elf_header", "phnum_max.elf", elf(32, False, 40, phnum=0xFFFF))
put("elf_header", "ident_only.elf", ELF_ARM[:16])
put("elf_header", "truncated_header.elf", ELF_X64[:40])
put("elf_header", "bad_class.elf", b"\x7fELF\x03\x01\x01" + ELF_ARM[7:])
put("elf_header", "bad_encoding.elf", b"\x7fELF\x01\x00\x01" + ELF_ARM[7:])
put("elf_header", "magic_only.elf", b"\x7fELF")

# ---------------------------------------------------------------------------------------------
# passwd / shadow.

PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:*:1:1:daemon:/usr/sbin:/bin/false
admin:x:1000:1000:Administrator:/home/admin:/bin/sh
guest::1001:1001:guest:/tmp:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
support:abOV.DfJmdnYw:0:0:support:/:/bin/ash
"""
SHADOW = """root:$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
admin:$6$saltsalt$bAY90rAsHhyx.bxmKP9FE5UF4jP1iWgjV0ltM6ZJxfYkiIaCExjBZIbfmqmZEWoR65aM.1nFvG7fF3gYOjHpM.:19000:0:99999:7:::
nobody:!:19000:0:99999:7:::
"""
# Low-cost hashes of "admin" / "1234" in every scheme the scanner names.
HASHES = {
    "des": "abOV.DfJmdnYw",
    "md5": "$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/",
    "sha256": "$5$saltsalt$wiWFCEWqey3YrlUTpFtWYuKI1sYlYqRc.E2MX.s1tbC",
    "sha512": "$6$saltsalt$bAY90rAsHhyx.bxmKP9FE5UF4jP1iWgjV0ltM6ZJxfYkiIaCExjBZIbfmqmZEWoR65aM.1nFvG7fF3gYOjHpM.",
    "bcrypt": "$2b$04$abcdefghijklmnopqrstuuQe66hACgXZ.ImKMvPGdqru0gQrWJ8Ju",
    "yescrypt": "$y$j9T$abcdefghijklmnop$5MpaJ6mYQgeqLje.dQWuzmjhB.Uwp8kNmSyfdzfZPa5",
}
put("passwd", "passwd", PASSWD)
put("passwd", "shadow", SHADOW)
put("passwd", "busybox_passwd_with_hash", "root:abOV.DfJmdnYw:0:0:root:/root:/bin/sh\n")
put("passwd", "schemes_shadow",
    "".join(f"u{name}:{h}:19000:0:99999:7:::\n" for name, h in HASHES.items()) +
    "ugost:$gy$j9T$salt$hash:1::::::\nuscrypt:$7$C6..../....SodiumChloride$hash:1::::::\n"
    "usunmd5:$md5,rounds=904$salt$hash:1::::::\nunt:$3$$8846f7eaee8fb117ad06bdd830b7586c:1::::::\n"
    "ubsdi:_J9..CCCCXBrJUJV154M:1::::::\nulocked:!$6$x$y:1::::::\nunp:NP:1::::::\n")
put("passwd", "malformed",
    "# comment\n+@nis::::::\n-baduser\n\n:x:0:0::/:/bin/sh\nshort:x\nfour:x:1:2\n"
    "nonnum:x:abc:-1:g:/h:/s\nbig:x:4294967296:99999999999:g:/h:/s\ntoomany:x:1:1:a:b:c:d:e:f\n"
    "colons::::::::\n:\n::\nnoeol:x:5:5:g:/h:/bin/sh")
put("passwd", "crlf", PASSWD.replace("\n", "\r\n") + "\r\r\n\r")
put("passwd", "long_line", "a" * 3000 + ":" + "b" * 3000 + ":0:0:" + ":" * 100 + "\n")
put("passwd", "nul_bytes", b"root\0:x:0:0:\0:/root:/bin/sh\n\0\0\0\n")
put("passwd", "empty", b"")

# ---------------------------------------------------------------------------------------------
# catalogs: the shipped one and variants the loader must reject.

with open(os.path.join(REPO, "data/standards/etsi-en-303-645.json"), "rb") as f:
    CATALOG = f.read()
put("catalog", "etsi-en-303-645.json", CATALOG)
import json
cat = json.loads(CATALOG)


def variant(name, mutate):
    c = json.loads(CATALOG)
    mutate(c)
    put("catalog", name, json.dumps(c, indent=1, sort_keys=True))


def two_provisions(c):
    p = dict(c["provisions"][0]); p["id"] = "5.1-2"; p["level"] = "recommended"; p.pop("condition")
    p["checks"] = ["unpack.hostile_path", "unpack.limit_reached"]
    q = {"id": "5.3-1", "level": "conditional-mandatory", "summary": "s", "condition": "1"}
    c["provisions"] += [p, q]


variant("two_provisions.json", two_provisions)
variant("duplicate_provision.json", lambda c: c["provisions"].append(dict(c["provisions"][0])))
variant("unknown_level.json", lambda c: c["provisions"][0].update(level="optional"))
variant("unknown_condition.json", lambda c: c["provisions"][0].update(condition="9"))
variant("unknown_check.json", lambda c: c["provisions"][0].update(checks=["no.such.check"]))
variant("checks_not_strings.json", lambda c: c["provisions"][0].update(checks=[1, None]))
variant("conditions_array.json", lambda c: c.update(conditions=["passwords"]))
variant("conditions_nested.json", lambda c: c.update(conditions={"1": {"x": 1}}))
variant("missing_standard_id.json", lambda c: c["standard"].pop("id"))
variant("provisions_object.json", lambda c: c.update(provisions={"a": 1}))
variant("provision_not_object.json", lambda c: c.update(provisions=[1, "x", []]))
variant("wrong_schema.json", lambda c: c.update(schema="iotaudit-catalog/2"))
put("catalog", "truncated.json", CATALOG[: len(CATALOG) // 2])
put("catalog", "not_object.json", "[1,2,3]")
put("catalog", "deep_nesting.json", '{"schema":"iotaudit-catalog/1","standard":' + "[" * 500 + "]" * 500 + "}")
put("catalog", "unicode.json", '{"schema":"iotaudit-catalog/1","standard":{"id":"\\u00e9\\ud83d\\ude00",'
    '"title":"t","version":"v"},"provisions":[]}')
put("catalog", "empty", b"")

# ---------------------------------------------------------------------------------------------
# squashfs: one small root filesystem, every compressor mksquashfs and libsquashfs share.

root = os.path.join(WORK, "rootfs")


def mkfile(rel, data, mode=0o644):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    os.chmod(p, mode)


mkfile("etc/passwd", PASSWD)
mkfile("etc/shadow", SHADOW, 0o600)
mkfile("etc/banner", "Welcome\n" * 4)
mkfile("bin/busybox", ELF_ARM + bytes(range(256)) * 20, 0o755)  # > one 4 KiB block
mkfile("lib/ld-uClibc.so.0", elf(32, False, 40, interp=None, etype=3), 0o755)
mkfile("www/index.html", "<html><body>router</body></html>\n")
mkfile("var/zeros", bytes(8192))  # whole-zero blocks are stored sparse
os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
os.symlink("busybox", os.path.join(root, "bin/sh"))
os.makedirs(os.path.join(root, "sbin"), exist_ok=True)
os.symlink("../bin/busybox", os.path.join(root, "sbin/init"))
os.symlink("../../../../etc", os.path.join(root, "www/escape"))  # climbs above the root
os.symlink("loop", os.path.join(root, "etc/loop"))
os.makedirs(os.path.join(root, "usr/bin"), exist_ok=True)
os.link(os.path.join(root, "bin/busybox"), os.path.join(root, "usr/bin/busybox-hard"))
os.link(os.path.join(root, "etc/banner"), os.path.join(root, "etc/motd"))
for dirpath, dirnames, filenames in os.walk(root):
    for d in dirnames:
        os.chmod(os.path.join(dirpath, d), 0o755)

PSEUDO = ["dev d 755 0 0", "dev/console c 600 0 0 5 1", "dev/mtdblock0 b 640 0 0 31 0",
          "dev/initctl i 600 0 0 f", "dev/log i 666 0 0 s", "dev/null c 666 0 0 1 3",
          "etc/abs_link s 777 0 0 /etc/passwd", "home d 700 1000 1000"]
env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}


def mksquashfs(src, comp, extra=(), pseudo=PSEUDO):
    img = os.path.join(WORK, f"{os.path.basename(src)}-{comp}-{len(extra)}.img")
    cmd = ["mksquashfs", src, img, "-noappend", "-quiet", "-no-progress", "-processors", "1",
           "-all-root", "-no-xattrs", "-mkfs-time", str(EPOCH), "-all-time", str(EPOCH),
           "-root-time", str(EPOCH), "-root-mode", "755", "-b", "4096", "-comp", comp, *extra]
    for p in pseudo:
        cmd += ["-p", p]
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    with open(img, "rb") as f:
        return f.read()


SQ = {c: mksquashfs(root, c) for c in ("gzip", "xz", "lz4", "zstd", "lzma", "lzo")}
SQ_NOFRAG = mksquashfs(root, "gzip", ["-no-fragments", "-no-duplicates", "-noI"])
SQ_NOCOMP = mksquashfs(root, "gzip", ["-noI", "-noD", "-noF", "-noX"])
empty_dir = os.path.join(WORK, "empty")
os.makedirs(empty_dir)
os.chmod(empty_dir, 0o755)
SQ_EMPTY = mksquashfs(empty_dir, "gzip", pseudo=[])


def sb_field(img, off, fmt):
    return struct.unpack_from("<" + fmt, img, off)[0]


def corrupt_tables(img, seed):
    """Flips bits inside the metadata tables while keeping the superblock valid."""
    inode_tab = sb_field(img, 64, "Q")
    return img[:96] + flips(img[96:], seed, 6, lo=max(0, inode_tab - 96))


for comp, img in SQ.items():
    put("squashfs", f"rootfs_{comp}.sqsh", img)
put("squashfs", "rootfs_nofrag.sqsh", SQ_NOFRAG)
put("squashfs", "rootfs_uncompressed.sqsh", SQ_NOCOMP)
put("squashfs", "empty_gzip.sqsh", SQ_EMPTY)
gz = SQ["gzip"]
for i in range(4):
    put("squashfs", f"rootfs_gzip_tables_flipped_{i}.sqsh", corrupt_tables(gz, 100 + i))
    put("squashfs", f"rootfs_uncompressed_flipped_{i}.sqsh", corrupt_tables(SQ_NOCOMP, 200 + i))
put("squashfs", "rootfs_xz_data_flipped.sqsh", gz[:0] + SQ["xz"][:96] + flips(SQ["xz"][96:], 7, 8, hi=2048))
put("squashfs", "rootfs_gzip_tail_zeroed.sqsh", gz[: len(gz) * 3 // 4] + bytes(len(gz) - len(gz) * 3 // 4))
put("squashfs", "rootfs_gzip_truncated.sqsh", gz[: len(gz) // 2])
put("squashfs", "rootfs_gzip_padded.sqsh", gz + b"\xff" * 4096)
put("squashfs", "bigendian_v4.sqsh", b"sqsh" + gz[4:28] + b"\x00\x04\x00\x00" + gz[32:])
put("squashfs", "v3_header.sqsh", gz[:28] + struct.pack("<HH", 3, 1) + gz[32:96])

for comp in ("gzip", "xz", "lzo"):
    put("squashfs_super", f"{comp}.sqsh", SQ[comp])
put("squashfs_super", "empty_gzip.sqsh", SQ_EMPTY)
put("squashfs_super", "superblock_only.sqsh", gz[:96])
put("squashfs_super", "bigendian.sqsh", b"sqsh" + bytes(24) + b"\x00\x04\x00\x00" + bytes(64))
put("squashfs_super", "v2.sqsh", b"hsqs" + bytes(24) + struct.pack("<HH", 2, 0) + bytes(64))
put("squashfs_super", "bad_block_log.sqsh", gz[:22] + b"\x0d\x00" + gz[24:])
put("squashfs_super", "bad_compressor.sqsh", gz[:20] + b"\x09\x00" + gz[22:])
put("squashfs_super", "magic_only.sqsh", b"hsqs")

# ---------------------------------------------------------------------------------------------
# tar: ustar, GNU and pax; links, devices, and member paths that climb out.

def tar_bytes(fmt, members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for m in members:
            ti = tarfile.TarInfo(m["name"])
            ti.mtime = EPOCH
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            ti.type = m.get("type", tarfile.REGTYPE)
            ti.mode = m.get("mode", 0o755 if ti.type == tarfile.DIRTYPE else 0o644)
            ti.linkname = m.get("link", "")
            ti.devmajor, ti.devminor = m.get("dev", (0, 0))
            data = m.get("data", b"")
            if isinstance(data, str):
                data = data.encode()
            ti.size = len(data) if ti.type in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
            t.addfile(ti, io.BytesIO(data) if ti.size else None)
    return buf.getvalue()


def rootfs_members(prefix=""):
    return [
        {"name": prefix + "etc", "type": tarfile.DIRTYPE},
        {"name": prefix + "etc/passwd", "data": PASSWD},
        {"name": prefix + "etc/shadow", "data": SHADOW, "mode": 0o600},
        {"name": prefix + "bin", "type": tarfile.DIRTYPE},
        {"name": prefix + "bin/busybox", "data": ELF_MIPS, "mode": 0o755},
        {"name": prefix + "bin/sh", "type": tarfile.SYMTYPE, "link": "busybox"},
        {"name": prefix + "sbin/init", "type": tarfile.SYMTYPE, "link": "/bin/busybox"},
        {"name": prefix + "usr/bin/hard", "type": tarfile.LNKTYPE, "link": prefix + "bin/busybox"},
        {"name": prefix + "dev/console", "type": tarfile.CHRTYPE, "dev": (5, 1), "mode": 0o600},
        {"name": prefix + "dev/mtdblock0", "type": tarfile.BLKTYPE, "dev": (31, 0)},
        {"name": prefix + "dev/initctl", "type": tarfile.FIFOTYPE},
    ]


HOSTILE = [
    {"name": "../../etc/passwd", "data": "evil:x:0:0::/:/bin/sh\n"},
    {"name": "/etc/shadow", "data": "evil::1:0:99999:7:::\n"},
    {"name": "a/../../b", "data": "x"},
    {"name": "link_out", "type": tarfile.SYMTYPE, "link": "../../../../etc"},
    {"name": "link_out/passwd", "data": "through the link\n"},
    {"name": "hard_out", "type": tarfile.LNKTYPE, "link": "../../etc/passwd"},
    {"name": "dup", "data": "first"},
    {"name": "dup", "data": "second"},
    {"name": "./", "type": tarfile.DIRTYPE},
    {"name": "", "data": "no name"},
]
TAR_ROOT = tar_bytes(tarfile.USTAR_FORMAT, rootfs_members())
TAR_HOSTILE = tar_bytes(tarfile.GNU_FORMAT, HOSTILE)
long = "deep/" * 30 + "file"
TAR_GNU_LONG = tar_bytes(tarfile.GNU_FORMAT, [
    {"name": long, "data": "long name"},
    {"name": "l", "type": tarfile.SYMTYPE, "link": "t/" * 60 + "target"}])
TAR_PAX = tar_bytes(tarfile.PAX_FORMAT, [
    {"name": long + "\u00e9", "data": "pax"},
    {"name": "p", "type": tarfile.SYMTYPE, "link": "x" * 200}])
put("tar", "rootfs_ustar.tar", TAR_ROOT)
put("tar", "hostile_gnu.tar", TAR_HOSTILE)
put("tar", "long_names_gnu.tar", TAR_GNU_LONG)
put("tar", "pax.tar", TAR_PAX)
put("tar", "prefixed_rootfs.tar", tar_bytes(tarfile.USTAR_FORMAT, rootfs_members("rootfs/")))
put("tar", "truncated_in_data.tar", TAR_ROOT[: 512 * 3 + 100])
put("tar", "header_only.tar", TAR_ROOT[:512])
hdr2 = 1024 + ((len(PASSWD) + 511) // 512) * 512
put("tar", "second_header_corrupt.tar", TAR_ROOT[:hdr2] + flips(TAR_ROOT[hdr2:hdr2 + 512], 3, 4) + TAR_ROOT[hdr2 + 512:])
big = bytearray(tar_bytes(tarfile.USTAR_FORMAT, [{"name": "big", "data": "x" * 10}]))
big[124:136] = b"77777777777\0"  # size field claims 8 GiB
chk = sum(big[:148]) + 8 * 0x20 + sum(big[156:512])
big[148:156] = b"%06o\0 " % chk
put("tar", "size_beyond_data.tar", bytes(big))

# ---------------------------------------------------------------------------------------------
# cpio: newc, crc and odc written by hand (no cpio tool needed).

def cpio_newc(members, crc=False):
    out = bytearray()
    ino = 100
    for m in members + [{"name": "TRAILER!!!", "mode": 0}]:
        data = m.get("data", b"")
        if isinstance(data, str):
            data = data.encode()
        name = m["name"].encode() + b"\0"
        mode = m.get("mode", stat.S_IFREG | 0o644)
        if "link" in m:
            data = m["link"].encode()
        chksum = sum(data) & 0xFFFFFFFF if crc else 0
        fields = [m.get("ino", ino), mode, 0, 0, m.get("nlink", 1), EPOCH, len(data), 0, 0,
                  m.get("rmaj", 0), m.get("rmin", 0), len(name), chksum]
        out += (b"070702" if crc else b"070701") + b"".join(b"%08X" % f for f in fields) + name
        out += bytes((-len(out)) % 4)  # name padded to a multiple of 4
        out += data
        out += bytes((-len(out)) % 4)  # and so is the data
        ino += 1
    return bytes(out + bytes((-len(out)) % 512))


def cpio_odc(members):
    out = bytearray()
    ino = 100
    for m in members + [{"name": "TRAILER!!!", "mode": 0}]:
        data = m.get("data", b"")
        if isinstance(data, str):
            data = data.encode()
        if "link" in m:
            data = m["link"].encode()
        name = m["name"].encode() + b"\0"
        mode = m.get("mode", stat.S_IFREG | 0o644)
        rdev = (m.get("rmaj", 0) << 8) | m.get("rmin", 0)
        out += b"070707" + b"%06o%06o%06o%06o%06o%06o%06o%011o%06o%011o" % (
            0, m.get("ino", ino), mode, 0, 0, m.get("nlink", 1), rdev, EPOCH, len(name), len(data))
        out += name + data
        ino += 1
    return bytes(out + bytes((-len(out)) % 512))


CPIO_MEMBERS = [
    {"name": ".", "mode": stat.S_IFDIR | 0o755},
    {"name": "etc", "mode": stat.S_IFDIR | 0o755},
    {"name": "etc/passwd", "data": PASSWD},
    {"name": "etc/shadow", "data": SHADOW, "mode": stat.S_IFREG | 0o600},
    {"name": "init", "data": ELF_ARM, "mode": stat.S_IFREG | 0o755},
    {"name": "bin/sh", "link": "../init", "mode": stat.S_IFLNK | 0o777},
    {"name": "dev/console", "mode": stat.S_IFCHR | 0o600, "rmaj": 5, "rmin": 1},
    {"name": "dev/ram0", "mode": stat.S_IFBLK | 0o600, "rmaj": 1, "rmin": 0},
    {"name": "dev/fifo", "mode": stat.S_IFIFO | 0o644},
    # newc hard links: same inode, data carried by the last name only.
    {"name": "bin/a", "ino": 7, "nlink": 2},
    {"name": "bin/b", "ino": 7, "nlink": 2, "data": "shared\n"},
    {"name": "../../escape", "data": "climbs out\n"},
    {"name": "/abs/path", "data": "absolute\n"},
]
CPIO_NEWC = cpio_newc(CPIO_MEMBERS)
put("cpio", "initramfs_newc.cpio", CPIO_NEWC)
put("cpio", "initramfs_crc.cpio", cpio_newc(CPIO_MEMBERS, crc=True))
put("cpio", "initramfs_odc.cpio", cpio_odc(CPIO_MEMBERS))
put("cpio", "truncated_newc.cpio", CPIO_NEWC[:300])
put("cpio", "bad_crc.cpio", cpio_newc([{"name": "f", "data": "data"}], crc=True).replace(b"0000019A", b"00000000", 1))
huge = bytearray(cpio_newc([{"name": "huge", "data": "x"}]))
huge[54:62] = b"7FFFFFFF"  # file size far beyond the data
put("cpio", "size_beyond_data.cpio", bytes(huge))
namesz = bytearray(cpio_newc([{"name": "n", "data": "x"}]))
namesz[94:102] = b"FFFFFFFF"  # name size beyond the data
put("cpio", "namesize_huge.cpio", bytes(namesz))
put("cpio", "header_only.cpio", CPIO_NEWC[:110])
# A symlink whose declared target size (8 GiB) dwarfs the archive.
odc_link = bytearray(cpio_odc([{"name": "l", "link": "t", "mode": stat.S_IFLNK | 0o777}]))
odc_link[65:76] = b"77777777777"
put("cpio", "symlink_size_huge_odc.cpio", bytes(odc_link))
# An afio-large header after an odc one (libarchive's odc reader accepts both).
afio = (b"070727" + b"%08x" % 0 + b"%016x" % 5 + b"m" + b"%06o" % (stat.S_IFLNK | 0o777) + b"%08x" % 0 * 4 +
        b"%016x" % EPOCH + b"n" + b"%04x" % 2 + b"0000" + b"0000" + b"s" + b"%016x" % 0xFFFFFFFFFF + b":")
assert len(afio) == 116
first = b"070707" + b"%06o%06o%06o%06o%06o%06o%06o%011o%06o%011o" % (0, 1, stat.S_IFREG | 0o644, 0, 0, 1, 0, EPOCH, 6, 1)
put("cpio", "afio_large_symlink.cpio", first + b"first\0" + b"1" + afio + b"l\0" + b"t" * 16)
# A member whose data holds a header-shaped string with a 4 GiB name: inside data it is not a
# header, so the members after it must still be read.
fake = b"070701" + b"0" * 88 + b"FFFFFFFF" + b"0" * 8
put("cpio", "fake_header_in_data.cpio", cpio_newc([{"name": "blob", "data": b"xx" + fake + b"yy"},
                                                    {"name": "etc/shadow", "data": SHADOW}]))

# ---------------------------------------------------------------------------------------------
# zip: stored, deflate, bzip2 and lzma members, links, traversal, streamed (data descriptor).

class Unseekable(io.RawIOBase):
    """Makes zipfile write data descriptors, as streaming zip writers in firmware tools do."""
    def __init__(self):
        self.buf = bytearray()
    def writable(self):
        return True
    def write(self, b):
        self.buf += b
        return len(b)


def zip_bytes(members, stream=False, method=zipfile.ZIP_DEFLATED):
    sink = Unseekable() if stream else io.BytesIO()
    with zipfile.ZipFile(sink, "w", compression=method) as z:
        for m in members:
            zi = zipfile.ZipInfo(m["name"], date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = m.get("method", method)
            zi.create_system = 3
            zi.external_attr = m.get("mode", stat.S_IFREG | 0o644) << 16
            data = m.get("data", b"")
            if stream:
                with z.open(zi, "w", force_zip64=m.get("zip64", False)) as w:
                    w.write(data.encode() if isinstance(data, str) else data)
            else:
                z.writestr(zi, data)
    return bytes(sink.buf) if stream else sink.getvalue()


ZIP_MEMBERS = [
    {"name": "firmware/", "mode": stat.S_IFDIR | 0o755},
    {"name": "firmware/etc/passwd", "data": PASSWD},
    {"name": "firmware/etc/shadow", "data": SHADOW, "method": zipfile.ZIP_STORED},
    {"name": "firmware/bin/busybox", "data": ELF_X64, "method": zipfile.ZIP_BZIP2},
    {"name": "firmware/readme.txt", "data": "read me\n" * 50, "method": zipfile.ZIP_LZMA},
    {"name": "firmware/bin/sh", "data": "busybox", "mode": stat.S_IFLNK | 0o777},
    {"name": "../../evil.sh", "data": "#!/bin/sh\n"},
    {"name": "/abs.txt", "data": "abs"},
]
ZIP_ALL = zip_bytes(ZIP_MEMBERS)
put("zip", "update.zip", ZIP_ALL)
put("zip", "streamed_descriptors.zip", zip_bytes(ZIP_MEMBERS[:3], stream=True))
put("zip", "zip64_streamed.zip", zip_bytes([{"name": "z64", "data": "zip64", "zip64": True}], stream=True))
put("zip", "stored_only.zip", zip_bytes(ZIP_MEMBERS[:3], method=zipfile.ZIP_STORED))
put("zip", "truncated.zip", ZIP_ALL[: len(ZIP_ALL) // 3])
put("zip", "local_header_only.zip", ZIP_ALL[:30 + len("firmware/")])
enc = bytearray(zip_bytes([{"name": "secret", "data": "x" * 40, "method": zipfile.ZIP_STORED}]))
enc[6] |= 1  # "encrypted" flag without any encryption header
put("zip", "encrypted_flag.zip", bytes(enc))
put("zip", "data_flipped.zip", ZIP_ALL[:60] + flips(ZIP_ALL[60:], 11, 10))

# ---------------------------------------------------------------------------------------------
# gzip and xz streams.

def gz(data, level=9):
    return gzip.compress(data, compresslevel=level, mtime=EPOCH)


def gz_flags(data, name=b"rootfs.img", comment=b"built by vendor", extra=b"AB\x02\x00xy"):
    """A member with FEXTRA, FNAME, FCOMMENT and FHCRC set."""
    h = b"\x1f\x8b\x08\x1e" + struct.pack("<I", EPOCH) + b"\x02\x03"
    h += struct.pack("<H", len(extra)) + extra + name + b"\0" + comment + b"\0"
    h += struct.pack("<H", zlib.crc32(h) & 0xFFFF)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = c.compress(data) + c.flush()
    return h + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


TEXT = b"The quick brown fox jumps over the lazy dog.\n" * 40
GZ_TEXT = gz(TEXT)
put("gzip", "text.gz", GZ_TEXT)
put("gzip", "header_flags.gz", gz_flags(TEXT))
put("gzip", "stored_blocks.gz", gz(TEXT[:600], level=0))
put("gzip", "zeros_1MiB.gz", gz(bytes(1 << 20)))
put("gzip", "tar.gz", gz(TAR_ROOT))
put("gzip", "two_members.gz", GZ_TEXT + gz(b"second member\n"))
put("gzip", "truncated.gz", GZ_TEXT[: len(GZ_TEXT) // 2])
put("gzip", "bad_crc.gz", GZ_TEXT[:-8] + b"\0\0\0\0" + GZ_TEXT[-4:])
put("gzip", "trailing_garbage.gz", GZ_TEXT + b"\xde\xad\xbe\xef" * 8)
put("gzip", "data_flipped.gz", GZ_TEXT[:10] + flips(GZ_TEXT[10:], 5, 3))
put("gzip", "empty_payload.gz", gz(b""))


def xz(data, check=lzma.CHECK_CRC64, filters=None):
    return lzma.compress(data, format=lzma.FORMAT_XZ, check=check, filters=filters)


XZ_TEXT = xz(TEXT)
put("xz", "text_crc64.xz", XZ_TEXT)
put("xz", "text_crc32.xz", xz(TEXT, lzma.CHECK_CRC32))
put("xz", "text_sha256.xz", xz(TEXT, lzma.CHECK_SHA256))
put("xz", "text_nocheck.xz", xz(TEXT, lzma.CHECK_NONE))
put("xz", "delta_lzma2.xz", xz(TEXT, filters=[{"id": lzma.FILTER_DELTA, "dist": 4},
                                              {"id": lzma.FILTER_LZMA2, "preset": 1}]))
put("xz", "x86_bcj.xz", xz(ELF_X64 * 4, filters=[{"id": lzma.FILTER_X86}, {"id": lzma.FILTER_LZMA2}]))
put("xz", "initramfs.cpio.xz", xz(CPIO_NEWC, lzma.CHECK_CRC32))
put("xz", "two_streams_padded.xz", XZ_TEXT + bytes(8) + xz(b"second\n"))
put("xz", "zeros_1MiB.xz", xz(bytes(1 << 20)))
put("xz", "truncated.xz", XZ_TEXT[: len(XZ_TEXT) // 2])
put("xz", "index_corrupt.xz", XZ_TEXT[:-20] + flips(XZ_TEXT[-20:], 9, 3))
put("xz", "data_flipped.xz", XZ_TEXT[:12] + flips(XZ_TEXT[12:], 6, 3))
put("xz", "header_only.xz", XZ_TEXT[:32])

# ---------------------------------------------------------------------------------------------
# engine: whole images, with containers at offsets and nested inside each other.

def at(offset, payload, fill=b"\xff"):
    return fill * offset + payload


vendor_hdr = b"HDR0" + struct.pack("<II", 0x200, len(SQ["xz"])) + b"router fw v1.0"
put("engine", "fw_header_squashfs_xz.bin", vendor_hdr + at(0x200 - len(vendor_hdr), SQ["xz"]) + gz(TEXT))
put("engine", "squashfs_gzip.sqsh", SQ["gzip"])
put("engine", "squashfs_lzo_unsupported.bin", at(64, SQ["lzo"], b"\0"))
put("engine", "update_tar_with_squashfs.tar", tar_bytes(tarfile.USTAR_FORMAT, [
    {"name": "update/rootfs.sqsh", "data": SQ["zstd"]},
    {"name": "update/kernel.gz", "data": gz(TEXT)},
    {"name": "update/manifest", "data": "version=1\n"}]))
put("engine", "rootfs.tar.gz", gz(tar_bytes(tarfile.USTAR_FORMAT, rootfs_members("rootfs/"))))
put("engine", "initramfs.cpio.xz", xz(CPIO_NEWC, lzma.CHECK_CRC32))
put("engine", "zip_of_tgz.zip", zip_bytes([{"name": "fw.tgz", "data": gz(TAR_ROOT)},
                                          {"name": "notes.txt", "data": "n"}]))
put("engine", "hostile_tar.tar", TAR_HOSTILE)
nest = TAR_ROOT
for _ in range(14):  # deeper than Limits::max_depth
    nest = gz(nest)
put("engine", "gzip_nested_14.gz", nest)
put("engine", "many_magics.bin", (b"hsqs" + b"070701" + b"\x1f\x8b\x08\x00" + b"PK\x03\x04") * 1200)
put("engine", "concatenated.bin", CPIO_NEWC + at(100, ZIP_ALL) + at(37, xz(TEXT)) + at(3, GZ_TEXT))
shadow_schemes = "".join(f"u{name}:{h}:19000:0:99999:7:::\n" for name, h in HASHES.items())
put("engine", "accounts_all_schemes.tar", tar_bytes(tarfile.USTAR_FORMAT, [
    {"name": "etc/passwd", "data": "".join(f"u{n}:x:{i}:{i}::/:/bin/sh\n" for i, n in enumerate(HASHES))},
    {"name": "etc/shadow", "data": shadow_schemes},
    {"name": "bin/sh", "data": ELF_ARM}]))
put("engine", "shadow_via_symlink.tar", tar_bytes(tarfile.USTAR_FORMAT, [
    {"name": "etc", "type": tarfile.SYMTYPE, "link": "/real/etc"},
    {"name": "real/etc/passwd", "data": PASSWD},
    {"name": "real/etc/shadow", "data": SHADOW},
    {"name": "bin/busybox", "data": ELF_MIPS}]))
PY

dirs=("${targets[@]/#/$out/}")
find "${dirs[@]}" -type f | LC_ALL=C sort | while read -r f; do
  printf '%8d  %s\n' "$(stat -c %s "$f")" "${f#"$out"/}"
done
echo "total: $(du -cb "${dirs[@]}" | tail -1 | cut -f1) bytes in $(find "${dirs[@]}" -type f | wc -l) files"
