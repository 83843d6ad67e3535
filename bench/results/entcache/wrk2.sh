#!/bin/bash
# Interleaved wrk runs (15 s warm-up: every one of the 1 000 customers seen): Q1 and E1 with the entitlements cache (after), E1 with
# --entitlement-cache 0 (before), 32 connections, two rounds per database.
cd /tmp/entcache-bench
ROOT=/work/wt-entcache
KEY=entcache-bench-key
stmts() { curl -s http://127.0.0.1:18091/metrics | awk '/^stiggql_sql_statements_total/{printf "%d", $2}'; }
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
one() { # $1 label, $2 query, $3 refs, $4 server pid
  local file vars
  if [ $2 = Q1 ]; then file=$ROOT/bench/queries/q1.graphql; vars='{"refId":"{ref}"}'; else file=$ROOT/internal/httpapi/edge/GetEntitlements.graphql; vars='{"query":{"customerId":"{ref}"}}'; fi
  GQL_LABEL=$2 GQL_QUERY_FILE=$file GQL_VARS_JSON="$vars" GQL_REFS_FILE=$3 GQL_NONCE=w \
    wrk -t2 -c32 -d15s --timeout 10s -H "X-API-KEY: $KEY" -s $ROOT/scripts/bench/ops.lua http://127.0.0.1:18091/graphql > /dev/null
  local c0=$(cpu $4) s0=$(stmts)
  echo "=== $1 $2 $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  GQL_LABEL=$2 GQL_QUERY_FILE=$file GQL_VARS_JSON="$vars" GQL_REFS_FILE=$3 GQL_NONCE=m \
    wrk -t2 -c32 -d15s --timeout 10s --latency -H "X-API-KEY: $KEY" -s $ROOT/scripts/bench/ops.lua http://127.0.0.1:18091/graphql | grep RESULT | sed 's/ sock_.*//'
  echo "server_cpu_ticks $(( $(cpu $4) - c0 )) statements $(( $(stmts) - s0 ))"
}
for round in 1 2; do
for db in sqlite postgres; do
  if [ $db = sqlite ]; then url="file:/tmp/entcache-bench/n100000.db"; refs=refs1000.txt; else url="postgres://postgres@127.0.0.1:5432/entcache_bench?sslmode=disable"; refs=refs1000.pg.txt; fi
  for cache in 20000 0; do
    ./stiggql serve --db "$url" --addr 127.0.0.1:18091 --api-key $KEY --log-format text --rate-limit-query 0 --rate-limit-mutation 0 --entitlement-cache $cache > server-$db-$cache.log 2>&1 &
    pid=$!
    for i in $(seq 60); do curl -sf http://127.0.0.1:18091/healthz >/dev/null && break; sleep 1; done
    if [ $cache = 0 ]; then one "$db round $round before (cache off)" E1 $refs $pid
    else one "$db round $round after" Q1 $refs $pid; one "$db round $round after" E1 $refs $pid; fi
    kill $pid; wait $pid 2>/dev/null
  done
done
done
