"""A path of real Linux routers in network namespaces, for integration tests.

    client -- r1 -- r2 -- ... -- rN -- server

Every hop is a namespace joined to the next by a veth pair; routers forward with the kernel and
answer with kernel ICMP (Time Exceeded, Echo Reply, Port Unreachable, TCP RST), over IPv4
(198.51.100.0/24 carved into /30s) and IPv6 (2001:db8:0:<link>::/64). Faults are nftables rules
in a router's forward chain. Namespace names are unique per path (pp<random>-<role>) and are
always removed: on close(), when the `with` block ends (also on failure or KeyboardInterrupt),
at interpreter exit, and on SIGTERM.

    with NamespacePath(routers=6) as path:
        path.add_forward_drop(router=3, percent=25)
        out = path.run_in_client(["mtr", "-n", "-r", "-c", "10", path.server_v4])

Requires root, iproute2 and nftables. Nothing here touches the host's own network: the client
has no route except along the path.
"""

import atexit
import ipaddress
import os
import secrets
import signal
import subprocess
import sys
import threading

_LIVE_PATHS = set()
_LIVE_LOCK = threading.Lock()


def _cleanup_all():
    with _LIVE_LOCK:
        paths = list(_LIVE_PATHS)
    for path in paths:
        path.close()


def _on_sigterm(signum, frame):
    _cleanup_all()
    sys.exit(128 + signum)


atexit.register(_cleanup_all)
if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGTERM, _on_sigterm)


def _sh(argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s" %
                           (result.returncode, " ".join(argv), result.stderr))
    return result


def require_root():
    """Returns a reason string when the integration tests cannot run here, else None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "nft"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            return "needs %s" % tool
    return None


class NamespacePath:
    """client, `routers` routers and a server in a line; addresses per link index i (0-based):
    IPv4 198.51.100.(4i+1) on the left end, .(4i+2) on the right end; IPv6 2001:db8:0:i::1 / ::2.
    """

    def __init__(self, routers=6, tcp_listener_port=None, twin_router=None, forward_drop=None,
                 default_icmp_limits=False):
        """twin_router=k (2..routers) adds a second router in parallel with router k, and
        router k-1 sends each packet to one of the two at random (per packet, over IPv4), so
        that tracers see two responders at TTL k, as on an ECMP path. forward_drop=(router,
        percent) is add_forward_drop(router, percent) (the topology builder's form).
        default_icmp_limits=True keeps the kernel's default ICMP rate limits in every namespace
        (icmp_ratelimit 1000 ms per destination, ...), as on stock routers; by default they are
        turned off, so that exact-count tests see no loss at fast intervals."""
        if routers < 1 or routers > 60:
            raise ValueError("routers must be 1..60 (IPv4 /30s within one /24)")
        if twin_router is not None and not 2 <= twin_router <= routers:
            raise ValueError("twin_router must be 2..routers")
        self.tag = "pp" + secrets.token_hex(3)
        self.routers = routers
        self.client = "%s-c" % self.tag
        self.server = "%s-s" % self.tag
        self.router_names = ["%s-r%d" % (self.tag, k) for k in range(1, routers + 1)]
        self.nodes = [self.client] + self.router_names + [self.server]
        self.links = len(self.nodes) - 1
        self.default_icmp_limits = default_icmp_limits
        self.twin_address_v4 = None
        self.server_v4 = self.v4(self.links - 1, right=True)
        self.server_v6 = self.v6(self.links - 1, right=True)
        self._created = []
        self._background = []
        self._closed = False
        with _LIVE_LOCK:
            _LIVE_PATHS.add(self)
        try:
            self._build()
            if twin_router is not None:
                self._add_twin(twin_router)
            if forward_drop is not None:
                self.add_forward_drop(*forward_drop)
            if tcp_listener_port is not None:
                self.start_tcp_listener(tcp_listener_port)
        except BaseException:
            self.close()
            raise

    # Addresses -------------------------------------------------------------------------------

    @staticmethod
    def v4(link, right):
        return "198.51.100.%d" % (4 * link + (2 if right else 1))

    @staticmethod
    def v6(link, right):
        # Canonical text (2001:db8::2, not 2001:db8:0:0::2), as tracers print it.
        return str(ipaddress.IPv6Address("2001:db8:0:%x::%d" % (link, 2 if right else 1)))

    def hop_addresses_v4(self):
        """What a tracer must see: each router's address on its client side, then the server."""
        return [self.v4(k, right=True) for k in range(self.links)]

    def hop_addresses_v6(self):
        return [self.v6(k, right=True) for k in range(self.links)]

    # Building --------------------------------------------------------------------------------

    def ns(self, node, argv, **kwargs):
        return _sh(["ip", "netns", "exec", node] + list(argv), **kwargs)

    def _add_node(self, node):
        _sh(["ip", "netns", "add", node])
        self._created.append(node)
        self.ns(node, ["ip", "link", "set", "lo", "up"])
        # Kernel ICMP rate limits would look like loss at fast probe intervals.
        icmp_limits_off = () if self.default_icmp_limits else (
            ("net.ipv4.icmp_ratelimit", "0"),
            ("net.ipv4.icmp_msgs_per_sec", "100000"),
            ("net.ipv4.icmp_msgs_burst", "100000"),
            ("net.ipv6.icmp.ratelimit", "0"))
        for key, value in (
                ("net.ipv4.ip_forward", "1"),
                ("net.ipv6.conf.all.forwarding", "1")) + icmp_limits_off + (
                ("net.ipv6.conf.all.accept_dad", "0"),
                ("net.ipv6.conf.default.accept_dad", "0"),
                # The twin router's path is asymmetric; strict reverse-path filtering would drop.
                ("net.ipv4.conf.all.rp_filter", "0"),
                ("net.ipv4.conf.default.rp_filter", "0")):
            self.ns(node, ["sysctl", "-qw", "%s=%s" % (key, value)], check=False)

    def _build(self):
        for node in self.nodes:
            self._add_node(node)

        for i in range(self.links):
            left, right = self.nodes[i], self.nodes[i + 1]
            # Inside every namespace: "r" faces the server, "l" faces the client.
            _sh(["ip", "link", "add", "r", "netns", left, "type", "veth", "peer", "name", "l",
                 "netns", right])
            for node, ifname, is_right in ((left, "r", False), (right, "l", True)):
                self.ns(node, ["ip", "addr", "add", self.v4(i, is_right) + "/30", "dev", ifname])
                self.ns(node, ["ip", "-6", "addr", "add", self.v6(i, is_right) + "/64", "dev",
                               ifname, "nodad"])
                self.ns(node, ["ip", "link", "set", "dev", ifname, "up"])

        # Routes: toward the server everything goes right; toward the client, each router sends
        # the links behind it (to its left) to its left neighbour.
        for index, node in enumerate(self.nodes):
            if index < self.links:
                self.ns(node, ["ip", "route", "add", "default", "via", self.v4(index, True)])
                self.ns(node, ["ip", "-6", "route", "add", "default", "via", self.v6(index, True)])
            if index > 0:
                for link in range(index - 1):
                    self.ns(node, ["ip", "route", "add", "198.51.100.%d/30" % (4 * link),
                                   "via", self.v4(index - 1, False)])
                    self.ns(node, ["ip", "-6", "route", "add", "2001:db8:0:%x::/64" % link,
                                   "via", self.v6(index - 1, False)])

    def _add_twin(self, k):
        left, right = self.nodes[k - 1], self.nodes[k + 1]
        twin = "%s-t%d" % (self.tag, k)
        self._add_node(twin)
        to_twin, from_twin = self.links, self.links + 1  # two more /30s after the line's
        for a, b, link, a_if, b_if in ((left, twin, to_twin, "tw", "l"),
                                       (twin, right, from_twin, "r", "tw")):
            _sh(["ip", "link", "add", a_if, "netns", a, "type", "veth", "peer", "name", b_if,
                 "netns", b])
            self.ns(a, ["ip", "addr", "add", self.v4(link, False) + "/30", "dev", a_if])
            self.ns(b, ["ip", "addr", "add", self.v4(link, True) + "/30", "dev", b_if])
            self.ns(a, ["ip", "link", "set", "dev", a_if, "up"])
            self.ns(b, ["ip", "link", "set", "dev", b_if, "up"])
        self.ns(twin, ["ip", "route", "add", "default", "via", self.v4(from_twin, True)])
        for link in range(k - 1):
            self.ns(twin, ["ip", "route", "add", "198.51.100.%d/30" % (4 * link), "via",
                           self.v4(to_twin, False)])
        # Router k-1 marks half of what arrives from the client side, at random, and sends the
        # marked packets through the twin.
        rules = ("table inet pptwin {\n"
                 "  chain prerouting {\n"
                 "    type filter hook prerouting priority -150; policy accept;\n"
                 "    iifname \"l\" meta mark set numgen random mod 2\n"
                 "  }\n"
                 "}\n")
        self.ns(left, ["nft", "-f", "-"], input=rules)
        self.ns(left, ["ip", "rule", "add", "fwmark", "1", "table", "100"])
        self.ns(left, ["ip", "route", "add", "default", "via", self.v4(to_twin, True), "table",
                       "100"])
        self.twin_address_v4 = self.v4(to_twin, True)

    # Faults and services --------------------------------------------------------------------

    def add_forward_drop(self, router, percent):
        """Drops `percent`% of the packets router `router` (1-based) forwards, both directions.
        Probes that expire at this router are not forwarded, so loss starts at the next hop."""
        node = self.router_names[router - 1]
        rules = ("table inet ppfault {\n"
                 "  chain forward {\n"
                 "    type filter hook forward priority 0; policy accept;\n"
                 "    numgen random mod 100 < %d drop\n"
                 "  }\n"
                 "}\n" % percent)
        self.ns(node, ["nft", "-f", "-"], input=rules)

    def start_tcp_listener(self, port):
        """A TCP listener on the server (both families) that accepts and closes connections."""
        code = ("import socket,sys\n"
                "s=socket.socket(socket.AF_INET6,socket.SOCK_STREAM)\n"
                "s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0)\n"
                "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                "s.bind(('::',%d));s.listen(128)\n"
                "print('ready',flush=True)\n"
                "while True:\n"
                "  c,_=s.accept();c.close()\n" % port)
        proc = subprocess.Popen(["ip", "netns", "exec", self.server, sys.executable, "-c", code],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._background.append(proc)
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("TCP listener did not start")

    # Running tracers ---------------------------------------------------------------------------

    def start_in_client(self, argv):
        """Starts argv in the client namespace; returns the Popen (stdout/stderr captured)."""
        return subprocess.Popen(["ip", "netns", "exec", self.client] + list(argv),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run_in_client(self, argv, timeout=120):
        return wait(self.start_in_client(argv), timeout)

    # Teardown --------------------------------------------------------------------------------

    def close(self):
        if self._closed:
            return
        self._closed = True
        for proc in self._background:
            proc.kill()
            proc.wait()
        for node in reversed(self._created):
            pids = subprocess.run(["ip", "netns", "pids", node], capture_output=True,
                                  text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", node], capture_output=True)
        self._created = []
        with _LIVE_LOCK:
            _LIVE_PATHS.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Completed:
    def __init__(self, argv, returncode, stdout, stderr):
        self.argv, self.returncode, self.stdout, self.stderr = argv, returncode, stdout, stderr

    def __repr__(self):
        return "Completed(%s, rc=%d)\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(self.argv), self.returncode, self.stdout, self.stderr)


def wait(proc, timeout=120):
    """Waits for a Popen from start_in_client; kills it when the timeout passes."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += "\n[killed after %ss]" % timeout
        return Completed(proc.args, -9, out, err)
    return Completed(proc.args, proc.returncode, out, err)


# Test-runner glue ------------------------------------------------------------------------------

SKIP_EXIT_CODE = 77  # ctest's SKIP_RETURN_CODE for these tests


def pathpair_binary():
    """The pathpair executable under test: $PATHPAIR_BIN (set by ctest)."""
    path = os.environ.get("PATHPAIR_BIN", "")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("set PATHPAIR_BIN to the pathpair executable")
    return path


def main_requiring_root():
    """unittest.main() for root-only modules; exits 77 (skipped) when this is not root."""
    import unittest
    reason = require_root()
    if reason:
        print("skipped: " + reason)
        sys.exit(SKIP_EXIT_CODE)
    unittest.main()
