#!/usr/bin/env bash
# The daemon's resident memory across config reloads (docs/BENCHMARKS.md, session 32).
#
#   benches/reload_memory.sh [BINARY] [SOURCES] [RELOADS]
#
# Writes SOURCES small feeds (default 2,000) and a config naming each as a local file into a
# temporary folder, starts `tributary run` on 127.0.0.1 (port 18555), waits for its first
# fetch cycle, then sends SIGHUP RELOADS times (default 50), each waited for in the log, and
# prints the daemon's RSS at start and after every tenth reload. BINARY defaults to the
# release build (`cargo build --release` first). Nothing leaves the machine.
set -euo pipefail

bin=${1:-target/release/tributary}
sources=${2:-2000}
reloads=${3:-50}
bin=$(realpath "$bin")
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

mkdir -p "$work/feeds"
{
    printf '[store]\npath = "store"\ncache_capacity = "32MiB"\n\n[server]\nlisten = "127.0.0.1:18555"\n'
    for i in $(seq 1 "$sources"); do
        printf '<?xml version="1.0"?><rss version="2.0"><channel><title>Feed %s</title><link>https://f%s.example/</link><item><title>Story %s</title><link>https://f%s.example/1</link><guid>g%s</guid><description>Text of story %s.</description></item></channel></rss>' \
            "$i" "$i" "$i" "$i" "$i" "$i" >"$work/feeds/f$i.xml"
        printf '\n[[sources]]\nid = "f%s"\ntitle = "Feed %s"\nurl = "feeds/f%s.xml"\nkind = "partner"\ninterval = "1h"\n' "$i" "$i" "$i"
    done
} >"$work/reload.toml"

"$bin" --config "$work/reload.toml" run >"$work/daemon.log" 2>&1 &
pid=$!
until curl -sf http://127.0.0.1:18555/readyz | grep -qx ready; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/daemon.log"; exit 1; }
    sleep 0.2
done
rss() { awk '/VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$pid/status"; }
echo "after the first cycle: $(rss)"
for n in $(seq 1 "$reloads"); do
    before=$(grep -c 'config reloaded' "$work/daemon.log" || true)
    kill -HUP "$pid"
    until [ "$(grep -c 'config reloaded' "$work/daemon.log" || true)" -gt "$before" ]; do
        sleep 0.05
    done
    if [ $((n % 10)) -eq 0 ]; then
        echo "after $n reloads: $(rss)"
    fi
done
