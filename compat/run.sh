#!/usr/bin/env bash
# Compatibility suite: Stigg's official JavaScript packages (the API client
# @stigg/api-client-js, the server SDK @stigg/node-server-sdk, and the
# documents of the browser SDK @stigg/js-client-sdk; pinned in
# compat/package-lock.json, unmodified) against a freshly built and started
# stiggql.
#
# Usage: bash compat/run.sh        (from anywhere; CI runs it from .ci/run)
#
# Installs the pinned packages (npm ci, offline-first), builds the server,
# starts it on a free loopback port with a throwaway SQLite database and a
# known API key and its test clock on (--test-clock), waits for /healthz,
# runs `node --test` on compat/test/ (clock.test.js, which moves the
# server's clock, alone after the others), stops the server and exits with
# the tests' status. Every step is bounded in time. Without Node.js 20+ and
# npm it says so and exits 0, unless CI=true, where a missing tool is a
# failure.
set -euo pipefail

compat="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$compat/.." && pwd)"

say() { echo "compat: $*"; }
die() { echo "compat: $*" >&2; exit 1; }

# Bounded run of a command when coreutils' timeout exists.
bounded() {
	local secs="$1"; shift
	if command -v timeout >/dev/null 2>&1; then
		timeout --kill-after=10 "$secs" "$@"
	else
		"$@"
	fi
}

missing=""
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing="Node.js and npm are required (Node 20 or later)"
elif ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
	missing="Node.js 20 or later is required, found $(node --version)"
fi
if [[ -n "$missing" ]]; then
	if [[ "${CI:-}" == "true" ]]; then
		die "$missing; cannot run the Stigg client compatibility suite (CI=true makes this a failure)"
	fi
	echo "compat: SKIPPED: $missing to run the Stigg client compatibility suite" >&2
	exit 0
fi
command -v go >/dev/null 2>&1 || die "go is required to build the server"

start=$SECONDS
tmp="$(mktemp -d "${TMPDIR:-/tmp}/stiggql-compat.XXXXXX")"
server_pid=""
cleanup() {
	if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "installing pinned packages (npm ci in compat/)"
# --prefer-offline: the npm cache answers when it can, so a warm cache
# installs without the network.
(cd "$compat" && bounded 300 npm ci --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) \
	|| die "npm ci failed in $compat"

say "building the server"
(cd "$root" && bounded 600 go build -o "$tmp/stiggql" .) || die "go build failed"

key="server-compat-$(node -e 'process.stdout.write(require("crypto").randomBytes(12).toString("hex"))')"
free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'
}
healthy() {
	node -e 'fetch(process.argv[1],{signal:AbortSignal.timeout(2000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$1"
}

# Start on a free port; if another process takes the port first, the server
# exits and we try another one.
url=""
for attempt in 1 2 3; do
	port="$(free_port)"
	log="$tmp/server.$attempt.log"
	(
		cd "$tmp"
		exec env ADDR="127.0.0.1:$port" DATABASE_URL="file:$tmp/stigg.db" STIGG_API_KEY="$key" \
			LOG_FORMAT=text METRICS=false TEST_CLOCK=true \
			STRIPE_SECRET_KEY= CATALOG_FILE= \
			"$tmp/stiggql"
	) >"$log" 2>&1 &
	server_pid=$!
	deadline=$((SECONDS + 60))
	while ((SECONDS < deadline)); do
		if ! kill -0 "$server_pid" 2>/dev/null; then
			break
		fi
		if healthy "http://127.0.0.1:$port/healthz"; then
			url="http://127.0.0.1:$port"
			break
		fi
		sleep 0.2
	done
	[[ -n "$url" ]] && break
	say "server did not come up on port $port (attempt $attempt); its log:"
	tail -n 20 "$log" >&2 || true
	if kill -0 "$server_pid" 2>/dev/null; then
		die "server still not healthy after 60s"
	fi
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
done
[[ -n "$url" ]] || die "could not start the server"
say "server up at $url ($((SECONDS - start))s after start)"

status=0
# clock.test.js moves the server's clock forward, which every other file
# would see: it runs alone, after them. STIGGQL_BIN: tests that need a
# server of their own (a catalog file changed between starts,
# plan-versions.test.js) start this binary.
others=()
for f in "$compat"/test/*.test.js; do
	[[ "$(basename "$f")" == clock.test.js ]] || others+=("test/$(basename "$f")")
done
(cd "$compat" && STIGGQL_URL="$url" STIGG_API_KEY="$key" STIGGQL_BIN="$tmp/stiggql" \
	bounded 300 node --test --test-reporter=spec --test-timeout=240000 "${others[@]}") || status=$?
clock_status=0
(cd "$compat" && STIGGQL_URL="$url" STIGG_API_KEY="$key" \
	bounded 120 node --test --test-reporter=spec --test-timeout=100000 test/clock.test.js) || clock_status=$?
((status != 0)) || status=$clock_status

if ((status != 0)); then
	say "tests failed (status $status); last lines of the server log:"
	tail -n 40 "$log" >&2 || true
fi
say "done in $((SECONDS - start))s"
exit "$status"
