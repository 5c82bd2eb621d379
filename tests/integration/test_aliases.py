#!/usr/bin/env python3
"""Routers matched, not addresses: `pathpair test` between two agents on stock Linux routers.

A chain of real Linux routers in namespaces (one /30 per link, each router answering from the
interface its route back to the prober leaves by) shows every router under a different address
in the forward and the reverse trace. The paired test resolves router aliases
on both agents and merges the traces router by router:

  - a symmetric chain gives no ASYMMETRIC_PATH;
  - a detour router on the way back only (r3 -> d1 -> r1 instead of r3 -> r2 -> r1, the shape of
    tests/topo's `detours { from_router: 3 to_router: 1 }`) gives ASYMMETRIC_PATH naming it.

The hop lists still equal mtr's in each direction. An agent runs in the client and in the server
namespace; the controller runs in the client namespace, reaching its agent on the loopback and
the server agent over the path. Needs root; exits 77 (skipped) without it.

The chain comes from tests/topo (`chain { routers: 3 detours {...} }`) where that builder is
present, else from NamespacePath with a detour of its own (`add_return_detour`, the same shape
and addresses), which can go once tests/topo is on every branch.

Environment: PATHPAIR_BIN, PATHPAIR_AGENT_BIN (and PATHPAIR_TOPO_BIN with tests/topo).
"""
import collections
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "topo"))
import agent_token  # noqa: E402
import nspath  # noqa: E402

try:
    import topo  # noqa: E402  tests/topo, the shared namespace builder
except ImportError:
    topo = None

PATHPAIR = os.environ.get("PATHPAIR_BIN", "pathpair")
AGENT = os.environ.get("PATHPAIR_AGENT_BIN", "pathpair-agent")
AGENT_PORT = 8620
FAST = ["-n", "-i", "0.1", "-c", "5"]


def add_return_detour(path, from_router, to_router):
    """For NamespacePath without tests/topo (tests/topo's `detours` builds the same): traffic
    toward the client that reaches router `from_router` goes through a new router d1
    to router `to_router` instead of back along the chain (IPv4). d1 takes the next two /30s:
    "near" to `to_router` and "far" to `from_router`. Returns d1's address on the far link, the
    address the reverse trace shows for it."""
    node_from = path.nodes[from_router]
    node_to = path.nodes[to_router]
    detour = "%s-d1" % path.tag
    path._add_node(detour)  # removed with the path
    near, far = path.links, path.links + 1
    for a, a_if, b, b_if, link in ((node_to, "d1", detour, "l", near),
                                   (detour, "r", node_from, "d1", far)):
        nspath._sh(["ip", "link", "add", a_if, "netns", a, "type", "veth", "peer", "name", b_if,
                    "netns", b])
        path.ns(a, ["ip", "addr", "add", path.v4(link, False) + "/30", "dev", a_if])
        path.ns(b, ["ip", "addr", "add", path.v4(link, True) + "/30", "dev", b_if])
        path.ns(a, ["ip", "link", "set", "dev", a_if, "up"])
        path.ns(b, ["ip", "link", "set", "dev", b_if, "up"])
    # d1 forwards toward the server through `from_router`, toward the client through `to_router`.
    path.ns(detour, ["ip", "route", "add", "default", "via", path.v4(far, True)])
    for link in range(to_router):
        prefix = "198.51.100.%d/30" % (4 * link)
        path.ns(detour, ["ip", "route", "add", prefix, "via", path.v4(near, False)])
        path.ns(node_from, ["ip", "route", "replace", prefix, "via", path.v4(far, False)])
    path.ns(node_from, ["ip", "route", "add", "198.51.100.%d/30" % (4 * near), "via",
                        path.v4(far, False)])
    return path.v4(far, False)


# What the tests need of a chain: the two end namespaces, their addresses, and the address the
# reverse trace shows for the detour router (None without a detour).
Chain = collections.namedtuple("Chain", "client server client_v4 server_v4 detour_v4")


@contextlib.contextmanager
def linux_chain(detour):
    """client -- r1 -- r2 -- r3 -- server; with `detour`, the way back goes r3 -> d1 -> r1."""
    if topo is not None:
        chain = {"routers": 3}
        if detour:
            chain["detours"] = [{"from_router": 3, "to_router": 1}]
        with topo.Topology({"icmp_rate_limits": "ICMP_RATE_LIMITS_OFF", "chain": chain}) as t:
            detour_v4 = t.addresses("d1", "r")[0].split("/")[0] if detour else None
            yield Chain(t.namespace("client"), t.namespace("server"), t.chain["client"]["ipv4"],
                        t.chain["server"]["ipv4"], detour_v4)
        return
    with nspath.NamespacePath(routers=3) as path:
        detour_v4 = add_return_detour(path, from_router=3, to_router=1) if detour else None
        yield Chain(path.client, path.server, path.v4(0, False), path.server_v4, detour_v4)


class Agents:
    """pathpair-agent in the client and in the server namespace of `chain`; killed on exit."""

    def __init__(self, chain):
        self.chain = chain
        self.procs = []
        self.logs = []

    def __enter__(self):
        try:
            for node, address in ((self.chain.client, "127.0.0.1"),
                                  (self.chain.server, self.chain.server_v4)):
                self.start(node, address)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def start(self, node, address):
        log = tempfile.TemporaryFile()
        self.logs.append(log)
        proc = subprocess.Popen(["ip", "netns", "exec", node, AGENT, "--listen",
                                 "0.0.0.0:%d" % AGENT_PORT] + agent_token.AGENT_ARGS,
                                stdout=log, stderr=log)
        self.procs.append(proc)
        nspath.wait_for_port(node, address, AGENT_PORT, proc, log)

    def __exit__(self, *exc):
        nspath.stop_processes(self.procs, self.logs)
        return False


class RouterAliasTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pp-alias-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def paired_test(self, chain):
        """`pathpair test` between the two agents; returns its JSON report."""
        proc = subprocess.run(
            ["ip", "netns", "exec", chain.client, PATHPAIR, "test", "--client",
             "127.0.0.1:%d" % AGENT_PORT, "--server", "%s:%d" % (chain.server_v4, AGENT_PORT),
             "--target", chain.server_v4, *agent_token.CONTROLLER_ARGS, "--json", "--history-db",
             os.path.join(self.tmp, "history.db")] + FAST,
            capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)

    def mtr_hosts(self, node, target):
        proc = subprocess.run(["ip", "netns", "exec", node, "mtr", "-n", "-j", "-c", "5", "-i",
                               "0.1", target], capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return [hub["host"] for hub in json.loads(proc.stdout)["report"]["hubs"]]

    @staticmethod
    def hosts(trace_json):
        return [hub["host"] for hub in trace_json["report"]["hubs"]]

    def check_hops_equal_mtr(self, chain, report):
        self.assertEqual(self.hosts(report["forward"]),
                         self.mtr_hosts(chain.client, chain.server_v4))
        self.assertEqual(self.hosts(report["reverse"]),
                         self.mtr_hosts(chain.server, chain.client_v4))

    @staticmethod
    def codes(report):
        return [finding["code"] for finding in report["diagnosis"]]

    def test_symmetric_chain_has_no_asymmetric_path(self):
        with linux_chain(detour=False) as chain, Agents(chain):
            report = self.paired_test(chain)
            self.check_hops_equal_mtr(chain, report)
        # Every router shows a different address each way...
        forward = self.hosts(report["forward"])[:-1]
        reverse = self.hosts(report["reverse"])[:-1]
        self.assertFalse(set(forward) & set(reverse), (forward, reverse))
        # ...yet they are matched router by router, aligned by one hop, never the /30 partners.
        paths = report["paths"]
        self.assertTrue(paths["symmetric"], paths)
        self.assertEqual(paths["only_forward"], [])
        self.assertEqual(paths["only_reverse"], [])
        matched = [(row["forward"]["address"], row["reverse"]["address"], row["match"])
                   for row in paths["rows"] if row["forward"] and row["reverse"]]
        self.assertEqual(matched, [("198.51.100.2", "198.51.100.5", "link"),
                                   ("198.51.100.6", "198.51.100.9", "link"),
                                   ("198.51.100.10", "198.51.100.13", "link")])
        self.assertNotIn("ASYMMETRIC_PATH", self.codes(report))
        # Both agents resolved the other direction's routers: Linux answers from the probed
        # address, so only the distances were learned, and they agree with the traces.
        client = {r["address"]: r for r in report["aliases"]["client"]["resolutions"]}
        self.assertEqual(client["198.51.100.13"]["reply_source"], "198.51.100.13")
        self.assertEqual(client["198.51.100.13"]["distance"], 3)
        self.assertNotEqual(client["198.51.100.5"]["method"], "ALIAS_METHOD_NONE")
        server = {r["address"]: r for r in report["aliases"]["server"]["resolutions"]}
        self.assertEqual(server["198.51.100.2"]["distance"], 3)

    def test_detour_router_on_the_way_back_is_asymmetric_path(self):
        with linux_chain(detour=True) as chain, Agents(chain):
            report = self.paired_test(chain)
            self.check_hops_equal_mtr(chain, report)
        detour = chain.detour_v4
        self.assertIn(detour, self.hosts(report["reverse"]))
        self.assertNotIn(detour, self.hosts(report["forward"]))
        paths = report["paths"]
        self.assertFalse(paths["symmetric"], paths)
        self.assertEqual(paths["only_reverse"], [detour])
        self.assertEqual(paths["only_forward"], ["198.51.100.6"])  # r2, skipped on the way back
        findings = [f for f in report["diagnosis"] if f["code"] == "ASYMMETRIC_PATH"]
        self.assertEqual(len(findings), 1, report["diagnosis"])
        self.assertIn(detour, findings[0]["summary"])


if __name__ == "__main__":
    nspath.main_requiring_root()
