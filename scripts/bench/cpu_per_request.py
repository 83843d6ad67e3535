#!/usr/bin/env python3
"""CPU per request of an in-process Go benchmark on PostgreSQL, on a loaded
machine: the Go process's user+system time and the summed CPU of the
PostgreSQL backends it opened, each taken as the difference between a run of
N1 and a run of N2 requests (so start-up, warm-up and the first cold requests
cancel out), divided by N2-N1. Run two test binaries alternately (main's and
a branch's, `go test -c ./bench`) to compare them within one run.

  BENCH_DB=postgres://postgres@127.0.0.1:5432/DB?sslmode=disable \\
    python3 scripts/bench/cpu_per_request.py ./bench.test 'Q1$' 500 3000

Backends are recognised by the database name in their process title, so the
database must be used by this benchmark only.
"""
import os
import re
import resource
import subprocess
import sys
import time

TCK = os.sysconf("SC_CLK_TCK")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def backends(dbname):
    """CPU ticks of the PostgreSQL backends serving dbname, by pid."""
    out = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            cmd = open(f"/proc/{p}/cmdline", "rb").read()
            if b"postgres:" in cmd and dbname.encode() in cmd:
                st = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
                out[p] = int(st[11]) + int(st[12])
        except OSError:
            pass
    return out


def run(binary, regex, n, dbname):
    """Runs n requests; returns (output, Go CPU ms, PostgreSQL CPU ms)."""
    env = dict(os.environ, BENCH_WARMUP="0s")
    before = backends(dbname)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    pr = subprocess.Popen([os.path.abspath(binary), "-test.run", "^$", "-test.bench", regex, "-test.benchtime", f"{n}x"],
                          cwd=os.path.join(ROOT, "bench"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    last = {}
    while pr.poll() is None:  # a backend's ticks are read until it exits
        for pid, ticks in backends(dbname).items():
            if pid not in before:
                last[pid] = ticks
        time.sleep(0.05)
    out = pr.stdout.read().decode()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    go_ms = ((r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)) * 1000
    return out, go_ms, sum(last.values()) * 1000 / TCK


def main():
    binary, regex, n1, n2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    url = os.environ.get("BENCH_DB", "")
    m = re.match(r"postgres(?:ql)?://[^/]*/([^?]+)", url)
    if not m:
        sys.exit("BENCH_DB must be a postgres:// URL naming the database")
    _, g1, p1 = run(binary, regex, n1, m.group(1))
    out, g2, p2 = run(binary, regex, n2, m.group(1))
    if "FAIL" in out or "PASS" not in out:
        sys.exit(out)
    d = n2 - n1
    sql = re.findall(r"([\d.]+) sql/op", out)
    print(f"{os.path.basename(binary)} {regex}: go {(g2 - g1) / d * 1000:.0f} us/req  "
          f"postgres {(p2 - p1) / d * 1000:.0f} us/req  sql/op {sql[-1] if sql else '?'}  "
          f"load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
