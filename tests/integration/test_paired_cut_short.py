#!/usr/bin/env python3
"""`pathpair test` cut short on a lossy emulated path (issue 15), with the emulator and agents
of test_paired.py.

- Ctrl-C after a few seconds: exit 130, a partial run whose report shows the loss both ways in
  the traces and keeps the one-way packets received until then (they used to be thrown away),
  each direction marked incomplete, and the traces marked interrupted.
- The server agent killed mid-test: exit 5; the reverse trace and both one-way directions are
  incomplete, and the diagnosis names no loss direction from them (it used to blame the forward
  direction from a cut reverse trace whose later hops looked clean).

The path: forwarding_loss (the link into hop 4 loses 20% each way: round trips from hop 4 on
lose about 36%, one-way packets about 20% each way). Needs root; exits 77 (skipped) without it.
"""
import json
import os
import signal
import subprocess
import sys
import time
import unittest

import test_paired
from test_paired import FAST, PATHPAIR, Netsim

STOP_AFTER_S = 5.0
DIRECTION_CODES = {"LOSS_FORWARD_DIRECTION", "LOSS_REVERSE_DIRECTION", "LOSS_BOTH_DIRECTIONS"}


def lossy_hops(trace):
    return [hub for hub in trace["report"]["hubs"] if hub["Loss%"] > 0]


class CutShortTest(unittest.TestCase):
    # test_paired's fixture (a history database in a temporary directory), not its tests.
    setUp = test_paired.PairedTest.setUp
    tearDown = test_paired.PairedTest.tearDown
    command = test_paired.PairedTest.command
    history = test_paired.PairedTest.history

    def test_ctrl_c_keeps_what_was_measured_and_says_it_was_interrupted(self):
        with Netsim("forwarding_loss") as sim:
            proc = subprocess.Popen(self.command(sim, *FAST, "-c", "200"),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(STOP_AFTER_S)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, err)
        report = json.loads(out)
        self.assertEqual(report["status"], "partial")
        for side in ("forward", "reverse"):
            mtr = report[side]["report"]["mtr"]
            self.assertTrue(mtr["interrupted"], side)
            self.assertTrue(mtr["incomplete"], side)
            self.assertGreaterEqual(mtr["rounds"], 10, side)  # 0.1 s rounds for 5 s
            # The loss is visible after a few seconds, not 0.0% everywhere.
            self.assertTrue(lossy_hops(report[side]), (side, report[side]["report"]["hubs"]))
        for way in ("forward", "reverse"):
            oneway = report["oneway"][way]
            self.assertTrue(oneway["incomplete"], way)
            self.assertIn("interrupted", oneway["error"], way)
            # About 5 s of packets every 5 ms, 20% lost: kept, not thrown away.
            self.assertGreater(oneway["sent"], 300, way)
            self.assertGreater(oneway["loss_pct"], 8, (way, oneway))
            self.assertLess(oneway["loss_pct"], 35, (way, oneway))
        # Every direction was cut short: none is evidence of where the loss is.
        text = json.dumps(report)
        for code in DIRECTION_CODES:
            self.assertNotIn('"%s"' % code, text)
        self.assertEqual(self.history()[0]["status"], "partial")
        # The text of the stored run says it was interrupted.
        shown = subprocess.run([PATHPAIR, "show", "--history-db", self.db, "last"],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn("interrupted", shown.stdout)
        self.assertIn("INCOMPLETE", shown.stdout)

    def test_server_agent_killed_mid_test_is_incomplete_and_names_no_direction(self):
        with Netsim("forwarding_loss") as sim:
            proc = subprocess.Popen(self.command(sim, *FAST, "-c", "100"),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(STOP_AFTER_S)
            sim.agents["server"].kill()
            out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 5, err)  # partial
        report = json.loads(out)
        self.assertEqual(report["status"], "partial")
        self.assertTrue(report["reverse"]["report"]["mtr"]["incomplete"])
        self.assertFalse(report["forward"]["report"]["mtr"].get("incomplete", False))
        self.assertTrue(lossy_hops(report["forward"]))
        for way in ("forward", "reverse"):
            oneway = report["oneway"][way]
            if oneway is not None:
                self.assertTrue(oneway["incomplete"], way)
        text = json.dumps(report)
        for code in DIRECTION_CODES:
            self.assertNotIn('"%s"' % code, text)
        self.assertIn("not measured to the end", text)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces)")
        sys.exit(77)
    unittest.main()
