#!/bin/bash
# CPU seconds (user+sys of the test process) for a fixed number of requests,
# main / gen / lists rotating; the machine's load inflates wall time, much
# less the CPU a process spends.
cd /work/wt-gen/bench
export BENCH_DB="$DBURL" BENCH_WARMUP=0s
bins=(main gen lists)
specs=("Q1 ^BenchmarkQ1\$ 2000x" "Q2 ^BenchmarkQ2\$ 300x" "Q3mix ^BenchmarkQ3\$/^mix\$ 1000x" "Q4 ^BenchmarkQ4\$ 500x" "Q1base ^BenchmarkQ1\$ 1x")
for r in $(seq 1 $ROUNDS); do
  for k in 0 1 2; do
    b=${bins[$(( (r + k) % 3 ))]}
    for s in "${specs[@]}"; do
      set -- $s
      t=$( { /usr/bin/time -f "%U %S" /tmp/gen-bench/$b.test -test.run '^$' -test.bench "$2" -test.benchtime $3 >/dev/null; } 2>&1 | tail -1)
      echo "$TAG $r $b $1 $3 $t" >> /tmp/gen-bench/cpu-$TAG.txt
    done
  done
done
echo "$TAG cpu finished" >> /tmp/gen-bench/progress.log
