#!/usr/bin/env python3
"""What the security checks report on the real vendor images, with the hand review of each.

    bench/checks_realdata.py IOTAUDIT_BINARY [--shared DIR] [--out FILE]

Every file of ../shared/realdata/firmware/* is scanned with `iotaudit scan -f json --no-db`.
Findings of CVE matching, component age and unpacking are left out (they have their own
benchmarks); per-binary hardening findings and world-writable entries are counted, not listed.
REVIEW holds what was checked by hand for each (image directory, check id): the notes are
written after reading the files the evidence points to (`iotaudit extract` and a text editor).
A finding without a review note is marked "not reviewed".
"""
import argparse
import collections
import json
import os
import subprocess
import sys

REVIEW = {
    ("trident-v7209-rt5350-3g-router", "credentials.config_password"):
        "right: the Ralink SDK defaults (/etc_ro/Wireless/RT2860AP/RT2860_default_*) set Login=admin, "
        "Password=admin, the same on every unit",
    ("ctf-nobrackets2024-root-the-router", "boot.verified_boot"):
        "right: only legacy uImage/TP-Link headers with CRC or MD5 checksums, no signed FIT, dm-verity or vbmeta anywhere in the image (a checksum detects corruption, not tampering)",
    ("tplink-mr3020-v1-3.17.2-fact-test", "boot.verified_boot"):
        "right: only legacy uImage/TP-Link headers with CRC or MD5 checksums, no signed FIT, dm-verity or vbmeta anywhere in the image (a checksum detects corruption, not tampering)",
    ("tplink-tl-wr841n-v14-spi-dump", "boot.verified_boot"):
        "right: only legacy uImage/TP-Link headers with CRC or MD5 checksums, no signed FIT, dm-verity or vbmeta anywhere in the image (a checksum detects corruption, not tampering)",
    ("trident-v7209-rt5350-3g-router", "boot.verified_boot"):
        "right: only legacy uImage/TP-Link headers with CRC or MD5 checksums, no signed FIT, dm-verity or vbmeta anywhere in the image (a checksum detects corruption, not tampering)",
    ("uboot-mips-fact-test", "boot.verified_boot"):
        "right: only legacy uImage/TP-Link headers with CRC or MD5 checksums, no signed FIT, dm-verity or vbmeta anywhere in the image (a checksum detects corruption, not tampering)",
    ("yi-home-1080p-bfus-mtd-dump", "boot.verified_boot"):
        "right: only legacy uImage/TP-Link headers with CRC or MD5 checksums, no signed FIT, dm-verity or vbmeta anywhere in the image (a checksum detects corruption, not tampering)",
    ("ctf-nobrackets2024-root-the-router", "boot.console_interrupt"):
        "right: the U-Boot default environment sets bootdelay=1 and no stop key",
    ("ddwrt-v24-ubnt-ns2", "crypto.private_key"):
        "right: /etc/key.pem is DD-WRT's RSA-512 key shared by every installation (publicly known); "
        "/etc/privkey.pem is the encrypted copy",
    ("ddwrt-v24-ubnt-ns2", "crypto.weak_key"):
        "right: RSA 512 bits; the certificate is signed with SHA-1",
    ("ddwrt-v24-ubnt-ns2", "crypto.expired_certificate"):
        "right: /etc/cert.pem expired in 2018",
    ("ddwrt-v24sp2-defkthon2014-rev400", "crypto.private_key"):
        "right: the same shared DD-WRT key pair",
    ("ddwrt-v24sp2-defkthon2014-rev400", "crypto.weak_key"): "right: RSA 512, SHA-1 signature",
    ("ddwrt-v24sp2-defkthon2014-rev400", "crypto.expired_certificate"): "right: expired 2020",
    ("openwrt-12.09.2-librarybox-tl-mr3020", "updates.unsigned"):
        "right: OpenWrt 12.09's sysupgrade (/lib/upgrade/common.sh) writes the image with mtd after "
        "a header check only; image signatures came years later",
    ("openwrt-12.09.2-librarybox-tl-mr3020", "services.ssh_root_password"):
        "right: /etc/config/dropbear has PasswordAuth and RootPasswordAuth 'on'",
    ("openwrt-12.09.2-librarybox-tl-mr3020", "services.telnet"):
        "right, conditional: /etc/init.d/telnet starts telnetd when root has no password or no SSH "
        "server is enabled - the state of a freshly flashed device",
    ("trident-v7209-rt5350-3g-router", "services.telnet"):
        "right: /etc_ro/rcS line 9 runs 'telnetd' unconditionally (the Ralink SDK reads /etc_ro)",
    ("trident-v7209-rt5350-3g-router", "services.root_daemon"):
        "right that the web UI (goahead) runs as root; GoAhead 2.x cannot drop privileges itself, "
        "so the fix needs a port above 1023 or a capability",
    ("tplink-tl-wr841n-v14-spi-dump", "boot.console_interrupt"):
        "right: TP-Link's U-Boot default environment, bootdelay=1, no stop key",
    ("yi-home-1080p-bfus-mtd-dump", "boot.console_interrupt"):
        "right: Allwinner U-Boot 2018.05 holds two default environments (bootdelay=2 and 0); "
        "bootdelay=0 still checks for a key press",
    ("yi-home-1080p-bfus-mtd-dump", "credentials.empty_password"):
        "right: 'root::0:0' in /etc/passwd",
    ("yi-home-1080p-bfus-mtd-dump", "services.console_shell"):
        "right: '/dev/console::respawn:-/bin/sh' (the getty line is commented out)",
    ("zyxel-bcm63xx-adsl-rootfs-binwalk-test", "services.console_shell"):
        "right: '::respawn:-/bin/sh' and 'tty2::askfirst:-/bin/sh'",
    ("zyxel-bcm63xx-adsl-rootfs-binwalk-test", "services.telnet"):
        "right: inetd.conf line 12 runs telnetd as root for every connection",
    ("zyxel-bcm63xx-adsl-rootfs-binwalk-test", "crypto.ssh_host_key"):
        "right: /etc/rsa_host_key is a dropbear RSA-1040 host key shared by every unit",
    ("zyxel-bcm63xx-adsl-rootfs-binwalk-test", "crypto.weak_key"): "right: 1040 bits",
    ("*", "disclosure.contact"):
        "right: no security.txt and no security contact in any web page or /etc file of these "
        "images (they predate RFC 9116; the finding is missing evidence, not proof of no policy)",
    ("*", "disclosure.support_period"): "right: none of these images states a support period",
    ("*", "binaries.no_nx"):
        "right as read from PT_GNU_STACK (MIPS toolchains of the time marked stacks executable); "
        "agreement with checksec in bench/hardening.md",
    ("*", "binaries.no_canary"): "see bench/hardening.md (per-file agreement with checksec)",
    ("*", "binaries.no_pie"): "see bench/hardening.md",
    ("*", "binaries.no_relro"): "see bench/hardening.md",
}
COUNTED = {"binaries.dangerous_functions", "files.world_writable"}
SKIPPED = ("unpack.", "vulnerabilities.", "components.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--shared", default=os.environ.get("IOTAUDIT_SHARED_DIR",
                                                       os.path.join(os.path.dirname(__file__), "../../shared")))
    ap.add_argument("--out")
    a = ap.parse_args()
    root = os.path.join(a.shared, "realdata", "firmware")
    if not os.path.isdir(root):
        print(f"SKIP: no {root}")
        return 77
    lines = ["# Security checks on the real vendor images", "",
             "Generated by `python3 bench/checks_realdata.py build/release/apps/iotaudit/iotaudit --out "
             "bench/checks_realdata.md`. Each listed finding was checked by hand against the files its evidence "
             "names; the notes live in the script (REVIEW). `analyze` is the time of all extractors and checks "
             "(unpacking excluded), from the report's stats.", ""]
    unreviewed = 0
    for d in sorted(os.listdir(root)):
        for f in sorted(os.listdir(os.path.join(root, d))):
            path = os.path.join(root, d, f)
            out = subprocess.run([a.binary, "scan", "-q", "--no-db", "-f", "json", path], capture_output=True,
                                 text=True, timeout=600).stdout
            rep = json.loads(out)
            findings = [x for x in rep["findings"] if not x["check"].startswith(SKIPPED)]
            if not findings and not rep["services"]:
                continue
            lines.append(f"## {d}/{f}")
            lines.append("")
            lines.append(f"{len(rep['root_filesystems'])} root filesystem(s), {len(rep['services'])} service(s) "
                         f"found, analyze {rep['stats']['analyze_seconds']:.3f} s.")
            lines.append("")
            counts = collections.Counter()
            rows = []
            for x in findings:
                if x["check"] in COUNTED:
                    counts[(x["check"], x["severity"])] += 1
                    continue
                ev = x["evidence"][0] if x["evidence"] else {}
                where = ev.get("path") or ""
                if ev.get("line"):
                    where += f":{ev['line']}"
                note = REVIEW.get((d, x["check"])) or REVIEW.get(("*", x["check"]))
                if not note:
                    unreviewed += 1
                    note = "not reviewed"
                rows.append(f"| {x['severity']} | `{x['check']}` | {x['title']} | `{where}` | {note} |")
            if rows:
                lines += ["| severity | check | finding | where | hand review |", "|---|---|---|---|---|"] + rows
            for (chk, sev), n in sorted(counts.items()):
                lines.append(f"- {n} × `{chk}` ({sev})")
            svc = [f"{s['name']} ({s['user']}, {s['source_path']}{':' + str(s['line']) if s.get('line') else ''})"
                   for s in rep["services"]]
            if svc:
                lines += ["", "Services: " + "; ".join(svc)]
            lines.append("")
    lines.append(f"Findings without a review note: {unreviewed}.")
    text = "\n".join(lines) + "\n"
    if a.out:
        open(a.out, "w").write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
