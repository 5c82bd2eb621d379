#!/usr/bin/env python3
"""Fleet mode's acceptance (issue 12): `pathpair serve` replicas on one database, running a
10 s schedule of paired tests between real pathpair-agents at the ends of a path of stock Linux
routers (tests/topo) that loses 30 % of the packets forward only.

  SqliteFleetTest    one replica on SQLite
  PostgresFleetTest  two replicas on a real PostgreSQL (pg_server.py: initdb + pg_ctl on a unix
                     socket), then one of them killed with SIGKILL

Each checks: every slot ran once (one finished slot per run, one run per slot); every replica's
/metrics passes `promtool check metrics` and shows the pair's loss per direction (forward lost,
reverse clean); /runs lists the runs and /runs/RUN_ID serves the HTML report. PostgreSQL: both
replicas serve the same figures, and after one is killed the other keeps the schedule.

Needs root (exit 77 otherwise). Environment: PATHPAIR_BIN, PATHPAIR_AGENT_BIN, PATHPAIR_TOPO_BIN.
"""
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "topo"))
import agent_token  # noqa: E402
from pg_server import PostgresServer  # noqa: E402
from test_paired import AGENT_PORT, PATHPAIR  # noqa: E402
from test_paired_acceptance import LinuxPath  # noqa: E402

SLOT_S = 10
LOSS_PCT = 30
# Short and fast: 5 rounds at 0.2 s, 300 one-way packets each way (5 ms apart).
OPTIONS = "-n -c 5 -i 0.2 --oneway-count 300"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def write_config(workdir, path, database):
    config = os.path.join(workdir, "fleet.yaml")
    with open(config, "w") as f:
        f.write("""database: "%s"
security: {insecure: true, token_file: %s}
agents:
  - {name: client, address: "%s", target: %s}
  - {name: server, address: "%s", target: %s}
tests:
  - {between: [client, server], every: %ds, options: "%s"}
""" % (database, agent_token.PATH, path.endpoint("client"), path.client_address,
       path.endpoint("server"), path.target, SLOT_S, OPTIONS))
    return config


class Replica:
    """One `pathpair serve` process with its own HTTP port, its log in the work directory."""

    def __init__(self, workdir, config, name):
        self.name = name
        self.port = free_port()
        self.log_path = os.path.join(workdir, name + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [PATHPAIR, "serve", "--config", config, "--replica", name, "--http-listen",
             "127.0.0.1:%d" % self.port], stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("serve exited: %s" % self.output())
            try:
                if http_get(self.port, "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("serve never answered /healthz: %s" % self.output())

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def runs_listed(replica):
    status, body = http_get(replica.port, "/runs")
    assert status == 200, body
    import json
    return [json.loads(line) for line in body.splitlines() if line]


def wait_for_runs(replica, count, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = runs_listed(replica)
        if len(runs) >= count:
            return runs
        time.sleep(0.5)
    raise AssertionError("fewer than %d runs after %d s: %s\n%s" % (
        count, timeout, runs_listed(replica), replica.output()))


def metric(text, name, **labels):
    want = ",".join('%s="%s"' % (k, v) for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith("%s{%s}" % (name, want)):
            return float(line.split()[-1])
    return None


class FleetChecks:
    """Checks shared by both stores; subclasses provide slots() -> [(slot_start_us, run_id,
    attempts)] of finished slots."""

    def check_each_slot_ran_once(self, runs):
        slots = self.slots()
        run_ids = [r["run_id"] for r in runs]
        self.assertEqual(len(set(run_ids)), len(run_ids))
        slot_runs = [s[1] for s in slots]
        self.assertEqual(sorted(slot_runs), sorted(run_ids), "one finished slot per run")
        starts = [s[0] for s in slots]
        self.assertEqual(len(set(starts)), len(starts), "one run per slot")
        for start in starts:
            self.assertEqual(start % (SLOT_S * 1_000_000), 0)

    def check_metrics(self, replica):
        status, text = http_get(replica.port, "/metrics")
        self.assertEqual(status, 200)
        check = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                               capture_output=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr + text)
        forward = metric(text, "pathpair_path_loss_ratio", client="client", server="server",
                         direction="forward")
        reverse = metric(text, "pathpair_path_loss_ratio", client="client", server="server",
                         direction="reverse")
        self.assertIsNotNone(forward, text)
        self.assertIsNotNone(reverse, text)
        self.assertGreater(forward, 0.15, text)  # 30 % configured
        self.assertLess(reverse, 0.05, text)
        self.assertIsNotNone(metric(text, "pathpair_path_delay_seconds", client="client",
                                    server="server", direction="forward"), text)
        self.assertIsNotNone(metric(text, "pathpair_test_verdict", client="client",
                                    server="server"), text)
        self.assertGreaterEqual(metric(text, "pathpair_test_runs_total", client="client",
                                       server="server", status="complete") or 0, 1, text)
        self.assertEqual(metric(text, "pathpair_agent_connected", agent="server"), 1, text)
        return text

    def check_report(self, replica, run_id):
        status, page = http_get(replica.port, "/runs/" + run_id)
        self.assertEqual(status, 200)
        self.assertIn("<html", page)
        self.assertIn("client", page)


def figures(text):
    """The per-pair lines of /metrics (the same on every replica, whatever the scrape time)."""
    return sorted(line for line in text.splitlines()
                  if re.match(r"pathpair_(path_|test_verdict|test_runs)", line))


class SqliteFleetTest(FleetChecks, unittest.TestCase):
    def slots(self):
        with sqlite3.connect(self.db_path) as db:
            return db.execute("SELECT slot_start_unix_us, run_id, attempts FROM slots "
                              "WHERE finished_unix_us IS NOT NULL").fetchall()

    def test_one_replica(self):
        with tempfile.TemporaryDirectory() as workdir, \
                LinuxPath({"routers": 3, "losses": [{"router": 2, "direction": "DIRECTION_FORWARD",
                                                     "percent": LOSS_PCT}]}) as path:
            self.db_path = os.path.join(workdir, "fleet.db")
            config = write_config(workdir, path, "sqlite:" + self.db_path)
            replica = Replica(workdir, config, "solo")
            try:
                runs = wait_for_runs(replica, 2, 4 * SLOT_S)
                self.check_each_slot_ran_once(runs)
                self.check_metrics(replica)
                self.check_report(replica, runs[0]["run_id"])
                for run in runs:
                    self.assertEqual((run["client"], run["server"], run["status"]),
                                     ("client", "server", "complete"))
            finally:
                self.assertEqual(replica.stop(), 0, replica.output())


class PostgresFleetTest(FleetChecks, unittest.TestCase):
    def slots(self):
        return [(int(start), run_id, int(attempts)) for start, run_id, attempts in self.pg.query(
            "SELECT slot_start_unix_us, run_id, attempts FROM slots "
            "WHERE finished_unix_us IS NOT NULL")]

    def test_two_replicas_then_one(self):
        with tempfile.TemporaryDirectory() as workdir, PostgresServer() as pg, \
                LinuxPath({"routers": 3, "losses": [{"router": 2, "direction": "DIRECTION_FORWARD",
                                                     "percent": LOSS_PCT}]}) as path:
            self.pg = pg
            config = write_config(workdir, path, pg.url)
            a = Replica(workdir, config, "replica-a")
            b = Replica(workdir, config, "replica-b")
            try:
                runs = wait_for_runs(a, 2, 4 * SLOT_S)
                self.check_each_slot_ran_once(runs)
                self.assertEqual(figures(self.check_metrics(a)), figures(self.check_metrics(b)))
                self.check_report(b, runs[0]["run_id"])
                # One replica dies without a word; the other keeps the schedule.
                a.stop(signal.SIGKILL)
                killed_at_us = time.time() * 1e6
                before = len(runs_listed(b))
                runs = wait_for_runs(b, before + 2, 4 * SLOT_S)
                later = [r for r in self.slots() if r[0] > killed_at_us]
                self.assertGreaterEqual(len(later), 1, "no slot after the kill: %s" % b.output())
                self.check_each_slot_ran_once(runs)
                self.check_metrics(b)
            finally:
                a.stop(signal.SIGKILL)
                self.assertEqual(b.stop(), 0, b.output())


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces)")
        sys.exit(77)
    unittest.main()
