"""A path of real Linux routers in network namespaces, for integration tests.

    client -- r1 -- r2 -- ... -- rN -- server

A chain of the project's topology builder (tests/topo/topo.py, pathpair-topo): every hop is a
namespace joined to the next by a veth pair; routers forward with the kernel and answer with
kernel ICMP (Time Exceeded, Echo Reply, Port Unreachable, TCP RST), over IPv4 (198.51.100.0/24
carved into /30s) and IPv6 (2001:db8:0:<link>::/64). These tests count every reply, so the
kernel's ICMP rate limits are off in every namespace. Faults are nftables rules in a router's
forward chain. Namespace names are unique per path (pp<random>-<node>) and are always removed (see
topo.py).

    with NamespacePath(routers=6, forward_drop=(3, 25)) as path:
        out = path.run_in_client(["mtr", "-n", "-r", "-c", "10", path.server_v4])

Requires root, iproute2 and nftables, and PATHPAIR_TOPO_BIN. Nothing here touches the host's own
network: the client has no route except along the path.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "topo"))
import topo  # noqa: E402


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
        router k-1 sends each packet to one of the two at random (per packet), so that tracers
        see two responders at TTL k, as on an ECMP path. forward_drop=(router, percent) drops
        that percentage of the packets the router (1-based) forwards, both directions; probes
        that expire at this router are not forwarded, so loss starts at the next hop.
        default_icmp_limits=True keeps the kernel's default ICMP rate limits in every namespace
        (icmp_ratelimit 1000 ms per destination, ...), as on stock routers; by default they are
        turned off, so that exact-count tests see no loss at fast intervals."""
        chain = {"routers": routers}
        if twin_router is not None:
            chain["twin"] = {"router": twin_router}
        if forward_drop is not None:
            chain["losses"] = [{"router": forward_drop[0], "percent": forward_drop[1]}]
        limits = "ICMP_RATE_LIMITS_KERNEL_DEFAULT" if default_icmp_limits else "ICMP_RATE_LIMITS_OFF"
        self.default_icmp_limits = default_icmp_limits
        self.topology = topo.Topology({"icmp_rate_limits": limits,
                                       "chain": chain})
        self._background = []
        self._closed = False
        try:
            layout = self.topology.chain
            self._links = layout["links"]
            self.tag = self.topology.name
            self.routers = routers
            self.client = self.topology.namespace("client")
            self.server = self.topology.namespace("server")
            self.nodes = [self.topology.namespace(n) for n in layout["nodes"]]
            self.router_names = self.nodes[1:-1]
            self.links = len(self._links)
            self.twin_address_v4 = layout["twin"]["ipv4"] if layout["twin"] else None
            self.server_v4 = layout["server"]["ipv4"]
            self.server_v6 = layout["server"]["ipv6"]
            self._hops = layout["hops"]
            if tcp_listener_port is not None:
                self.start_tcp_listener(tcp_listener_port)
        except BaseException:
            self.close()
            raise

    # Addresses -------------------------------------------------------------------------------

    def v4(self, link, right):
        return self._links[link]["right" if right else "left"]["ipv4"]

    def v6(self, link, right):
        return self._links[link]["right" if right else "left"]["ipv6"]

    def hop_addresses_v4(self):
        """What a tracer must see: each router's address on its client side, then the server."""
        return self._hops["ipv4"]["forward"]

    def hop_addresses_v6(self):
        return self._hops["ipv6"]["forward"]

    # Services --------------------------------------------------------------------------------

    def ns(self, node, argv, **kwargs):
        """Runs argv in namespace `node` (a name from self.nodes); raises when it fails."""
        result = subprocess.run(["ip", "netns", "exec", node] + list(argv), capture_output=True,
                                text=True, **kwargs)
        if result.returncode != 0:
            raise RuntimeError("command failed (%d): %s\n%s" %
                               (result.returncode, " ".join(argv), result.stderr))
        return result

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
            if proc.stdout:
                proc.stdout.close()
        self.topology.close()

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


def wait_for_port(node, address, port, proc, log, timeout=10):
    """Waits until a TCP connection from namespace `node` to address:port succeeds (a server
    `proc` started, writing to the file `log`, is listening); raises with the log when `proc`
    exits first, or after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = subprocess.run(
            ["ip", "netns", "exec", node, sys.executable, "-c",
             "import socket; socket.create_connection(('%s', %d), timeout=0.5).close()"
             % (address, port)], capture_output=True)
        if probe.returncode == 0:
            return
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError("exited: %s" % log.read().decode(errors="replace"))
        time.sleep(0.1)
    raise RuntimeError("nothing listened on %s:%d in %s" % (address, port, node))


# Test-runner glue ------------------------------------------------------------------------------

SKIP_EXIT_CODE = 77  # ctest's SKIP_RETURN_CODE for these tests


def stop_processes(procs, logs=()):
    """Kills the processes still running, reaps them all and closes their log files (a test's
    teardown, also after a failure)."""
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    for log in logs:
        log.close()


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
