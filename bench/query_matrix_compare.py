#!/usr/bin/env python3
"""Before/after table of query_matrix.py runs (bench/query_matrix.sh's JSON files).

Usage: query_matrix_compare.py LABEL=BEFORE.json,AFTER.json [LABEL=BEFORE.json,AFTER.json ...]
Prints one Markdown table, a p99 column pair per label (a missing file leaves its cells empty),
then a count per column of shapes under 50 ms, between 50 and 500 ms and over 500 ms.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qm_table import cell, load, shape_order, tally  # noqa: E402

columns = []  # (title, results by shape)
for arg in sys.argv[1:]:
    label, files = arg.split("=", 1)
    before, after = (files.split(",") + [""])[:2]
    columns.append((f"{label} before", load(before)))
    columns.append((f"{label} after", load(after)))
shapes = shape_order(results for _, results in columns)

print("| shape | rows | " + " | ".join(f"{t} p99 ms" for t, _ in columns) + " |")
print("|---|---|" + "---|" * len(columns))
for name in shapes:
    rows = next((c[name].get("rows", "") for _, c in columns if name in c), "")
    print(f"| {name} | {rows} | " + " | ".join(cell(c.get(name)) for _, c in columns) + " |")
print()
for title, results in columns:
    timed, under, between, over = tally(results)
    if not timed:
        continue
    print(f"- {title}: {timed} shapes timed, {under} under 50 ms, {between} between 50 and 500 ms, "
          f"{over} over 500 ms"
          + (f" ({len(results) - timed} not timed)" if len(results) > timed else "") + ".")
