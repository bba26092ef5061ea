#!/usr/bin/env python3
"""Classifier accuracy on version-string ground truth nobody here wrote:

  * cve-bin-tool's condensed downloads (the strings of real distribution packages: .deb, .rpm,
    .ipk), each named in test_data.json with its product and version;
  * Syft's binary-classifier snippets (bytes of real binaries around their version string;
    expected product and version are the path) and its negative cases (must not classify).

    bench/accuracy/versiondata.py CLASSIFIER_BENCH [--shared DIR] [--out FILE]

CLASSIFIER_BENCH is build/release/classifier_bench (`cmake --build build/release --target
classifier_bench`), run with --identify: every file is scanned with the built-in classifiers in
all scopes. Only products iotaudit has a classifier for are scored ("in scope"). For each input:
identified (expected product at the expected version), wrong version (the product at another
version), missed. Any other product reported in a Syft snippet or negative case counts as a
false identification; in cve-bin-tool packages other products are listed, not scored, because a
package can bundle other components.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tarfile
import tempfile

# Product names used by the data sets -> iotaudit classifier ids.
ALIASES = {"libcurl": "curl", "libexpat": "expat", "linux_kernel": "linux-kernel", "kernel": "linux-kernel",
           "gnutls-cli": "gnutls", "gnutls-serv": "gnutls", "libjpeg": "libjpeg-turbo", "pcre": "pcre",
           "sqlite3": "sqlite", "wpa-supplicant": "wpa_supplicant", "uclibc": "uclibc", "openssh-client": "openssh",
           "openssh-server": "openssh", "python-shared-lib": "python", "python-duplicates": "python",
           "python-with-incorrect-match": "python", "ntpd": "ntp", "net-snmp": "net-snmp", "pure-ftpd": "pure-ftpd",
           "wolfssl": "wolfssl", "mbed_tls": "mbedtls", "php-apache": "php"}


def identify(bench, files):
    hits = collections.defaultdict(set)
    for i in range(0, len(files), 200):
        out = subprocess.run([bench, "--identify"] + files[i:i + 200], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            f, pid, ver = line.split("\t")
            hits[f].add((pid, ver))
    return hits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bench")
    ap.add_argument("--shared", default=os.environ.get("IOTAUDIT_SHARED_DIR",
                                                       os.path.join(os.path.dirname(__file__), "../../../shared")))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "versiondata.md"))
    a = ap.parse_args()
    base = os.path.join(a.shared, "realdata", "versiondata")
    if not os.path.isdir(base):
        print(f"SKIP: no {base}")
        return 77
    listing = subprocess.run([os.path.join(os.path.dirname(a.bench), "apps/iotaudit/iotaudit"), "list", "components"],
                             capture_output=True, text=True).stdout
    known = {line.split("`")[1] for line in listing.splitlines() if line.startswith("| `")}
    work = tempfile.mkdtemp(prefix="versiondata-")
    lines = ["# Classifier accuracy on third-party version ground truth", "",
             "Command: `bench/accuracy/versiondata.py build/release/classifier_bench` (scans every file with the "
             "built-in classifiers, all scopes). Only products with an iotaudit classifier are scored.", ""]

    # cve-bin-tool condensed downloads
    td = json.load(open(os.path.join(base, "cve-bin-tool", "test_data.json")))
    expect = {}
    for checker, d in td["checkers"].items():
        for p in d.get("package_test_data", []):
            expect[p["package_name"]] = (ALIASES.get(p["product"], p["product"]), p["version"])
    stats = collections.Counter()
    rows = []
    cdir = os.path.join(base, "cve-bin-tool", "condensed-downloads")
    for tgz in sorted(os.listdir(cdir)):
        name = tgz[:-len(".tar.gz")]
        if name not in expect:
            continue
        prod, ver = expect[name]
        if prod not in known:
            stats["out of scope"] += 1
            continue
        dest = os.path.join(work, name)
        with tarfile.open(os.path.join(cdir, tgz)) as t:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: refuse links and paths out of dest
                t.extractall(dest, filter="data")
            else:
                t.extractall(dest)
        files = [os.path.join(r, f) for r, _, fs in os.walk(dest) for f in fs]
        found = set()
        for f, h in identify(a.bench, files).items():
            found |= h
        versions = {v for p, v in found if p == prod}
        if ver in versions:
            stats["identified"] += 1
            verdict = "identified"
        elif versions:
            stats["wrong version"] += 1
            verdict = "wrong version: " + "/".join(sorted(versions))
        else:
            stats["missed"] += 1
            verdict = "missed"
        others = sorted(f"{p} {v}" for p, v in found if p != prod)
        rows.append(f"| {name} | {prod} {ver} | {verdict} | {', '.join(others) or '—'} |")
    scored = stats["identified"] + stats["wrong version"] + stats["missed"]
    lines += ["## cve-bin-tool condensed packages", "",
              f"Packages whose product is in scope: {scored}; identified with the right version: "
              f"{stats['identified']} ({100 * stats['identified'] / max(scored, 1):.0f} %); wrong version: "
              f"{stats['wrong version']}; missed: {stats['missed']}. Out of scope: {stats['out of scope']}.", "",
              "| package | expected | result | other products in the package |", "|---|---|---|---|"] + rows + [""]

    # Syft snippets and negatives
    sdir = os.path.join(base, "syft-binary-classifier-testdata", "classifiers")
    snippets = []
    for root, _, fs in os.walk(os.path.join(sdir, "snippets")):
        for f in fs:
            parts = os.path.relpath(os.path.join(root, f), os.path.join(sdir, "snippets")).split(os.sep)
            if len(parts) >= 3:
                snippets.append((os.path.join(root, f), ALIASES.get(parts[0], parts[0]), parts[1]))
    # Strip the YAML header: the bytes after "### byte snippet to follow ###\n" are the binary's.
    raw = []
    for path, prod, ver in snippets:
        data = open(path, "rb").read()
        marker = b"### byte snippet to follow ###\n"
        k = data.find(marker)
        body = data[k + len(marker):] if k >= 0 else data
        out = os.path.join(work, "snip-" + str(len(raw)))
        open(out, "wb").write(body)
        raw.append((out, prod, ver, os.path.relpath(path, sdir)))
    hits = identify(a.bench, [r[0] for r in raw])
    s2 = collections.Counter()
    srows = []
    false_ids = []
    for out, prod, ver, rel in raw:
        found = hits.get(out, set())
        wrong = sorted(f"{p} {v}" for p, v in found if p != prod)
        false_ids += [f"{rel}: {w}" for w in wrong]
        if prod not in known:
            s2["out of scope"] += 1
            continue
        versions = {v for p, v in found if p == prod}
        if ver in versions:
            s2["identified"] += 1
            res = "identified"
        elif versions:
            s2["wrong version"] += 1
            res = "wrong version: " + "/".join(sorted(versions))
        else:
            s2["missed"] += 1
            res = "missed"
        srows.append(f"| {rel} | {prod} {ver} | {res} |")
    negatives = []
    for root, _, fs in os.walk(os.path.join(sdir, "negative")):
        negatives += [os.path.join(root, f) for f in fs]
    nh = identify(a.bench, negatives)
    # A negative case says Syft's classifier of that name must not fire (negative/gzip is not gzip);
    # another product found in it is reported but may be right (that "gzip" is a BusyBox binary).
    neg_false, neg_other = [], []
    for f, h in nh.items():
        rel = os.path.relpath(f, sdir)
        named = ALIASES.get(rel.split(os.sep)[1].split(".")[0], rel.split(os.sep)[1].split(".")[0])
        for p, v in sorted(h):
            (neg_false if p == named else neg_other).append(f"{rel}: {p} {v}")
    scored = s2["identified"] + s2["wrong version"] + s2["missed"]
    lines += ["## Syft binary-classifier snippets", "",
              f"Snippets: {len(raw)}; in scope: {scored}; identified with the right version: {s2['identified']} "
              f"({100 * s2['identified'] / max(scored, 1):.0f} %); wrong version: {s2['wrong version']}; missed: "
              f"{s2['missed']}. Other products reported in any snippet (false identifications): {len(false_ids)}"
              + (" — " + "; ".join(false_ids) if false_ids else "") + ".", "",
              f"Negative cases (must not classify as the product they are named after): {len(negatives)}; "
              f"classified as that product: {len(neg_false)}" + (" — " + "; ".join(neg_false) if neg_false else "")
              + "; other products found in them: " + ("; ".join(neg_other) or "none") + ".", "",
              "Misses in scope are mostly command-line tools that only mention the library they were built "
              "against (the `openssl` program: its library, libcrypto, is identified) and snippets cut away "
              "from the version string's context.", "",
              "| snippet | expected | result |", "|---|---|---|"] + srows
    text = "\n".join(lines) + "\n"
    open(a.out, "w").write(text)
    print("\n".join(lines[:12]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
