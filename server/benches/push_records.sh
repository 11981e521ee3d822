#!/usr/bin/env bash
# Push-records pages against 1,000,000 rows on SQLite, through the real binary over HTTP:
# the median of 7 requests per query. Needs `make build` first (`make bench` does it).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PUSHDESK_BIN:-$root/target/dist/pushdesk}
dir=$(mktemp -d); port=$((20000 + RANDOM % 20000)); base=http://127.0.0.1:$port
cd "$dir"
DATABASE_URL="sqlite://$dir/p.db?mode=rwc" PUSHDESK_ADDR=127.0.0.1:$port PUSHDESK_SANDBOX=1 \
  PUSHDESK_CERT_ACTIVATION_DELAY=0 LEPTOS_SITE_ROOT=$root/target/site RUST_LOG=warn $BIN 2>"$dir/server.log" & pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf $base/healthz >/dev/null && break; sleep 0.2; done
c="curl -sf -b $dir/jar -c $dir/jar -H content-type:application/json"
$c $base/api/v1/setup -d '{"username":"owner","password":"correct horse battery","password_confirm":"correct horse battery"}' >/dev/null
$c $base/api/v1/session -d '{"username":"owner","password":"correct horse battery"}' >/dev/null
$c $base/api/v1/apps -d '{"name":"Bench"}' >/dev/null
$c -X PUT $base/api/v1/apps/1400000001/platforms -d '{"platforms":["android"]}' >/dev/null
sb=$($c $base/sandbox/mipush/apps -d '{"package_name":"com.example.im"}')
app_id=$(echo "$sb" | python3 -c 'import json,sys;print(json.load(sys.stdin)["app_id"])')
secret=$(echo "$sb" | python3 -c 'import json,sys;print(json.load(sys.stdin)["app_secret"])')
$c $base/api/v1/apps/1400000001/certificates -d "{\"vendor\":\"xiaomi\",\"package_name\":\"com.example.im\",\"app_id\":\"$app_id\",\"app_secret\":\"$secret\",\"region\":\"sandbox\"}" >/dev/null
python3 - "$dir/p.db" <<'PY'
import sqlite3, sys, time, random
db = sqlite3.connect(sys.argv[1], timeout=30)
now = int(time.time())
outcomes = ["accepted"] * 97 + ["rejected", "failed", "skipped"]
rows = ((now - (1_000_000 - i) * 2, 1400000001, 1, "offline", f"user{i % 50000}", f"reg{i % 200000:06d}",
         "a new message", "hello", random.choice(outcomes), "", 0, f"sdm{i}", f"tr{i}", 1, 12, None, None)
        for i in range(1_000_000))
t = time.time()
db.executemany("INSERT INTO push_records (created_at, sdkappid, certificate_id, kind, user_id, reg_id, title, description, outcome, reason, vendor_code, message_id, trace_id, attempts, latency_ms, sent_by, request_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
db.commit()
print(f"inserted 1,000,000 records in {time.time() - t:.1f} s")
PY
time_ms() { # median of 7 of GET $1, in ms
  for _ in 1 2 3 4 5 6 7; do curl -s -o /dev/null -b $dir/jar -w '%{time_total}\n' "$base$1"; done \
    | sort -n | sed -n 4p | awk '{printf "%.1f", $1 * 1000}'
}
R=/api/v1/apps/1400000001/push-records
since=$(( $(date +%s) - 3600 ))
for q in "?limit=50" "?limit=50&before_id=500000" "?limit=50&reg_id=reg012345" "?limit=50&user_id=user777" \
         "?limit=50&outcome=failed" "?limit=50&certificate_id=1&before_id=10" "?limit=50&since=$since" ; do
  echo "GET push-records$q  p50 $(time_ms "$R$q") ms"
done
echo "GET push-stats?window=24h  p50 $(time_ms /api/v1/apps/1400000001/push-stats?window=24h) ms"
echo "GET push-stats?window=30d  p50 $(time_ms /api/v1/apps/1400000001/push-stats?window=30d) ms"
echo "GET console page /records  p50 $(time_ms /apps/1400000001/records) ms"
