#!/usr/bin/env python3
"""pathpair-topo and tests/topo/topo.py on real namespaces (root): the life cycle leaves nothing
behind however it ends (standard input closed, SIGTERM, SIGINT, SIGKILL, --detach and down, a
failed build); bad specs are clear errors; a management link reaches the namespace and nothing
else; and what the issues' tests need from a chain of stock routers works as described: a detour
router seen on the way back only (mtr's hops equal the expected ones), loss in one direction only,
delay in one direction only (an emulated wire), and the kernel's ICMP rate limits left alone or
turned off.

Environment: PATHPAIR_TOPO_BIN. Exit 77 (skipped) without root.
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import topo  # noqa: E402

PING = os.path.join(HERE, "..", "netsim", "netsim_ping.py")  # ADDRESS [TIMEOUT]: 0 on a reply


def fresh_name():
    return "ppc%06x" % random.getrandbits(24)


def leftovers(name):
    found = [n for n in os.listdir("/run/netns") if n.startswith(name + "-")] \
        if os.path.isdir("/run/netns") else []
    found += [d for d in os.listdir("/sys/class/net") if d.startswith(name + "-")]
    if os.path.exists("/run/pathpair-topo/%s.pid" % name):
        found.append("state file")
    return found


def wait_until_clean(name, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and leftovers(name):
        time.sleep(0.05)
    return leftovers(name)


def write_spec(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".textproto", delete=False)
    f.write(text)
    f.close()
    return f.name


def cli(*args, **kwargs):
    return subprocess.run([topo.topo_binary()] + list(args), capture_output=True, text=True,
                          timeout=60, **kwargs)


class Up:
    """`pathpair-topo up SPEC --name NAME` in the foreground (stdin a pipe)."""

    def __init__(self, spec_text, name, *extra):
        self.spec = write_spec(spec_text)
        self.proc = subprocess.Popen([topo.topo_binary(), "up", self.spec, "--name", name] +
                                     list(extra), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(self.proc.stderr.read())
        self.info = json.loads(line)

    def finish(self, timeout=20):
        rc = self.proc.wait(timeout=timeout)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            stream.close()
        os.unlink(self.spec)
        return rc


PAIR = """
nodes { name: "a" }
nodes { name: "b" }
links { a { node: "a" name: "a0" addresses: "198.51.100.1/30" }
        b { node: "b" name: "b0" addresses: "198.51.100.2/30" } }
"""


class LifeCycleTest(unittest.TestCase):
    def test_closing_stdin_ends_it_and_nothing_is_left(self):
        name = fresh_name()
        up = Up(PAIR, name, "--until-stdin-closes")
        self.assertEqual(up.info["nodes"]["a"]["namespace"], name + "-a")
        self.assertTrue(os.path.exists("/run/netns/%s-a" % name))
        # A process left in a namespace is stopped too.
        sleeper = subprocess.Popen(["ip", "netns", "exec", name + "-b", "sleep", "60"])
        time.sleep(0.2)
        up.proc.stdin.close()
        self.assertEqual(up.finish(), 0)
        self.assertEqual(sleeper.wait(timeout=10), -signal.SIGTERM)
        self.assertEqual(leftovers(name), [])

    def check_signal(self, sig):
        name = fresh_name()
        up = Up(PAIR, name)
        up.proc.send_signal(sig)
        self.assertEqual(up.finish(), 0)
        self.assertEqual(leftovers(name), [])

    def test_sigterm(self):
        self.check_signal(signal.SIGTERM)

    def test_sigint(self):
        self.check_signal(signal.SIGINT)

    def test_sigkill_leaves_it_to_the_reaper(self):
        name = fresh_name()
        up = Up(PAIR, name)
        self.assertTrue(leftovers(name))
        up.proc.kill()
        up.finish()
        self.assertEqual(wait_until_clean(name), [])

    def test_down_removes_what_an_owner_and_its_reaper_left(self):
        name = fresh_name()
        up = Up(PAIR, name)
        with open("/run/pathpair-topo/%s.pid" % name) as f:
            owner, reaper = (int(x) for x in f.read().split())
        self.assertEqual(owner, up.proc.pid)
        os.kill(reaper, signal.SIGKILL)
        up.proc.kill()
        up.finish()
        time.sleep(0.3)
        self.assertTrue(leftovers(name), "both gone: the namespaces stay until `down`")
        listed = cli("list").stdout
        self.assertIn("%s owner %d gone" % (name, owner), listed)
        down = cli("down", name)
        self.assertEqual(down.returncode, 0, down.stderr)
        self.assertEqual(leftovers(name), [])
        # `down` without a name does the same for every topology whose owner has gone.
        second = fresh_name()
        up = Up(PAIR, second)
        with open("/run/pathpair-topo/%s.pid" % second) as f:
            reaper = int(f.read().split()[1])
        os.kill(reaper, signal.SIGKILL)
        up.proc.kill()
        up.finish()
        self.assertIn("down " + second, cli("down").stdout)
        self.assertEqual(leftovers(second), [])

    def test_detach_exec_and_down(self):
        name = fresh_name()
        spec = write_spec(PAIR)
        try:
            up = cli("up", spec, "--name", name, "--detach")
        finally:
            os.unlink(spec)
        self.assertEqual(up.returncode, 0, up.stderr)
        self.assertEqual(json.loads(up.stdout)["name"], name)
        run = cli("exec", name, "a", "--", "ip", "-o", "addr", "show", "dev", "a0")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("198.51.100.1/30", run.stdout)
        self.assertEqual(cli("exec", name, "a", "false").returncode, 1)
        self.assertEqual(cli("exec", name, "nonode", "true").returncode, 2)
        down = cli("down", name)
        self.assertEqual(down.returncode, 0, down.stderr)
        self.assertEqual(leftovers(name), [])

    def test_bad_input_and_failed_builds(self):
        bad = write_spec("nodes {\n  nmae: \"a\" }\n")
        try:
            r = cli("up", bad)
            self.assertEqual(r.returncode, 2)
            self.assertIn(bad + ":2:", r.stderr)
            r = cli("describe", bad)
            self.assertEqual(r.returncode, 2)
        finally:
            os.unlink(bad)
        r = cli("up", "/nonexistent.textproto")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent.textproto", r.stderr)
        self.assertEqual(cli("up").returncode, 2)
        self.assertEqual(cli("frobnicate").returncode, 2)
        self.assertEqual(cli("--help").returncode, 0)
        name = fresh_name()
        broken = write_spec(PAIR + 'nodes { name: "c" nftables: "not nftables" }')
        try:
            r = cli("up", broken, "--name", name, "--detach")
        finally:
            os.unlink(broken)
        self.assertEqual(r.returncode, 3)
        self.assertIn("nft", r.stderr)
        self.assertEqual(leftovers(name), [])
        # A second topology of a live one's name is refused; the first is untouched.
        up = Up(PAIR, name)
        spec = write_spec(PAIR)
        try:
            r = cli("up", spec, "--name", name)
        finally:
            os.unlink(spec)
        self.assertEqual(r.returncode, 3)
        self.assertIn("already exists", r.stderr)
        self.assertTrue(os.path.exists("/run/netns/%s-a" % name))
        up.proc.send_signal(signal.SIGTERM)
        self.assertEqual(up.finish(), 0)
        self.assertEqual(leftovers(name), [])

    def test_python_topology_closes_on_exit(self):
        t = topo.Topology({"nodes": [{"name": "a"}]})
        name = t.name
        self.assertTrue(os.path.exists("/run/netns/%s-a" % name))
        t.close()
        self.assertEqual(leftovers(name), [])
        # A Python process that dies without closing: the end of its pipe ends the topology.
        code = ("import sys; sys.path.insert(0, %r); import topo, os; "
                "t = topo.Topology({'nodes': [{'name': 'a'}]}); print(t.name, flush=True); "
                "os._exit(1)" % HERE)
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               timeout=60)
        name = child.stdout.strip()
        self.assertTrue(name, child.stderr)
        self.assertEqual(wait_until_clean(name), [])


def one_way(t, sender, receiver, target, count=400, port=9999):
    """Sends `count` UDP datagrams from node `sender` to `target` (node `receiver`) and returns
    (received, [one-way delay in ms]): every namespace shares this host's clock."""
    receive = ("import json, socket, time\n"
               "s = socket.socket(socket.AF_INET6 if ':' in %r else socket.AF_INET,"
               " socket.SOCK_DGRAM)\n"
               "s.bind((%r, %d)); s.settimeout(2.0); print('ready', flush=True)\n"
               "delays = []\n"
               "try:\n"
               "    while True:\n"
               "        data = s.recv(100)\n"
               "        delays.append(1000 * (time.time() - float(data)))\n"
               "except socket.timeout:\n"
               "    pass\n"
               "print(json.dumps(delays))\n" % (target, target, port))
    listener = t.popen(receiver, [sys.executable, "-c", receive], stdout=subprocess.PIPE,
                       text=True)
    assert listener.stdout.readline().strip() == "ready"
    send = ("import socket, time\n"
            "s = socket.socket(socket.AF_INET6 if ':' in %r else socket.AF_INET,"
            " socket.SOCK_DGRAM)\n"
            "for i in range(%d):\n"
            "    s.sendto(repr(time.time()).encode(), (%r, %d)); time.sleep(0.003)\n"
            % (target, count, target, port))
    t.run(sender, [sys.executable, "-c", send], check=True, timeout=60)
    out, _ = listener.communicate(timeout=30)
    delays = json.loads(out.strip().splitlines()[-1])
    return len(delays), delays


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def mtr_hosts(t, node, target, *flags):
    r = t.run(node, ["mtr", "-n", "-j", "-c", "3", "-i", "0.1"] + list(flags) + [target],
              timeout=60)
    assert r.returncode == 0, r.stderr
    return [hub["host"] for hub in json.loads(r.stdout)["report"]["hubs"]]


class ChainTest(unittest.TestCase):
    def test_detour_router_is_on_the_way_back_only(self):
        with topo.Topology({"icmp_rate_limits": "ICMP_RATE_LIMITS_OFF",
                            "chain": {"routers": 3,
                                      "detours": [{"from_router": 3, "to_router": 1}]}}) as t:
            chain = t.chain
            detour = t.addresses("d1", "r")[0].split("/")[0]
            for family, flags in (("ipv4", []), ("ipv6", ["-6"])):
                server, client = chain["server"][family], chain["client"][family]
                forward = mtr_hosts(t, "client", server, *flags)
                reverse = mtr_hosts(t, "server", client, *flags)
                self.assertEqual(forward, chain["hops"][family]["forward"], family)
                self.assertEqual(reverse, chain["hops"][family]["reverse"], family)
            self.assertIn(detour, chain["hops"]["ipv4"]["reverse"])
            self.assertNotIn(detour, chain["hops"]["ipv4"]["forward"])
            r2 = chain["links"][1]["right"]["ipv4"]
            self.assertIn(r2, chain["hops"]["ipv4"]["forward"])
            self.assertNotIn(r2, chain["hops"]["ipv4"]["reverse"])

    def test_loss_in_one_direction_only(self):
        with topo.Topology({"chain": {"routers": 2, "losses": [
                {"router": 1, "direction": "DIRECTION_REVERSE", "percent": 20}]}}) as t:
            server, client = t.chain["server"]["ipv4"], t.chain["client"]["ipv4"]
            out_received, _ = one_way(t, "client", "server", server)
            back_received, _ = one_way(t, "server", "client", client)
        self.assertGreaterEqual(out_received, 398)
        self.assertLess(abs(100 * (1 - back_received / 400) - 20), 7, back_received)

    def test_delay_in_one_direction_only_through_a_wire(self):
        with topo.Topology({"chain": {"routers": 2, "wires": [
                {"link": 1, "reverse": {"delay_ms": 25}}]}}) as t:
            server, client = t.chain["server"]["ipv6"], t.chain["client"]["ipv6"]
            out_received, out = one_way(t, "client", "server", server, count=100)
            back_received, back = one_way(t, "server", "client", client, count=100)
            hops = mtr_hosts(t, "client", t.chain["server"]["ipv4"])
            self.assertEqual(hops, t.chain["hops"]["ipv4"]["forward"])
        self.assertEqual(out_received, 100)
        self.assertEqual(back_received, 100)
        self.assertLess(median(out), 5, out)
        self.assertLess(abs(median(back) - 25), 5, back)

    def test_icmp_rate_limits_are_the_kernels_unless_turned_off(self):
        def ratelimits(spec):
            with topo.Topology(spec) as t:
                return [t.run(node, ["sysctl", "-n", key]).stdout.strip()
                        for node in ("r1", "server")
                        for key in ("net.ipv4.icmp_ratelimit", "net.ipv4.icmp_msgs_per_sec",
                                    "net.ipv6.icmp.ratelimit")]
        defaults = ratelimits({"chain": {"routers": 1}})
        self.assertEqual(defaults, ["1000", "1000", "100"] * 2)
        off = ratelimits({"icmp_rate_limits": "ICMP_RATE_LIMITS_OFF", "chain": {"routers": 1}})
        self.assertEqual(off, ["0", "100000", "0"] * 2)

    def test_management_link_reaches_the_namespace_and_nothing_else(self):
        with topo.Topology({"chain": {"routers": 1, "management": True}}) as t:
            client, server = t.management("client"), t.management("server")
            self.assertIsNone(t.management("r1"))
            self.assertEqual(subprocess.run([sys.executable, PING, client["address"], "2"])
                             .returncode, 0)
            # From inside, the root namespace's end of the other link is out of reach (the
            # server's own management address is not: the chain leads to the server, which
            # answers for any of its addresses).
            r = t.run("client", [sys.executable, PING, server["peer"], "1"])
            self.assertNotEqual(r.returncode, 0)
            for node in ("client", "server"):
                routes = t.run(node, ["ip", "-4", "route"]).stdout.splitlines()
                via_mgmt = [r for r in routes if "dev mgmt0" in r]
                self.assertEqual(len(via_mgmt), 1, routes)
                self.assertTrue(via_mgmt[0].split()[0].endswith("/30"), via_mgmt)
                self.assertFalse(any(r.startswith("default") and "mgmt0" in r for r in routes))


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces)")
        sys.exit(77)
    unittest.main()
