#!/bin/sh
# The demo: a sample function runs in vigil-sandbox with Vigil in its layer
# (build/layer/opt: the extension and its wrapper), its alerts go to
# vigil-collector, and the collector's web UI shows them.
#
#   examples/demo.sh [--no-wait] [BUILD]      (BUILD defaults to ./build)
#
# It sends benign events and attacks from several sources (API Gateway, SQS,
# S3, DynamoDB, SNS), then makes the function misbehave (an error, a leaked
# credential in its logs, a timeout, out of memory), runs once more in block
# mode, and prints a summary from the collector's API with its URL. The
# collector stays up until Ctrl-C; with --no-wait the demo exits after the
# summary (tests, CI), leaving the collector's answer in DIR/alerts.json
# (the last line printed names DIR).
#
# Needs: a build with the layer (`meson compile -C BUILD`), curl, python3.
set -eu

nowait=0
build=build
for a in "$@"; do
	case "$a" in
	--no-wait) nowait=1 ;;
	-h | --help)
		sed -n '2,15p' "$0"
		exit 0
		;;
	-*)
		echo "demo: unknown option $a" >&2
		exit 2
		;;
	*) build=$a ;;
	esac
done

here=$(cd "$(dirname "$0")" && pwd)
B=$(cd "$build" && pwd)
opt=$B/layer/opt
for f in "$opt/extensions/vigil" "$opt/vigil-wrapper" "$B/sandbox/vigil-sandbox" \
	"$B/collector/vigil-collector" "$B/sandbox/example-function"; do
	[ -x "$f" ] || {
		echo "demo: $f is missing: run meson compile -C $build" >&2
		exit 1
	}
done

demo=$(mktemp -d "${TMPDIR:-/tmp}/vigil-demo-XXXXXX")
collector_pid=
sandbox_pid=
cleanup() {
	[ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
	[ -n "$collector_pid" ] && kill "$collector_pid" 2>/dev/null && wait "$collector_pid" 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n== %s\n' "$*"; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits up to 30 s for a line containing $2 in file $1 and prints it.
wait_line() {
	i=0
	while [ $i -lt 300 ]; do
		if grep -m1 -F "$2" "$1" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "demo: no \"$2\" in $1 after 30 s:" >&2
	tail -20 "$1" >&2
	return 1
}

# The demo's events, one file each, from examples/events/events.ndjson.
python3 - "$here/events/events.ndjson" "$demo" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    if line.strip():
        o = json.loads(line)
        with open(f"{sys.argv[2]}/{o['id']}.json", "w") as f:
            json.dump(o["event"], f)
EOF

# ---- the collector ----
"$B/collector/vigil-collector" --listen 127.0.0.1:0 --db "$demo/alerts.db" --max-age 0 \
	2>"$demo/collector.log" &
collector_pid=$!
line=$(wait_line "$demo/collector.log" "listening on http://")
url=$(echo "$line" | sed 's|.*listening on \(http://[^ ]*/\).*|\1|')
say "vigil-collector at $url"

# ---- the function with Vigil in its layer ----
# $1: monitor or block. The function has 2 s and 128 MB; one of its
# variables holds a plaintext credential (a posture finding).
start_sandbox() {
	log=$demo/sandbox-$1.log
	"$B/sandbox/vigil-sandbox" --listen 127.0.0.1:0 --api 127.0.0.1:0 --opt "$opt" \
		--timeout 2 --memory 128 --function-name orders-api \
		--report "$demo/report-$1.json" \
		--env "AWS_LAMBDA_EXEC_WRAPPER=$opt/vigil-wrapper" \
		--env "VIGIL_PROXY_PORT=$(free_port)" --env "VIGIL_TELEMETRY_PORT=$(free_port)" \
		--env "VIGIL_MODE=$1" --env "VIGIL_COLLECTOR_URL=${url}v1/logs" \
		--env "DATABASE_URL=postgres://orders:Tr0ub4dor-3@db.internal:5432/orders" \
		-- "$B/sandbox/example-function" >"$demo/sandbox-$1.out" 2>"$log" &
	sandbox_pid=$!
	line=$(wait_line "$log" "vigil-sandbox: ready ")
	invoke_url="http://$(echo "$line" | sed 's/.*invoke=\([^ ]*\).*/\1/')/2015-03-31/functions/function/invocations"
	echo "vigil-sandbox ($1 mode): $(echo "$line" | sed 's/.*ready //')"
}

stop_sandbox() {
	kill "$sandbox_pid"
	wait "$sandbox_pid" || true
	sandbox_pid=
}

# invoke LABEL FILE|-JSON: one invocation, one line of outcome.
invoke() {
	if [ -f "$demo/$2.json" ]; then
		data="@$demo/$2.json"
	else
		data=$2
	fi
	code=$(curl -s -o "$demo/resp" -D "$demo/hdrs" -w '%{http_code}' --max-time 30 \
		-H 'Content-Type: application/json' --data-binary "$data" "$invoke_url") || code=000
	err=$(sed -n 's/^[Xx]-[Aa]mz-[Ff]unction-[Ee]rror: *\([^\r]*\).*/\1/p' "$demo/hdrs")
	body=$(head -c 110 "$demo/resp")
	if [ -n "$err" ]; then
		printf '  %-22s HTTP %s, function error (%s): %s\n' "$1" "$code" "$err" "$body"
	else
		printf '  %-22s HTTP %s: %s\n' "$1" "$code" "$body"
	fi
}

say "monitor mode: benign events and attacks from five sources"
start_sandbox monitor
invoke "API Gateway, benign" apigw-benign
invoke "API Gateway, SQLi" apigw-sqli
invoke "SQS, benign" sqs-benign
invoke "SQS, command inj." sqs-cmdi
invoke "S3, path traversal" s3-traversal
invoke "DynamoDB, XSS" dynamodb-xss
invoke "SNS, JNDI lookup" sns-jndi

say "telemetry anomalies: the function misbehaves"
invoke "error" '{"name":"carol","fail":true}'
invoke "secret in logs" '{"name":"dave","print":"debug: signing with AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}'
invoke "timeout (2 s)" '{"name":"erin","sleep_ms":4000}'
invoke "out of memory" '{"name":"frank","alloc_mb":400}'
invoke "after the resets" '{"name":"grace"}'
stop_sandbox

say "block mode: the attack never reaches the handler"
start_sandbox block
invoke "API Gateway, benign" apigw-benign
invoke "API Gateway, SQLi" apigw-sqli
invoke "S3, path traversal" s3-traversal
stop_sandbox

# ---- the summary ----
# vigil sent its alerts to the collector after each invocation and at
# SHUTDOWN; the collector's API says what it holds.
curl -s --max-time 10 "${url}api/alerts?limit=1000" >"$demo/alerts.json" ||
	echo '{"alerts":[]}' >"$demo/alerts.json"
say "summary"
python3 - "$demo/alerts.json" "$url" <<'EOF'
import json, sys
from collections import Counter
alerts = json.load(open(sys.argv[1])).get("alerts", [])
print(f"{len(alerts)} alerts in the collector")
for kind in ("inspection", "telemetry", "posture", "health"):
    sel = [a for a in alerts if a.get("kind") == kind]
    if not sel:
        continue
    cats = Counter(a.get("category") or "?" for a in sel)
    line = ", ".join(f"{c} x{n}" if n > 1 else c for c, n in sorted(cats.items()))
    print(f"  {kind:<11} {len(sel):>3}: {line}")
    if kind == "inspection":
        srcs = sorted({a.get("source") for a in sel if a.get("source")})
        blocked = sum(1 for a in sel if a.get("action") == "block")
        print(f"  {'':<11}      sources: {', '.join(srcs) or '-'}; blocked: {blocked}")
print(f"\nopen {sys.argv[2]} to see them")
EOF

if [ "$nowait" = 1 ]; then
	echo "demo: files in $demo"
	exit 0
fi
printf '\nvigil-collector keeps serving %s; Ctrl-C to stop.\n' "$url"
wait "$collector_pid"
