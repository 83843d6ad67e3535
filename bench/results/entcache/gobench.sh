#!/bin/bash
for r in 1 2 3; do
  for db in "file:/tmp/entcache-bench/n100000.db" "postgres://postgres@127.0.0.1:5432/entcache_bench?sslmode=disable"; do
    echo "=== round $r $db $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
    BENCH_DB="$db" ./bench.test -test.run '^$' -test.bench 'Q1$|E1' -test.benchtime 3000x
  done
done
