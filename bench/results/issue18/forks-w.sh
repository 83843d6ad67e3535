#!/bin/bash
# W1 (one at a time) and W2, once per binary per database, for allocations
# and CPU; each seeds its own fresh database.
cd /work/wt-gqlgen/bench
export BENCH_WARMUP=0s
for db in sqlite pg; do
  if [ $db = pg ]; then export BENCH_DB='postgres://postgres@127.0.0.1:5432/gqlgen_bench?sslmode=disable'; else export BENCH_DB=file:/tmp/gqb/bench.db; fi
  for b in main rw br; do
    t=$( { /usr/bin/time -f "%U %S %e" /tmp/gqb/$b.test -test.run '^$' -test.bench '^BenchmarkW1$/^[a-zA-Z]*$' -test.benchtime 300x -test.benchmem >>/tmp/gqb/res/w-$db-$b.txt; } 2>&1 | tail -1)
    echo "$db $b W1 $t" >> /tmp/gqb/res/w-cpu.txt
    t=$( { /usr/bin/time -f "%U %S %e" /tmp/gqb/$b.test -test.run '^$' -test.bench '^BenchmarkW2$' -test.benchtime 1x -test.benchmem >>/tmp/gqb/res/w-$db-$b.txt; } 2>&1 | tail -1)
    echo "$db $b W2 $t" >> /tmp/gqb/res/w-cpu.txt
  done
done
echo "w finished $(date)" >> /tmp/gqb/res/progress.log
