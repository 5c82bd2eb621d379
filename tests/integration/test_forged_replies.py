#!/usr/bin/env python3
"""Forged replies from off the path do not change a trace's counts (issue 10, section 8).

A clean 4-router path (client -- r1 .. r4 -- server, ICMP rate limits off, so every probe is
answered; 40 ms more on the way back from r2) with an attacker namespace hanging off r1
(10.77.0.0/30): the path never carries its traffic, but r1 forwards what it sends to the client,
so the forgeries about probes beyond r1 arrive before the real replies. During `pathpair trace`, forge_replies.py
floods the client from there with forged Time Exceeded and echo replies quoting the trace's
probes with wrong sequences, wrong targets or truncated headers (see that file). The path is
loss-free, so each hop must show exactly Rcv == Snt == the probe count, with the one real router
(or the server) as its only host: a forged reply accepted anywhere either adds a reply nobody
sent or a host (203.0.113.66) that is not on the path.

Needs root (exit 77 otherwise), PATHPAIR_BIN and PATHPAIR_TOPO_BIN.
"""

import json
import os
import subprocess
import sys
import unittest

import nspath

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "topo"))
import topo  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FORGER = os.path.join(HERE, "forge_replies.py")
PYTHON = "/usr/bin/python3"  # Debian's (raw sockets need nothing else, but be explicit)
ROUTERS = 4
CYCLES = 60


class ForgedRepliesTest(unittest.TestCase):
    def setUp(self):
        self.topology = topo.Topology({
            "icmp_rate_limits": "ICMP_RATE_LIMITS_OFF",
            # Replies from r2 on take 40 ms longer than the forgeries, which enter at r1: a
            # forgery that quotes a probe in flight arrives before the real answer.
            "chain": {"routers": ROUTERS, "wires": [{"link": 1, "reverse": {"delay_ms": 40}}]},
            "nodes": [{"name": "attacker",
                       "routes": [{"to": "default", "via": "10.77.0.1"}]}],
            "links": [{"a": {"node": "attacker", "name": "a0", "addresses": ["10.77.0.2/30"]},
                       "b": {"node": "r1", "name": "atk", "addresses": ["10.77.0.1/30"]}}],
        })
        self.addCleanup(self.topology.close)
        chain = self.topology.chain
        self.client = chain["client"]["ipv4"]
        self.server = chain["server"]["ipv4"]
        self.hops = chain["hops"]["ipv4"]["forward"]

    def icmp_in(self):
        """The client namespace's ICMP input counters (echo replies, time exceeded)."""
        out = self.topology.run("client", ["cat", "/proc/net/snmp"]).stdout
        lines = [line.split()[1:] for line in out.splitlines() if line.startswith("Icmp:")]
        counters = dict(zip(lines[0], (int(v) for v in lines[1])))
        return counters["InEchoReps"] + counters["InTimeExcds"]

    def trace_under_flood(self, control=False):
        """Runs the trace during the flood; returns (hubs, the forger's figures)."""
        forger = self.topology.popen(
            "attacker",
            [PYTHON, FORGER, "--sniff-namespace", self.topology.namespace("client"),
             "--client", self.client, "--target", self.server, "--hops", ",".join(self.hops),
             "--duration", "120", "--rate", "1000"] + (["--control"] if control else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: forger.poll() is None and forger.kill())
        if forger.stdout.readline().strip() != "ready":
            self.fail("the forger did not start: " + forger.communicate()[1])
        icmp_before = self.icmp_in()
        trace = self.topology.run(
            "client", [nspath.pathpair_binary(), "trace", "-j", "-n", "-c", str(CYCLES), "-i",
                       "0.1", "-G", "1", "-Z", "1", self.server], timeout=120)
        icmp_after = self.icmp_in()
        out, err = forger.communicate(timeout=30)  # closes its stdin: the flood stops
        self.assertEqual(trace.returncode, 0, trace.stderr)

        # The flood happened: the forger saw the probes and the client took its packets in.
        lines = out.strip().splitlines()
        self.assertTrue(lines, err)
        stats = json.loads(lines[-1])
        forged = sum(stats["sent"].values())
        self.assertGreaterEqual(stats["probes_seen"], CYCLES * len(self.hops) // 2, stats)
        self.assertGreater(forged, 3000, stats)
        for kind in ("echo_reply_wrong_sequence", "time_exceeded_wrong_sequence",
                     "time_exceeded_wrong_target", "echo_reply_wrong_source", "truncated"):
            self.assertGreater(stats["sent"].get(kind, 0), 0, kind)
        self.assertGreater(icmp_after - icmp_before, forged // 2, (icmp_before, icmp_after))
        return json.loads(trace.stdout)["report"]["hubs"], trace.stdout

    def test_counts_stay_exact_under_a_flood_of_forged_replies(self):
        hubs, text = self.trace_under_flood()
        self.assertEqual([hub["host"] for hub in hubs], self.hops, text)
        for hub, address in zip(hubs, self.hops):
            self.assertEqual(hub["Snt"], CYCLES, hub)
            self.assertEqual(hub["Rcv"], hub["Snt"], hub)
            self.assertEqual([host["ip"] for host in hub.get("hosts", [])], [address], hub)
            self.assertEqual(sum(host["Rcv"] for host in hub.get("hosts", [])), CYCLES, hub)

    def test_an_exact_forgery_does_show(self):
        # The control: answers no tracer can tell from real ones, arriving first, must show at
        # the hops beyond r1, so the checks above are able to fail.
        hubs, text = self.trace_under_flood(control=True)
        hosts = {host["ip"] for hub in hubs[1:] for host in hub.get("hosts", [])}
        self.assertIn("203.0.113.66", hosts, text)

if __name__ == "__main__":
    nspath.main_requiring_root()
