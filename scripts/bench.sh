#!/usr/bin/env bash
# Load benchmark of the GraphQL server: the peer (PostGraphile over
# PostgreSQL, ../shared/bench/peer), this server on SQLite and on
# PostgreSQL, and the hand-written baseline (bench/baseline), interleaved in
# one run, driven by the peer's wrk script with the same settings (Q1-Q3);
# the official client's GetCustomerById (Q4), the server SDK's entitlement
# check (E1, GetEntitlements for one customer) and the writes (W1, W2) over
# HTTP too; plus the in-process Go benchmarks. See docs/performance.md.
#
#   bash scripts/bench.sh          # run everything, keep the results in bench/results/latest, write the report
#   bash scripts/bench.sh report   # regenerate docs/performance.md and docs/performance.png from bench/results/latest
#   bash scripts/bench.sh gobench  # rerun only the in-process Go benchmarks into bench/results/latest, and report
#   bash scripts/bench.sh seed     # only build and seed the databases a run needs (kept in WORK)
#   bash scripts/bench.sh clean    # remove the work directory and drop the benchmark databases
#
# Settings (environment variables, defaults in brackets):
#   N [100000] customers   ROUNDS [2] peer/ours alternations   BACKENDS ["sqlite postgres"]
#   QUERIES ["Q1 Q2 Q3 Q4 E1"] reads   WRITES ["W1P W1U W2"] writes, each round on a copy of the
#   seeded database (W1P provisionCustomer, W1U updateOneCustomer, W2 importCustomersBulk of
#   10 000)   DURATION [15] WARMUP [5] seconds   THREADS [2] CONNS [32] (wrk)
#   PEER [v4] peer to run, or none   GOBENCH [1] run the Go benchmarks   BIG [0] also reads and
#   writes at N_BIG [1000000] customers on each backend   WORK [/tmp/stiggql-bench] binaries,
#   databases, raw results
#   PG_URL [postgres://postgres@127.0.0.1:5432/stiggql_bench?sslmode=disable] database of N
#   PG_BIG_URL [.../stiggql_bench_big] database of N_BIG
#
# Everything is bounded in time and every process started here is stopped by
# its PID on exit. Only 127.0.0.1 is used.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEER_HERE="${PEER_HERE:-$ROOT/../shared/bench/peer}"
[ -d "$PEER_HERE" ] || PEER_HERE=/work/shared/bench/peer
N="${N:-100000}"
N_BIG="${N_BIG:-1000000}"
ROUNDS="${ROUNDS:-2}"
BACKENDS="${BACKENDS:-sqlite postgres}"
QUERIES="${QUERIES:-Q1 Q2 Q3 Q4 E1}"
WRITES="${WRITES-W1P W1U W2}"
W2_TIMED="${W2_TIMED:-3}"
DURATION="${DURATION:-15}"
WARMUP="${WARMUP:-5}"
THREADS="${THREADS:-2}"
CONNS="${CONNS:-32}"
PEER="${PEER:-v4}"
GOBENCH="${GOBENCH:-1}"
BIG="${BIG:-0}"
WORK="${WORK:-/tmp/stiggql-bench}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/stiggql_bench?sslmode=disable}"
PG_BIG_URL="${PG_BIG_URL:-postgres://postgres@127.0.0.1:5432/stiggql_bench_big?sslmode=disable}"
PG_COPY_DB=stiggql_bench_write
PORT=8091
BASE_PORT=8092
KEY=server-bench-key
SUBSTRINGS="smith,ANNA,example.org,li.w,son1,@acme,Kim4,zzz"
LATEST="$ROOT/bench/results/latest"

pg_db() { local d="${1##*/}"; echo "${d%%\?*}"; } # database name of a URL (or a name)
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

report() {
  [ -f "$LATEST/rows.tsv" ] || die "no results in $LATEST: run bash scripts/bench.sh first"
  (cd "$ROOT" && go run ./bench/cmd/report -results "$LATEST" -out docs/performance.md -png docs/performance.png)
  log "wrote docs/performance.md and docs/performance.png"
}

# gobench runs the in-process Go benchmarks into $1: Q1-Q4, E1 and W1 on each
# backend's seeded database, W2 on a fresh SQLite file.
gobench() {
  local out="$1" b url
  for b in $BACKENDS; do
    case "$b" in sqlite) url="file:$WORK/data/n$N.db" ;; postgres) url="$PG_URL" ;; esac
    log "Go benchmarks on $b"
    (cd "$ROOT/bench" && BENCH_DB="$url" timeout 900 go test -run '^$' -bench 'Q1$|Q2$|Q3|Q4$|E1|W1' -benchtime 3s . ) \
      >"$out/gobench-$b.txt" 2>&1 || die "Go benchmarks failed (see $out/gobench-$b.txt)"
  done
  log "Go benchmark W2 (importCustomersBulk of 10 000)"
  (cd "$ROOT/bench" && timeout 900 go test -run '^$' -bench 'W2' -benchtime 5x .) >"$out/gobench-w2.txt" 2>&1 ||
    die "W2 failed (see $out/gobench-w2.txt)"
}

MODE="${1:-run}"
case "$MODE" in
  report) report; exit 0 ;;
  gobench)
    [ -f "$WORK/data/n$N.db" ] || die "no seeded database in $WORK/data: run bash scripts/bench.sh first"
    [ -d "$LATEST" ] || die "no results in $LATEST: run bash scripts/bench.sh first"
    rm -f "$LATEST"/gobench-*.txt
    gobench "$LATEST"
    { echo "gobench_commit=$(git -C "$ROOT" rev-parse --short HEAD)"; echo "gobench_date=$(date -u '+%Y-%m-%d %H:%M UTC')"; } >>"$LATEST/meta.txt"
    report; exit 0 ;;
  clean)
    rm -rf "$WORK"
    for u in "$PG_URL" "$PG_BIG_URL" "$PG_COPY_DB"; do
      runuser -u postgres -- psql -X -q -c "DROP DATABASE IF EXISTS $(pg_db "$u")" 2>/dev/null || true
    done
    log "removed $WORK and the benchmark databases"; exit 0 ;;
  run | seed) ;;
  *) die "usage: bash scripts/bench.sh [run|report|gobench|seed|clean]" ;;
esac

missing=()
command -v wrk >/dev/null || missing+=(wrk)
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing: ${missing[*]} (apt-get install -y ${missing[*]})"
  log "installing ${missing[*]} with apt-get"
  timeout 300 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "${missing[@]}"
fi
for tool in go wrk curl python3 psql; do command -v "$tool" >/dev/null || die "$tool not found"; done

mkdir -p "$WORK/bin" "$WORK/data" "$WORK/logs"
RES="$WORK/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RES"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

log "building the server and the baseline"
(cd "$ROOT" && go build -o "$WORK/bin/stiggql" . && go build -o "$WORK/bin/baseline" ./bench/cmd/baseline && go build -o "$WORK/bin/refs" ./bench/cmd/refs)

# --- machine and software
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu=$(nproc) x $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
  echo "memory=$(free -h | awk '/^Mem:/{print $2}')"
  echo "os=$(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "go=$(go version | awk '{print $3}')"
  echo "postgres=$(psql -X -tA "$PG_URL" -c 'show server_version' 2>/dev/null | cut -d' ' -f1 || echo '?')"
  echo "wrk=$(wrk --version 2>&1 | head -1 | awk '{print $2}')"
  echo "commit=$(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet || echo '+dirty')"
  echo "n=$N"
  [ "$BIG" = 1 ] && echo "n_big=$N_BIG"
  echo "load=wrk -t$THREADS -c$CONNS, ${WARMUP}s warm-up + ${DURATION}s measured"
  echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RES/meta.txt"

# --- data: our own seed, the peer's distribution (internal/seed)
sqlite_db() { echo "$WORK/data/n$1.db"; }
url_of() { case "$1" in sqlite) echo "file:$(sqlite_db "$2")" ;; postgres) pg_url "$2" ;; esac; }
refs_of() { case "$1" in sqlite) echo "$WORK/data/n$2.refs" ;; postgres) echo "$WORK/data/n$2.pg.refs" ;; esac; }
seed_sqlite() { # $1 customers
  local db; db="$(sqlite_db "$1")"
  if [ -f "$db" ] && [ -f "$WORK/data/n$1.refs" ]; then return; fi
  rm -f "$db" "$db-wal" "$db-shm"
  log "seeding SQLite with $1 customers"
  local t0=$SECONDS
  timeout 1800 "$WORK/bin/stiggql" seed --customers "$1" --db "file:$db" --refs "$WORK/data/n$1.refs" >"$WORK/data/n$1.seed.txt"
  echo "sqlite n=$1 seconds=$((SECONDS - t0)) $(cat "$WORK/data/n$1.seed.txt")" >>"$WORK/data/seed-times.txt"
}
pg_url() { if [ "$1" = "$N" ]; then echo "$PG_URL"; else echo "$PG_BIG_URL"; fi; }
pg_customers() { psql -X -tA "$1" -c "SELECT count(*) FROM customers" 2>/dev/null || echo -1; }
seed_pg() { # $1 customers
  local url db; url="$(pg_url "$1")"; db="$(pg_db "$url")"
  [ "$(pg_customers "$url")" = "$1" ] && [ -f "$WORK/data/n$1.pg.refs" ] && return
  log "seeding PostgreSQL with $1 customers"
  runuser -u postgres -- psql -X -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || die "cannot create database $db"
  local t0=$SECONDS
  timeout 3600 "$WORK/bin/stiggql" seed --customers "$1" --db "$url" --refs "$WORK/data/n$1.pg.refs" >"$WORK/data/n$1.pg.seed.txt"
  echo "postgres n=$1 seconds=$((SECONDS - t0)) $(cat "$WORK/data/n$1.pg.seed.txt")" >>"$WORK/data/seed-times.txt"
}
# two_sub_refs writes the customerIds (at most 1 000) of customers with
# exactly two subscriptions, the customers Q4 asks for, to $2.two.
two_sub_refs() { # $1 database URL, $2 refs file
  [ -s "$2.two" ] && return
  "$WORK/bin/refs" --db "$1" --subscriptions 2 >"$2.two.tmp" || die "cannot list customers with two subscriptions in $1"
  mv "$2.two.tmp" "$2.two"
}
SIZES="$N"; [ "$BIG" = 1 ] && SIZES="$N $N_BIG"
for n in $SIZES; do
  for b in $BACKENDS; do
    case "$b" in sqlite) seed_sqlite "$n" ;; postgres) seed_pg "$n" ;; *) die "unknown backend $b" ;; esac
    two_sub_refs "$(url_of "$b" "$n")" "$(refs_of "$b" "$n")"
  done
done
cp "$WORK/data/seed-times.txt" "$RES/" 2>/dev/null || true
if [ "$MODE" = seed ]; then
  log "seeded: $(ls "$WORK/data")"; exit 0
fi

# --- one measured target: start, check, warm up, measure, stop
CLK_TCK="$(getconf CLK_TCK)"
cpu_ticks() { local p t=0 x; for p in "$@"; do x="$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13 + $14 + $15}')" || continue; t=$((t + ${x:-0})); done; echo "$t"; }
host_cpu() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6, $9}' /proc/stat; }
pg_pids() { local pm; pm="$(head -1 /var/lib/postgresql/15/main/postmaster.pid 2>/dev/null || true)"; [ -n "$pm" ] && echo "$pm" $(cat "/proc/$pm/task/$pm/children" 2>/dev/null); }
metric() { # $1 metrics text, $2 metric name: sum over its series, 0 if absent
  awk -v m="$2" '$1 == m || index($1, m "{") == 1 {s += $2} END {printf "%.0f", s}' <<<"$1"
}
has_metric() { # $1 metrics text, $2 metric name: true if a series of it is there
  awk -v m="$2" '$1 == m || index($1, m "{") == 1 {f = 1} END {exit !f}' <<<"$1"
}
wait_http() { # $1 url, $2 pid
  for _ in $(seq 120); do
    kill -0 "$2" 2>/dev/null || return 1
    curl -s -m 2 -o /dev/null "$1" && return 0
    sleep 0.5
  done
  return 1
}
# drain waits (at most 60 s) until the server has answered the requests wrk
# left queued, so one phase's backlog is not billed to the next.
drain() { # $1 pid
  local quiet=0 a b
  for _ in $(seq 300); do
    a="$(cpu_ticks "$1")"; sleep 0.2; b="$(cpu_ticks "$1")"
    if [ $((b - a)) -le 1 ]; then quiet=$((quiet + 1)); [ "$quiet" -ge 3 ] && return 0; else quiet=0; fi
  done
}

# The operations: their documents, and how each request varies. Q1-Q3 go
# through the peer's own gql.lua (QVARS: its variable modes), the others
# through scripts/bench/ops.lua (QTEMPLATE: the variables, {ref} a random
# line of the refs file, {seq} unique to the request); W2 is timed by w2_run.
declare -A QFILE=([Q1]=bench/queries/q1.graphql [Q2]=bench/queries/q2.graphql [Q3]=bench/queries/q3.graphql
  [Q4]=testdata/stigg-client/GetCustomerById.graphql [E1]=internal/httpapi/edge/GetEntitlements.graphql
  [W1P]=bench/queries/w1-provision.graphql [W1U]=bench/queries/w1-update.graphql [W2]=bench/queries/w2-import.graphql)
declare -A QVARS=([Q1]=ref [Q2]=env [Q3]=email)
declare -A QTEMPLATE=([Q4]='{"input":{"customerId":"{ref}"}}' [E1]='{"query":{"customerId":"{ref}"}}'
  [W1P]='{"input":{"customerId":"w1-{seq}","name":"W1 {seq}","email":"w1-{seq}@example.org"}}'
  [W1U]='{"input":{"customerId":"{ref}","name":"Updated {seq}"}}')
# refs_for: the refs file an operation draws from (Q4 and E1, the
# entitlement check: customers with two subscriptions).
refs_for() { case "$1" in Q4 | E1) echo "$2.two" ;; *) echo "$2" ;; esac; }
wrk_run() { # $1 url, $2 operation, $3 seconds, $4 refs, $5 out, $6 nonce
  local subs=""
  IFS=, read -ra terms <<<"$SUBSTRINGS"
  for s in "${terms[@]}"; do subs="$subs${subs:+,}%$s%"; done
  local script="$PEER_HERE/gql.lua"
  [ -n "${QTEMPLATE[$2]:-}" ] && script="$ROOT/scripts/bench/ops.lua"
  GQL_LABEL="$2" GQL_QUERY_FILE="$ROOT/${QFILE[$2]}" GQL_VARS="${QVARS[$2]:-}" GQL_ENV=unused \
  GQL_REFS_FILE="$(refs_for "$2" "$4")" GQL_SUBSTRINGS="$subs" GQL_VARS_JSON="${QTEMPLATE[$2]:-}" GQL_NONCE="$6" \
    timeout $(($3 + 60)) wrk -t"$THREADS" -c"$CONNS" -d"$3s" --timeout 10s --latency -H "X-API-KEY: $KEY" \
      -s "$script" "$1" >"$5"
}
# w2_run imports 10 000 new customers per request, $2 untimed requests then
# $3 timed ones, one at a time, and writes a RESULT line like wrk's to $4.
w2_run() { # $1 url, $2 warm-up requests, $3 timed requests, $4 out, $5 nonce
  python3 - "$1" "$2" "$3" "$KEY" "$ROOT/${QFILE[W2]}" "$5" >"$4" <<'PY'
import json, statistics, sys, time, urllib.request
url, warm, timed, key, doc, nonce = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], open(sys.argv[5]).read(), sys.argv[6]
times, size, bad = [], 0, 0
for i in range(warm + timed):
    customers = [{"customerId": "w2-%s-%d-%05d" % (nonce, i, j), "name": "Imported %d" % j,
                  "email": "w2.%s.%d.%d@example.org" % (nonce, i, j), "billingId": "cus_%s_%d_%d" % (nonce, i, j)} for j in range(10000)]
    body = json.dumps({"query": doc, "variables": {"input": {"customers": customers}}}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", "X-API-KEY": key})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as resp:
        answer = resp.read()
    dt = time.perf_counter() - t0
    d = json.loads(answer)
    if "errors" in d or not (d.get("data") or {}).get("importCustomersBulk"):
        print("bad answer: %s" % answer[:500], file=sys.stderr); bad += 1
    if i >= warm:
        times.append(dt); size = len(answer)
if bad:
    sys.exit(1)
if not times:
    sys.exit(0)
ms = sorted(t * 1000 for t in times)
pct = lambda p: ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))]
print("RESULT label=W2 requests=%d duration_s=%.2f rps=%.3f mean_ms=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f "
      "bytes_per_req=%d non200=0 gql_errors=%d checked=%d sock_connect=0 sock_read=0 sock_write=0 sock_timeout=0"
      % (len(ms), sum(times), len(ms) / sum(times), statistics.mean(ms), statistics.median(ms), pct(90), pct(99), ms[-1], size, bad, len(ms)))
PY
}

# measure TARGET BACKEND DBURL REFS ROUND N: runs the queries against one
# freshly started process and appends one row per query to rows.tsv.
measure() {
  local target="$1" backend="$2" url="$3" refs="$4" round="$5" n="$6" pid base stats q
  local tag="$target-$backend-n$n-r$round${TAG_SUFFIX:-}"
  if [ "$target" = server ]; then
    # shellcheck disable=SC2086 # SERVER_ARGS: extra flags, split on purpose
    "$WORK/bin/stiggql" serve --db "$url" --addr "127.0.0.1:$PORT" --api-key "$KEY" --log-format text \
      --rate-limit-query 0 --rate-limit-mutation 0 ${SERVER_ARGS:-} >"$WORK/logs/$tag.log" 2>&1 &
    pid=$!; base="http://127.0.0.1:$PORT"
    wait_http "$base/healthz" "$pid" || die "server did not start (see $WORK/logs/$tag.log)"
    stats() { curl -s -m 5 "$base/metrics"; }
  else
    "$WORK/bin/baseline" --db "$url" --addr "127.0.0.1:$BASE_PORT" >"$WORK/logs/$tag.log" 2>&1 &
    pid=$!; base="http://127.0.0.1:$BASE_PORT"
    wait_http "$base/stats" "$pid" || die "baseline did not start (see $WORK/logs/$tag.log)"
    stats() { curl -s -m 5 "$base/stats" | tr ' ' '\n' | tr '=' ' '; }
  fi
  PIDS+=("$pid")
  for q in $QUERIES; do
    local path=/graphql
    if [ "$target" = baseline ]; then
      case "$q" in Q1 | Q2) ;; *) continue ;; esac
      path="/$(tr 'Q' 'q' <<<"$q")"
    fi
    # the answer once, checked (W2 checks every answer itself)
    local vars='{}'
    case "$q" in Q1) vars="{\"refId\":\"$(head -1 "$refs")\"}" ;; Q3) vars='{"q":"%smith%"}' ;; esac
    if [ -n "${QTEMPLATE[$q]:-}" ]; then
      vars="${QTEMPLATE[$q]//\{ref\}/$(head -1 "$(refs_for "$q" "$refs")")}"; vars="${vars//\{seq\}/check-$tag}"
    fi
    if [ "$q" != W2 ]; then
      python3 -c 'import json,sys; print(json.dumps({"query": open(sys.argv[1]).read(), "variables": json.loads(sys.argv[2])}))' \
        "$ROOT/${QFILE[$q]}" "$vars" |
        curl -s -m 60 -H 'Content-Type: application/json' -H "X-API-KEY: $KEY" --data-binary @- "$base$path" >"$RES/$tag-$q.check.json"
      python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "errors" not in d and d.get("data"), d' "$RES/$tag-$q.check.json" ||
        die "$tag $q: bad answer (see $RES/$tag-$q.check.json)"
    fi
    rm -f "$RES/stop"
    local pgpm=0
    [ "$backend" = postgres ] && pgpm="$(head -1 /var/lib/postgresql/15/main/postmaster.pid 2>/dev/null || echo 0)"
    python3 "$ROOT/scripts/bench/memsample.py" --pid "$pid" --pg-pid "$pgpm" --stop-file "$RES/stop" \
      --duration $((WARMUP + DURATION + 120)) --out "$RES/$tag-$q.mem" &
    local sampler=$!
    local s0 s1 c0 c1 p0 p1 tot0 idle0 steal0 tot1 idle1 steal1
    if [ "$q" = W2 ]; then
      log "$tag $q: one untimed import of 10 000, then $W2_TIMED timed"
      w2_run "$base$path" 1 0 "$RES/$tag-$q.warmup.txt" "$tag-warm" || die "$tag $q: bad answer"
      s0="$(stats)"; c0="$(cpu_ticks "$pid")"; p0="$(cpu_ticks $(pg_pids))"; read -r tot0 idle0 steal0 < <(host_cpu)
      w2_run "$base$path" 0 "$W2_TIMED" "$RES/$tag-$q.wrk.txt" "$tag" || die "$tag $q: bad answer"
    else
      log "$tag $q: warm-up ${WARMUP}s"
      wrk_run "$base$path" "$q" "$WARMUP" "$refs" "$RES/$tag-$q.warmup.txt" "$tag-warm"
      drain "$pid"
      log "$tag $q: measuring ${DURATION}s"
      s0="$(stats)"; c0="$(cpu_ticks "$pid")"; p0="$(cpu_ticks $(pg_pids))"; read -r tot0 idle0 steal0 < <(host_cpu)
      wrk_run "$base$path" "$q" "$DURATION" "$refs" "$RES/$tag-$q.wrk.txt" "$tag"
    fi
    s1="$(stats)"; c1="$(cpu_ticks "$pid")"; p1="$(cpu_ticks $(pg_pids))"; read -r tot1 idle1 steal1 < <(host_cpu)
    touch "$RES/stop"; wait "$sampler" || true
    drain "$pid"
    grep -q '^RESULT' "$RES/$tag-$q.wrk.txt" || die "$tag $q: wrk printed no RESULT"
    local reqs stmts trips=-1 allocs dt
    if [ "$target" = server ]; then
      reqs=$(($(metric "$s1" stiggql_requests_total) - $(metric "$s0" stiggql_requests_total)))
      stmts=$(($(metric "$s1" stiggql_sql_statements_total) - $(metric "$s0" stiggql_sql_statements_total)))
      # round trips: statements sent in one pipelined batch count once;
      # binaries older than the counter leave the column blank
      if has_metric "$s1" stiggql_sql_round_trips_total; then
        trips=$(($(metric "$s1" stiggql_sql_round_trips_total) - $(metric "$s0" stiggql_sql_round_trips_total)))
      fi
      allocs=$(($(metric "$s1" go_memstats_mallocs_total) - $(metric "$s0" go_memstats_mallocs_total)))
    else
      reqs=$(($(metric "$s1" requests) - $(metric "$s0" requests)))
      stmts=-1 # by construction: Q1 3, Q2 5 (bench/baseline), each its own round trip
      allocs=$(($(metric "$s1" mallocs) - $(metric "$s0" mallocs)))
    fi
    dt=$((tot1 - tot0 > 0 ? tot1 - tot0 : 1))
    python3 - "$RES/$tag-$q.wrk.txt" "$RES/$tag-$q.mem" "$RES/rows.tsv" "$round" "$target" "$backend" "$n" "$q" \
      "$reqs" "$stmts" "$trips" "$allocs" "$(( (c1 - c0) * 1000 / CLK_TCK ))" "$(( (p1 - p0) * 1000 / CLK_TCK ))" \
      "$(( (idle1 - idle0) * 100 / dt ))" "$(( (steal1 - steal0) * 100 / dt ))" <<'PY'
import os, sys
wrk, mem, out, rnd, target, backend, n, q, reqs, stmts, trips, allocs, cpu_ms, pg_ms, idle, steal = sys.argv[1:]
kv = {}
for path in (wrk, mem):
    for line in open(path):
        if line.startswith("RESULT") or path == mem:
            for tok in line.split():
                if "=" in tok:
                    k, v = tok.split("=", 1); kv[k] = v
reqs = max(int(reqs), 1)
errors = sum(int(kv[k]) for k in ("non200", "gql_errors", "sock_connect", "sock_read", "sock_write", "sock_timeout"))
cols = ["round", "target", "backend", "n", "query", "rps", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms",
        "bytes_per_req", "errors", "requests", "sql_per_req", "allocs_per_req", "cpu_ms_per_req", "pg_cpu_ms_per_req",
        "rss_max_kb", "pss_max_kb", "hwm_kb", "pg_pss_max_kb", "idle_pct", "steal_pct", "round_trips_per_req"]
row = [rnd, target, backend, n, q, kv["rps"], kv["mean_ms"], kv["p50_ms"], kv["p90_ms"], kv["p99_ms"], kv["max_ms"],
       kv["bytes_per_req"], str(errors), kv["requests"],
       "%.2f" % (int(stmts) / reqs) if int(stmts) >= 0 else "", "%.0f" % (int(allocs) / reqs),
       "%.3f" % (int(cpu_ms) / reqs), "%.3f" % (int(pg_ms) / reqs) if backend == "postgres" else "",
       kv["rss_max_kb"], kv["pss_max_kb"], kv["hwm_kb"], kv["pg_pss_max_kb"], idle, steal,
       "%.2f" % (int(trips) / reqs) if int(trips) >= 0 else ""]
new = not os.path.exists(out)
with open(out, "a") as f:
    if new:
        f.write("\t".join(cols) + "\n")
    f.write("\t".join(row) + "\n")
print("%s %s/%s %s: %s req/s, p50 %s ms, p99 %s ms, %s errors" % (target, backend, n, q, kv["rps"], kv["p50_ms"], kv["p99_ms"], errors), file=sys.stderr)
PY
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# --- the peer, through its own script (same machine, same settings)
run_peer() { # $1 round
  [ "$PEER" = none ] && return
  log "round $1: peer PostGraphile $PEER"
  local q peerq="" # the peer serves Q1-Q3 only
  for q in $QUERIES; do case "$q" in Q1 | Q2 | Q3) peerq="$peerq${peerq:+ }$q" ;; esac; done
  PEER="$PEER" N="$N" DURATION="$DURATION" WARMUP="$WARMUP" THREADS="$THREADS" CONNS="$CONNS" QUERIES="$peerq" \
    timeout 1800 bash "$PEER_HERE/run.sh" >"$RES/peer-r$1.summary.txt" 2>"$RES/peer-r$1.log" || die "peer run failed (see $RES/peer-r$1.log)"
  local dir; dir="$(ls -d /tmp/bench-peer/results/*-"$PEER" | tail -1)"
  cp "$dir/results.tsv" "$RES/peer-r$1.tsv"
}

# measure_writes runs the writes against a copy of the seeded database, so
# the reads of every round see the same data.
measure_writes() { # $1 backend, $2 customers, $3 round
  [ -n "$WRITES" ] || return 0
  local url
  log "copying the $1 database of $2 customers for the writes"
  case "$1" in
    sqlite)
      url="file:$WORK/data/write.db"; rm -f "$WORK/data/write.db"*
      cp "$(sqlite_db "$2")" "$WORK/data/write.db"
      [ -f "$(sqlite_db "$2")-wal" ] && cp "$(sqlite_db "$2")-wal" "$WORK/data/write.db-wal" ;;
    postgres)
      url="postgres://postgres@127.0.0.1:5432/$PG_COPY_DB?sslmode=disable"
      runuser -u postgres -- psql -X -q -c "DROP DATABASE IF EXISTS $PG_COPY_DB" \
        -c "CREATE DATABASE $PG_COPY_DB TEMPLATE $(pg_db "$(pg_url "$2")")" || die "cannot copy the database" ;;
  esac
  TAG_SUFFIX=-writes SERVER_ARGS="--max-body-bytes 8388608" QUERIES="$WRITES" \
    measure server "$1" "$url" "$(refs_of "$1" "$2")" "$3" "$2"
  case "$1" in
    sqlite) rm -f "$WORK/data/write.db"* ;;
    postgres) runuser -u postgres -- psql -X -q -c "DROP DATABASE IF EXISTS $PG_COPY_DB" ;;
  esac
}
for round in $(seq "$ROUNDS"); do
  run_peer "$round"
  for b in $BACKENDS; do
    measure server "$b" "$(url_of "$b" "$N")" "$(refs_of "$b" "$N")" "$round" "$N"
    measure baseline "$b" "$(url_of "$b" "$N")" "$(refs_of "$b" "$N")" "$round" "$N"
    measure_writes "$b" "$N" "$round"
  done
done
if [ "$BIG" = 1 ]; then
  for b in $BACKENDS; do
    measure server "$b" "$(url_of "$b" "$N_BIG")" "$(refs_of "$b" "$N_BIG")" 1 "$N_BIG"
    measure_writes "$b" "$N_BIG" 1
  done
fi

# --- in-process Go benchmarks (allocations and statements per operation)
if [ "$GOBENCH" = 1 ]; then
  gobench "$RES"
fi
echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RES/meta.txt"

# --- keep the figures with the code, and report
rm -rf "$LATEST"; mkdir -p "$LATEST"
cp "$RES"/rows.tsv "$RES"/meta.txt "$LATEST/"
cp "$RES"/peer-r*.tsv "$RES"/peer-r*.summary.txt "$RES"/gobench-*.txt "$RES"/seed-times.txt "$LATEST/" 2>/dev/null || true
log "raw results in $RES, kept in bench/results/latest"
report
