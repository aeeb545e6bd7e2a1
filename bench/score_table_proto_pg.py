#!/usr/bin/env python3
"""PostgreSQL's side of bench/score_table_proto.py: on a copy of the kept realistic account's
cluster (bench/out/qm/pgdata, started as bench/query_matrix.sh starts it), the backend's CPU
(/proc, same machine) for rewriting 64,000 leads' scores in `leads` (each a non-HOT update: a new
row version and an entry in every index of leads) against a narrow `lead_scores (account_key,
id) -> score` table with its own (account_key, score, id) index, created here and dropped after.
Usage: bench/score_table_proto_pg.py postgresql://postgres@127.0.0.1:PORT/klozeo_qm
(writes to that database: use a copy)."""
import subprocess, sys, time, os
url = sys.argv[1]
# one psql session; the backend's CPU read from /proc around each statement
p = subprocess.Popen(["psql", url, "-qAtX", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
def q(sql):
    p.stdin.write(sql + "\n\\echo __END__\n"); p.stdin.flush()
    out = []
    for line in p.stdout:
        line = line.rstrip("\n")
        if line == "__END__": break
        out.append(line)
    return out
pid = int(q("SELECT pg_backend_pid();")[0])
tick = os.sysconf("SC_CLK_TCK")
def cpu():
    f = open(f"/proc/{pid}/stat").read().split(")")[1].split()
    return (int(f[11]) + int(f[12])) / tick
def run(name, sql):
    c, w = cpu(), time.time()
    out = q(sql)
    print(f"{name:60s} {cpu()-c:6.2f} s backend CPU {time.time()-w:7.2f} s wall  {out[-1] if out else ''}", flush=True)
print("load", os.getloadavg()[0])
run("indexes on leads", "SELECT count(*) FROM pg_indexes WHERE tablename = 'leads';")
q("CREATE TEMP TABLE step AS SELECT id FROM leads WHERE account_key = 1 ORDER BY id LIMIT 64000; ANALYZE step;")
NEW = "round((coalesce(l.rating, 0) * 19 * {w} + least(coalesce(l.review_count, 0), 500) / 10.0)::numeric, 2)::float8"
for w in ("0.95", "1.0"):
    run(f"main: UPDATE leads.score of 64,000 (weight {w})",
        f"UPDATE leads l SET score = {NEW.format(w=w)} FROM step s WHERE l.account_key = 1 AND l.id = s.id AND l.score IS DISTINCT FROM {NEW.format(w=w)};")
run("narrow: CREATE lead_scores from leads (1,000,000)",
    "CREATE TABLE lead_scores (account_key BIGINT NOT NULL, id TEXT COLLATE \"C\" NOT NULL, score DOUBLE PRECISION NOT NULL, PRIMARY KEY (account_key, id)); "
    "INSERT INTO lead_scores SELECT account_key, id, score FROM leads; CREATE INDEX lead_scores_order ON lead_scores (account_key, score, id); VACUUM ANALYZE lead_scores;")
for w in ("0.95", "1.0"):
    run(f"narrow: UPDATE lead_scores of 64,000 (weight {w})",
        f"UPDATE lead_scores t SET score = {NEW.format(w=w)} FROM step s JOIN leads l ON l.account_key = 1 AND l.id = s.id WHERE t.account_key = 1 AND t.id = s.id AND t.score IS DISTINCT FROM {NEW.format(w=w)};")
run("read 64,000 leads' fields only (the read part of both)", f"SELECT count({NEW.format(w='1.0')}) FROM step s JOIN leads l ON l.account_key = 1 AND l.id = s.id;")
q("DROP TABLE lead_scores;")
p.stdin.close(); p.wait()
