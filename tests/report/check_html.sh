#!/usr/bin/env bash
# The HTML report renders in a real browser: headless Chromium opens the report of a real image (the
# OpenWrt TL-MR3020 image of ../shared/realdata when present, else the demo image) and
#  1. saves a screenshot, which must be a PNG of the requested size that is not one flat colour;
#  2. dumps the DOM after the page's script ran: the script must have marked the page ready and
#     filled every filter's "N of M shown" counter (so the Content-Security-Policy admitted it by its
#     hash), the findings table must have rows, and nothing in the page may load a resource.
# Exits 77 (skipped) when Chromium is not installed (Debian package `chromium`).
#   check_html.sh IOTAUDIT_BINARY SOURCE_DIR WORK_DIR [SHARED_DIR] [SCREENSHOT_COPY]
set -euo pipefail
bin=$(realpath "$1") src=$(realpath "$2") work=$3 shared=${4:-} copy=${5:-}
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
  echo "SKIP: chromium is not installed (apt-get install chromium)"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work"
work=$(cd "$work" && pwd -P)

image=""
if [[ -n "$shared" && -f "$shared/realdata/MANIFEST.json" ]]; then
  image=$(python3 - "$shared/realdata" <<'PY'
import json, os, sys
root = sys.argv[1]
def walk(x):
    if isinstance(x, dict):
        p = x.get("local_path", "")
        if "openwrt" in p and "mr3020" in p and p.endswith(".bin") and os.path.isfile(os.path.join(root, p)):
            print(os.path.join(root, p)); sys.exit(0)
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(json.load(open(os.path.join(root, "MANIFEST.json"))))
PY
)
fi
if [[ -z "$image" ]]; then
  image=$("$src/demo/build-image.sh" "$work/demo")
fi
echo "image: $image"
"$bin" scan "$image" -q --no-db -f html -o "$work/report.html"

width=1280 height=1700
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --user-data-dir="$work/profile"
       --window-size="$width,$height")
timeout 180 "$browser" "${flags[@]}" --screenshot="$work/report.png" "file://$work/report.html" >"$work/shot.log" 2>&1 || true
timeout 180 "$browser" "${flags[@]}" --dump-dom "file://$work/report.html" >"$work/dom.html" 2>"$work/dom.log" || true

python3 - "$work" "$width" "$height" <<'PY'
import re, struct, sys, zlib
from html.parser import HTMLParser
work, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

# 1. The screenshot: a PNG of the window's size with more than one colour.
try:
    png = open(f"{work}/report.png", "rb").read()
except FileNotFoundError:
    sys.exit("no screenshot written; see shot.log:\n" + open(f"{work}/shot.log").read()[-2000:])
assert png[:8] == b"\x89PNG\r\n\x1a\n", "screenshot is not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(png):
    n, kind = struct.unpack(">I4s", png[pos:pos + 8])
    body = png[pos + 8:pos + 8 + n]
    if kind == b"IHDR": ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT": idat += body
    pos += 12 + n
w, h, depth, ctype = ihdr[:4]
assert (w, h) == (width, height), f"screenshot is {w}x{h}, expected {width}x{height}"
assert depth == 8 and ctype in (2, 6), f"unexpected PNG colour type {ctype}/{depth}"
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, colours, rows = bytearray(stride), set(), 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 8 == 0:
        for x in range(0, stride, bpp * 4): colours.add(bytes(line[x:x + 3]))
    prev = line
assert len(colours) >= 16, f"screenshot has only {len(colours)} colour(s): the page did not render"
print(f"screenshot {w}x{h}, {len(png)} bytes, {len(colours)} colours sampled")

# 2. The DOM after the script ran.
dom = open(f"{work}/dom.html", encoding="utf-8", errors="replace").read()
assert re.search(r'<body[^>]*data-js="ready"', dom), "the page's script did not run (blocked by the CSP hash?)"
counters = re.findall(r'class="shown">([^<]*)<', dom)
assert counters and all(re.fullmatch(r"\d+ of \d+ shown", c) for c in counters), f"filter counters not filled: {counters}"
assert "sort" in dom and 'class="sort"' in dom, "sort buttons were not added"
rows = re.search(r'<table id="finding-table".*?<tbody>(.*?)</tbody>', dom, re.S)
assert rows and rows.group(1).count("<tr") > 0, "findings table is empty"
class Loads(HTMLParser):
    def __init__(self):
        super().__init__(); self.found = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("img", "link", "iframe", "object", "embed", "frame", "audio", "video", "source", "base", "form"):
            self.found.append(tag)
        if tag == "script" and "src" in a: self.found.append("script[src]")
        for k, v in attrs:
            if k in ("src", "srcset", "action", "background", "poster") or k.startswith("on"):
                self.found.append(f"{tag}[{k}]")
p = Loads(); p.feed(dom)
assert not p.found, f"the page references resources: {sorted(set(p.found))}"
styles = " ".join(re.findall(r"<style>(.*?)</style>", dom, re.S))
assert "url(" not in styles and "@import" not in styles, "the style sheet loads a resource"
print(f"DOM: script ran, {len(counters)} filter(s) filled ({', '.join(counters)}), no external resource")
PY
if [[ -n "$copy" ]]; then cp "$work/report.png" "$copy"; echo "screenshot copied to $copy"; fi
