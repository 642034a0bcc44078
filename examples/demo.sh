#!/bin/sh
# The demo: vigil-sandbox runs the example function with the example
# extension over three events and prints what happens (run from the
# repository root after `meson setup build && meson compile -C build`).
set -eu
build=${1:-build}
demo=$(mktemp -d "${TMPDIR:-/tmp}/vigil-demo-XXXXXX")
mkdir -p "$demo/extensions"
ln -s "$(cd "$build" && pwd)/sandbox/example-extension" "$demo/extensions/example-extension"
printf '%s\n' '{"name":"alice"}' '{"fail":true}' '{"name":"bob"}' > "$demo/events.ndjson"
"$build/sandbox/vigil-sandbox" --api 127.0.0.1:0 --opt "$demo" \
	--events "$demo/events.ndjson" --report "$demo/report.json" \
	-- "$build/sandbox/example-function"
echo "report: $demo/report.json"
