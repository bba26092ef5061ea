#!/usr/bin/env python3
"""Removes what legitimately changes between runs and machines from a report, so the rest can be
compared byte for byte: the tool version, timestamps, serial numbers and document namespaces (UUIDs
derived from the version), absolute paths of the work and source directories, scan timings, the
age of a component as of today, and the hashes of the HTML report's own style and script (whose
text is left out: the page's content is compared, and tests/report/check_html.sh renders it).

  normalise.py FORMAT FILE VERSION WORKDIR [SRCDIR]   (writes the result to standard output)
"""
import json
import re
import sys

fmt, path, version, work = sys.argv[1:5]
src = sys.argv[5] if len(sys.argv) > 5 else None
text = open(path, encoding='utf-8').read()

if fmt == 'json':
    doc = json.loads(text)
    doc.pop('stats', None)  # timings and thread count
    text = json.dumps(doc, indent=2, ensure_ascii=False) + '\n'
if fmt == 'html':
    text = re.sub(r'<style>.*?</style>', '<style>…</style>', text, flags=re.S)
    text = re.sub(r'<script>.*?</script>', '<script>…</script>', text, flags=re.S)
    text = re.sub(r"'sha256-[A-Za-z0-9+/=]+'", "'sha256-<HASH>'", text)

for d in filter(None, (work, src)):
    text = text.replace(d.rstrip('/'), '<DIR>')
text = text.replace(version, '<VERSION>')
text = re.sub(r'\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z', lambda m: m.group(0) if m.group(0).startswith('2099') else '<TIMESTAMP>', text)
text = re.sub(r'urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', 'urn:uuid:<UUID>', text)
text = re.sub(r'Scanned in [0-9.]+ s \((\d+) nodes, \d+ thread\(s\)\)', r'Scanned in <SECONDS> s (\1 nodes, <THREADS> thread(s))', text)
# Lifecycle notes count a component's age up to today.
text = re.sub(r'\d+(\.\d+)? years before \d{4}-\d{2}-\d{2}', '<AGE> years before <TODAY>', text)
sys.stdout.write(text)
