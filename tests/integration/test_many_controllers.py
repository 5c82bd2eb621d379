#!/usr/bin/env python3
"""50 controllers run paired tests against the same two agents at once (on the emulator, as
test_paired.py). Each run either completes or is refused with RESOURCE_EXHAUSTED and the
limit's reason; no agent crashes; and nothing leaks: the agents' open files, threads and
resident memory (/proc/PID) come back to what they were before the storm."""

import collections
import concurrent.futures
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_token  # noqa: E402
from test_paired import FAST, PATHPAIR, Netsim  # noqa: E402

CONTROLLERS = 50
# What the agents say when a limit refuses a call (agent/service/agent_service.cc,
# consent.cc, oneway_socket_runner.cc): every refusal a run may end with.
LIMIT_REASONS = ("too many", "rate limit", "busy with another measurement", "limit per peer",
                 "consent table full", "alias resolution is already running")


def proc_figures(pid):
    """Open files, threads and resident kB of a process."""
    fds = len(os.listdir("/proc/%d/fd" % pid))
    status = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.strip()
    return {"fds": fds, "threads": int(status["Threads"]),
            "rss_kb": int(status["VmRSS"].split()[0])}


class ManyControllersTest(unittest.TestCase):
    def run_test(self, sim, index):
        command = [PATHPAIR, "test", "--client", sim.endpoint("client"), "--server",
                   sim.endpoint("server"), "--target", sim.env["NETSIM_SERVER_IP"],
                   *agent_token.CONTROLLER_ARGS, "--json", "--no-history"] + FAST + ["-c", "3"]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=180)
        except subprocess.TimeoutExpired:
            return {"index": index, "rc": None, "out": "", "err": "timed out"}
        return {"index": index, "rc": proc.returncode, "out": proc.stdout, "err": proc.stderr}

    def settled(self, pids, baseline, seconds=20):
        """The agents' figures once they are back to the baseline (or after `seconds`)."""
        deadline = time.monotonic() + seconds
        while True:
            now = {side: proc_figures(pid) for side, pid in pids.items()}
            back = all(now[s]["fds"] <= baseline[s]["fds"] and
                       now[s]["threads"] <= baseline[s]["threads"] + 4 for s in pids)
            if back or time.monotonic() > deadline:
                return now
            time.sleep(0.5)

    def test_fifty_controllers_complete_or_are_refused_with_the_reason(self):
        with Netsim("healthy") as sim:
            pids = {side: proc.pid for side, proc in sim.agents.items()}
            for pid in pids.values():
                with open("/proc/%d/comm" % pid) as f:
                    self.assertEqual(f.read().strip(), "pathpair-agent")
            # One run first: the agents' lazily made state (gRPC's threads, the prober's
            # buffers) is the baseline, not a leak.
            warm = self.run_test(sim, -1)
            self.assertIn(warm["rc"], (0, 3, 4), warm["err"])
            time.sleep(2)
            baseline = {side: proc_figures(pid) for side, pid in pids.items()}

            with concurrent.futures.ThreadPoolExecutor(max_workers=CONTROLLERS) as pool:
                runs = list(pool.map(lambda i: self.run_test(sim, i), range(CONTROLLERS)))

            completed = refused = 0
            reasons = collections.Counter()
            for run in runs:
                self.assertIsNotNone(run["rc"], "run %d hung" % run["index"])
                if run["rc"] in (0, 3, 4):
                    report = json.loads(run["out"])
                    self.assertIn("verdict", json.dumps(report)[:100000])
                    completed += 1
                    continue
                text = run["out"] + run["err"]
                self.assertTrue(any(reason in text for reason in LIMIT_REASONS),
                                "run %d (exit %s) neither completed nor was refused by a "
                                "limit:\n%s" % (run["index"], run["rc"], text[-2000:]))
                refused += 1
                reasons[next(r for r in LIMIT_REASONS if r in text)] += 1
            print("completed %d, refused by a limit %d %s" % (completed, refused, dict(reasons)),
                  file=sys.stderr)
            self.assertGreater(completed, 0)

            for side, proc in sim.agents.items():
                self.assertIsNone(proc.poll(), "the %s agent died" % side)
            after = self.settled(pids, baseline)
            print("agents before %s after %s" % (baseline, after), file=sys.stderr)
            for side in pids:
                self.assertLessEqual(after[side]["fds"], baseline[side]["fds"], side)
                self.assertLessEqual(after[side]["threads"], baseline[side]["threads"] + 4, side)
                self.assertLess(after[side]["rss_kb"], baseline[side]["rss_kb"] + 64 * 1024, side)
            # Still serving: one more run completes.
            last = self.run_test(sim, CONTROLLERS)
            self.assertIn(last["rc"], (0, 3, 4), last["err"])


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        sys.exit(77)
    unittest.main()
