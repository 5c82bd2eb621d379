#!/usr/bin/env python3
"""The emulator against the real thing: the same chain of routers, once as stock Linux routers in
namespaces (tests/topo, kernel forwarding and kernel ICMP) and once emulated by pathpair-netsim
with the same addresses, must give the same answers from both ends and in both families:

  * mtr's hop lists (which address each router's Time Exceeded comes from: over IPv4 the
    interface its route back to the tracer leaves by, over IPv6 the one the probe came in on;
    with a detour on the way back the two differ);
  * the source of the port unreachable a UDP datagram to each router address draws, and of the
    echo reply to an echo request (router_probe.py): the address asked, on Linux;
  * with net.ipv4.icmp_errors_use_inbound_ifaddr = 1 on the Linux routers, the hop lists of the
    emulator's ICMP_SOURCE_INGRESS routers (and Linux still answers UDP from the address asked).

The scenario is generated from the topology's own description, so both carry the same addresses.
Needs root (exit 77 otherwise). Environment: PATHPAIR_TOPO_BIN, NETSIM_BIN.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "topo"))
import netsim_up  # noqa: E402
import topo  # noqa: E402

NETSIM = os.environ.get("NETSIM_BIN", "pathpair-netsim")
ROUTER_PROBE = os.path.join(HERE, "router_probe.py")
PYTHON = "/usr/bin/python3"

# Two shapes: a detour from r3 back to r1 (r2 is on the way out only), and a longer chain on /31
# links whose way back leaves the server through the detour straight to r2 (r3 and r4 are on the
# way out only).
SHAPES = {
    "detour_3_to_1": {"routers": 3, "detours": [{"from_router": 3, "to_router": 1}]},
    "detour_server_to_2_slash31": {"routers": 4, "ipv4_link_prefix": 31,
                                   "detours": [{"from_router": 5, "to_router": 2}]},
}


def bare(address_with_prefix):
    return address_with_prefix.split("/")[0]


def family_of(address):
    return "ipv6" if ":" in address else "ipv4"


def chain_scenario(shape, info, icmp_source=None):
    """The pathpair-netsim scenario (text format) of a tests/topo chain, with its addresses."""
    chain = info["chain"]
    nodes = chain["nodes"]  # client, r1 .. rN, server
    detours = shape.get("detours", [])
    routers = {}  # name -> {peer: {"ipv4": a, "ipv6": b}}
    for k, node in enumerate(nodes):
        if node in ("client", "server"):
            continue
        interfaces = info["nodes"][node]["interfaces"]
        peers = {"l": nodes[k - 1], "r": nodes[k + 1]}
        for index, _ in enumerate(detours):
            peers["d%d" % (index + 1)] = "d%d" % (index + 1)
        routers[node] = {peers[name]: {family_of(bare(a)): bare(a) for a in addresses}
                         for name, addresses in interfaces.items() if name in peers}
    reverse = list(reversed(nodes))  # server .. client, then the detours cut in
    for index, d in enumerate(detours):
        name = "d%d" % (index + 1)
        interfaces = info["nodes"][name]["interfaces"]
        peers = {"l": nodes[d["to_router"]], "r": nodes[d["from_router"]]}
        routers[name] = {peers[i]: {family_of(bare(a)): bare(a) for a in addresses}
                         for i, addresses in interfaces.items()}
        start = reverse.index(nodes[d["from_router"]])
        end = reverse.index(nodes[d["to_router"]])
        reverse = reverse[:start + 1] + [name] + reverse[end:]
    lines = ['name: "linux_chain"', "seed: 1", "icmp_return: ICMP_RETURN_OTHER_PATH"]
    for side in ("client", "server"):
        lines.append('%s { ipv4: "%s" ipv6: "%s" }' % (side, chain[side]["ipv4"],
                                                        chain[side]["ipv6"]))
    for name, interfaces in routers.items():
        body = "".join(' interfaces { peer: "%s" ipv4: "%s" ipv6: "%s" }' % (peer, a["ipv4"],
                                                                          a["ipv6"])
                       for peer, a in interfaces.items())
        source = " icmp_source: %s" % icmp_source if icmp_source else ""
        lines.append('routers { name: "%s"%s%s }' % (name, source, body))
    for path, hops in (("forward", nodes[1:-1]), ("reverse", reverse[1:-1])):
        body = "".join(' hops { router: "%s" link { delay_ms: 0.2 } }' % h for h in hops)
        lines.append("%s {%s last_link { delay_ms: 0.2 } }" % (path, body))
    return "\n".join(lines) + "\n", routers


class Emulated:
    """`pathpair-netsim up SCENARIO` in the background; run() executes inside a side."""

    def __init__(self, text):
        self.file = tempfile.NamedTemporaryFile("w", suffix=".textproto", delete=False)
        self.file.write(text)
        self.file.close()
        self.name = "pv%06x" % random.getrandbits(24)
        self.proc = subprocess.Popen([NETSIM, "up", self.file.name, "--name", self.name],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.env = netsim_up.read_announcement(self.proc)
        if "NETSIM_READY" not in self.env:
            error = self.proc.stderr.read()
            self.close()
            raise RuntimeError("pathpair-netsim up failed: " + error)

    def run(self, node, argv):
        ns = self.env["NETSIM_CLIENT_NS" if node == "client" else "NETSIM_SERVER_NS"]
        return subprocess.run(["ip", "netns", "exec", ns] + argv, capture_output=True, text=True,
                              timeout=120)

    def close(self):
        if not netsim_up.stop(self.proc):
            subprocess.run([NETSIM, "down", self.name], capture_output=True)
        self.proc.stdout.close()
        self.proc.stderr.close()
        os.unlink(self.file.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def observe(run, chain, addresses):
    """What both ends see: mtr's hop lists toward the other end, and router_probe's answers."""
    seen = {"hops": {}, "probes": {}}
    for family in ("ipv4", "ipv6"):
        for side, other in (("client", "server"), ("server", "client")):
            proc = run(side, ["mtr", "-n", "-j", "-c", "2", "-i", "0.1", chain[other][family]])
            if proc.returncode != 0:
                raise RuntimeError("mtr failed: " + proc.stderr)
            hubs = json.loads(proc.stdout)["report"]["hubs"]
            seen["hops"][(family, side)] = [h["host"] for h in hubs]
    for side in ("client", "server"):
        proc = run(side, [PYTHON, ROUTER_PROBE] + addresses)
        if proc.returncode != 0:
            raise RuntimeError("router_probe failed: " + proc.stderr)
        seen["probes"][side] = json.loads(proc.stdout)
    return seen


class EmulatorMatchesLinuxTest(unittest.TestCase):
    maxDiff = None

    def compare(self, shape_name, inbound_ifaddr=False):
        shape = SHAPES[shape_name]
        spec = {"chain": shape, "icmp_rate_limits": "ICMP_RATE_LIMITS_OFF"}
        with topo.Topology(spec) as linux:
            chain = linux.chain
            text, routers = chain_scenario(
                shape, linux.info, "ICMP_SOURCE_INGRESS" if inbound_ifaddr else None)
            addresses = [a for interfaces in routers.values() for pair in interfaces.values()
                         for a in pair.values()]
            if inbound_ifaddr:
                for name in routers:
                    proc = linux.run(name, ["sysctl", "-qw",
                                            "net.ipv4.icmp_errors_use_inbound_ifaddr=1"])
                    self.assertEqual(proc.returncode, 0, proc.stderr)
            real = observe(linux.run, chain, addresses)
        with Emulated(text) as sim:
            emulated = observe(sim.run, chain, addresses)
        return chain, real, emulated

    def check_same(self, shape_name):
        chain, real, emulated = self.compare(shape_name)
        for key, hops in real["hops"].items():
            with self.subTest(shape=shape_name, trace=key):
                self.assertEqual(emulated["hops"][key], hops)
                # And what the topology builder predicts for Linux.
                family, side = key
                expected = chain["hops"][family]["forward" if side == "client" else "reverse"]
                self.assertEqual(hops, expected)
        for side in ("client", "server"):
            with self.subTest(shape=shape_name, probes_from=side):
                # The stock chain has no route to a few detour links from some ends (e.g. the
                # server's own link to a detour router, which the server does not forward to):
                # compare the addresses it answers for.
                answered = {a: r for a, r in real["probes"][side].items()
                            if r["udp"] is not None or r["echo"] is not None}
                self.assertGreaterEqual(len(answered), len(real["probes"][side]) - 2)
                self.assertEqual({a: emulated["probes"][side][a] for a in answered}, answered)
                # Linux answers both from the address asked.
                for address, answer in answered.items():
                    self.assertEqual(answer["udp"], address)
                    self.assertEqual(answer["echo"], address)

    def test_detour_back_to_the_first_router(self):
        self.check_same("detour_3_to_1")

    def test_detour_from_the_server_on_slash31_links(self):
        self.check_same("detour_server_to_2_slash31")

    def test_inbound_ifaddr_is_the_ingress_option(self):
        _, real, emulated = self.compare("detour_3_to_1", inbound_ifaddr=True)
        for key, hops in real["hops"].items():
            with self.subTest(trace=key):
                self.assertEqual(emulated["hops"][key], hops)
        # With the sysctl, r3's Time Exceeded to the client leaves toward d1 but carries the
        # address of the interface the probe came in on (toward r2).
        self.assertNotEqual(real["hops"][("ipv4", "client")][2], "198.51.100.22")
        for side in ("client", "server"):
            for address, answer in real["probes"][side].items():
                self.assertIn(answer["udp"], (address, None), "Linux still answers UDP from it")


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces)")
        sys.exit(77)
    unittest.main(verbosity=2)
