#!/usr/bin/env python3
"""Python feedparser's parse rate over the generated corpus, for benches/load.sh.

Parses the RSS and Atom files of DIR (feedparser reads no JSON Feed; in name order, so every run reads the same ones) with feedparser's
defaults until all are read or SECONDS have passed, and prints one JSON line:
files, items, bytes, seconds, items_per_s, mb_per_s.

Usage: feedparser_rate.py DIR [SECONDS]
"""

import json
import os
import sys
import time

import feedparser


def main():
    directory = sys.argv[1]
    budget = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    names = sorted(n for n in os.listdir(directory) if n.endswith((".rss", ".atom")))
    files = items = size = 0
    started = time.perf_counter()
    for name in names:
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        parsed = feedparser.parse(data)
        files += 1
        items += len(parsed.entries)
        size += len(data)
        if time.perf_counter() - started > budget:
            break
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "version": feedparser.__version__,
                "files": files,
                "items": items,
                "bytes": size,
                "seconds": round(seconds, 3),
                "items_per_s": round(items / seconds, 1),
                "mb_per_s": round(size / seconds / 1e6, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
