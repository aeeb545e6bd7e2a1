"""Shared pieces of the query-matrix tables (query_matrix_report.py, query_matrix_compare.py).

load(): one query_matrix.py JSON file as {shape: result} ({} when the file is missing).
shape_order(): every shape of several such maps, in first-seen order.
cell(): a result's p99 in ms, marked ⚠ over 50 ms and ✗ over 500 ms, with the sample count
when fewer than `full` requests were timed (the shape ran out of its time budget).
tally(): how many timed shapes are under 50 ms, between 50 and 500 ms, and over 500 ms.
"""
import json
import os


def load(path):
    if not path or not os.path.exists(path):
        return {}
    with open(path) as f:
        return {r["shape"]: r for r in json.load(f)}


def shape_order(result_maps):
    shapes = []
    for results in result_maps:
        for name in results:
            if name not in shapes:
                shapes.append(name)
    return shapes


def mark(p99):
    return "" if p99 < 50 else (" ⚠" if p99 < 500 else " ✗")


def cell(r, full=10, bold=False):
    if r is None:
        return ""
    if "error" in r:
        return r["error"]
    p99 = r["p99"]
    n = f" (n={r['n']})" if r.get("n", 0) < full else ""
    value = f"**{p99:.1f}**" if bold else f"{p99:.1f}"
    return f"{value}{mark(p99)}{n}"


def tally(results):
    timed = [r for r in results.values() if "p99" in r]
    under = sum(r["p99"] < 50 for r in timed)
    over = sum(r["p99"] >= 500 for r in timed)
    return len(timed), under, len(timed) - under - over, over
