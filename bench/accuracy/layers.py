#!/usr/bin/env python3
"""Layer detection against the corpus truth: is every container and filesystem found, with the
right type, at the right offset?

    bench/accuracy/layers.py IOTAUDIT_BINARY [--shared DIR] [--out FILE] [--check]

Truth layers of a type iotaudit has an unpacker for (per `iotaudit list formats`) count as
expected; the rest are listed as not yet supported. Offsets are compared in the truth's own base:
absolute image offsets for layers inside raw slices, offsets inside the decoded stream for layers
in decompressed data, and none for UBI volume content. With --check the exit status is 1 when an
expected layer is missed, so the test suite fails when a supported format stops being found.
"""
import argparse
import json
import os
import subprocess
import sys

# truth layer type -> iotaudit format ids that satisfy it
TYPE_MAP = {
    "squashfs": {"squashfs", "squashfs-legacy"}, "jffs2": {"jffs2"}, "ubi": {"ubi"}, "ubifs": {"ubifs"},
    "cramfs": {"cramfs"}, "ext2": {"ext"}, "ext4": {"ext"}, "gzip": {"gzip"}, "cpio": {"cpio"},
    "tar": {"tar"}, "zip": {"zip"}, "uimage": {"uimage"}, "fit": {"fdt"}, "dtb": {"fdt"},
    "trx": {"trx"}, "uboot_env": {"uboot-env"}, "linux_kernel": {"linux-kernel", "zimage"},
}
SEP = " \u00bb "
# Truth types counted and reported but not yet gating --check (none today).
KNOWN_GAPS = set()


def our_layers(report):
    """Each layer with its absolute image offset (None below a decoded stream) and its offset
    relative to the nearest decoded stream ancestor."""
    by_path = {l["logical_path"]: l for l in report["layers"]}
    streams = {"gzip", "xz", "lzma", "bzip2", "zstd", "lz4", "lzo", "ubi"}
    out = []
    for l in report["layers"]:
        absolute, chain, decoded = l["offset"], l["container"], False
        while chain in by_path:
            parent = by_path[chain]
            if parent["format"] in streams:
                decoded = True
                break
            absolute += parent["offset"]
            chain = parent["container"]
        out.append({"format": l["format"], "abs": None if decoded else absolute, "logical": l["logical_path"],
                    "rel": l["offset"], "decoded": decoded, "path": l["logical_path"]})
    return out


def supported_formats(binary):
    text = subprocess.run([binary, "list", "formats"], capture_output=True, text=True, check=True).stdout
    ids = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            ids.add(line.split("`")[1])
    return ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--shared", default=os.environ.get("IOTAUDIT_SHARED_DIR",
                                                       os.path.join(os.path.dirname(__file__), "../../../shared")))
    ap.add_argument("--out")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    corpus = os.path.join(a.shared, "corpus")
    if not os.path.isfile(os.path.join(corpus, "index.json")):
        print(f"SKIP: no corpus at {corpus}")
        return 77
    have = supported_formats(a.binary)
    rows, found_n, expected_n, missed = [], 0, 0, []
    unsupported_types = {}
    for img in json.load(open(os.path.join(corpus, "index.json")))["images"]:
        truth = json.load(open(os.path.join(corpus, img["truth"])))
        rep = json.loads(subprocess.run([a.binary, "scan", "-q", "-f", "json", os.path.join(corpus, img["file"])],
                                        capture_output=True, text=True, check=True).stdout)
        ours = our_layers(rep)
        ok, miss, skip = 0, [], []
        for t in truth["image"]["layers"]:
            want = TYPE_MAP.get(t["type"])
            if want is None:
                continue  # partitions, raw bootloader bytes, factory data: not containers
            if not (want & have):
                skip.append(t["type"])
                unsupported_types[t["type"]] = unsupported_types.get(t["type"], 0) + 1
                continue
            base = t["offset_base"]
            if t.get("member"):  # inside a member file of an archive (an update bundle)
                hit = any(o["format"] in want and f'{SEP}/{t["member"]}{SEP}' in o["path"] for o in ours)
            elif base == "image":
                hit = any(o["format"] in want and o["abs"] == t["offset"] for o in ours)
            elif base.startswith("decompressed:"):
                hit = any(o["format"] in want and o["decoded"] and o["rel"] == t["offset"] for o in ours)
            else:  # ubi-volume: no single offset
                hit = any(o["format"] in want for o in ours)
            expected_n += 1
            if hit and t.get("mount") in ("/", "/etc/config"):
                # The files inside must match too: counts of files, links, directories, bytes.
                want_stats = truth.get("rootfs_stats") if t["mount"] == "/" else truth.get("config_partition_stats")
                layer_paths = [o["logical"] for o in ours if o["format"] in want]
                cands = [f for f in rep.get("filesystems", [])
                         if any(f["logical_path"] == lp or f["logical_path"].startswith(lp + SEP) for lp in layer_paths)
                         and (f["root_filesystem"] or t["mount"] != "/")]
                got = None
                for f in cands:
                    g = {"files": f["files"], "symlinks": f["symlinks"], "dirs": f["directories"],
                         "bytes": f["bytes"], "elf_files": f["elf_files"]}
                    if t["type"] in ("ext2", "ext4"):
                        g["dirs"] -= 1  # mke2fs adds /lost+found; the truth counts the source tree
                    if want_stats and all(g[k] == v for k, v in want_stats.items()):
                        got = g
                        break
                    got = got or g
                if want_stats and (got is None or any(got[k] != v for k, v in want_stats.items())):
                    hit = False
                    stats_note = f'{t["type"]} contents differ: truth {want_stats}, found {got}'
                    miss.append(stats_note)
                    missed.append(f'{img["file"]}: {stats_note}')
                    continue
            if hit:
                ok += 1
            else:
                miss.append(f'{t["type"]}@{t["offset"]:#x}' if t["offset"] is not None else t["type"])
                if t["type"] not in KNOWN_GAPS:
                    missed.append(f'{img["file"]}: {miss[-1]}')
        found_n += ok
        extra = len(ours)
        rows.append((img["file"], img["format"], ok, len(miss), extra, ", ".join(miss), ", ".join(sorted(set(skip)))))
    lines = ["# Layer detection on the corpus", "",
             f"Command: `bench/accuracy/layers.py BINARY --out bench/accuracy/layers.md` (iotaudit formats: "
             f"{', '.join(sorted(have))}).", "",
             f"Expected layers (truth layers of a type iotaudit unpacks): {expected_n}; found at the right offset "
             f"with the right type (and, for mounted filesystems, with the truth's counts of files, symlinks, "
             f"directories, bytes and ELF files): {found_n} (recall {100 * found_n / max(expected_n, 1):.0f}%).",
             "Truth layers of types not unpacked yet: " +
             (", ".join(f"{k} ({v})" for k, v in sorted(unsupported_types.items())) or "none") + ".", "",
             "| image | format | found | missed | layers reported | missed layers | not yet supported |",
             "|---|---|---:|---:|---:|---|---|"]
    for r in rows:
        lines.append("| " + " | ".join(str(x) for x in r) + " |")
    text = "\n".join(lines) + "\n"
    if a.out:
        open(a.out, "w").write(text)
    print(text)
    if a.check and missed:
        print("MISSED:\n  " + "\n  ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
