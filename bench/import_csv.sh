#!/usr/bin/env bash
# A CSV of N leads for `klozeo import`, shaped like users' data: distinct e-mails and phones,
# five statuses, coordinates, spread ratings, tags, and two attribute columns whose second one
# holds text, booleans, lists or numbers depending on the row. Written to stdout; used by
# bench/ingest.sh and bench/ingest_postgres.sh.
# Usage: bench/import_csv.sh N
set -euo pipefail
awk -v n="$1" 'BEGIN {
  print "name,source,email,phone,city,status,latitude,longitude,rating,review_count,tags,attr:employees,attr:profile"
  split("new contacted qualified disqualified converted", st, " ")
  split("Lisbon Porto Berlin Paris Madrid Rome Vienna Prague", ci, " ")
  split("212 646 415 312 617 305 206 303", ac, " ")
  for (i = 0; i < n; i++) {
    k = i % 4
    p = (k == 0) ? "Software " (i % 37) : (k == 1) ? "true" : (k == 2) ? "\"[\"\"web\"\",\"\"mail\"\"]\"" : 1950 + i % 70
    printf "Import Co %d,import,imp%d@example.com,+1 %s %03d %04d,%s,%s,%.4f,%.4f,%.1f,%d,a;t%d,%d,%s\n",
      i, i, ac[int(i / 10000) % 8 + 1], 201 + int(i / 80000) % 700, i % 10000, ci[i % 8 + 1], st[i % 5 + 1],
      36 + (i * 7 % 1500) / 100, -9 + (i * 13 % 2000) / 100, (i * 17 % 50) / 10, i * 31 % 2000,
      i % 9, i * 53 % 5000, p
  }
}'
