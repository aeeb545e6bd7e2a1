#!/usr/bin/env bash
# The body of one POST /api/v1/leads/batch of 500 leads, shaped like users' data: mixed
# statuses, coordinates, spread ratings, tags, and two attributes of varying types (number, and
# text, bool, list or number). Written to stdout; used by bench/ingest.sh and bench/ab.sh.
set -euo pipefail
awk 'BEGIN {
  split("new contacted qualified disqualified converted", st, " ")
  split("Berlin Paris Lisbon Madrid Rome Vienna Prague Warsaw", ci, " ")
  printf "{\"leads\":["
  for (i = 1; i <= 500; i++) {
    if (i > 1) printf ","
    k = i % 4
    a2 = (k == 0) ? "{\"name\":\"industry\",\"type\":\"text\",\"value\":\"Software " (i % 37) "\"}" \
       : (k == 1) ? "{\"name\":\"verified\",\"type\":\"bool\",\"value\":true}" \
       : (k == 2) ? "{\"name\":\"channels\",\"type\":\"list\",\"value\":[\"web\",\"mail\"]}" \
       : "{\"name\":\"founded\",\"type\":\"number\",\"value\":" (1950 + i % 70) "}"
    printf "{\"name\":\"Batch Co %d\",\"source\":\"bench\",\"email\":\"batch%d@bench.example\",", i, i
    printf "\"phone\":\"+1 212 %03d %04d\",\"city\":\"%s\",\"status\":\"%s\",", i % 1000, i, ci[i % 8 + 1], st[i % 5 + 1]
    printf "\"latitude\":%.4f,\"longitude\":%.4f,\"rating\":%.1f,\"review_count\":%d,", \
      40 + (i * 7 % 1500) / 100, -5 + (i * 13 % 2000) / 100, (i * 17 % 50) / 10, i * 31 % 2000
    printf "\"tags\":[\"bench\",\"t%d\"],\"attributes\":[{\"name\":\"employees\",\"type\":\"number\",\"value\":%d},%s]}", i % 9, i * 53 % 5000, a2
  }
  printf "]}"
}'
