#!/usr/bin/env python3
"""The bench account's five scoring rules (one reads an attribute; scores spread over 0-100),
created once on the account, which bench/run.sh and bench/query_matrix.sh share. The `rating`
rule's weight alternates between 1.0 and 0.95 from one call to the next, so the rescore that
follows rewrites the score of every lead with a rating (80 %) whatever the last run left.

Usage: bench/score_rules.py API_BASE API_KEY [WEIGHT_FILE]   (writes the weight set there)
"""
import json
import sys
import urllib.request

RULES = {
    "rating": "rating * 8",
    "reviews": "review_count > 200 ? 20 : review_count / 10",
    "contact": "(email != nil ? 10 : 0) + (phone != nil ? 5 : 0)",
    "recent": "days_since(last_interaction_at) < 30 ? 10 : 0",
    "size": "attr_employees > 1000 ? 15 : attr_employees / 70",
}


def main():
    base, key = sys.argv[1:3]

    def call(method, path, body=None):
        req = urllib.request.Request(base + path, method=method, headers={"X-API-Key": key},
                                     data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read() or b"null")

    listed = call("GET", "/scoring-rules")
    listed = listed.get("rules", listed.get("data", [])) if isinstance(listed, dict) else listed
    have = {r["name"]: r for r in listed}
    for name, expr in RULES.items():
        if name not in have:
            have[name] = call("POST", "/scoring-rules", {"name": name, "expression": expr, "weight": 1.0})
    r = have["rating"]
    weight = 0.95 if abs(r["weight"] - 1.0) < 1e-9 else 1.0
    call("PUT", "/scoring-rules/" + r["id"],
         {"name": "rating", "expression": RULES["rating"], "weight": weight})
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w") as f:
            f.write(f"{weight}\n")


if __name__ == "__main__":
    main()
