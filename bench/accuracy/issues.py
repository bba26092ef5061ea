#!/usr/bin/env python3
"""Security checks against the corpus truth: recall of planted issues, and false findings.

    bench/accuracy/issues.py IOTAUDIT_BINARY [--shared DIR] [--out FILE] [--check]

Each corpus image is scanned with `iotaudit scan -f json --no-db`. A planted issue (truth `issues`)
is found when a finding of the check that judges its kind has an evidence item at the issue's
path (for issues in a separate configuration partition, which has no mount point in the image,
the file name must match); issues without a path (missing documentation) need only the check's
finding. A finding of a check the truth speaks about is
  - right: it matches a planted issue;
  - false: it does not, and the image is clean or lists the kind in its `negatives`;
  - unlabelled: neither (the truth says nothing about that file) - listed for review.
Findings of checks the truth does not speak about (CVE matching, security.txt staleness…) are
not counted. With --check the exit status is 1 when recall < 0.95 or false findings exceed 2 %
of all counted findings (recall is gated over the kinds whose check exists; the report gives both).

Verdicts (EN 303 645 V2.1.1): every image must have a verdict for each of the 68 provisions; each
provision a found planted issue names (truth `etsi`) must be `fail` with that issue's finding among
its evidence; no provision may fail on a clean image. --check also gates on these.
"""
import argparse
import collections
import json
import os
import subprocess
import sys

# truth issue kind -> the check that judges it
KIND_CHECK = {
    "default_password": "credentials.default_password",
    "empty_password": "credentials.empty_password",
    "web_hardcoded_credential": "credentials.web_password",
    "default_wifi_psk": "credentials.wifi_psk",
    "hardcoded_cloud_secret": "secrets.cloud_credentials",
    "telnet_enabled": "services.telnet",
    "uart_root_shell": "services.console_shell",
    "debug_gdbserver": "services.debug_daemon",
    "service_runs_as_root": "services.root_daemon",
    "ssh_root_password_login": "services.ssh_root_password",
    "debug_command_cgi": "web.command_cgi",
    "upnp_wan_enabled": "config.upnp",
    "snmp_public_community": "config.snmp_community",
    "ftp_anonymous": "config.ftp_anonymous",
    "world_writable": "files.world_writable",
    "extra_setuid_binary": "files.setuid",
    "unsigned_update": "updates.unsigned",
    "missing_vulnerability_disclosure": "disclosure.contact",
    "missing_support_period": "disclosure.support_period",
    "embedded_tls_private_key": "crypto.private_key",
    "embedded_ssh_host_key": "crypto.ssh_host_key",
    "weak_crypto_key": "crypto.weak_key",
    "expired_certificate": "crypto.expired_certificate",
}
CHECK_KIND = {v: k for k, v in KIND_CHECK.items()}


def matches(issue, finding):
    if finding["check"] != KIND_CHECK.get(issue["kind"]):
        return False
    if not issue.get("path"):
        return True
    for e in finding["evidence"]:
        p = e.get("path", "")
        if p == issue["path"]:
            return True
        if issue.get("layer") not in (None, "rootfs") and p and os.path.basename(p) == os.path.basename(issue["path"]):
            return True
    return False


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
    known_checks = set(subprocess.run([a.binary, "list", "checks"], capture_output=True, text=True,
                                      check=True).stdout.split("`"))
    found_all = planted_all = right_all = false_all = unl_all = 0
    impl_planted = impl_found = 0
    rows, misses, falses, unlabelled = [], [], [], []
    verdict_problems = []
    provisions_required = provisions_failed = 0
    per_kind = collections.defaultdict(lambda: [0, 0])
    for img in json.load(open(os.path.join(corpus, "index.json")))["images"]:
        truth = json.load(open(os.path.join(corpus, img["truth"])))
        rep = json.loads(subprocess.run([a.binary, "scan", "-q", "--no-db", "-f", "json",
                                         os.path.join(corpus, img["file"])], capture_output=True, text=True).stdout)
        findings = [f for f in rep["findings"] if f["check"] in CHECK_KIND]
        clean = truth["device"]["variant"] == "clean"
        negative = {n["kind"] for n in truth["negatives"]}
        found = 0
        verdicts = {v["provision"]: v for v in rep["verdicts"] if v["standard"] == "ETSI EN 303 645"}
        if len(verdicts) != 68:
            verdict_problems.append(f'{img["file"]}: {len(verdicts)} EN 303 645 provisions have a verdict, not 68')
        if clean:
            for v in verdicts.values():
                if v["status"] == "fail":
                    verdict_problems.append(f'{img["file"]} (clean): {v["provision"]} fails — {v["rationale"]}')
        for i in truth["issues"]:
            ids = {f["id"] for f in findings if matches(i, f)}
            if not ids:
                continue
            for p in i["etsi"]:
                provisions_required += 1
                v = verdicts.get(p)
                if v and v["status"] == "fail" and ids & set(v.get("findings", [])):
                    provisions_failed += 1
                else:
                    verdict_problems.append(f'{img["file"]}: {i["kind"]} {i.get("path") or ""} names {p}, whose verdict is '
                                            f'{v["status"] if v else "missing"} without this finding')
        for i in truth["issues"]:
            hit = any(matches(i, f) for f in findings)
            per_kind[i["kind"]][0] += 1
            if KIND_CHECK.get(i["kind"]) in known_checks:
                impl_planted += 1
                impl_found += 1 if hit else 0
            if hit:
                found += 1
                per_kind[i["kind"]][1] += 1
            else:
                why = "" if KIND_CHECK.get(i["kind"]) in known_checks else " (no such check yet)"
                misses.append(f'{img["file"]}: {i["kind"]} {i.get("path") or ""}{why}')
        right = false = unl = 0
        for f in findings:
            if any(matches(i, f) for i in truth["issues"]):
                right += 1
                continue
            paths = ", ".join(sorted({e.get("path", "") for e in f["evidence"]}))
            if clean or CHECK_KIND[f["check"]] in negative:
                false += 1
                falses.append(f'{img["file"]}: {f["check"]} {paths} — {f["title"]}')
            else:
                unl += 1
                unlabelled.append(f'{img["file"]}: {f["check"]} {paths} — {f["title"]}')
        planted_all += len(truth["issues"])
        found_all += found
        right_all += right
        false_all += false
        unl_all += unl
        rows.append((img["file"], "clean" if clean else "dirty", len(truth["issues"]), found, right, false, unl,
                     rep["stats"]["analyze_seconds"], img["size"]))
    recall = found_all / max(planted_all, 1)
    impl_recall = impl_found / max(impl_planted, 1)
    counted = right_all + false_all + unl_all
    false_rate = false_all / max(counted, 1)
    out = ["# Security checks on the corpus", "",
           "Generated by `python3 bench/accuracy/issues.py build/release/apps/iotaudit/iotaudit --out "
           "bench/accuracy/issues.md` (see the script's docstring for the matching rules).", "",
           f"- Planted issues found (right check, right file): **{found_all} / {planted_all} = {recall:.3f}**",
           f"- Of the planted issues whose check exists: {impl_found} / {impl_planted} = {impl_recall:.3f}",
           f"- Findings of the checks the truth speaks about: {counted}; right {right_all}, false {false_all} "
           f"(**{false_rate:.1%}** of all), unlabelled {unl_all}",
           f"- EN 303 645 provisions named by the found planted issues that fail with that issue as evidence: "
           f"**{provisions_failed} / {provisions_required}**; verdict problems (missing verdicts, failures on "
           f"clean images, provisions not failed): **{len(verdict_problems)}**", "",
           "| image | size | variant | planted | found | right findings | false findings | unlabelled | analyze s |",
           "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    out += [f"| `{r[0]}` | {r[8] / 1048576:.1f} MiB | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {r[6]} | {r[7]:.3f} |"
            for r in rows]
    out += ["", "`analyze s`: every extractor and check (services, accounts and password cracking, keys, secrets, "
            "hardening, components…), unpacking excluded, from the report's stats, 2 threads."]
    out += ["", "## Recall by kind", "", "| kind | check | planted | found |", "|---|---|---:|---:|"]
    out += [f"| {k} | `{KIND_CHECK.get(k, '?')}` | {v[0]} | {v[1]} |" for k, v in sorted(per_kind.items())]
    out += ["", "## Missed planted issues", ""] + [f"- {m}" for m in misses or ["none"]]
    out += ["", "## False findings", ""] + [f"- {m}" for m in falses or ["none"]]
    out += ["", "## Verdict problems", ""] + [f"- {m}" for m in verdict_problems or ["none"]]
    out += ["", "## Unlabelled findings (the truth says nothing about them)", ""] + [f"- {m}" for m in unlabelled or ["none"]]
    text = "\n".join(out) + "\n"
    if a.out:
        open(a.out, "w").write(text)
    print(text)
    if a.check and (impl_recall < 0.95 or false_rate > 0.02 or verdict_problems):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
