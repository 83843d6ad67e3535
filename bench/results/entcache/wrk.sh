#!/bin/bash
# Interleaved wrk runs of Q1 and E1 against the server binary, 32 connections.
cd /tmp/entcache-bench
ROOT=/work/wt-entcache
KEY=entcache-bench-key
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
for db in sqlite postgres; do
  if [ $db = sqlite ]; then url="file:/tmp/entcache-bench/n100000.db"; refs=refs1000.txt; else url="postgres://postgres@127.0.0.1:5432/entcache_bench?sslmode=disable"; refs=refs1000.pg.txt; fi
  ./stiggql serve --db "$url" --addr 127.0.0.1:18091 --api-key $KEY --log-format text --rate-limit-query 0 --rate-limit-mutation 0 > server-$db.log 2>&1 &
  pid=$!
  for i in $(seq 60); do curl -sf http://127.0.0.1:18091/healthz >/dev/null && break; sleep 1; done
  for round in 1 2; do
    for q in Q1 E1; do
      if [ $q = Q1 ]; then file=$ROOT/bench/queries/q1.graphql; vars='{"refId":"{ref}"}'; else file=$ROOT/internal/httpapi/edge/GetEntitlements.graphql; vars='{"query":{"customerId":"{ref}"}}'; fi
      # warm-up (every customer at least once, caches filled), then the measured run
      GQL_LABEL=$q GQL_QUERY_FILE=$file GQL_VARS_JSON="$vars" GQL_REFS_FILE=$refs GQL_NONCE=w$round \
        wrk -t2 -c32 -d5s --timeout 10s -H "X-API-KEY: $KEY" -s $ROOT/scripts/bench/ops.lua http://127.0.0.1:18091/graphql > /dev/null
      c0=$(cpu $pid)
      echo "=== $db round $round $q $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
      GQL_LABEL=$q GQL_QUERY_FILE=$file GQL_VARS_JSON="$vars" GQL_REFS_FILE=$refs GQL_NONCE=m$round \
        wrk -t2 -c32 -d15s --timeout 10s --latency -H "X-API-KEY: $KEY" -s $ROOT/scripts/bench/ops.lua http://127.0.0.1:18091/graphql | grep -E "RESULT|50%|Requests/sec"
      c1=$(cpu $pid)
      echo "server_cpu_ticks $((c1 - c0))"
    done
  done
  kill $pid; wait $pid 2>/dev/null
done
