#!/bin/bash
# CPU seconds (user+sys) of each test binary for a fixed number of requests,
# binaries rotating per round; stdout (ns/op, allocs/op) kept.
# usage: TAG=sqlite DBURL=file:... ROUNDS=n cpu.sh
cd /work/wt-gqlgen/bench
export BENCH_DB="$DBURL" BENCH_WARMUP=0s
bins=(main rw br)
specs=("Q1 ^BenchmarkQ1\$ 1000x" "Q2 ^BenchmarkQ2\$ 150x" "Q3mix ^BenchmarkQ3\$/^mix\$ 500x" "Q4 ^BenchmarkQ4\$ 250x" "Q1base ^BenchmarkQ1\$ 1x")
for r in $(seq 1 $ROUNDS); do
  for k in 0 1 2; do
    b=${bins[$(( (r + k) % 3 ))]}
    for s in "${specs[@]}"; do
      set -- $s
      t=$( { /usr/bin/time -f "%U %S %e" /tmp/gqb/$b.test -test.run '^$' -test.bench "$2" -test.benchtime $3 -test.benchmem >>/tmp/gqb/res/out-$TAG-$b.txt; } 2>&1 | tail -1)
      echo "$TAG $r $b $1 $3 $t $(cut -d' ' -f1 /proc/loadavg)" >> /tmp/gqb/res/cpu-$TAG.txt
    done
  done
done
echo "$TAG finished $(date)" >> /tmp/gqb/res/progress.log
