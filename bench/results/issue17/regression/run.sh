#!/usr/bin/env bash
# Interleaved in-process runs of the bench test binaries of fef09f6 (old, issue 17 before this session) and 0d2f1fd (new),
# each on its own copy of the seeded PostgreSQL database (old schema: stiggql_q3) and the same SQLite file.
# Binaries: go test -c -o /tmp/ab/old.test ./bench in a worktree of fef09f6, and the same at 0d2f1fd.
set -u
OUT=/tmp/ab/regress; mkdir -p $OUT; rm -f $OUT/*.txt
SQ="file:/tmp/stiggql-bench/data/n100000.db"
for r in 1 2 3 4; do
  for v in old new; do
    dir=/work/main/bench; [ $v = old ] && dir=/work/wt-old/bench
    pg="postgres://postgres@127.0.0.1:5432/stiggql_bench?sslmode=disable"; [ $v = old ] && pg="postgres://postgres@127.0.0.1:5432/stiggql_q3?sslmode=disable"
    for db in sqlite postgres; do
      url=$SQ; [ $db = postgres ] && url=$pg
      (cd $dir && BENCH_DB=$url timeout 600 /tmp/ab/$v.test -test.run '^$' -test.bench 'Q1$|Q2$|Q3/mix|Q4$|E1/cached|W1' -test.benchtime 400x) | grep '^Benchmark' | sed "s/^Benchmark/Benchmark${db^}/" >> $OUT/$v.txt
    done
  done
done
benchstat $OUT/old.txt $OUT/new.txt > $OUT/benchstat.txt 2>&1
