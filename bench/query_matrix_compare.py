#!/usr/bin/env python3
"""Before/after table of query_matrix.py runs (bench/query_matrix.sh's JSON files).

Usage: query_matrix_compare.py LABEL=BEFORE.json,AFTER.json [LABEL=BEFORE.json,AFTER.json ...]
Prints one Markdown table, a p99 column pair per label (a missing file leaves its cells empty),
then a count per column of shapes under 50 ms, between 50 and 500 ms and over 500 ms.
"""
import json
import os
import sys


def load(path):
    if not path or not os.path.exists(path):
        return {}
    return {r["shape"]: r for r in json.load(open(path))}


columns = []  # (title, results by shape)
for arg in sys.argv[1:]:
    label, files = arg.split("=", 1)
    before, after = (files.split(",") + [""])[:2]
    columns.append((f"{label} before", load(before)))
    columns.append((f"{label} after", load(after)))

shapes = []
for _, results in columns:
    for name in results:
        if name not in shapes:
            shapes.append(name)


def cell(r):
    if r is None:
        return ""
    if "error" in r:
        return r["error"]
    p99 = r["p99"]
    mark = "" if p99 < 50 else (" ⚠" if p99 < 500 else " ✗")
    n = f" (n={r['n']})" if r.get("n", 0) < 10 else ""
    return f"{p99:.1f}{mark}{n}"


print("| shape | rows | " + " | ".join(f"{t} p99 ms" for t, _ in columns) + " |")
print("|---|---|" + "---|" * len(columns))
for name in shapes:
    rows = next((c[name].get("rows", "") for _, c in columns if name in c), "")
    print(f"| {name} | {rows} | " + " | ".join(cell(c.get(name)) for _, c in columns) + " |")
print()
for title, results in columns:
    timed = [r for r in results.values() if "p99" in r]
    if not timed:
        continue
    under = sum(r["p99"] < 50 for r in timed)
    over = sum(r["p99"] >= 500 for r in timed)
    print(f"- {title}: {len(timed)} shapes timed, {under} under 50 ms, "
          f"{len(timed) - under - over} between 50 and 500 ms, {over} over 500 ms"
          + (f" ({len(results) - len(timed)} not timed)" if len(results) > len(timed) else "")
          + ".")
