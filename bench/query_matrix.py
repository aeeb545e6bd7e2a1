#!/usr/bin/env python3
"""The query matrix: list shapes over one large account, p99 of N sequential requests each.

Usage: query_matrix.py BASE_URL API_KEY OUT_JSON [--requests N] [--budget SECONDS] [--only RE]

One client, one keep-alive connection, requests one after another (the issue's "one client").
Each shape is warmed by one request, then timed N times or until its time budget is spent
(then fewer samples are kept, and the table says how many). Deep shapes are measured at
page 1 and at page 1,000 (of 50): the cursor of row 50,000 is reached by walking pages of
1,000 (a cursor does not depend on the page size). Writes a JSON list of results.
"""
import http.client
import json
import re
import sys
import time
import urllib.parse

# (name, query string). Field kinds: text (name, city, status, email, category, description),
# number (rating, review_count, score, created_at, updated_at, last_interaction_at), tags,
# location, attr: of each type (employees number, industry text, verified bool, channels list).
NOW = int(time.time())
DAY = 86400
SHAPES = [
    # -- sorts alone, every sortable kind, both directions
    ("default sort (created_at)", ""),
    ("sort created_at desc", "sort_by=created_at&sort_order=DESC"),
    ("sort score desc", "sort_by=score&sort_order=DESC"),
    ("sort score asc", "sort_by=score&sort_order=ASC"),
    ("sort name asc", "sort_by=name"),
    ("sort name desc", "sort_by=name&sort_order=DESC"),
    ("sort rating desc", "sort_by=rating&sort_order=DESC"),
    ("sort review_count asc", "sort_by=review_count"),
    ("sort updated_at desc", "sort_by=updated_at&sort_order=DESC"),
    ("sort last_interaction_at desc", "sort_by=last_interaction_at&sort_order=DESC"),
    ("sort city asc (sparse)", "sort_by=city"),
    ("sort status desc", "sort_by=status&sort_order=DESC"),
    ("sort attr:employees desc", "sort_by=attr:employees&sort_order=DESC"),
    ("sort attr:industry asc", "sort_by=attr:industry"),
    # -- status
    ("status eq qualified", "filter=and.eq.status.qualified"),
    ("status eq converted, score desc", "filter=and.eq.status.converted&sort_by=score&sort_order=DESC"),
    ("status neq new, score desc", "filter=and.neq.status.new&sort_by=score&sort_order=DESC"),
    ("status in qualified,converted, updated desc",
     "filter=and.in.status.qualified,converted&sort_by=updated_at&sort_order=DESC"),
    # -- text
    ("city eq Paris, name asc", "filter=and.eq.city.Paris&sort_by=name"),
    ("city eq Reykjavik (rare), score desc",
     "filter=and.eq.city.reykjav%C3%ADk&sort_by=score&sort_order=DESC"),
    ("city eq Zurich folded, rating desc", "filter=and.eq.city.ZURICH&sort_by=rating&sort_order=DESC"),
    ("category eq Retail, score desc", "filter=and.eq.category.Retail&sort_by=score&sort_order=DESC"),
    ("email eq one address", "filter=and.eq.email.__EMAIL__"),
    ("name eq exact", "filter=and.eq.name.Golden%20Harbor%20Bakery"),
    ("name contains rare word", "filter=and.contains.name.quokka"),
    ("name contains rare word, score desc", "filter=and.contains.name.quokka&sort_by=score&sort_order=DESC"),
    ("name contains common word", "filter=and.contains.name.harbor"),
    ("name contains 2 chars", "filter=and.contains.name.zq"),
    ("name starts_with", "filter=and.starts_with.name.golden%20h&sort_by=name"),
    ("name ends_with", "filter=and.ends_with.name.pets%2042"),
    ("name not_contains, score desc", "filter=and.not_contains.name.bakery&sort_by=score&sort_order=DESC"),
    ("description contains", "filter=and.contains.description.organic"),
    ("email is_empty", "filter=and.is_empty.email"),
    ("description is_not_empty, score desc",
     "filter=and.is_not_empty.description&sort_by=score&sort_order=DESC"),
    # -- numbers
    ("score gte 40, score desc", "filter=and.gte.score.40&sort_by=score&sort_order=DESC"),
    ("score gte 90 (rare)", "filter=and.gte.score.90"),
    ("score lt 5, score asc", "filter=and.lt.score.5&sort_by=score"),
    ("rating gt 4.8, rating desc", "filter=and.gt.rating.4.8&sort_by=rating&sort_order=DESC"),
    ("review_count narrow range", "filter=and.gte.review_count.500&filter=and.lte.review_count.505"),
    ("review_count eq, score desc", "filter=and.eq.review_count.1234&sort_by=score&sort_order=DESC"),
    ("rating neq 5", "filter=and.neq.rating.5"),
    ("created_at last 7 days, newest", f"filter=and.gt.created_at.{NOW - 7 * DAY}&sort_by=created_at&sort_order=DESC"),
    ("updated_at older than a year", f"filter=and.lt.updated_at.{NOW - 365 * DAY}&sort_by=updated_at"),
    ("last_interaction_at last day, score desc",
     f"filter=and.gte.last_interaction_at.{NOW - DAY}&sort_by=score&sort_order=DESC"),
    # -- tags
    ("tags contains vip, score desc", "filter=and.array_contains.tags.vip&sort_by=score&sort_order=DESC"),
    ("tags contains seasonal (rare), name", "filter=and.array_contains.tags.seasonal&sort_by=name"),
    ("tags not_contains b2b", "filter=and.array_not_contains.tags.b2b"),
    ("tags empty", "filter=and.array_empty.tags"),
    ("tags not_empty, name", "filter=and.array_not_empty.tags&sort_by=name"),
    # -- location
    ("within 25 km of Paris", "filter=and.within_radius.location.48.857,2.352,25"),
    ("within 25 km of Reykjavik, score desc",
     "filter=and.within_radius.location.64.147,-21.942,25&sort_by=score&sort_order=DESC"),
    ("location is_not_set", "filter=and.is_not_set.location"),
    ("location is_set, rating desc", "filter=and.is_set.location&sort_by=rating&sort_order=DESC"),
    # -- attributes of each type
    ("attr number gt rare", "filter=and.gt.attr:employees.9500"),
    ("attr number range, employees desc",
     "filter=and.gte.attr:employees.100&filter=and.lte.attr:employees.120&sort_by=attr:employees&sort_order=DESC"),
    ("attr text eq, score desc", "filter=and.eq.attr:industry.software&sort_by=score&sort_order=DESC"),
    ("attr text eq (rare spelling), name", "filter=and.eq.attr:industry.agri_food&sort_by=name"),
    ("attr text contains", "filter=and.contains.attr:industry.food"),
    ("attr text starts_with, score desc",
     "filter=and.starts_with.attr:industry.soft&sort_by=score&sort_order=DESC"),
    ("attr text neq", "filter=and.neq.attr:industry.retail"),
    ("attr bool eq true", "filter=and.eq.attr:verified.true"),
    ("attr bool is_empty", "filter=and.is_empty.attr:verified"),
    ("attr list array_contains", "filter=and.array_contains.attr:channels.whatsapp"),
    ("attr list array_not_empty, score desc",
     "filter=and.array_not_empty.attr:channels&sort_by=score&sort_order=DESC"),
    # -- and/or mixes
    ("or: two cities, score desc",
     "filter=or.eq.city.lisbon&filter=or.eq.city.porto&sort_by=score&sort_order=DESC"),
    ("and status + or (tag, rating)",
     "filter=and.eq.status.qualified&filter=or.array_contains.tags.vip&filter=or.gte.rating.4.9"),
    ("Paris, rating gte 2, rating desc",
     "filter=and.eq.city.Paris&filter=and.gte.rating.2&sort_by=rating&sort_order=DESC"),
    ("Retail + attr text + score gte 50",
     "filter=and.eq.category.Retail&filter=and.eq.attr:industry.retail&filter=and.gte.score.50&sort_by=score&sort_order=DESC"),
    ("city + status + tag, updated desc",
     "filter=and.eq.city.Berlin&filter=and.eq.status.contacted&filter=and.array_contains.tags.hot&sort_by=updated_at&sort_order=DESC"),
]

# Shapes also measured at page 1,000 (cursor of row 50,000).
DEEP = [
    ("default sort (created_at)", ""),
    ("sort score desc", "sort_by=score&sort_order=DESC"),
    ("sort name asc", "sort_by=name"),
    ("status eq new, score desc", "filter=and.eq.status.new&sort_by=score&sort_order=DESC"),
    ("Paris, rating gte 2, rating desc",
     "filter=and.eq.city.Paris&filter=and.gte.rating.2&sort_by=rating&sort_order=DESC"),
    ("category eq Retail, updated desc",
     "filter=and.eq.category.Retail&sort_by=updated_at&sort_order=DESC"),
]


class Client:
    def __init__(self, base, key):
        url = urllib.parse.urlparse(base)
        self.host, self.port, self.prefix = url.hostname, url.port, url.path.rstrip("/")
        self.headers = {"X-API-Key": key}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def get(self, path_and_query):
        for attempt in range(2):
            try:
                self.conn.request("GET", self.prefix + path_and_query, headers=self.headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                if attempt:
                    raise


def percentile(samples, p):
    s = sorted(samples)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def leads_url(query, limit=50, cursor=None):
    parts = [query] if query else []
    parts.append(f"limit={limit}")
    if cursor:
        parts.append("cursor=" + urllib.parse.quote(cursor))
    return "/leads?" + "&".join(parts)


def measure(client, name, url, requests, budget):
    status, body = client.get(url)  # warm-up, and the row count shown
    if status != 200:
        return {"shape": name, "url": url, "error": f"HTTP {status}: {body[:200]!r}"}
    page = json.loads(body)
    rows = len(page.get("data") or page.get("leads") or [])
    samples = []
    started = time.monotonic()
    for _ in range(requests):
        t0 = time.perf_counter()
        status, _ = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            return {"shape": name, "url": url, "error": f"HTTP {status}"}
        if time.monotonic() - started > budget:
            break
    return {"shape": name, "url": url, "rows": rows, "n": len(samples),
            "p50": percentile(samples, 50), "p99": percentile(samples, 99), "max": max(samples)}


def deep_cursor(client, query, rows_deep, budget):
    cursor, walked, started = None, 0, time.monotonic()
    while walked < rows_deep:
        status, body = client.get(leads_url(query, 1000, cursor))
        if status != 200:
            return None, f"HTTP {status} while walking"
        page = json.loads(body)
        walked += len(page.get("data") or page.get("leads") or [])
        cursor = page.get("next_cursor") or (page.get("pagination") or {}).get("next_cursor")
        if not cursor:
            return None, f"ran out of rows at {walked}"
        if time.monotonic() - started > budget:
            return None, f"walk over budget at row {walked}"
    return cursor, None


def main():
    args = sys.argv[1:]
    opts = {"--requests": "40", "--budget": "10", "--only": ""}
    pos = []
    i = 0
    while i < len(args):
        if args[i] in opts:
            opts[args[i]] = args[i + 1]
            i += 2
        else:
            pos.append(args[i])
            i += 1
    base, key, out = pos
    requests, budget, only = int(opts["--requests"]), float(opts["--budget"]), opts["--only"]
    client = Client(base, key)
    # One real e-mail of the account for the exact-match shape.
    status, body = client.get("/leads?filter=and.is_not_empty.email&limit=1&sort_by=updated_at")
    email = json.loads(body)["leads"][0]["email"] if status == 200 else "nobody@example.com"
    results = []
    for name, query in SHAPES:
        if only and not re.search(only, name):
            continue
        query = query.replace("__EMAIL__", urllib.parse.quote(email))
        r = measure(client, name, leads_url(query), requests, budget)
        results.append(r)
        print(f"{r.get('p99', -1):9.1f} ms p99  {name}  {r.get('error', '')}", file=sys.stderr, flush=True)
    for name, query in DEEP:
        if only and not re.search(only, name):
            continue
        cursor, err = deep_cursor(client, query, 50000, 120)
        r1 = measure(client, name + " - page 1", leads_url(query), requests, budget)
        if cursor:
            r2 = measure(client, name + " - page 1000", leads_url(query, 50, cursor), requests, budget)
        else:
            r2 = {"shape": name + " - page 1000", "error": err}
        r1["deep"] = r2["deep"] = True
        results += [r1, r2]
        for r in (r1, r2):
            print(f"{r.get('p99', -1):9.1f} ms p99  {r['shape']}  {r.get('error', '')}", file=sys.stderr, flush=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
