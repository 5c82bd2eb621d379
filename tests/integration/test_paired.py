#!/usr/bin/env python3
"""`pathpair test` end to end on the emulator (pathpair-netsim), as issue 5 asks.

Each test brings up a scenario with `pathpair-netsim up`, starts a pathpair-agent in the client
and the server namespace (--insecure with a token), and runs `pathpair test` from the root namespace over
the management links, with --target the server's path address. Needs root; exits 77 (skipped)
without it.

Environment: PATHPAIR_BIN, PATHPAIR_AGENT_BIN, NETSIM_BIN, NETSIM_SCENARIOS.
"""
import html.parser
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_token  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PATHPAIR = os.environ.get("PATHPAIR_BIN", "pathpair")
AGENT = os.environ.get("PATHPAIR_AGENT_BIN", "pathpair-agent")
NETSIM = os.environ.get("NETSIM_BIN", "pathpair-netsim")
SCENARIOS = os.environ.get("NETSIM_SCENARIOS", os.path.join(HERE, "..", "scenarios"))
AGENT_PORT = 8620
FAST = ["-n", "-i", "0.1"]


def scenario(name):
    return os.path.join(SCENARIOS, name + ".textproto")


def start_agent(namespace, address, log, extra_args=()):
    """pathpair-agent (plaintext with the tests' token, agent_token.py) in `namespace`, listening
    on AGENT_PORT, its output to `log`; returns its process once `address` (reachable from this
    namespace) accepts connections."""
    proc = subprocess.Popen(
        ["ip", "netns", "exec", namespace, AGENT, "--listen", "0.0.0.0:%d" % AGENT_PORT]
        + agent_token.AGENT_ARGS + list(extra_args), stdout=log, stderr=log)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection((address, AGENT_PORT), timeout=0.5).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError("agent exited: %s" % log.read().decode())
            time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise RuntimeError("agent in %s never listened" % namespace)


class Netsim:
    """`pathpair-netsim up` in the background, with both agents; torn down on exit."""

    def __init__(self, scenario_name, agent_args=None):
        self.name = "pq%06x" % random.getrandbits(24)  # "pq": this file's instances
        self.scenario = scenario(scenario_name)
        self.agent_args = agent_args or {}  # side -> extra pathpair-agent flags
        self.proc = None
        self.agents = {}
        self.logs = []
        self.env = {}

    def __enter__(self):
        self.proc = subprocess.Popen([NETSIM, "up", self.scenario, "--name", self.name],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                line = self.proc.stdout.readline()
                if not line:
                    raise RuntimeError("netsim exited: %s" % self.proc.stderr.read())
                key, _, value = line.strip().partition("=")
                self.env[key] = value
                if key == "NETSIM_READY":
                    break
            else:
                raise RuntimeError("netsim did not become ready")
            for side in ("client", "server"):
                self.start_agent(side)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def namespace(self, side):
        return self.env["NETSIM_CLIENT_NS" if side == "client" else "NETSIM_SERVER_NS"]

    def mgmt(self, side):
        return self.env["NETSIM_CLIENT_MGMT_IP" if side == "client" else "NETSIM_SERVER_MGMT_IP"]

    def endpoint(self, side):
        return "%s:%d" % (self.mgmt(side), AGENT_PORT)

    def start_agent(self, side):
        log = tempfile.TemporaryFile()
        self.logs.append(log)
        self.agents[side] = start_agent(self.namespace(side), self.mgmt(side), log,
                                        self.agent_args.get(side, []))

    def tx_packets(self, side):
        """Packets sent into the path by that namespace (its TUN device)."""
        out = subprocess.run(["ip", "netns", "exec", self.namespace(side), "cat",
                              "/sys/class/net/netsim0/statistics/tx_packets"],
                             capture_output=True, text=True).stdout
        return int(out.strip() or 0)

    def __exit__(self, *exc):
        for proc in self.agents.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.proc.stdout.close()
            self.proc.stderr.close()
        for log in self.logs:
            log.close()
        subprocess.run([NETSIM, "down", self.name], capture_output=True)
        return False


class BalancedHtml(html.parser.HTMLParser):
    """Collects the text and fails on an end tag that closes nothing open (void tags aside)."""
    VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr"}

    def __init__(self):
        super().__init__()
        self.open = []
        self.errors = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.errors.append("</%s> closes %s" % (tag, self.open[-1:] or "nothing"))
        else:
            self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_html_page(path):
    """(errors, text) of an HTML file: errors lists unbalanced tags and tags left open."""
    parser = BalancedHtml()
    with open(path, encoding="utf-8") as f:
        parser.feed(f.read())
    parser.close()
    return parser.errors + ["<%s> never closed" % t for t in parser.open], "".join(parser.text)


class PairedTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pp-paired-")
        self.db = os.path.join(self.tmp, "history.db")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def command(self, sim, *extra):
        return [PATHPAIR, "test", "--client", sim.endpoint("client"), "--server",
                sim.endpoint("server"), "--target", sim.env["NETSIM_SERVER_IP"],
                *agent_token.CONTROLLER_ARGS,
                "--json", "--history-db", self.db] + list(extra)

    def run_test(self, sim, *extra, expect_code=0):
        proc = subprocess.run(self.command(sim, *extra), capture_output=True, text=True,
                              timeout=120)
        self.assertEqual(proc.returncode, expect_code, proc.stderr)
        return json.loads(proc.stdout)

    def history(self):
        proc = subprocess.run([PATHPAIR, "history", "--json", "--history-db", self.db],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)

    @staticmethod
    def hosts(trace_json):
        return [hub["host"] for hub in trace_json["report"]["hubs"]]

    @staticmethod
    def has_diagnosis(report):
        return "verdict" in report["forward"]["report"]

    def test_reverse_loss_is_blamed_on_the_return_direction(self):
        with open(scenario("reverse_loss")) as f:
            configured = 100 * float(re.search(r"loss:\s*([0-9.]+)", f.read()).group(1))
        page = os.path.join(self.tmp, "report.html")
        with Netsim("reverse_loss") as sim:
            # A complete run exits with its verdict: 3, degraded (common/status/exit_codes.h).
            report = self.run_test(sim, *FAST, "-c", "20", "--html", page, expect_code=3)
        self.assertEqual(report["status"], "complete")
        # One verdict over both directions and the one-way results, stored and listed as is.
        self.assertEqual(report["verdict"], "degraded")
        self.assertEqual([r["verdict"] for r in self.history()], ["degraded"])
        # The HTML page: well formed, with both directions' hop lists.
        errors, text = parse_html_page(page)
        self.assertEqual(errors, [])
        for direction in ("forward", "reverse"):
            for host in self.hosts(report[direction]):
                if host != "???":
                    self.assertIn(host, text, direction)
        self.assertLess(report["start_skew_ms"], 50)
        self.assertEqual(report["client"]["address"], sim.env["NETSIM_CLIENT_IP"])  # Reflect
        oneway = report["oneway"]
        self.assertLess(oneway["forward"]["loss_pct"], 2, oneway)
        self.assertLessEqual(abs(oneway["reverse"]["loss_pct"] - configured), 7, oneway)
        # What a one-ended mtr shows: the client's own trace loses at its destination too.
        self.assertGreater(report["forward"]["report"]["hubs"][-1]["Loss%"], 0)
        self.assertTrue(self.has_diagnosis(report), report["forward"]["report"].keys())
        findings = [f for f in report["diagnosis"] if f["code"] == "LOSS_REVERSE_DIRECTION"]
        self.assertEqual(len(findings), 1, report["diagnosis"])
        self.assertEqual(findings[0]["direction"], "reverse")
        # The hop where loss starts in the reverse trace: every hop from there on lost probes.
        hubs = report["reverse"]["report"]["hubs"]
        start = None
        for hub in hubs:
            if hub["Loss%"] > 0:
                start = start or hub["count"]
            else:
                start = None
        self.assertEqual(findings[0]["hop"], start, hubs)
        self.assertFalse([f for f in report["diagnosis"] if f["code"] == "LOSS_FORWARD_DIRECTION"])

    def test_default_demo_path_is_healthy(self):
        """The demo's path (deploy/demo.sh): a steady 76 ms intercontinental link and nothing
        wrong is a long-distance link, not a fault, in both directions."""
        with Netsim("default") as sim:
            report = self.run_test(sim, *FAST, "-c", "10")  # exit 0: healthy
        self.assertEqual(report["status"], "complete")
        self.assertEqual(report["verdict"], "healthy", report["diagnosis"])
        codes = [f["code"] for f in report["diagnosis"]]
        self.assertNotIn("LATENCY_INCREASE", codes)
        long_links = [f for f in report["diagnosis"] if f["code"] == "LONG_DISTANCE_LINK"]
        self.assertEqual(sorted(f["direction"] for f in long_links), ["forward", "reverse"],
                         report["diagnosis"])
        for f in long_links:
            self.assertEqual(f["evidence"]["distance_checked"], "no")
        self.assertEqual([r["verdict"] for r in self.history()], ["healthy"])

    def test_asymmetric_and_symmetric_paths(self):
        with Netsim("asymmetric") as sim:
            asym = self.run_test(sim, *FAST, "-c", "5")
        with Netsim("healthy") as sim:
            sym = self.run_test(sim, *FAST, "-c", "5")
        self.assertFalse(asym["paths"]["symmetric"], asym["paths"])
        self.assertTrue(sym["paths"]["symmetric"], sym["paths"])
        self.assertTrue(self.has_diagnosis(asym), asym["forward"]["report"].keys())
        self.assertTrue(self.has_diagnosis(sym), sym["forward"]["report"].keys())
        self.assertEqual(sym["verdict"], "healthy")
        codes = lambda r: [f["code"] for f in r["diagnosis"]]
        self.assertIn("ASYMMETRIC_PATH", codes(asym))
        self.assertNotIn("ASYMMETRIC_PATH", codes(sym))

    def test_hop_lists_equal_mtr_in_each_namespace(self):
        with Netsim("asymmetric") as sim:
            report = self.run_test(sim, *FAST, "-c", "5")
            mtr = {}
            for side, target in (("client", sim.env["NETSIM_SERVER_IP"]),
                                 ("server", sim.env["NETSIM_CLIENT_IP"])):
                proc = subprocess.run(["ip", "netns", "exec", sim.namespace(side), "mtr", "-n",
                                       "-j", "-c", "5", "-i", "0.1", target],
                                      capture_output=True, text=True, timeout=60)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                mtr[side] = self.hosts(json.loads(proc.stdout))
        self.assertEqual(self.hosts(report["forward"]), mtr["client"])
        self.assertEqual(self.hosts(report["reverse"]), mtr["server"])
        self.assertNotEqual(mtr["client"][:-1], list(reversed(mtr["server"][:-1])))

    def test_killing_the_server_agent_gives_a_partial_result(self):
        with Netsim("healthy") as sim:
            proc = subprocess.Popen(self.command(sim, *FAST, "-c", "30"),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(1.5)
            sim.agents["server"].kill()
            out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 5, err)  # partial
        report = json.loads(out)
        self.assertEqual(report["status"], "partial")
        self.assertIsNotNone(report["forward"])
        self.assertEqual(report["forward"]["report"]["mtr"]["tests"], 30)
        self.assertTrue(report["forward"]["report"]["mtr"]["reached"])
        self.assertIsNotNone(report["server"]["error"])
        self.assertIsNone(report["client"]["error"])
        self.assertTrue(report["errors"])
        runs = self.history()
        self.assertEqual([r["run_id"] for r in runs], [report["run_id"]])
        self.assertEqual(runs[0]["status"], "partial")
        shown = subprocess.run([PATHPAIR, "show", "--json", "--history-db", self.db,
                                report["run_id"]], capture_output=True, text=True, timeout=30)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(json.loads(shown.stdout)["forward"], report["forward"])
        # diagnose (and show --diagnose-exit) exit as the test did: partial.
        for command in (["diagnose"], ["show", "--diagnose-exit"]):
            again = subprocess.run([PATHPAIR] + command + ["--history-db", self.db,
                                                           report["run_id"]],
                                   capture_output=True, text=True, timeout=30)
            self.assertEqual(again.returncode, 5, (command, again.stderr))

    def test_in_process_client_side(self):
        """Without --client the controller is the client end: run it inside the client
        namespace, reaching the server agent over the path itself."""
        with Netsim("reverse_loss") as sim:
            proc = subprocess.run(
                ["ip", "netns", "exec", sim.namespace("client"), PATHPAIR, "test", "--server",
                 "%s:%d" % (sim.env["NETSIM_SERVER_IP"], AGENT_PORT),
                 *agent_token.CONTROLLER_ARGS, "--json",
                 "--history-db", self.db] + FAST + ["-c", "10"],
                capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 3, proc.stderr)  # degraded: the reverse loss
        report = json.loads(proc.stdout)
        self.assertEqual(report["client"]["endpoint"], "local")
        self.assertEqual(report["client"]["address"], sim.env["NETSIM_CLIENT_IP"])
        self.assertEqual(report["forward"]["report"]["mtr"]["dst"], sim.env["NETSIM_SERVER_IP"])
        self.assertTrue(report["forward"]["report"]["mtr"]["reached"])
        self.assertTrue(report["reverse"]["report"]["mtr"]["reached"])
        self.assertLess(report["oneway"]["forward"]["loss_pct"], 2)
        self.assertGreater(report["oneway"]["reverse"]["loss_pct"], 10)

    def wait_quiet(self, sim, seconds):
        """Seconds until neither namespace sends a packet for 0.5 s (None: never)."""
        begin = time.monotonic()
        last = (sim.tx_packets("client"), sim.tx_packets("server"))
        while time.monotonic() - begin < seconds:
            time.sleep(0.5)
            now = (sim.tx_packets("client"), sim.tx_packets("server"))
            if now == last:
                return time.monotonic() - begin - 0.5
            last = now
        return None

    def test_ctrl_c_stops_both_agents_within_two_seconds(self):
        with Netsim("healthy") as sim:
            proc = subprocess.Popen(self.command(sim, *FAST, "-c", "200"),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(2.0)
            before = sim.tx_packets("server")
            time.sleep(0.3)
            self.assertGreater(sim.tx_packets("server"), before, "the server is not probing")
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=10)
            quiet_after = self.wait_quiet(sim, 5)
        self.assertEqual(proc.returncode, 130, err)
        report = json.loads(out)
        self.assertIsNotNone(report["forward"])
        self.assertIsNotNone(report["reverse"])
        self.assertIsNotNone(quiet_after, "probing never stopped")
        self.assertLess(quiet_after, 2.0)
        self.assertEqual(self.history()[0]["status"], "partial")

    def test_live_screen_shows_both_directions_and_q_stops_the_test(self):
        if not shutil.which("tmux"):
            self.skipTest("tmux is not installed")
        socket_name = "pp%04x-ptest" % random.randrange(0x10000)
        done_file = os.path.join(self.tmp, "exit-code")
        tmux = lambda *a: subprocess.run(["tmux", "-L", socket_name] + list(a),
                                         capture_output=True, text=True, timeout=10)
        with Netsim("healthy") as sim:
            command = ([PATHPAIR, "test", "--client", sim.endpoint("client"), "--server",
                        sim.endpoint("server"), "--target", sim.env["NETSIM_SERVER_IP"],
                        *agent_token.CONTROLLER_ARGS, "--history-db", self.db]
                       + FAST + ["-c", "300"])
            shell = "%s; echo $? > %s; sleep 30" % (
                " ".join("'%s'" % c for c in command), done_file)
            try:
                started = tmux("new-session", "-d", "-x", "140", "-y", "50", shell)
                self.assertEqual(started.returncode, 0, started.stderr)
                screen, deadline = "", time.monotonic() + 8
                while time.monotonic() < deadline:
                    screen = tmux("capture-pane", "-p").stdout
                    if ("forward: client -> " in screen and "reverse: server -> " in screen
                            and sim.env["NETSIM_SERVER_IP"] in screen):
                        break
                    time.sleep(0.2)
                self.assertIn("forward: client -> ", screen)
                self.assertIn("reverse: server -> ", screen)
                tmux("send-keys", "q")
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and not os.path.exists(done_file):
                    time.sleep(0.2)
                self.assertTrue(os.path.exists(done_file), "q did not end the test")
                time.sleep(0.3)
                with open(done_file) as f:
                    code = int(f.read().strip() or "-1")
                self.assertEqual(code, 130)  # stopped early, as with Ctrl-C
                self.assertEqual(tmux("display-message", "-p", "#{alternate_on}").stdout.strip(),
                                 "0", "the terminal was not restored")
                after = tmux("capture-pane", "-p", "-S", "-200").stdout
                self.assertIn("stored as", after)  # then the merged text report, as without a TTY
            finally:
                tmux("kill-server")
        self.assertEqual(self.history()[0]["status"], "partial")

    def test_sigkill_of_the_controller_stops_probing_within_the_lease(self):
        with Netsim("healthy") as sim:
            proc = subprocess.Popen(self.command(sim, *FAST, "-c", "400"),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(2.0)
            proc.kill()
            proc.wait()
            quiet_after = self.wait_quiet(sim, 15)
        self.assertIsNotNone(quiet_after, "probing went on past the lease")
        self.assertLess(quiet_after, 11.0)  # the controller asks for a 10 s lease


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces)")
        sys.exit(77)
    unittest.main()
