#!/usr/bin/env python3
"""Puts one `make bench` run's sections into bench/RESULTS.md without losing what is recorded
there by hand.

bench/RESULTS.md holds two kinds of text: what `make bench` wrote, between the BEGIN/END
markers below, and figures recorded by hand during issue work (A/B runs at reduced size,
measurements on branches), everywhere else. Each bench script writes its section to a file and
publishes it with this script: inside a `make bench` run (bench/run.sh sets BENCH_RESULTS) the
section is appended to the run's file; a script run on its own, and bench/run.sh at its end,
splice it into bench/RESULTS.md: each `## ` section replaces the section of the same title
inside the markers, or is appended there; a preamble (text before the first `## `) replaces
the block's; sections not produced (a partial run with BENCH_ONLY) stay as they were, and
nothing outside the markers is touched.

Usage: bench/results.py SECTION.md   (BENCH_RESULTS: append there instead)
"""
import os
import re
import sys

BEGIN = "<!-- BEGIN make bench: written by bench/run.sh; edit outside these markers -->"
END = "<!-- END make bench -->"
HEADING = re.compile(r"^## .*$", re.M)


def split_sections(text):
    """(preamble, [(title, body)]) where each body starts with its `## ` heading line."""
    starts = [m.start() for m in HEADING.finditer(text)]
    if not starts:
        return text, []
    sections = []
    for i, s in enumerate(starts):
        body = text[s:starts[i + 1] if i + 1 < len(starts) else len(text)]
        sections.append((body.split("\n", 1)[0].strip(), body))
    return text[:starts[0]], sections


def splice(results, run):
    if BEGIN in results and END in results:
        head, rest = results.split(BEGIN, 1)
        block, tail = rest.split(END, 1)
    else:  # no block yet: it goes first, under the file's title
        first, _, rest = results.partition("\n")
        if first.startswith("# "):
            head, block, tail = first + "\n\n", "", "\n" + rest
        else:
            head, block, tail = "# Benchmark results\n\n", "", "\n" + results
    preamble, sections = split_sections(block.strip("\n") + "\n")
    new_preamble, new_sections = split_sections(run.strip("\n") + "\n")
    if new_preamble.strip():
        preamble = new_preamble
    index = {title: i for i, (title, _) in enumerate(sections)}
    for title, body in new_sections:
        if title in index:
            sections[index[title]] = (title, body)
        else:
            index[title] = len(sections)
            sections.append((title, body))
    parts = [preamble.strip("\n")] + [body.strip("\n") for _, body in sections]
    block = "\n\n".join(p for p in parts if p)
    return f"{head}{BEGIN}\n{block}\n{END}{tail}"


def main():
    section_path = sys.argv[1]
    with open(section_path, encoding="utf-8") as f:
        section = f.read()
    run_file = os.environ.get("BENCH_RESULTS", "")
    if run_file:
        with open(run_file, "a", encoding="utf-8") as f:
            f.write("\n" + section.strip("\n") + "\n")
        return
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
    try:
        with open(path, encoding="utf-8") as f:
            results = f.read()
    except FileNotFoundError:
        results = "# Benchmark results\n"
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(splice(results, section))
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
