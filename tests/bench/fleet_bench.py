#!/usr/bin/python3
"""Fleet mode at scale (issue 12, item 7): AGENTS pathpair-agents on loopback, one
`pathpair serve` (SQLite) testing them in a mesh, one test per pair per interval. Prints the
controller's CPU (busy share of one core over the measured slots), its peak memory (VmHWM), the
runs stored and completed, and the database rows a day at that rate. Needs root (raw sockets).

    PATHPAIR_BIN=build/controller/main/pathpair PATHPAIR_AGENT_BIN=build/agent/main/pathpair-agent \\
        tests/bench/fleet_bench.py [--agents 50] [--every 60] [--slots 2]
"""
import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

PATHPAIR = os.environ.get("PATHPAIR_BIN", "pathpair")
AGENT = os.environ.get("PATHPAIR_AGENT_BIN", "pathpair-agent")
BASE_PORT = 21700
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--every", type=int, default=60)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--options", default="-n -c 3 -i 0.2 --oneway-count 100")
    args = parser.parse_args()
    agents, serve = [], None
    with tempfile.TemporaryDirectory() as workdir:
        try:
            names = ["a%02d" % i for i in range(args.agents)]
            for i, name in enumerate(names):
                agents.append(subprocess.Popen(
                    [AGENT, "--listen", "127.0.0.1:%d" % (BASE_PORT + i), "--insecure",
                     "--log-level", "warning"], stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL))
            db = os.path.join(workdir, "fleet.db")
            config = os.path.join(workdir, "fleet.yaml")
            with open(config, "w") as f:
                f.write('database: "sqlite:%s"\nsecurity: {insecure: true}\nagents:\n' % db)
                for i, name in enumerate(names):
                    f.write('  - {name: %s, address: "127.0.0.1:%d"}\n' % (name, BASE_PORT + i))
                f.write('tests:\n  - {mesh: [%s], every: %ds, options: "%s"}\n' % (
                    ", ".join(names), args.every, args.options))
            time.sleep(2)
            # Start just after a slot boundary, measure whole slots.
            now = time.time()
            time.sleep(args.every - now % args.every + 0.2)
            log = open(os.path.join(workdir, "serve.log"), "wb")
            serve = subprocess.Popen([PATHPAIR, "serve", "--config", config, "--replica",
                                      "bench"], stdout=log, stderr=log)
            start_wall, start_cpu = time.time(), 0.0
            time.sleep(args.slots * args.every - 0.4)
            cpu = cpu_seconds(serve.pid) - start_cpu
            wall = time.time() - start_wall
            rss = peak_rss_kib(serve.pid)
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=120)
            with sqlite3.connect(db) as conn:
                runs = dict(conn.execute("SELECT status, count(*) FROM runs GROUP BY status"))
                slots = conn.execute("SELECT count(*) FROM slots").fetchone()[0]
                other = sum(conn.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                            for t in ("replicas", "agents"))
            size = os.path.getsize(db)
            reasons = {}
            with open(os.path.join(workdir, "serve.log"), errors="replace") as f:
                for line in f:
                    if "event=run_done" in line and 'error=""' not in line:
                        reason = line.split("error=", 1)[1].strip()[:160]
                        reasons[reason] = reasons.get(reason, 0) + 1
            pairs = args.agents * (args.agents - 1) // 2
            total_runs = sum(runs.values())
            per_day = 86400 / (args.slots * args.every)
            print("agents %d, pairs %d, every %d s, %d slots measured (%.0f s)" % (
                args.agents, pairs, args.every, args.slots, wall))
            print("runs stored %d (%s); wanted %d" % (total_runs, runs, pairs * args.slots))
            print("serve CPU %.1f s = %.1f %% of one core; peak RSS %.1f MiB" % (
                cpu, 100 * cpu / wall, rss / 1024))
            print("rows/day at this rate: runs %.0f, slots %.0f (+%d replica/agent rows); "
                  "database %.1f MiB after the run (%.1f KiB per run)" % (
                      total_runs * per_day, slots * per_day, other, size / 2**20,
                      size / 1024 / max(total_runs, 1)))
            for reason, count in sorted(reasons.items(), key=lambda r: -r[1])[:3]:
                print("  %5d runs: %s" % (count, reason))
        finally:
            if serve is not None and serve.poll() is None:
                serve.kill()
                serve.wait()
            for proc in agents:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root (the agents' raw sockets)")
        sys.exit(77)
    main()
