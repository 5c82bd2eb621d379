#!/usr/bin/env python3
"""Garbage at the one-way port does not take an agent down (issue 10, section 8).

On the emulator's forward_latency path (test_paired.Netsim: pathpair-netsim with an agent in the
client and the server namespace; 30 ms more one way than the other, no loss), garbage_flood.py sends 10k datagrams/s for several seconds to the
server agent's one-way UDP port (fixed with --oneway-port), half random bytes, half one-way
headers with random fields. Meanwhile the agent must answer Info promptly, every time; the
datagrams must really have reached its namespace (UDP counters); and afterwards a paired test
must measure the one-way delays of the path correctly: nothing lost, nothing duplicated, the
configured delay each way (which differ by 30 ms).

Info is called with python3-grpcio (Debian) as a generic call, so no generated code is needed.
Needs root (exit 77 otherwise), PATHPAIR_BIN, PATHPAIR_AGENT_BIN, NETSIM_BIN.
"""

import json
import os
import statistics
import subprocess
import sys
import time
import unittest

import agent_token
import nspath
import oneway_clock_checks
import test_paired

HERE = os.path.dirname(os.path.abspath(__file__))
FLOODER = os.path.join(HERE, "garbage_flood.py")
ONEWAY_PORT = 8621
RATE = 10000
SECONDS = 6
PROMPT_S = 1.0  # the slowest Info answer allowed during the flood (2 shared cores)


def udp_in(namespace):
    """Datagrams the namespace's UDP layer took in, delivered or dropped for a full buffer."""
    out = subprocess.run(["ip", "netns", "exec", namespace, "cat", "/proc/net/snmp"],
                         capture_output=True, text=True, check=True).stdout
    lines = [line.split()[1:] for line in out.splitlines() if line.startswith("Udp:")]
    counters = dict(zip(lines[0], (int(v) for v in lines[1])))
    return counters["InDatagrams"] + counters["RcvbufErrors"] + counters["InErrors"]


class OneWayFloodTest(unittest.TestCase):
    def test_agent_answers_and_measures_after_a_garbage_flood(self):
        import grpc  # python3-grpcio; imported here so that a missing module fails this test

        flags = ["--oneway-port", str(ONEWAY_PORT)]
        with test_paired.Netsim("forward_latency", {"client": flags, "server": flags}) as sim:
            channel = grpc.insecure_channel(sim.endpoint("server"))
            self.addCleanup(channel.close)
            unauthenticated_info = channel.unary_unary("/pathpair.v1.Agent/Info")
            with open(agent_token.PATH) as token_file:
                bearer = [("authorization", "Bearer " + token_file.read().strip())]

            def info(request, timeout):
                return unauthenticated_info(request, timeout=timeout, metadata=bearer)

            self.assertTrue(info(b"", timeout=5))  # an InfoResponse, serialized

            before = udp_in(sim.namespace("server"))
            flood = subprocess.Popen(  # noqa: SIM115 (waited for below)
                [sys.executable, FLOODER, sim.mgmt("server"), str(ONEWAY_PORT), "--rate",
                 str(RATE), "--duration", str(SECONDS)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            self.addCleanup(lambda: flood.poll() is None and flood.kill())
            self.assertEqual(flood.stdout.readline().strip(), "started")
            latencies = []
            while flood.poll() is None:
                start = time.monotonic()
                self.assertTrue(info(b"", timeout=5))
                latencies.append(time.monotonic() - start)
                time.sleep(0.1)
            figures = flood.communicate()[0].split()
            sent = int(figures[figures.index("sent") + 1])
            arrived = udp_in(sim.namespace("server")) - before
            for side in ("client", "server"):
                self.assertIsNone(sim.agents[side].poll(), side + " agent exited")

            self.assertGreaterEqual(sent, RATE * SECONDS * 0.9, figures)
            self.assertGreaterEqual(arrived, sent * 0.95, (sent, arrived))
            self.assertGreater(len(latencies), SECONDS * 3, latencies)
            self.assertLess(max(latencies), PROMPT_S, latencies)
            print("flood: %d datagrams, Info median %.1f ms, max %.1f ms over %d calls" %
                  (sent, 1000 * statistics.median(latencies), 1000 * max(latencies),
                   len(latencies)), file=sys.stderr)

            proc = subprocess.run(
                [test_paired.PATHPAIR, "test", "--client", sim.endpoint("client"), "--server",
                 sim.endpoint("server"), "--target", sim.env["NETSIM_SERVER_IP"], *agent_token.CONTROLLER_ARGS,
                 "--json", "--no-history", "-n", "-i", "0.1", "-c", "5"],
                capture_output=True, text=True, timeout=120)
        # Exit with the verdict: 3 (degraded) for the forward latency is fine, a failure is not.
        self.assertIn(proc.returncode, (0, 3), proc.stderr)
        report = json.loads(proc.stdout)
        expected = oneway_clock_checks.scenario_one_way_ms(test_paired.scenario("forward_latency"))
        for direction, configured_ms in zip(("forward", "reverse"), expected):
            oneway = report["oneway"][direction]
            self.assertIsNone(oneway["error"], oneway)
            self.assertGreater(oneway["sent"], 0, oneway)
            self.assertEqual(oneway["received"], oneway["sent"], oneway)
            self.assertEqual(oneway["duplicates"], 0, oneway)
            self.assertEqual(oneway["clock"]["method"], "same_host", oneway)
            # The emulator adds a little to the configured delay, never takes any away.
            self.assertGreaterEqual(oneway["delay_ms"]["min"], configured_ms - 0.5, oneway)
            self.assertLess(oneway["delay_ms"]["avg"], configured_ms + 5, oneway)


if __name__ == "__main__":
    nspath.main_requiring_root()
