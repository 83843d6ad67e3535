#!/usr/bin/env python3
"""Sample the memory of a server under load (and of PostgreSQL, if given).

Every --interval seconds until --stop-file appears, the process exits or
--duration passes, reads /proc and at the end writes one line of key=value
pairs to --out:

  rss_max_kb     highest sampled RSS of the server
  pss_max_kb     highest sampled PSS of the server (shared pages divided among
                 the processes mapping them; for a Go server nearly its RSS)
  hwm_kb         the server's VmHWM: exact peak RSS over its whole life
  pg_pss_max_kb  highest sampled PSS summed over the postmaster and its
                 children (0 without --pg-pid)

Adapted from the peer benchmark's rss_sampler.py; reads /proc only.
"""

import argparse
import os
import time


def rollup(pid):
    rss = pss = 0
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def hwm(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--pg-pid", type=int, default=0)
    ap.add_argument("--interval", type=float, default=0.25)
    ap.add_argument("--duration", type=float, default=300)
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rss_max = pss_max = pg_max = 0
    last_hwm = 0
    end = time.monotonic() + a.duration
    while time.monotonic() < end and not os.path.exists(a.stop_file) and os.path.exists("/proc/%d" % a.pid):
        rss, pss = rollup(a.pid)
        rss_max, pss_max = max(rss_max, rss), max(pss_max, pss)
        last_hwm = max(last_hwm, hwm(a.pid))
        if a.pg_pid:
            pg_max = max(pg_max, sum(rollup(p)[1] for p in [a.pg_pid] + children(a.pg_pid)))
        time.sleep(a.interval)
    with open(a.out, "w") as f:
        f.write("rss_max_kb=%d pss_max_kb=%d hwm_kb=%d pg_pss_max_kb=%d\n" % (rss_max, pss_max, last_hwm, pg_max))


if __name__ == "__main__":
    main()
