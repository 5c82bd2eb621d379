#!/usr/bin/env python3
"""One-way delay by clock method and latency by direction, end to end on the emulator (issue 9
items 1, 2 and the clock part of 4).

Two pathpair-agents run in the client and server namespaces of one pathpair-netsim instance, so
they share one kernel clock. The agents' test-only clock flags (--test-boot-id,
--test-clock-synchronized, --test-clock-esterror-us, --test-clock-offset-ms) make them look
like two hosts with other clocks, so that every clock method is exercised:
  * same_host (the real boot ids): 29 ms added on the way back only (return_latency) gives
    LATENCY_ON_RETURN_PATH with one-way delays 25 +- 10 ms apart; the mirror (forward_latency)
    gives LATENCY_ON_FORWARD_PATH; the in-process client end (no --client) reports its clock too;
  * synchronized (fake boot ids, both "synchronised" within 500 us): raw stamps are trusted, so a
    5 ms offset injected on the server shows in the delays as it would if it were real (this
    fails if the controller used the estimate instead);
  * estimated (fake boot ids, unsynchronised, the server's clock a second off): the exchange's
    offset estimate removes the second but splits the 29 ms asymmetry evenly, so no direction is
    named, the step is "unplaced" and the reports say why and what fixes it.
The checks (oneway_clock_checks.py) take only agent flags and reports, for reuse on real routers.

Needs root (exit 77 otherwise). Environment: as test_paired.py.
"""
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from oneway_clock_checks import (agent_clock_flags, assert_latency_direction, findings,
                                 latency_step_directions, oneway_figures, scenario_one_way_ms)
import agent_token
from test_paired import AGENT_PORT, FAST, PATHPAIR, Netsim, scenario

ROUNDS = ["-c", "10"]
BOOT_A = "fake-client-host"
BOOT_B = "fake-server-host"

# name -> (scenario, agent flags per side, extra: "local" runs the client end in-process)
RUNS = {
    "same_host_return": ("return_latency", {}, None),
    "same_host_forward": ("forward_latency", {}, None),
    "same_host_local": ("return_latency", {}, "local"),
    "synchronized": ("return_latency", {
        "client": agent_clock_flags(boot_id=BOOT_A, synchronized=True, esterror_us=500),
        "server": agent_clock_flags(boot_id=BOOT_B, synchronized=True, esterror_us=500,
                                    offset_ms=5),
    }, None),
    "estimated": ("return_latency", {
        "client": agent_clock_flags(boot_id=BOOT_A, synchronized=False),
        "server": agent_clock_flags(boot_id=BOOT_B, synchronized=False, offset_ms=1000),
    }, None),
}


def run_one(name, workdir):
    """One `pathpair test` in a fresh emulator instance: its JSON report, its text report
    (`pathpair show`) and its HTML page."""
    scenario_name, agent_args, mode = RUNS[name]
    db = os.path.join(workdir, name + ".db")
    page = os.path.join(workdir, name + ".html")
    with Netsim(scenario_name, agent_args=agent_args) as sim:
        if mode == "local":
            command = ["ip", "netns", "exec", sim.namespace("client"), PATHPAIR, "test",
                       "--server", "%s:%d" % (sim.env["NETSIM_SERVER_IP"], AGENT_PORT)]
        else:
            command = [PATHPAIR, "test", "--client", sim.endpoint("client"), "--server",
                       sim.endpoint("server"), "--target", sim.env["NETSIM_SERVER_IP"]]
        command += agent_token.CONTROLLER_ARGS + ["--json", "--history-db", db, "--html", page]
        command += FAST + ROUNDS
        proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
    result = {"rc": proc.returncode, "stderr": proc.stderr, "report": None, "text": "",
              "html": ""}
    # `pathpair test` exits with its verdict: 0 healthy, 3 degraded, 4 broken; anything else
    # means it did not produce a report.
    if proc.returncode not in (0, 3, 4):
        return result
    result["report"] = json.loads(proc.stdout)
    shown = subprocess.run([PATHPAIR, "show", "-n", "--history-db", db,
                            result["report"]["run_id"]], capture_output=True, text=True,
                           timeout=30)
    result["text"] = shown.stdout + shown.stderr
    with open(page, encoding="utf-8") as f:
        result["html"] = f.read()
    return result


RESULTS = {}
WORKDIR = None


def setUpModule():
    global WORKDIR
    WORKDIR = tempfile.mkdtemp(prefix="pp-clock-")
    # Two emulator instances at a time: the machine has two cores.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {pool.submit(run_one, name, WORKDIR): name for name in RUNS}
        for future in concurrent.futures.as_completed(futures):
            try:
                RESULTS[futures[future]] = future.result()
            except Exception as e:  # one broken run fails its test, not the others
                RESULTS[futures[future]] = {"rc": -1, "stderr": repr(e), "report": None}
    print("\nclock method | forward ms | reverse ms | reverse - forward | error ms | findings",
          file=sys.stderr)
    for name in RUNS:
        r = RESULTS[name]
        if not r["report"]:
            print("%s: failed: %s" % (name, r["stderr"][-300:]), file=sys.stderr)
            continue
        f = oneway_figures(r["report"])
        codes = sorted({x["code"] for x in r["report"]["diagnosis"]})
        print("%s: %s | %.2f | %.2f | %.2f | %s | %s" % (
            name, f["method"][0], f["forward_ms"], f["reverse_ms"], f["difference_ms"],
            f["error_ms"], ",".join(codes)), file=sys.stderr)


def tearDownModule():
    if WORKDIR:
        shutil.rmtree(WORKDIR, ignore_errors=True)


class PairedClockTest(unittest.TestCase):
    def report(self, name):
        r = RESULTS[name]
        self.assertIsNotNone(r["report"], r["stderr"])
        # `pathpair test` exits with its verdict (0 healthy, 3 degraded, 4 broken).
        verdict_rc = {"healthy": 0, "degraded": 3, "broken": 4}
        self.assertEqual(r["rc"], verdict_rc[r["report"]["verdict"]], r["stderr"])
        return r["report"]

    def test_same_host_places_latency_on_the_return_path(self):
        report = self.report("same_host_return")
        out_ms, back_ms = scenario_one_way_ms(scenario("return_latency"))
        figures = oneway_figures(report)
        self.assertEqual(figures["method"], ("same_host", "same_host"))
        self.assertEqual(figures["error_ms"], (0.001, 0.001))
        assert_latency_direction(self, report, "return", expected_ms=25, tolerance_ms=10)
        # And close to what the scenario configures (29 ms): one clock, nothing split.
        self.assertLess(abs(figures["difference_ms"] - (back_ms - out_ms)), 2, figures)
        self.assertLess(abs(figures["forward_ms"] - out_ms), 2, figures)
        self.assertIn("Clocks: one host", RESULTS["same_host_return"]["text"])
        self.assertIn("LATENCY_ON_RETURN_PATH", RESULTS["same_host_return"]["text"])
        self.assertIn("return", latency_step_directions(report))

    def test_same_host_places_latency_on_the_forward_path(self):
        report = self.report("same_host_forward")
        out_ms, back_ms = scenario_one_way_ms(scenario("forward_latency"))
        figures = oneway_figures(report)
        self.assertEqual(figures["method"], ("same_host", "same_host"))
        assert_latency_direction(self, report, "forward", expected_ms=25, tolerance_ms=10)
        self.assertLess(abs(-figures["difference_ms"] - (out_ms - back_ms)), 2, figures)
        self.assertIn("forward", latency_step_directions(report))

    def test_in_process_client_end_reports_its_clock(self):
        report = self.report("same_host_local")
        self.assertEqual(report["client"]["endpoint"], "local")
        self.assertEqual(report["client"]["clock"]["boot_id"],
                         report["server"]["clock"]["boot_id"])
        self.assertEqual(oneway_figures(report)["method"], ("same_host", "same_host"))
        assert_latency_direction(self, report, "return", expected_ms=25, tolerance_ms=10)

    def test_synchronized_clocks_use_raw_stamps(self):
        report = self.report("synchronized")
        out_ms, back_ms = scenario_one_way_ms(scenario("return_latency"))
        figures = oneway_figures(report)
        self.assertEqual(figures["method"], ("synchronized", "synchronized"))
        self.assertEqual(figures["error_ms"], (1.0, 1.0))  # 500 + 500 us
        self.assertEqual(report["server"]["clock"]["boot_id"], BOOT_B)
        self.assertTrue(report["server"]["clock"]["synchronized"])
        # The server's stamps run 5 ms ahead: the raw method carries that into the delays, as
        # it would a real offset the clocks did not admit to (the estimate would not).
        self.assertLess(abs(figures["forward_ms"] - (out_ms + 5)), 2, figures)
        self.assertLess(abs(figures["reverse_ms"] - (back_ms - 5)), 2, figures)
        assert_latency_direction(self, report, "return", expected_ms=back_ms - out_ms - 10,
                                 tolerance_ms=2)
        self.assertIn("synchronised", RESULTS["synchronized"]["text"])

    def test_estimated_offset_cannot_place_a_constant_asymmetry(self):
        report = self.report("estimated")
        out_ms, back_ms = scenario_one_way_ms(scenario("return_latency"))
        figures = oneway_figures(report)
        self.assertEqual(figures["method"], ("estimated", "estimated"))
        half_rtt = (out_ms + back_ms) / 2
        for error in figures["error_ms"]:
            self.assertLess(abs(error - half_rtt), 3, figures)
        # The second of clock offset is gone, and so is the asymmetry: split evenly.
        for delay in (figures["forward_ms"], figures["reverse_ms"]):
            self.assertLess(abs(delay - half_rtt), 3, figures)
        self.assertLess(abs(figures["difference_ms"]), sum(figures["error_ms"]), figures)
        self.assertEqual(findings(report, "LATENCY_ON_RETURN_PATH"), [], report["diagnosis"])
        self.assertEqual(findings(report, "LATENCY_ON_FORWARD_PATH"), [], report["diagnosis"])
        self.assertNotIn("return", latency_step_directions(report))
        self.assertNotIn("forward", latency_step_directions(report))
        for words in (RESULTS["estimated"]["text"], RESULTS["estimated"]["html"]):
            self.assertIn("cannot be placed", words)
            self.assertIn("NTP, chrony or PTP", words)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces)")
        sys.exit(77)
    unittest.main()
