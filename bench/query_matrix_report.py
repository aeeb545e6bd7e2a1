#!/usr/bin/env python3
"""Writes the Markdown section of bench/query_matrix.sh from its run directory.

Usage: query_matrix_report.py RUN_DIR LEADS REQUESTS "BACKENDS"
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qm_table import cell as p99_cell, load, shape_order  # noqa: E402

run, leads, requests, backends = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split()


def read(name, default=""):
    path = os.path.join(run, name)
    return open(path).read().strip() if os.path.exists(path) else default


matrix = {b: load(os.path.join(run, f"{b}_matrix.json")) for b in backends}
shapes = shape_order(matrix[b] for b in backends)


def cell(r):
    if r is None:
        return "| | |"
    if "error" in r:
        return f"| {r['error']} | |"
    return f"| {r['p50']:.1f} | {p99_cell(r, full=int(requests), bold=True)} |"


print()
print(f"## Query engine over {leads:,} leads (issue 16: bench/query_matrix.sh)")
print()
print(f"{datetime.date.today()}, {os.cpu_count()} cores shared with other work. One account seeded")
print("by `bench/seed_leads` (realistic mix: 5 statuses, 60 Zipf-skewed cities, sparse optional")
print("fields, coordinates, 0-4 tags of 20, attributes `employees` number and `industry` text on")
print("every lead, `verified` bool on 30 %, `channels` list on 5 %), scores spread 0-100 by five")
print(f"rules. Each shape: one client, one keep-alive connection, one warm-up, then {requests}")
print("sequential requests of a 50-row page (fewer when a shape exceeds its 10 s budget: n shown);")
print("milliseconds, curl-free (Python http.client), so p50 includes ~0.2 ms of client overhead.")
print("⚠: p99 over 50 ms; ✗: over 500 ms. Rows: rows on the first page.")
print()
head = "| shape | rows |" + "".join(f" {b} p50 | {b} p99 |" for b in backends)
print(head)
print("|---|---|" + "---|---|" * len(backends))
for name in shapes:
    first = next((matrix[b][name] for b in backends if name in matrix[b]), {})
    rows = first.get("rows", "")
    print(f"| {name} | {rows} " + "".join(cell(matrix[b].get(name)) for b in backends))
print()
for b in backends:
    results = [r for r in matrix[b].values() if "p99" in r]
    over50 = [r["shape"] for r in results if r["p99"] >= 50]
    over500 = [r["shape"] for r in results if r["p99"] >= 500]
    worst = max(results, key=lambda r: r["p99"]) if results else None
    print(f"- **{b}**: {len(results)} shapes, {len(results) - len(over50)} under 50 ms, "
          f"{len(over500)} over 500 ms" + (f"; worst {worst['shape']} at {worst['p99']:.1f} ms"
                                            if worst else "") + ".")
print()
print("| whole-account job | " + " | ".join(backends) + " |")
print("|---|" + "---|" * len(backends))


def num(s, i=0):
    try:
        return float(s.split()[i])
    except (ValueError, IndexError):
        return None


row = []
for b in backends:
    v = num(read(f"{b}_rescore.txt"))
    row.append(f"{v:.2f} s" if v is not None else "")
print("| rescore all leads (`POST /leads/score/batch`, 5 rules, one reads an attribute) | "
      + " | ".join(row) + " |")
row = []
for b in backends:
    t = read(f"{b}_export.txt")
    s, size = num(t), num(t, 1)
    row.append(f"{s:.2f} s ({size / 1048576:.0f} MB)" if s is not None else "")
print("| CSV export of every lead (attributes as columns) | " + " | ".join(row) + " |")
row = []
for b in backends:
    v = num(read(f"{b}_stats.txt"))
    row.append(f"{v * 1000:.0f} ms" if v is not None else "")
print("| `GET /stats?days=365` (median of 3) | " + " | ".join(row) + " |")
print()
print("- Targets: every shape's p99 under 50 ms (under 500 ms where impossible, with the reason in")
print("  docs/QUERY-PERFORMANCE.md), page 1,000 no slower than page 1, CSV export under 10 s,")
print("  rescoring under 5 s. Rescoring time is curl's, end to end; the `rating` rule's weight")
print("  alternates between runs, so every lead with a rating (80 %) gets a new score written.")
