#!/usr/bin/env python3
"""The narrow score tables of issue 16's whole-account rescoring, prototyped in SQL on a copy of
the kept realistic account (bench/out/qm/leads.db): not what the server does, a measurement of
what it would cost (bench/RESULTS.md, "Rescoring at a million leads: the narrow score tables").

Design measured: lead_scores (account_key, gen, id) -> score and lead_score_order (account_key,
gen, score, id), both WITHOUT ROWID, score_gens (account_key) -> the generation readers use. A
whole-account rescore writes generation P = current + 1: the lookup rows in id order, step by
step (appends), then the order rows sorted in memory (appends), then one small transaction makes
P current, then the old generation is deleted in steps. Readers read one generation throughout,
so score-sorted lists stay fast and consistent during a rescore (branch rescore2's problem).
For comparison, the same harness runs main's way (UPDATE leads SET score, leads_score kept by
SQLite) on the same leads.

Usage: bench/score_table_proto.py COPY_OF_LEADS_DB [wide] [indexed] [facets] | writes   (writes to the file given;
"writes" after a first run: batch inserts with and without the tables, writes())
CPU seconds are this process's (Python's per-row overhead included: an upper bound).
"""
import os
import sqlite3
import sys
import time

A = 1  # the seeded account's key
CHUNK, STEP = 1000, 64


def cpu():
    t = os.times()
    return t.user + t.system


class Phase:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.c, self.w = cpu(), time.time()

    def __exit__(self, *exc):
        print(f"{self.name:52s} {cpu() - self.c:6.2f} s CPU {time.time() - self.w:7.2f} s wall",
              flush=True)


def score(rating, reviews, flip):
    return round(min(100.0, (rating or 0) * 19.0 * (0.95 if flip else 1.0)
                     + min(reviews or 0, 500) / 10.0), 2)


def scan(db):
    """Yields each step's chunks of (id, rating, review_count), in id order, in a write tx."""
    after = ""
    while True:
        db.execute("BEGIN IMMEDIATE")
        rows = []
        for _ in range(STEP):
            chunk = db.execute(
                "SELECT id, rating, review_count FROM leads WHERE account_key = ?1 AND id > ?2 "
                "ORDER BY id LIMIT ?3", (A, after, CHUNK)).fetchall()
            rows += chunk
            if len(chunk) < CHUNK:
                break
            after = chunk[-1][0]
        yield rows
        db.execute("COMMIT")
        if len(rows) < CHUNK * STEP:
            return


def main():
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("PRAGMA cache_size=-64000")  # the server's writer
    db.execute("PRAGMA temp_store=MEMORY")
    db.execute("PRAGMA synchronous=NORMAL")
    print(f"load {os.getloadavg()[0]:.1f}")
    if db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'score_gens'").fetchone()[0] == 0:
        with Phase("migration: generation 0 from leads.score"):
            db.executescript("""
BEGIN;
CREATE TABLE score_gens (account_key INTEGER PRIMARY KEY, gen BIGINT NOT NULL);
CREATE TABLE lead_scores (account_key BIGINT NOT NULL, gen BIGINT NOT NULL, id TEXT NOT NULL,
  score DOUBLE PRECISION NOT NULL, PRIMARY KEY (account_key, gen, id)) WITHOUT ROWID;
CREATE TABLE lead_score_order (account_key BIGINT NOT NULL, gen BIGINT NOT NULL,
  score DOUBLE PRECISION NOT NULL, id TEXT NOT NULL,
  PRIMARY KEY (account_key, gen, score, id)) WITHOUT ROWID;
INSERT INTO score_gens SELECT account_key, 0 FROM accounts;
INSERT INTO lead_scores SELECT account_key, 0, id, score FROM leads ORDER BY account_key, id;
INSERT INTO lead_score_order SELECT account_key, 0, score, id FROM leads
  ORDER BY account_key, score, id;
COMMIT;""")
    current = db.execute("SELECT gen FROM score_gens WHERE account_key = ?", (A,)).fetchone()[0]
    pending = current + 1
    flip = pending % 2 == 1
    total_c, total_w = cpu(), time.time()
    scored = []
    with Phase(f"narrow: read, score, write lookup gen {pending}"):
        for rows in scan(db):
            batch = []
            for lead_id, rating, reviews in rows:
                s = score(rating, reviews, flip)
                batch.append((A, pending, lead_id, s))
                scored.append((s, lead_id))
            db.executemany("INSERT OR REPLACE INTO lead_scores VALUES (?, ?, ?, ?)", batch)
    with Phase("narrow: sort (score, id) in memory"):
        scored.sort()
    with Phase("narrow: order gen, sorted appends, 64k a tx"):
        for k in range(0, len(scored), STEP * CHUNK):
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR IGNORE INTO lead_score_order VALUES (?, ?, ?, ?)",
                           [(A, pending, s, i) for s, i in scored[k:k + STEP * CHUNK]])
            db.execute("COMMIT")
    with Phase("narrow: swap, delete the old gen, 64k a tx"):
        db.execute("UPDATE score_gens SET gen = ? WHERE account_key = ?", (pending, A))
        for table, key in (("lead_scores", "id"), ("lead_score_order", "score, id")):
            while True:
                db.execute("BEGIN IMMEDIATE")
                n = db.execute(
                    f"DELETE FROM {table} WHERE account_key = ?1 AND gen = ?2 AND ({key}) IN "
                    f"(SELECT {key} FROM {table} WHERE account_key = ?1 AND gen = ?2 "
                    f"ORDER BY {key} LIMIT ?3)", (A, current, STEP * CHUNK)).rowcount
                db.execute("COMMIT")
                if n == 0:
                    break
    print(f"{'narrow: TOTAL':52s} {cpu() - total_c:6.2f} s CPU {time.time() - total_w:7.2f} s wall")
    if "indexed" in sys.argv[2:]:
        with Phase("indexed: lead_scores_1 (account_key, id) -> score + score index"):
            db.executescript("""
BEGIN;
CREATE TABLE IF NOT EXISTS lead_scores_1 (account_key BIGINT NOT NULL, id TEXT NOT NULL,
  score DOUBLE PRECISION NOT NULL, PRIMARY KEY (account_key, id)) WITHOUT ROWID;
INSERT OR REPLACE INTO lead_scores_1 SELECT account_key, id, score FROM leads;
CREATE INDEX IF NOT EXISTS lead_scores_1_order ON lead_scores_1 (account_key, score, id);
COMMIT;""")
        for f in (flip, not flip):
            with Phase(f"indexed: read, score, UPDATE lead_scores_1 in place"):
                for rows in scan(db):
                    db.executemany(
                        "UPDATE lead_scores_1 SET score = ?3 WHERE account_key = ?1 AND id = ?2 "
                        "AND score IS NOT ?3", [(A, i, score(r, c, f)) for i, r, c in rows])
    if "facets" in sys.argv[2:]:
        # The same, carrying leads_score's three facet columns (query/plan.h, OnWalkedEntry), so
        # a score walk still tests status, city and category on the walked entry.
        with Phase("facets: lead_scores_2 + (account_key, score, id, facets) index"):
            db.executescript("""
BEGIN;
CREATE TABLE IF NOT EXISTS lead_scores_2 (account_key BIGINT NOT NULL, id TEXT NOT NULL,
  score DOUBLE PRECISION NOT NULL, status_fold TEXT NOT NULL, city_fold TEXT,
  category_fold TEXT, PRIMARY KEY (account_key, id)) WITHOUT ROWID;
INSERT OR REPLACE INTO lead_scores_2
  SELECT account_key, id, score, status_fold, city_fold, category_fold FROM leads;
CREATE INDEX IF NOT EXISTS lead_scores_2_order ON lead_scores_2
  (account_key, score, id, status_fold, city_fold, category_fold);
COMMIT;""")
        for f in (flip, not flip):
            with Phase(f"facets: read, score, UPDATE lead_scores_2 in place"):
                for rows in scan(db):
                    db.executemany(
                        "UPDATE lead_scores_2 SET score = ?3 WHERE account_key = ?1 AND id = ?2 "
                        "AND score IS NOT ?3", [(A, i, score(r, c, f)) for i, r, c in rows])
        with Phase("facets: category retail by score desc, 50 (on the entry)"):
            n = len(db.execute(
                "SELECT l.id, l.name, w.score FROM (SELECT id, score FROM lead_scores_2 "
                "INDEXED BY lead_scores_2_order WHERE account_key = 1 AND category_fold = 'retail' "
                "ORDER BY score DESC, id DESC LIMIT 51) w CROSS JOIN leads l "
                "ON l.account_key = 1 AND l.id = w.id").fetchall())
        print(f"{'':52s} ({n} rows)")
    if "wide" in sys.argv[2:]:
        with Phase("wide (main): read, score, UPDATE leads.score"):
            for rows in scan(db):
                db.executemany(
                    "UPDATE leads SET score = ?3 WHERE account_key = ?1 AND id = ?2 AND "
                    "score IS NOT ?3", [(A, i, score(r, c, not flip)) for i, r, c in rows])
    gen = "(SELECT gen FROM score_gens WHERE account_key = 1)"
    lookup = ("(SELECT s.score FROM lead_scores s WHERE s.account_key = leads.account_key AND "
              "s.gen = (SELECT g.gen FROM score_gens g WHERE g.account_key = leads.account_key) "
              "AND s.id = leads.id)")
    reads = [
        ("read: every lead, score from leads", "SELECT id, name, city, score FROM leads "
         "WHERE account_key = 1"),
        ("read: every lead, score looked up", f"SELECT id, name, city, {lookup} FROM leads "
         "WHERE account_key = 1"),
        ("read: best 50 (walk the order, join leads)",
         f"SELECT l.id, l.name, o.score FROM (SELECT id, score FROM lead_score_order "
         f"WHERE account_key = 1 AND gen = {gen} ORDER BY score DESC, id DESC LIMIT 51) o "
         "CROSS JOIN leads l ON l.account_key = 1 AND l.id = o.id"),
        ("read: score >= 40 by score asc, 50",
         f"SELECT l.id, l.name, o.score FROM (SELECT id, score FROM lead_score_order "
         f"WHERE account_key = 1 AND gen = {gen} AND score >= 40 ORDER BY score, id LIMIT 51) o "
         "CROSS JOIN leads l ON l.account_key = 1 AND l.id = o.id"),
        ("read: status converted by score desc, 50 (status index checked)",
         f"SELECT l.id, l.name, o.score FROM (SELECT id, score FROM lead_score_order o "
         f"WHERE account_key = 1 AND gen = {gen} AND EXISTS (SELECT 1 FROM leads x INDEXED BY "
         "leads_status WHERE x.account_key = 1 AND x.status_fold = 'converted' AND x.id = o.id) "
         "ORDER BY score DESC, id DESC LIMIT 51) o CROSS JOIN leads l ON l.account_key = 1 AND "
         "l.id = o.id"),
    ]
    for name, sql in reads:
        with Phase(name):
            n = len(db.execute(sql).fetchall())
        print(f"{'':52s} ({n} rows)")


if __name__ == "__main__" and (len(sys.argv) < 3 or sys.argv[2] != "writes"):
    main()


def writes(path):
    """Batch inserts (500 leads a transaction, copies of existing leads under new ids): main's
    schema (leads_score kept by SQLite) against the narrow tables (no leads_score; each batch
    also inserts its leads' lookup and order rows). Run on a copy that has the tables."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA cache_size=-64000")
    db.execute("PRAGMA synchronous=NORMAL")
    cols = [r[1] for r in db.execute("PRAGMA table_info(leads)") if r[1] != "id"]
    source = [r[0] for r in db.execute(
        "SELECT id FROM leads WHERE account_key = 1 ORDER BY id LIMIT 20000")]
    gen = db.execute("SELECT gen FROM score_gens WHERE account_key = 1").fetchone()[0]
    for variant, suffix in (("main", "-a"), ("narrow", "-b"), ("main", "-c"), ("narrow", "-d")):
        if variant == "narrow":
            db.execute("DROP INDEX IF EXISTS leads_score")
        else:
            db.execute("CREATE INDEX IF NOT EXISTS leads_score ON leads "
                       "(account_key, score, id, status_fold, city_fold, category_fold)")
        c, w = cpu(), time.time()
        for k in range(0, len(source), 500):
            ids = source[k:k + 500]
            marks = ",".join("?" * len(ids))
            db.execute("BEGIN IMMEDIATE")
            db.execute(f"INSERT INTO leads (id, {', '.join(cols)}) SELECT id || ?, "
                       f"{', '.join(cols)} FROM leads WHERE account_key = 1 AND id IN ({marks})",
                       [suffix] + ids)
            if variant == "narrow":
                new_ids = [i + suffix for i in ids]
                db.execute("INSERT INTO lead_scores SELECT account_key, ?, id, score FROM leads "
                           f"WHERE account_key = 1 AND id IN ({marks})", [gen] + new_ids)
                db.execute("INSERT INTO lead_score_order SELECT account_key, ?, score, id FROM "
                           f"leads WHERE account_key = 1 AND id IN ({marks})", [gen] + new_ids)
            db.execute("COMMIT")
        print(f"{'writes: 20,000 inserted, 500 a tx, ' + variant:52s} {cpu() - c:6.2f} s CPU "
              f"{time.time() - w:7.2f} s wall", flush=True)


if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[2] == "writes":
    writes(sys.argv[1])
