#!/usr/bin/env python3
"""Issue 9's acceptance of `pathpair test`, on the emulator and on stock Linux routers.

Each case runs the real `pathpair test` (from the root namespace, over management links) between
two real pathpair-agents at the ends of a path, and checks the paired JSON report:

  loss only on the way back        LOSS_REVERSE_DIRECTION and nothing forward (and the mirror)
  25 ms added only on the way back LATENCY_ON_RETURN_PATH, one-way delays 25 +- 10 ms apart
                                   (and the mirror, LATENCY_ON_FORWARD_PATH)
  kernel-default ICMP limits       per-hop loss like mtr's in ICMP, UDP and TCP mode at -i 0.2
                                   and 30 rounds, both directions, and the verdict healthy
  the demo's long-haul path        healthy, the steady step a LONG_DISTANCE_LINK both ways
  symmetric / detour (emulator)    no ASYMMETRIC_PATH / ASYMMETRIC_PATH naming the detour router

Two backends, one ctest each:
  * EmulatorAcceptanceTest: pathpair-netsim scenarios (tests/scenarios; linux_icmp_limits from
    tests/integration/scenarios). Cases the older tests already hold on the emulator are not
    repeated: reverse loss and the demo path (test_paired.py), latency by direction
    (test_paired_clock.py).
  * LinuxAcceptanceTest: chains of stock Linux routers (tests/topo: kernel forwarding and ICMP,
    an address per interface; nftables drops for loss, netsim pass-through wires for delay).
    Symmetric and detour chains are test_aliases.py's.
The cases of a backend run in parallel (PARALLEL at a time) in setUpClass; every check then reads
its case's result. Under default ICMP limits each mode has its own path; on it `pathpair test`
runs first, then (PAUSE_S later, the routers' token buckets full again) real mtr from both ends
at once, as the paired run's two traces do. Each hop's loss is compared with mtr's by a
two-proportion z test at SIGNIFICANCE (hops x directions x modes comparisons).

Needs root (exit 77 otherwise). Environment: PATHPAIR_BIN, PATHPAIR_AGENT_BIN, NETSIM_BIN,
NETSIM_SCENARIOS, PATHPAIR_TOPO_BIN.
"""
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "topo"))
import agent_token  # noqa: E402
import nspath  # noqa: E402
import binomial  # noqa: E402
from oneway_clock_checks import assert_latency_direction, findings, oneway_figures  # noqa: E402
from test_paired import AGENT_PORT, PATHPAIR, Netsim, scenario, start_agent  # noqa: E402

PARALLEL = int(os.environ.get("ACCEPTANCE_PARALLEL", "3"))
FAST = ["-n", "-i", "0.1", "-c", "30"]
# Under default ICMP limits: mtr's pace, long enough for the buckets (burst 6, 1/s) to show.
LIMITS_RUN = ["-n", "-i", "0.2", "-c", "30", "-Z", "1", "-G", "1"]
# TCP probes go to the agents' own port: both ends listen there.
MODES = {"icmp": [], "udp": ["-u"], "tcp": ["-T", "-P", str(AGENT_PORT)]}
PAUSE_S = 8
SIGNIFICANCE = 0.001
MIN_LIMITED_LOSS = 30.0  # mtr must see the limits at work, or the comparison proves nothing
LOSS_PCT = 20
DELAY_MS = 25
VERDICT_EXIT = {"healthy": 0, "degraded": 3, "broken": 4}


class LinuxPath:
    """A chain of stock Linux routers (tests/topo) with management links and a pathpair-agent
    at each end; the same face as test_paired.Netsim (namespace, endpoint, target)."""

    def __init__(self, chain, icmp_limits_off=True):
        import topo  # tests/topo; imported here so that the emulator tests run without it
        spec = {"chain": dict(chain, management=True)}
        if icmp_limits_off:
            spec["icmp_rate_limits"] = "ICMP_RATE_LIMITS_OFF"
        self.topology = topo.Topology(spec)
        self.agents = []
        self.logs = []
        try:
            for side in ("client", "server"):
                self.start_agent(side)
        except BaseException:
            self.close()
            raise

    def namespace(self, side):
        return self.topology.namespace(side)

    def endpoint(self, side):
        return "%s:%d" % (self.topology.management(side)["address"], AGENT_PORT)

    @property
    def target(self):
        return self.topology.chain["server"]["ipv4"]

    @property
    def client_address(self):
        return self.topology.chain["client"]["ipv4"]

    def start_agent(self, side):
        log = tempfile.TemporaryFile()
        self.logs.append(log)
        self.agents.append(start_agent(self.namespace(side),
                                       self.topology.management(side)["address"], log))

    def close(self):
        nspath.stop_processes(self.agents, self.logs)
        self.topology.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class EmulatedPath(Netsim):
    """test_paired.Netsim with a scenario file from anywhere, and LinuxPath's names."""

    def __init__(self, scenario_file):
        super().__init__("healthy")
        self.scenario = scenario_file

    @property
    def target(self):
        return self.env["NETSIM_SERVER_IP"]

    @property
    def client_address(self):
        return self.env["NETSIM_CLIENT_IP"]


def run_pathpair_test(path, workdir, name, flags):
    """`pathpair test --json` between the path's agents: (exit code, report or None, stderr)."""
    command = [PATHPAIR, "test", "--client", path.endpoint("client"), "--server",
               path.endpoint("server"), "--target", path.target, *agent_token.CONTROLLER_ARGS, "--json",
               "--history-db", os.path.join(workdir, name + ".db")] + flags
    proc = subprocess.run(command, capture_output=True, text=True, timeout=180)
    report = json.loads(proc.stdout) if proc.returncode in VERDICT_EXIT.values() else None
    return proc.returncode, report, proc.stderr


def run_mtr_both_ways(path, flags):
    """Real mtr -j from the client to the server and from the server to the client, at once:
    {"forward": hubs, "reverse": hubs}."""
    procs = {}
    for direction, side, target in (("forward", "client", path.target),
                                    ("reverse", "server", path.client_address)):
        procs[direction] = subprocess.Popen(
            ["ip", "netns", "exec", path.namespace(side), "mtr", "-j"] + flags + [target],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = {}
    for direction, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        if proc.returncode != 0:
            raise RuntimeError("mtr (%s) failed: %s" % (direction, stderr))
        out[direction] = json.loads(stdout)["report"]["hubs"]
    return out


def run_case(make_path, workdir, name, flags, with_mtr=False):
    """One case on a fresh path: {"rc", "report", "stderr", "mtr"}."""
    result = {"rc": -1, "report": None, "stderr": "", "mtr": None}
    with make_path() as path:
        result["rc"], result["report"], result["stderr"] = run_pathpair_test(
            path, workdir, name, flags)
        if with_mtr:
            time.sleep(PAUSE_S)
            result["mtr"] = run_mtr_both_ways(path, flags)
    return result


def run_all(cases):
    """{name: result} of every case (name -> (make_path, flags, with_mtr)), PARALLEL at a time."""
    workdir = tempfile.mkdtemp(prefix="pp-accept-")
    results = {}
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            futures = {pool.submit(run_case, make, workdir, name, flags, mtr): name
                       for name, (make, flags, mtr) in cases.items()}
            for future in concurrent.futures.as_completed(futures):
                try:
                    results[futures[future]] = future.result()
                except Exception as e:  # one broken case fails its tests, not the others
                    results[futures[future]] = {"rc": -1, "report": None, "stderr": repr(e),
                                                "mtr": None}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def codes(report):
    return [f["code"] for f in report["diagnosis"]]


def summary_line(name, result):
    report = result["report"]
    if report is None:
        return "%s: no report (exit %d): %s" % (name, result["rc"], result["stderr"][-300:])
    oneway = report.get("oneway") or {}
    figures = ""
    if oneway.get("forward") and oneway.get("reverse"):
        f = oneway_figures(report)
        figures = " one-way loss %.1f%%/%.1f%% delay %.2f/%.2f ms (back - out %.2f)" % (
            oneway["forward"]["loss_pct"], oneway["reverse"]["loss_pct"], f["forward_ms"],
            f["reverse_ms"], f["difference_ms"])
    return "%s: %s%s %s" % (name, report["verdict"], figures, sorted(set(codes(report))))


class AcceptanceChecks:
    """The checks, whichever backend built the path. Subclasses set CASES in setUpClass."""
    RESULTS = {}

    @classmethod
    def print_summary(cls):
        print("", file=sys.stderr)
        for name in sorted(cls.RESULTS):
            print(summary_line(name, cls.RESULTS[name]), file=sys.stderr)
            mtr = cls.RESULTS[name]["mtr"]
            report = cls.RESULTS[name]["report"]
            if mtr and report:
                for direction in ("forward", "reverse"):
                    ours = [h["Loss%"] for h in report[direction]["report"]["hubs"]]
                    theirs = [h["Loss%"] for h in mtr[direction]]
                    print("  %s loss%% per hop: pathpair %s, mtr %s" % (direction, ours, theirs),
                          file=sys.stderr)

    def report(self, name):
        result = self.RESULTS[name]
        self.assertIsNotNone(result["report"], result["stderr"])
        self.assertEqual(result["report"]["status"], "complete")
        # `pathpair test` exits with its verdict.
        self.assertEqual(result["rc"], VERDICT_EXIT[result["report"]["verdict"]],
                         result["stderr"])
        return result["report"]

    def check_loss_in_one_direction(self, name, direction):
        report = self.report(name)
        lossy, clean = ("reverse", "forward") if direction == "reverse" else ("forward", "reverse")
        oneway = report["oneway"]
        self.assertLessEqual(abs(oneway[lossy]["loss_pct"] - self.CONFIGURED_LOSS[name]), 10,
                             oneway)
        self.assertLess(oneway[clean]["loss_pct"], 2, oneway)
        named = "LOSS_%s_DIRECTION" % lossy.upper()
        other = "LOSS_%s_DIRECTION" % clean.upper()
        self.assertEqual(len(findings(report, named)), 1, report["diagnosis"])
        self.assertEqual(findings(report, other), [], report["diagnosis"])
        self.assertEqual(findings(report, "LOSS_BOTH_DIRECTIONS"), [], report["diagnosis"])
        self.assertEqual(findings(report, named)[0]["direction"], lossy)
        # Nothing on the clean direction: no finding above info names it.
        for finding in report["diagnosis"]:
            if finding["direction"] == clean and finding["severity"] != "info":
                self.fail("a %s on the clean %s direction: %s" % (finding["severity"], clean,
                                                                 finding))
        self.assertEqual(report["verdict"], "degraded")
        # The path is symmetric: answers lost on the lossy way back must not make a router look
        # a hop further away (alias distances) and so like a detour.
        self.assertNotIn("ASYMMETRIC_PATH", codes(report))

    def check_default_limits(self, mode):
        name = "limits_" + mode
        report = self.report(name)
        self.assertEqual(report["verdict"], "healthy", report["diagnosis"])
        mtr = self.RESULTS[name]["mtr"]
        self.assertIsNotNone(mtr)
        lines = []
        for direction in ("forward", "reverse"):
            ours = report[direction]["report"]["hubs"]
            theirs = mtr[direction]
            # The hop lists equal mtr's in each direction.
            self.assertEqual([h["host"] for h in ours], [h["host"] for h in theirs], direction)
            for hop, (a, b) in enumerate(zip(ours, theirs), start=1):
                lost_a, lost_b = round(a["Loss%"] * a["Snt"] / 100), round(b["Loss%"] * b["Snt"] / 100)
                p = binomial.two_proportion_p_value(lost_a, a["Snt"], lost_b, b["Snt"])
                lines.append("%s hop %d: pathpair %d/%d lost, mtr %d/%d, p=%.3f" % (
                    direction, hop, lost_a, a["Snt"], lost_b, b["Snt"], p))
                self.assertGreater(p, SIGNIFICANCE, "\n".join(lines))
            routers = theirs[:-1]
            self.assertGreaterEqual(max(h["Loss%"] for h in routers), MIN_LIMITED_LOSS,
                                    "the routers' ICMP limits are not at work: %s" % theirs)
        print("\n%s %s:\n  %s" % (type(self).__name__, mode, "\n  ".join(lines)),
              file=sys.stderr)
        if mode == "udp":
            # Both ends ration their port unreachables like the routers: every hop, the
            # destination included, loses alike, and the one-way packets (none lost) show that
            # the path does not lose them.
            for direction in ("forward", "reverse"):
                self.assertGreaterEqual(report[direction]["report"]["hubs"][-1]["Loss%"],
                                        MIN_LIMITED_LOSS, direction)
            rationed = [f for f in findings(report, "DEST_ICMP_RATE_LIMITED")
                        if f["severity"] == "info" and "cross_check" in f["evidence"]]
            self.assertEqual(sorted(f["direction"] for f in rationed), ["forward", "reverse"],
                             report["diagnosis"])


def latency_and_loss_checks(cls):
    """Adds the loss and latency tests that both backends share."""

    def test_loss_only_on_the_way_back(self):
        self.check_loss_in_one_direction("reverse_loss", "reverse")

    def test_loss_only_on_the_way_out(self):
        self.check_loss_in_one_direction("forward_loss", "forward")

    def test_default_icmp_limits_icmp(self):
        self.check_default_limits("icmp")

    def test_default_icmp_limits_udp(self):
        self.check_default_limits("udp")

    def test_default_icmp_limits_tcp(self):
        self.check_default_limits("tcp")

    for f in (test_loss_only_on_the_way_back, test_loss_only_on_the_way_out,
              test_default_icmp_limits_icmp, test_default_icmp_limits_udp,
              test_default_icmp_limits_tcp):
        setattr(cls, f.__name__, f)
    return cls


@latency_and_loss_checks
class EmulatorAcceptanceTest(AcceptanceChecks, unittest.TestCase):
    CONFIGURED_LOSS = {"reverse_loss": 20, "forward_loss": 25}  # the scenarios' figures

    @classmethod
    def setUpClass(cls):
        limits = os.path.join(HERE, "scenarios", "linux_icmp_limits.textproto")
        cases = {
            "reverse_loss": (lambda: EmulatedPath(scenario("reverse_loss")), FAST, False),
            "forward_loss": (lambda: EmulatedPath(scenario("forward_loss")), FAST, False),
            "symmetric": (lambda: EmulatedPath(scenario("symmetric_interfaces")), FAST, False),
            "detour": (lambda: EmulatedPath(scenario("detour_return")), FAST, False),
        }
        for mode, flags in MODES.items():
            cases["limits_" + mode] = (lambda: EmulatedPath(limits), LIMITS_RUN + flags, True)
        cls.RESULTS = run_all(cases)
        cls.print_summary()

    def test_symmetric_path_with_per_interface_addresses(self):
        report = self.report("symmetric")
        self.assertTrue(report["paths"]["symmetric"], report["paths"])
        self.assertNotIn("ASYMMETRIC_PATH", codes(report))
        self.assertEqual(report["verdict"], "healthy", report["diagnosis"])

    def test_detour_router_on_the_way_back(self):
        report = self.report("detour")
        self.assertFalse(report["paths"]["symmetric"], report["paths"])
        [finding] = findings(report, "ASYMMETRIC_PATH")
        self.assertIn("203.0.113.70", finding["summary"])  # d1, as the server's trace shows it


@latency_and_loss_checks
class LinuxAcceptanceTest(AcceptanceChecks, unittest.TestCase):
    CONFIGURED_LOSS = {"reverse_loss": LOSS_PCT, "forward_loss": LOSS_PCT}

    @classmethod
    def setUpClass(cls):
        def chain(**extra):
            return dict({"routers": 3}, **extra)

        def loss(direction):
            return chain(losses=[{"router": 2, "direction": direction, "percent": LOSS_PCT}])

        def delay(direction):
            return chain(wires=[{"link": 2, direction: {"delay_ms": DELAY_MS}}])

        # The demo's default path in small: a steady 38 ms each way (a 76 ms round trip) on one
        # link, a little jitter, nothing wrong.
        long_haul = {"routers": 4, "wires": [{"link": 2, "forward": {
            "delay_ms": 38, "jitter": {"distribution": "JITTER_UNIFORM", "mean_ms": 0.2}},
            "reverse": {"delay_ms": 38, "jitter": {"distribution": "JITTER_UNIFORM",
                                                   "mean_ms": 0.2}}}]}
        cases = {
            "reverse_loss": (lambda: LinuxPath(loss("DIRECTION_REVERSE")), FAST, False),
            "forward_loss": (lambda: LinuxPath(loss("DIRECTION_FORWARD")), FAST, False),
            "return_latency": (lambda: LinuxPath(delay("reverse")), FAST, False),
            "forward_latency": (lambda: LinuxPath(delay("forward")), FAST, False),
            "long_haul": (lambda: LinuxPath(long_haul), ["-n", "-i", "0.1", "-c", "20"], False),
        }
        for mode, flags in MODES.items():
            cases["limits_" + mode] = (
                lambda: LinuxPath({"routers": 4}, icmp_limits_off=False), LIMITS_RUN + flags,
                True)
        cls.RESULTS = run_all(cases)
        cls.print_summary()

    def test_latency_only_on_the_way_back(self):
        report = self.report("return_latency")
        self.assertEqual(oneway_figures(report)["method"], ("same_host", "same_host"))
        assert_latency_direction(self, report, "return", expected_ms=DELAY_MS, tolerance_ms=10)
        self.assertNotIn("ASYMMETRIC_PATH", codes(report))

    def test_latency_only_on_the_way_out(self):
        report = self.report("forward_latency")
        assert_latency_direction(self, report, "forward", expected_ms=DELAY_MS, tolerance_ms=10)
        self.assertNotIn("ASYMMETRIC_PATH", codes(report))

    def test_long_haul_path_is_healthy(self):
        report = self.report("long_haul")
        self.assertEqual(report["verdict"], "healthy", report["diagnosis"])
        self.assertNotIn("LATENCY_INCREASE", codes(report))
        long_links = findings(report, "LONG_DISTANCE_LINK")
        self.assertEqual(sorted(f["direction"] for f in long_links), ["forward", "reverse"],
                         report["diagnosis"])
        self.assertNotIn("ASYMMETRIC_PATH", codes(report))


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces)")
        sys.exit(77)
    unittest.main()
