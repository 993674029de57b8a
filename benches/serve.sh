#!/usr/bin/env bash
# Serving benchmark, loopback only and bounded in time: wrk against `tributary run` and against
# nginx serving the same bytes of /feeds/all.rss from a file, for 200 and for 304 responses.
# Needs wrk and nginx (Debian: apt-get install -y wrk nginx-light). Usage: benches/serve.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y wrk nginx-light curl)"; exit 2; }
done
cargo build --release --locked --quiet
bin=target/release/tributary
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; nginx -p "$work" -c nginx.conf -s stop 2>/dev/null; rm -rf "$work"' EXIT

# A store with the demo feeds, and the daemon on it.
$bin --config config/demo.toml --data-dir "$work/data" fetch >/dev/null
$bin --config config/demo.toml --data-dir "$work/data" run --listen 127.0.0.1:18181 >"$work/run.log" 2>&1 &
until curl -sf http://127.0.0.1:18181/readyz >/dev/null; do sleep 0.2; done

# nginx with the same bytes.
mkdir -p "$work/www/feeds" "$work/logs"
curl -sf http://127.0.0.1:18181/feeds/all.rss -o "$work/www/feeds/all.rss"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
error_log $work/logs/error.log;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    types { application/rss+xml rss; }
    server {
        listen 127.0.0.1:18182;
        root $work/www;
        etag on;
    }
}
CONF
nginx -p "$work" -c nginx.conf
bytes=$(wc -c <"$work/www/feeds/all.rss")
ours_etag=$(curl -sI http://127.0.0.1:18181/feeds/all.rss | awk -F': ' 'tolower($1)=="etag"{print $2}' | tr -d '\r')
nginx_etag=$(curl -sI http://127.0.0.1:18182/feeds/all.rss | awk -F': ' 'tolower($1)=="etag"{print $2}' | tr -d '\r')

rps() { wrk -t2 -c64 -d"${secs}s" "$@" | awk '/Requests\/sec/{print $2}'; }
echo "feed: $bytes bytes; wrk -t2 -c64 -d${secs}s; both servers and wrk share the machine's cores"
t200=$(rps http://127.0.0.1:18181/feeds/all.rss)
n200=$(rps http://127.0.0.1:18182/feeds/all.rss)
t304=$(rps -H "If-None-Match: $ours_etag" http://127.0.0.1:18181/feeds/all.rss)
n304=$(rps -H "If-None-Match: $nginx_etag" http://127.0.0.1:18182/feeds/all.rss)
printf '%-10s %12s %12s %8s\n' response tributary nginx ratio
printf '%-10s %12s %12s %8.2f\n' 200 "$t200" "$n200" "$(echo "$t200 / $n200" | bc -l)"
printf '%-10s %12s %12s %8.2f\n' 304 "$t304" "$n304" "$(echo "$t304 / $n304" | bc -l)"
