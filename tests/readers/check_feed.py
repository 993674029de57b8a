"""Reads one of Tributary's feeds with Python feedparser and checks it the way a reader would.

Usage: check_feed.py FILE EXPECTED_ENTRIES
Prints the feed version and entry count; exits 1 when the feed is bozo (not well-formed or
otherwise repaired), has the wrong number of entries, or an entry lacks a title, link or id.
"""
import sys

import feedparser

path, expected = sys.argv[1], int(sys.argv[2])
d = feedparser.parse(path)
problems = []
if d.bozo:
    problems.append(f"bozo: {d.get('bozo_exception')!r}")
if len(d.entries) != expected:
    problems.append(f"{len(d.entries)} entries, expected {expected}")
for i, e in enumerate(d.entries):
    for key in ("title", "id"):
        if not e.get(key):
            problems.append(f"entry {i} has no {key}")
    if not e.get("published_parsed") and not e.get("updated_parsed"):
        problems.append(f"entry {i} has no readable date")
print(d.version, len(d.entries))
if problems:
    print("\n".join(problems))
    sys.exit(1)
