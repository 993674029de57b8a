#!/usr/bin/env bash
# Load benchmark, loopback only and bounded in time (about 5 minutes with the defaults, after the
# `dist` build of the binary: about 10 minutes the first time on 2 cores).
#
#  1. ingest: generates 2,000 and 10,000 feeds (benches/corpus), serves them with nginx on
#     127.0.0.1, and times a cold and a warm `tributary fetch` over each (warm = every source
#     answers 304); prints new items/s and peak RSS;
#  2. feedparser: Python feedparser's parse rate over the same files, and our end-to-end
#     cold ingest rate as a multiple of it; next to it, what feed-rs and ammonia alone reach
#     over the same files on every core, as multiples of the same rate;
#  3. serving: wrk against `tributary run` and against nginx serving the same bytes of
#     /feeds/all.rss from a file, for 200 and 304 responses, and the ratios;
#  4. memory and start-up: a store of 1,000 sources and about 100,000 items; time from exec
#     to the first answered /healthz, and the daemon's peak RSS after serving under wrk.
#
# Usage: benches/load.sh [--quick]      (--quick: 10x smaller, 3-second wrk runs)
# Needs nginx, wrk, curl, /usr/bin/time and Python feedparser; installs them when run as root
# on Debian, otherwise says how.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

small=2000 large=10000 store_feeds=1000 secs=10 fp_budget=20 rounds=5 wrk_secs=5
if [[ ${1:-} == --quick ]]; then
    small=200 large=1000 store_feeds=100 secs=3 fp_budget=5 rounds=1 wrk_secs=3
fi

missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]})); then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "needs: apt-get install -y ${missing[*]}" >&2
        exit 2
    fi
fi
if ! python3 -c 'import feedparser' 2>/dev/null; then
    pip install --quiet feedparser==6.0.14 || {
        echo "needs: pip install feedparser==6.0.14" >&2
        exit 2
    }
fi

# The deployed build (Cargo.toml's `dist` profile: LTO, one codegen unit; ~10 minutes on 2 cores).
cargo build --profile dist --locked --quiet
cargo bench --locked --quiet --bench load --no-run 2>/dev/null
gen() { cargo bench --locked --quiet --bench load -- "$@"; }
bin=$repo/target/dist/tributary

work=$(mktemp -d)
chmod 755 "$work" # nginx workers run as another user
# The corpora and stores of the full run take about 10 GB (the 10,000-feed store alone ~6 GB);
# a full disk would end the run half way with nothing but sled's error in a log.
need_gb=$((large >= 10000 ? 11 : 2))
free_gb=$(df -Pk "$work" | awk 'NR==2 {print int($4 / 1048576)}')
if ((free_gb < need_gb)); then
    echo "needs about $need_gb GB free under $(dirname "$work"), has $free_gb GB (set TMPDIR elsewhere)" >&2
    rm -rf "$work"
    exit 2
fi
daemon=
cleanup() {
    [[ -n $daemon ]] && kill "$daemon" 2>/dev/null
    nginx -p "$work" -c nginx.conf -s stop 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# nginx: the corpus for the fetches, and later the copy of /feeds/all.rss. The Debian default
# of one worker per core; sendfile and ETags on.
mkdir -p "$work/www" "$work/logs"
cat >"$work/nginx.conf" <<CONF
worker_processes auto;
error_log $work/logs/error.log;
pid $work/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types { application/rss+xml rss; application/atom+xml atom; application/feed+json json; }
    server {
        listen 127.0.0.1:18190 backlog=4096;
        root $work/www;
        etag on;
    }
}
CONF
nginx -p "$work" -c nginx.conf

# A config over a generated corpus: generous per-host concurrency, since every generated
# feed lives on the same loopback host.
config() { # name feeds
    cat >"$work/$1.toml" <<CONF
[store]
path = "$work/data-$1"

[fetch]
concurrency = 64
per_host_concurrency = 64

[classify]
rules = "$repo/config/topics.toml"

[server]
listen = "127.0.0.1:18191"

CONF
    cat "$work/www/$1.toml" >>"$work/$1.toml"
}

# Runs a fetch; prints "seconds new_items peak_rss_mb pass_seconds" (the last: the pass over
# the sources alone, from the "fetch pass done" log line, without process start and store open).
timed_fetch() { # config
    RUST_LOG=tributary=info /usr/bin/time -f '%e %M' -o "$work/time" "$bin" --log-format json --config "$1" fetch --json >"$work/reports" 2>"$work/fetch.log" || true
    read -r secs_ kb < <(tail -1 "$work/time")
    pass=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    if l.startswith("{") and "fetch pass done" in l:
        j = json.loads(l); f = j.get("fields", j); print(round(f["duration_ms"] / 1000, 2))' "$work/fetch.log")
    new=$(python3 -c 'import json,sys; print(sum(json.loads(l).get("new",0) for l in open(sys.argv[1]) if l.startswith("{")))' "$work/reports")
    errors=$(grep -c '"status":"error"' "$work/reports" || true)
    if ((errors > 0)); then
        echo "warning: $errors sources failed; first: $(grep -m1 '"status":"error"' "$work/reports")" >&2
    fi
    echo "$secs_ $new $((kb / 1024)) ${pass:--}"
}

rate() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.0f}' if b>0 else 'inf')" "$@"; }

echo "== machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo
echo "== 1. ingest (cold: empty store, every item new; warm: every source answers 304)"
printf '%-8s %-6s %9s %10s %10s %8s %12s %10s\n' feeds pass corpus_MB items seconds pass_s items_per_s peak_MB
ingest_rate=
for n in $small $large; do
    meta=$(gen gen "$work/www/c$n" "$n" "http://127.0.0.1:18190/c$n")
    config "c$n"
    items=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["items"])' "$meta")
    mb=$(python3 -c 'import json,sys; print(round(json.loads(sys.argv[1])["bytes"]/1e6))' "$meta")
    read -r s new peak ps < <(timed_fetch "$work/c$n.toml")
    r=$(rate "$new" "$s")
    [[ -z $ingest_rate ]] && ingest_rate=$r
    printf '%-8s %-6s %9s %10s %10s %8s %12s %10s\n' "$n" cold "$mb" "$new" "$s" "$ps" "$r" "$peak"
    read -r s new2 peak ps < <(timed_fetch "$work/c$n.toml")
    printf '%-8s %-6s %9s %10s %10s %8s %12s %10s\n' "$n" warm "$mb" "$new2" "$s" "$ps" - "$peak"
    echo "   ($items items generated; the rest are republished copies stored once)"
done

echo
echo "== 2. Python feedparser over the RSS and Atom files of the $small-feed corpus (${fp_budget}s budget)"
fp=$(python3 benches/feedparser_rate.py "$work/www/c$small" "$fp_budget")
echo "   $fp"
fp_rate=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["items_per_s"])' "$fp")
echo "   our end-to-end cold ingest: $ingest_rate items/s = $(python3 -c "print(f'{$ingest_rate/$fp_rate:.1f}')")x feedparser's parse alone"
# What feed-rs and ammonia cost on their own over the same corpus (RSS, Atom and JSON Feed,
# read from memory, every core): the part of the ingest rate that no code of ours can change.
ceil=$(gen ceiling "$work/www/c$small")
echo "   the crates alone, from memory on $(nproc) threads: $ceil"
python3 -c 'import json,sys
c = json.loads(sys.argv[1]); fp = float(sys.argv[2])
a, b = c["feed_rs_items_per_s"], c["feed_rs_ammonia_items_per_s"]
print(f"   feed-rs alone: {a:.0f} items/s = {a/fp:.1f}x feedparser; feed-rs + ammonia: {b:.0f} items/s = {b/fp:.1f}x")' "$ceil" "$fp_rate"

echo
echo "== 3. serving /feeds/all.rss (wrk -t2 -c64; wrk, nginx and tributary share the cores)"
"$bin" --config "$work/c$small.toml" run --listen 127.0.0.1:18191 >"$work/run.log" 2>&1 &
daemon=$!
until [ "$(curl -sf http://127.0.0.1:18191/readyz)" = ready ]; do sleep 0.1; done
curl -sf http://127.0.0.1:18191/feeds/all.rss -o "$work/www/all.rss"
bytes=$(wc -c <"$work/www/all.rss")
etag_of() { curl -sI "$1" | awk -F': ' 'tolower($1)=="etag"{print $2}' | tr -d '\r'; }
ours_etag=$(etag_of http://127.0.0.1:18191/feeds/all.rss)
nginx_etag=$(etag_of http://127.0.0.1:18190/all.rss)
rps() { wrk -t2 -c64 -d"${wrk_secs}s" "$@" | awk '/Requests\/sec/{print $2}'; }
# The two servers take turns, five rounds of each measurement: on this kind of machine one
# wrk run can be a third off the next (21,600 and 31,900 req/s for the same server three
# runs apart). A round measures both servers back to back, so its ratio compares them in one
# spell of the machine's speed; the ratio printed is the median of the rounds' ratios (a
# ratio of the medians would pair one server's fast round with the other's slow one).
t200=() n200=() t304=() n304=() r200=() r304=()
echo "   feed: $bytes bytes; $rounds rounds of ${wrk_secs}s runs, the servers taking turns"
for ((r = 1; r <= rounds; r++)); do
    t200+=("$(rps http://127.0.0.1:18191/feeds/all.rss)")
    n200+=("$(rps http://127.0.0.1:18190/all.rss)")
    t304+=("$(rps -H "If-None-Match: $ours_etag" http://127.0.0.1:18191/feeds/all.rss)")
    n304+=("$(rps -H "If-None-Match: $nginx_etag" http://127.0.0.1:18190/all.rss)")
    r200+=("$(python3 -c "print(${t200[-1]}/${n200[-1]})")")
    r304+=("$(python3 -c "print(${t304[-1]}/${n304[-1]})")")
    printf '   round %d: 200s %s vs nginx %s (%.2f); 304s %s vs nginx %s (%.2f)\n' "$r" \
        "${t200[-1]}" "${n200[-1]}" "${r200[-1]}" "${t304[-1]}" "${n304[-1]}" "${r304[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
printf '   %-10s %12s %12s %8s\n' response tributary nginx ratio
for kind in 200 304; do
    declare -n ours="t$kind" theirs="n$kind" ratios="r$kind"
    printf '   %-10s %12s %12s %8.2f\n' "$kind (median)" "$(median "${ours[@]}")" \
        "$(median "${theirs[@]}")" "$(median "${ratios[@]}")"
    unset -n ours theirs ratios
done
echo "   (req/s: each server's median round; ratio: the median of the rounds' ratios)"
kill "$daemon"
wait "$daemon" 2>/dev/null || true
daemon=

echo
echo "== 4. memory and start-up: $store_feeds sources, two rounds of items"
n=$store_feeds
gen gen "$work/www/m$n" "$n" "http://127.0.0.1:18190/m$n" 1 >/dev/null
config "m$n"
read -r _ new1 peak1 _ < <(timed_fetch "$work/m$n.toml")
gen gen "$work/www/m$n" "$n" "http://127.0.0.1:18190/m$n" 2 >/dev/null
read -r _ new2 peak2 _ < <(timed_fetch "$work/m$n.toml")
echo "   stored $((new1 + new2)) items from $n sources (fetch peak RSS $peak1 / $peak2 MB)"
for i in 1 2 3; do
    out=$(gen startup 127.0.0.1:18191 -- "$bin" --config "$work/m$n.toml" run --listen 127.0.0.1:18191)
    pid=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pid"])' "$out")
    ms=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["startup_ms"])' "$out")
    daemon=$pid
    until [ "$(curl -sf http://127.0.0.1:18191/readyz)" = ready ]; do sleep 0.1; done
    wrk -t2 -c64 -d"${secs}s" http://127.0.0.1:18191/feeds/all.rss >/dev/null
    hwm=$(awk '/VmHWM/{printf "%.0f", $2/1024}' "/proc/$pid/status")
    rss=$(awk '/VmRSS/{printf "%.0f", $2/1024}' "/proc/$pid/status")
    echo "   run $i: start to serving ${ms} ms; after wrk: RSS ${rss} MB, peak ${hwm} MB"
    kill "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    daemon=
done
