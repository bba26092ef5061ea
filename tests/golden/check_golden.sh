#!/usr/bin/env bash
# Golden reports: the fixture image of build_fixture.py, scanned against the test vulnerability feeds
# and VEX document of tests/schema/fixtures, in every report format; each output, normalised by
# normalise.py, must equal tests/golden/expected/report.FORMAT byte for byte. A difference fails
# with a unified diff. To accept a deliberate change of the output:
#
#   UPDATE_GOLDEN=1 ctest --preset release -R golden_reports     (or run this script with UPDATE_GOLDEN=1)
#
# and review the change of tests/golden/expected/ like code.
#   check_golden.sh IOTAUDIT_BINARY SOURCE_DIR WORK_DIR
set -euo pipefail
bin=$(realpath "$1") src=$(realpath "$2") work=$3
here="$src/tests/golden"
expected="$here/expected"
rm -rf "$work" && mkdir -p "$work/out"
work=$(cd "$work" && pwd -P)
python3 "$here/build_fixture.py" "$work/goldencam.bin"
fx="$src/tests/schema/fixtures"
"$bin" db import -q --db "$work/v.db" "$fx/nvd-test.json" "$fx/kev-test.json" >/dev/null
version=$("$bin" version | awk '{print $2; exit}')
[[ -n "$version" ]] || { echo "cannot read the tool version"; exit 1; }

formats=(text json sarif cyclonedx spdx markdown html psti-statement)
args=()
for f in "${formats[@]}"; do args+=(-f "$f" -o "$work/out/report.$f"); done
(cd "$work" && SOURCE_DATE_EPOCH=946684800 "$bin" scan goldencam.bin -q --db "$work/v.db" --vex "$fx/openvex-test.json" "${args[@]}")

# Hostile names from the fixture are escaped wherever markup is interpreted.
python3 - "$work/out" <<'PY'
import re, sys
out = sys.argv[1]
html = open(f"{out}/report.html", encoding="utf-8").read()
for raw in ('<script>alert("account")', '<img src=x onerror', '<svg onload'):
    assert raw not in html, f"unescaped firmware string in HTML: {raw}"
for escaped in ('&lt;script&gt;alert(&quot;account&quot;)&lt;/script&gt;', '&lt;img src=x onerror=alert(1)&gt;.cgi',
                '&quot;&gt;&lt;svg onload=alert(2)&gt;'):
    assert escaped in html, f"escaped form missing from HTML: {escaped}"
assert html.count("<script>") == 1 and html.count("<style>") == 1, "one script and one style element expected"
csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
assert csp and "default-src 'none'" in csp.group(1) and "unsafe" not in csp.group(1), "strict CSP missing"
from html.parser import HTMLParser
class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.bad = []
    def handle_starttag(self, tag, attrs):
        if tag in ("img", "link", "iframe", "object", "embed", "base", "form", "frame", "audio", "video", "source"):
            self.bad.append(tag)
        for name, _ in attrs:
            if name in ("src", "srcset", "style", "action", "formaction", "background") or name.startswith("on"):
                self.bad.append(f"{tag}[{name}]")
tags = Tags()
tags.feed(html)
assert not tags.bad, f"elements or attributes that load, style or run something: {sorted(set(tags.bad))}"
for name in ("report.markdown", "report.psti-statement"):
  md = open(f"{out}/{name}", encoding="utf-8").read()
  for raw in ('<script>', '<img', '<svg'):
    # Outside code spans nothing may open a tag.
    plain = re.sub(r"(`+)(?:(?!\1).)*\1", "", md)
    assert raw not in plain.replace("<details>", "").replace("<summary>", ""), f"unescaped firmware string in {name}: {raw}"
print("hostile names escaped in HTML and Markdown")
PY

status=0
mkdir -p "$work/normalised"
for f in "${formats[@]}"; do
  python3 "$here/normalise.py" "$f" "$work/out/report.$f" "$version" "$work" "$src" >"$work/normalised/report.$f"
  if [[ "${UPDATE_GOLDEN:-}" == 1 ]]; then
    mkdir -p "$expected"
    cp "$work/normalised/report.$f" "$expected/report.$f"
    echo "updated tests/golden/expected/report.$f"
  elif [[ ! -f "$expected/report.$f" ]]; then
    echo "missing tests/golden/expected/report.$f (run with UPDATE_GOLDEN=1)"
    status=1
  elif ! diff -u --label "expected/report.$f" --label "actual/report.$f" "$expected/report.$f" "$work/normalised/report.$f"; then
    echo "report.$f differs from the golden copy (above); if the change is intended: UPDATE_GOLDEN=1, then review the diff"
    status=1
  fi
done
[[ $status == 0 ]] && echo "golden reports match (${formats[*]})"
exit $status
