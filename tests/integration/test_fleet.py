#!/usr/bin/env python3
"""Fleet mode's acceptance (issue 12): `pathpair serve` replicas on one database, running a
10 s schedule of paired tests between real pathpair-agents at the ends of a path of stock Linux
routers (tests/topo) that loses 30 % of the packets forward only.

  SqliteFleetTest    one replica on SQLite
  PostgresFleetTest  two replicas on a real PostgreSQL (tests/common/pg_server.py: initdb + pg_ctl
                     on a unix socket), then one of them killed with SIGKILL; a second pair besides: an
                     office agent behind an nftables masquerade that admits no inbound
                     connection, dialling out to one replica (NatSite), and a listening agent
                     `hq` (30 % of the office's outbound UDP/ICMP dropped by its NAT router)

Each checks: every slot ran once (one finished slot per run, one run per slot); every replica's
/metrics passes `promtool check metrics` and shows the pair's loss per direction (forward lost,
reverse clean); /runs lists the runs and /runs/RUN_ID serves the HTML report. SQLite: SIGHUP
with a bad config keeps the old one, with a good one takes it; SIGTERM mid-test stores the run
(partial) and exits 0. PostgreSQL: both replicas serve the same figures, and after one is killed
the other keeps the schedule.

Needs root (exit 77 otherwise). Environment: PATHPAIR_BIN, PATHPAIR_AGENT_BIN, PATHPAIR_TOPO_BIN.
"""
import calendar
import os
import random
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
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import agent_token  # noqa: E402
import nspath  # noqa: E402
import pg_server  # noqa: E402
from test_paired import AGENT, AGENT_PORT, PATHPAIR, start_agent  # noqa: E402
from test_paired_acceptance import LinuxPath  # noqa: E402

WAN_ROOT = "203.0.113.10"  # this (root) namespace on the NAT site's WAN: where replicas listen
WAN_HQ = "203.0.113.2"     # the listening agent
WAN_NAT = "203.0.113.1"    # the office's NAT router, public side
LAN_OFFICE = "192.168.50.2"
OFFICE_LOSS_PCT = 30       # dropped by the NAT router, office -> hq only (not TCP: gRPC)
SLOT_S = 10
LOSS_PCT = 30
# Short and fast: 5 rounds at 0.2 s, 300 one-way packets each way (5 ms apart).
OPTIONS = "-n -c 5 -i 0.2 --oneway-count 300"


def free_port_on(address):
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def free_port():
    return free_port_on("127.0.0.1")


def http_get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def sh(*argv):
    subprocess.run(argv, check=True, capture_output=True, timeout=30)


class NatSite:
    """An office behind a NAT router that admits no inbound connection (nftables masquerade,
    forward policy drop but for replies) and a listening agent `hq`, on a WAN that this
    namespace joins at WAN_ROOT:

        office (LAN_OFFICE) -- lan | nat (masquerade) | wan -- [bridge] -- hq (WAN_HQ)
                                                                  \-- root (WAN_ROOT)

    The office's agent dials out (pathpair-agent --controller); hq listens."""

    def __init__(self):
        tag = "%06x" % random.getrandbits(24)
        self.ns = {n: "fl%s%s" % (n, tag) for n in ("wan", "nat", "office", "hq")}
        self.root_link = "flr" + tag
        self.agents = []
        self.logs = []
        try:
            self._build(tag)
        except BaseException:
            self.close()
            raise

    def _build(self, tag):
        for ns in self.ns.values():
            sh("ip", "netns", "add", ns)
        wan, nat, office, hq = (self.ns[n] for n in ("wan", "nat", "office", "hq"))
        sh("ip", "-n", wan, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", wan, "link", "set", "br0", "up")

        def wan_port(peer_ns, peer_name, address):  # a veth from the bridge to peer_ns
            port = "p" + (peer_ns or peer_name)[:10]
            if peer_ns is None:
                sh("ip", "link", "add", peer_name, "type", "veth", "peer", "name", port,
                   "netns", wan)
                sh("ip", "addr", "add", address + "/24", "dev", peer_name)
                sh("ip", "link", "set", peer_name, "up")
            else:
                sh("ip", "-n", wan, "link", "add", port, "type", "veth", "peer", "name",
                   peer_name, "netns", peer_ns)
                sh("ip", "-n", peer_ns, "addr", "add", address + "/24", "dev", peer_name)
                sh("ip", "-n", peer_ns, "link", "set", peer_name, "up")
                sh("ip", "-n", peer_ns, "link", "set", "lo", "up")
            sh("ip", "-n", wan, "link", "set", port, "master", "br0")
            sh("ip", "-n", wan, "link", "set", port, "up")

        wan_port(None, self.root_link, WAN_ROOT)
        wan_port(hq, "wan", WAN_HQ)
        wan_port(nat, "wan", WAN_NAT)
        sh("ip", "-n", nat, "link", "add", "lan", "type", "veth", "peer", "name", "lan",
           "netns", office)
        sh("ip", "-n", nat, "addr", "add", "192.168.50.1/24", "dev", "lan")
        sh("ip", "-n", nat, "link", "set", "lan", "up")
        sh("ip", "-n", office, "addr", "add", LAN_OFFICE + "/24", "dev", "lan")
        sh("ip", "-n", office, "link", "set", "lan", "up")
        sh("ip", "-n", office, "link", "set", "lo", "up")
        sh("ip", "-n", office, "route", "add", "default", "via", "192.168.50.1")
        sh("ip", "netns", "exec", nat, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        rules = """
table ip nat {
  chain post {
    type nat hook postrouting priority 100; policy accept;
    oifname "wan" masquerade
  }
}
table ip filter {
  chain forward {
    type filter hook forward priority 0; policy drop;
    iifname "wan" ct state established,related accept
    iifname "lan" meta l4proto != tcp numgen random mod 100 < %d drop
    iifname "lan" accept
  }
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    iifname "lan" accept
    meta l4proto icmp accept
  }
}
""" % OFFICE_LOSS_PCT
        subprocess.run(["ip", "netns", "exec", nat, "nft", "-f", "-"], input=rules, text=True,
                       check=True, capture_output=True)

    def start_agent(self, name, args):
        log = tempfile.TemporaryFile()
        self.logs.append(log)
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns[name], AGENT] + args,
                                stdout=log, stderr=log)
        self.agents.append(proc)
        return proc

    def start_hq(self):
        log = tempfile.TemporaryFile()
        self.logs.append(log)
        self.agents.append(start_agent(self.ns["hq"], WAN_HQ, log))

    def close(self):
        nspath.stop_processes(self.agents, self.logs)
        subprocess.run(["ip", "link", "del", self.root_link], capture_output=True)
        for ns in self.ns.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def write_config(workdir, path, database, nat=None):
    config = os.path.join(workdir, "fleet.yaml")
    agents = """  - {name: client, address: "%s", target: %s}
  - {name: server, address: "%s", target: %s}
""" % (path.endpoint("client"), path.client_address, path.endpoint("server"), path.target)
    tests = """  - {between: [client, server], every: %ds, options: "%s"}
""" % (SLOT_S, OPTIONS)
    if nat is not None:
        agents += """  - {name: office, dial_in: true}
  - {name: hq, address: "%s:%d"}
""" % (WAN_HQ, AGENT_PORT)
        tests += """  - {between: [office, hq], every: %ds, options: "%s"}
""" % (SLOT_S, OPTIONS)
    with open(config, "w") as f:
        f.write("""database: "%s"
%ssecurity: {insecure: true, token_file: %s}
agents:
%stests:
%s""" % (database, "listen: %s:7500  # each replica: --listen\n" % WAN_ROOT if nat else "",
         agent_token.PATH, agents, tests))
    return config


class Replica:
    """One `pathpair serve` process with its own HTTP port, its log in the work directory."""

    def __init__(self, workdir, config, name, listen=None):
        self.name = name
        self.port = free_port()
        self.log_path = os.path.join(workdir, name + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [PATHPAIR, "serve", "--config", config, "--replica", name, "--http-listen",
             "127.0.0.1:%d" % self.port] + (["--listen", listen] if listen else []),
            stdout=self.log, stderr=self.log)
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


def wait_for_pairs(replica, wanted, timeout):
    """Waits until /runs holds `wanted[(client, server)]` complete runs of each pair; returns
    all runs."""
    deadline = time.monotonic() + timeout
    while True:
        runs = runs_listed(replica)
        got = {pair: sum(1 for r in runs if (r["client"], r["server"]) == pair and
                         r["status"] == "complete") for pair in wanted}
        if all(got[pair] >= n for pair, n in wanted.items()):
            return runs
        if time.monotonic() > deadline:
            raise AssertionError("runs by pair %s after %d s, wanted %s\n%s" % (
                got, timeout, wanted, replica.output()))
        time.sleep(0.5)


def wait_for_metric(replica, name, value, timeout, **labels):
    deadline = time.monotonic() + timeout
    while metric(http_get(replica.port, "/metrics")[1], name, **labels) != value:
        if time.monotonic() > deadline:
            raise AssertionError("%s%s never %s: %s" % (name, labels, value, replica.output()))
        time.sleep(0.2)


def wait_for_log(replica, text, timeout):
    deadline = time.monotonic() + timeout
    while text not in replica.output():
        if time.monotonic() > deadline:
            raise AssertionError("no %s in the log: %s" % (text, replica.output()))
        time.sleep(0.1)


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
    """Checks shared by both stores; subclasses provide slots() -> [(test_key, slot_start_us,
    run_id)] of finished slots."""

    def check_each_slot_ran_once(self, runs):
        slots = self.slots()
        run_ids = [r["run_id"] for r in runs]
        self.assertEqual(len(set(run_ids)), len(run_ids))
        slot_runs = [s[2] for s in slots]
        self.assertEqual(sorted(slot_runs), sorted(run_ids), "one finished slot per run")
        keys = [(s[0], s[1]) for s in slots]
        self.assertEqual(len(set(keys)), len(keys), "one run per slot")
        for _, start, _ in slots:
            self.assertEqual(start % (SLOT_S * 1_000_000), 0)

    def check_metrics(self, replica, pairs=(("client", "server", LOSS_PCT),)):
        # The figures are the latest run's: a run cut short (an agent busy or lost) may have
        # none; the next slot's run brings them back.
        deadline = time.monotonic() + 2 * SLOT_S
        while True:
            status, text = http_get(replica.port, "/metrics")
            if all(metric(text, "pathpair_path_loss_ratio", client=c, server=s,
                          direction=d) is not None
                   for c, s, _ in pairs for d in ("forward", "reverse")):
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(status, 200)
        runs_done = "\n".join(l for l in replica.output().splitlines() if "run_done" in l)
        check = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                               capture_output=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr + text)
        for client, server, loss_pct in pairs:
            forward = metric(text, "pathpair_path_loss_ratio", client=client, server=server,
                             direction="forward")
            reverse = metric(text, "pathpair_path_loss_ratio", client=client, server=server,
                             direction="reverse")
            self.assertIsNotNone(forward, text + runs_done)
            self.assertIsNotNone(reverse, text + runs_done)
            self.assertGreater(forward, loss_pct / 200.0, text)  # about loss_pct %
            self.assertLess(reverse, 0.05, text)
            self.assertIsNotNone(metric(text, "pathpair_path_delay_seconds", client=client,
                                        server=server, direction="forward"), text)
            self.assertIsNotNone(metric(text, "pathpair_test_verdict", client=client,
                                        server=server), text)
            self.assertGreaterEqual(metric(text, "pathpair_test_runs_total", client=client,
                                           server=server, status="complete") or 0, 1, text)
            self.assertEqual(metric(text, "pathpair_agent_connected", agent=server), 1, text)
        return text

    def check_same_figures(self, a, b, pairs):
        """Both replicas serve the same figures: a's scrapes before and after b's agree (no run
        ended in between), and b's is the same."""
        for _ in range(10):
            before = figures(self.check_metrics(a, pairs))
            other = figures(self.check_metrics(b, pairs))
            if figures(self.check_metrics(a, pairs)) == before:
                self.assertEqual(before, other)
                return
        self.fail("the figures never held still for three scrapes")

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
            return db.execute("SELECT test_key, slot_start_unix_us, run_id FROM slots "
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
                self.check_agent_down_then_back(replica, path)
                for run in runs:
                    self.assertEqual((run["client"], run["server"], run["status"]),
                                     ("client", "server", "complete"))
                self.check_reload(replica, config)
                self.check_stop_records_the_running_test(replica)
            finally:
                replica.stop(signal.SIGKILL)

    def check_agent_down_then_back(self, replica, path):
        """An agent that is down: its test's run is stored, not complete, with the reason in the
        log; once the agent is back, the test's next runs complete again."""
        server = path.agents[1]
        server.kill()
        server.wait()
        down_at = time.time()
        run = self.wait_for_run_after(replica, down_at, ("partial", "failed"))
        self.assertRegex(replica.output(),
                         r"event=run_done .*run=%s .*error=" % re.escape(run["run_id"]))
        path.start_agent("server")
        back_at = time.time()
        self.wait_for_run_after(replica, back_at, ("complete",))

    def wait_for_run_after(self, replica, after_unix_s, statuses):
        """The first listed run that started after `after_unix_s` with one of `statuses`."""
        deadline = time.monotonic() + 3 * SLOT_S
        while time.monotonic() < deadline:
            for run in runs_listed(replica):
                started = calendar.timegm(time.strptime(run["start"][:19], "%Y-%m-%dT%H:%M:%S"))
                if started >= after_unix_s and run["status"] in statuses:
                    return run
            time.sleep(0.5)
        raise AssertionError("no %s run after %s: %s\n%s" % (
            statuses, after_unix_s, runs_listed(replica), replica.output()))

    def check_reload(self, replica, config):
        """SIGHUP: a bad config is logged and the old one kept; a good one is taken."""
        with open(config) as f:
            good = f.read()
        with open(config, "w") as f:
            f.write(good.replace("tests:", "tests: [\n"))
        replica.proc.send_signal(signal.SIGHUP)
        wait_for_log(replica, "event=reload_failed", 10)
        self.assertIn("fleet.yaml:", replica.output())
        self.assertEqual(http_get(replica.port, "/healthz")[0], 200)
        with open(config, "w") as f:
            f.write(good.replace("-c 5", "-c 4"))
        replica.proc.send_signal(signal.SIGHUP)
        wait_for_log(replica, "event=config_reloaded", 10)

    def check_stop_records_the_running_test(self, replica):
        """SIGTERM while a test runs: the agents are told to stop, the run is stored (cut
        short) and serve exits 0."""
        # No run in progress (it would hold the next slot back), then 0.5 s into the next slot:
        # its test has started (-c 4 -i 0.2 lasts 1 s and more).
        deadline = time.monotonic() + 3 * SLOT_S
        while True:
            with sqlite3.connect(self.db_path) as db:
                (open_slots,) = db.execute(
                    "SELECT count(*) FROM slots WHERE finished_unix_us IS NULL").fetchone()
            now = time.time()
            if open_slots == 0 and now % SLOT_S < SLOT_S - 1:
                break
            self.assertLess(time.monotonic(), deadline, replica.output())
            time.sleep(0.1)
        slot_start = now - now % SLOT_S + SLOT_S
        time.sleep(slot_start + 0.5 - now)
        replica.proc.send_signal(signal.SIGTERM)
        self.assertEqual(replica.proc.wait(timeout=30), 0, replica.output())
        with sqlite3.connect(self.db_path) as db:
            new = db.execute("SELECT run_id, status FROM runs WHERE start_unix_us >= ?",
                             (int(slot_start * 1e6),)).fetchall()
        self.assertEqual(len(new), 1, replica.output())
        # Stopped before or after the first trace results: failed or partial, never complete.
        self.assertIn(new[0][1], ("partial", "failed"), replica.output())
        self.assertRegex(replica.output(), r"event=run_done .*interrupted")


class PostgresFleetTest(FleetChecks, unittest.TestCase):
    def slots(self):
        out = self.pg.psql("SELECT test_key, slot_start_unix_us, run_id FROM slots "
                           "WHERE finished_unix_us IS NOT NULL", database="fleet")
        return [(key, int(start), run_id) for key, start, run_id in
                (line.split("|") for line in out.splitlines() if line)]

    def test_two_replicas_then_one(self):
        pairs = (("client", "server", LOSS_PCT), ("office", "hq", OFFICE_LOSS_PCT))
        lossy = {"routers": 3, "losses": [{"router": 2, "direction": "DIRECTION_FORWARD",
                                           "percent": LOSS_PCT}]}
        with tempfile.TemporaryDirectory() as workdir, pg_server.PgServer() as pg, \
                LinuxPath(lossy) as path, NatSite() as site:
            self.pg = pg
            config = write_config(workdir, path, pg.create_database("fleet"), nat=site)
            port_a, port_b = free_port_on(WAN_ROOT), free_port_on(WAN_ROOT)
            b = Replica(workdir, config, "replica-b", listen="%s:%d" % (WAN_ROOT, port_b))
            site.start_hq()
            # The office dials replica-b, the one that stays: replica-a must leave the office's
            # tests to it (it never holds the office itself).
            site.start_agent("office", ["--controller", "%s:%d" % (WAN_ROOT, port_b), "--name",
                                        "office", "--insecure", "--token-file", agent_token.PATH,
                                        "--agent-token-file", agent_token.PATH])
            a = None
            try:
                wait_for_metric(b, "pathpair_agent_connected", 1, 20, agent="office")
                a = Replica(workdir, config, "replica-a", listen="%s:%d" % (WAN_ROOT, port_a))
                runs = wait_for_pairs(a, {("client", "server"): 2, ("office", "hq"): 2},
                                      5 * SLOT_S)
                self.check_each_slot_ran_once(runs)
                self.check_same_figures(a, b, pairs)
                # Not every run need be complete (the office's first slot may run before it
                # connected: failed, rightly); wait_for_pairs asked for two complete of each.
                self.check_report(b, runs[0]["run_id"])
                self.assertEqual(metric(http_get(a.port, "/metrics")[1],
                                        "pathpair_agent_connected", agent="office"), 1)
                # One replica dies without a word; the other keeps the schedule.
                a.stop(signal.SIGKILL)
                killed_at_us = time.time() * 1e6
                before = len(runs_listed(b))
                runs = wait_for_runs(b, before + 4, 4 * SLOT_S)
                later = [r for r in self.slots() if r[1] > killed_at_us]
                self.assertGreaterEqual(len(later), 2, "no slot after the kill: %s" % b.output())
                self.check_each_slot_ran_once(runs)
                self.check_metrics(b, pairs)
            finally:
                if a is not None:
                    a.stop(signal.SIGKILL)
                self.assertEqual(b.stop(), 0, b.output())


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces)")
        sys.exit(77)
    unittest.main()
