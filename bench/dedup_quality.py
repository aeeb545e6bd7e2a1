#!/usr/bin/env python3
"""Dedup quality on real, labelled data (issue 15's measurement).

Starts the real `klozeo serve` on a fresh SQLite file, POSTs every record of the Chicago
early-childhood dataset (../shared/dedup/data/chicago_ece, 3,337 records of 1,162 labelled
entities) to /api/v1/leads in a fixed shuffled order, takes the predicted clusters from the ids
the server returns, and reports pairwise precision, recall and F1:
  - merges alone (records answered with the same id),
  - merges plus `potential_duplicate_id` hints (hint edges joined into the clusters),
  - the phone-only baseline (same normalised phone = same entity).

Two runs, each on a fresh database: the issue's procedure as written (the address only as a
text attribute), and the same with the address also in the lead's standard `address` field, as
a user importing such a list would map it (docs/DEDUP.md: the address match needs the field).

Usage: bench/dedup_quality.py BUILD_DIR [DATASET_CSV] [--markdown OUT.md] [--errors N]
                              [--address-field off|on|both] [--split all|calibration|holdout]
                              [--dump IDS.json]

`--split` keeps the records of half the entities (a stable hash of `True Id`): thresholds are
chosen on `calibration` and reported on `holdout` too, so a figure is not tuned to its test set.
Standard library only; talks to 127.0.0.1 only.
"""
import argparse
import csv
import itertools
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections import defaultdict

SHUFFLE_SEED = 20261127
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def collapse(text):
    return " ".join((text or "").split())


def record_to_lead(row, address_field=False):
    lead = {"name": collapse(row["Site name"]), "source": "chicago_ece"}
    if address_field and collapse(row.get("Address")):
        lead["address"] = collapse(row.get("Address"))
    phone = collapse(row.get("Phone"))
    if phone:
        lead["phone"] = phone
    zip_code = collapse(row.get("Zip"))
    if zip_code:
        lead["city"] = zip_code
    for column in ("Email Address", "Purple binder service type"):
        match = EMAIL_RE.search(row.get(column) or "")
        if match:
            lead["email"] = match.group(0)
            break
    attributes = []
    address = collapse(row.get("Address"))
    if address:
        attributes.append({"name": "address", "type": "text", "value": address})
    if zip_code:
        attributes.append({"name": "zip", "type": "text", "value": zip_code})
    if attributes:
        lead["attributes"] = attributes
    return lead


def entity_half(true_id):
    """0 or 1: the half of the entities a record's `True Id` falls in (a stable hash)."""
    return zlib.crc32(true_id.encode()) % 2


def pairs_of(clusters):
    """Unordered record-index pairs inside each cluster (a dict key -> list of indexes)."""
    out = set()
    for members in clusters.values():
        for a, b in itertools.combinations(sorted(members), 2):
            out.add((a, b))
    return out


def scores(predicted, truth):
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, tp, len(predicted)


class UnionFind:
    def __init__(self):
        self.parent = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb


def post(url, key, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"X-API-Key": key,
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    # ../shared beside the checkout (or beside the checkout a worktree lives under).
    shared = os.environ.get("KLOZEO_SHARED")
    if not shared:
        candidates = [os.path.join(here, *[".."] * up, "shared") for up in (2, 3)]
        shared = next((c for c in candidates if os.path.isdir(c)), candidates[0])
    default_csv = os.path.normpath(os.path.join(
        shared, "dedup", "data", "chicago_ece", "csv_example_input_with_true_ids.csv"))
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("dataset", nargs="?", default=default_csv)
    parser.add_argument("--markdown", help="write the results table to this file")
    parser.add_argument("--errors", type=int, default=10, help="wrong merges to print")
    parser.add_argument("--extra-args", default="", help="extra flags for klozeo serve")
    parser.add_argument("--split", choices=("all", "calibration", "holdout"), default="all",
                        help="only the records of half the entities (by a hash of True Id): "
                        "thresholds are chosen on `calibration` and checked on `holdout`")
    parser.add_argument("--no-halves", action="store_true",
                        help="with --split all, skip the summary of each half run on its own")
    parser.add_argument("--dump", help="write each run's ids and hints to this JSON file "
                        "(a suffix -address for the run with the address field)")
    parser.add_argument("--address-field", choices=("off", "on", "both"), default="both",
                        help="also send the Address column as the lead's address field")
    args = parser.parse_args()

    with open(args.dataset, newline="", encoding="utf-8") as f:
        all_rows = list(csv.DictReader(f))
    variants = {"off": [False], "on": [True], "both": [False, True]}[args.address_field]
    out = []
    summary = []
    splits = [args.split]
    if args.split == "all" and not args.no_halves:
        splits += ["calibration", "holdout"]
    for split in splits:
        rows = all_rows
        if split != "all":
            half = 0 if split == "calibration" else 1
            rows = [r for r in all_rows if entity_half(r["True Id"]) == half]
        order = list(range(len(rows)))
        random.Random(SHUFFLE_SEED).shuffle(order)
        for address_field in variants:
            ids, hints, tiers, elapsed = run_server(args, rows, order, address_field)
            lines, wrong, results = report(args, rows, ids, hints, tiers, elapsed)
            summary.append((split, address_field, len(rows), results))
            if split != args.split:
                continue
            emit_run(args, rows, order, ids, hints, lines, wrong, address_field, out)
    if len(summary) > len(variants):
        block = summarise(summary)
        print("\n".join(block))
        out += block
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write("\n".join(out).rstrip() + "\n")


def summarise(summary):
    """Markdown lines: every run's headline figures, the halves beside the whole."""
    lines = ["Each half of the entities on its own (a stable hash of `True Id`), beside the whole "
             "(docs/DEDUP.md: the thresholds were chosen on `calibration`):", "",
             "| entities | address field | records | merges P | merges R | merges + hints P | "
             "merges + hints R | merges + hints F1 | phone-only F1 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for split, address_field, n, results in summary:
        m, mh, base = results
        lines.append(f"| {split} | {'yes' if address_field else 'no'} | {n} | {m[0]:.3f} | "
                     f"{m[1]:.3f} | {mh[0]:.3f} | {mh[1]:.3f} | {mh[2]:.3f} | {base[2]:.3f} |")
    return lines + [""]


def emit_run(args, rows, order, ids, hints, lines, wrong, address_field, out):
    """Prints one run's tables (and appends them to `out`); dumps its ids with --dump."""
    if args.dump:
        root, ext = os.path.splitext(args.dump)
        with open(root + ("-address" if address_field else "") + ext, "w") as f:
            json.dump({"order": order, "ids": ids, "hints": hints}, f)
    title = ("With the address also in the lead's `address` field:" if address_field else
             "The issue's procedure as written (address only as a text attribute):")
    block = [title, ""] + lines
    print("\n".join(block))
    print_wrong(args, rows, wrong)
    print()
    out += block + [""]


def run_server(args, rows, order, address_field):
    """POSTs every record in `order`; returns (ids, hints, tiers, elapsed seconds)."""
    work = tempfile.mkdtemp(prefix="klozeo-dedupq-")
    port = free_port()
    key = "sk_live_dedupquality0123456789abcdef"
    env = dict(os.environ, KLOZEO_BOOTSTRAP_KEY=key)
    server = subprocess.Popen(
        [os.path.join(args.build_dir, "klozeo"), "serve", "--db",
         "sqlite:" + os.path.join(work, "dedup.db"), "--listen", f"127.0.0.1:{port}"]
        + args.extra_args.split(),
        env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "server.log"), "w"))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        ids = [None] * len(rows)
        hints = {}
        tiers = defaultdict(int)
        started = time.monotonic()
        for index in order:
            lead = record_to_lead(rows[index], address_field)
            status, body = post(base + "/api/v1/leads", key, lead)
            if status not in (200, 201):
                sys.exit(f"record {index}: HTTP {status}: {body}")
            ids[index] = body["id"]
            if body.get("potential_duplicate_id"):
                hints[index] = body["potential_duplicate_id"]
            tiers["merge" if status == 200 else ("hint" if index in hints else "create")] += 1
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    return ids, hints, tiers, elapsed


def report(args, rows, ids, hints, tiers, elapsed):
    """The Markdown lines of one run, and its wrong merged pairs."""
    truth = pairs_of(_group(range(len(rows)), lambda i: rows[i]["True Id"]))
    merged = pairs_of(_group(range(len(rows)), lambda i: ids[i]))

    uf = UnionFind()
    for i in range(len(rows)):
        uf.union(("rec", i), ("lead", ids[i]))
    for i, other in hints.items():
        uf.union(("rec", i), ("lead", other))
    with_hints = pairs_of(_group(range(len(rows)), lambda i: uf.find(("rec", i))))

    phone_key = lambda i: re.sub(r"\D", "", rows[i].get("Phone") or "")[-7:] or f"none{i}"
    baseline = pairs_of(_group(range(len(rows)), phone_key))

    results = [("merges", scores(merged, truth)),
               ("merges + hints", scores(with_hints, truth)),
               ("phone-only baseline", scores(baseline, truth))]
    lines = [f"{len(rows)} records, {len(set(r['True Id'] for r in rows))} entities, "
             f"{len(truth)} true pairs; {tiers['merge']} merges, {tiers['hint']} hints, "
             f"{tiers['create']} plain creates; {len(rows) / elapsed:.0f} POSTs/s",
             "",
             "| prediction | precision | recall | F1 | true pairs found | pairs predicted |",
             "|---|---|---|---|---|---|"]
    for name, (p, r, f1, tp, n) in results:
        lines.append(f"| {name} | {p:.3f} | {r:.3f} | {f1:.3f} | {tp} | {n} |")
    wrong = [(i, j) for (i, j) in sorted(merged - truth)]
    return lines, wrong, [r for _, r in results]


def print_wrong(args, rows, wrong):
    if wrong and args.errors:
        print(f"\nwrong merged pairs: {len(wrong)}; first {args.errors}:")
        for i, j in wrong[:args.errors]:
            print(f"  {collapse(rows[i]['Site name'])!r} [{rows[i]['Phone']}] ~ "
                  f"{collapse(rows[j]['Site name'])!r} [{rows[j]['Phone']}]")


def _group(indexes, key):
    groups = defaultdict(list)
    for i in indexes:
        groups[key(i)].append(i)
    return groups


if __name__ == "__main__":
    main()
