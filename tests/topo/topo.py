"""Network-namespace topologies for the Python tests, built by pathpair-topo (tests/topo), the
project's one topology builder. A spec is a dict in the JSON mapping of tests/topo/topo.proto:

    with Topology({"chain": {"routers": 3,
                             "detours": [{"from_router": 3, "to_router": 1}],
                             "wires": [{"link": 1, "reverse": {"delay_ms": 25}}]}}) as t:
        t.run("client", ["mtr", "-n", "-r", "-c", "10", t.chain["server"]["ipv4"]])
        t.chain["hops"]["ipv4"]["reverse"]   # what a tracer on the server must see

`pathpair-topo up SPEC --until-stdin-closes` builds it and keeps it (running its wires) until
this process closes the pipe: on close(), when the `with` block ends, at interpreter exit, on
SIGTERM, and also when this process dies in any other way. Requires root, iproute2 and nftables.

Environment: PATHPAIR_TOPO_BIN, the pathpair-topo executable (set by ctest).
"""

import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading

_LIVE = set()
_LIVE_LOCK = threading.Lock()


def _close_all():
    with _LIVE_LOCK:
        live = list(_LIVE)
    for topology in live:
        topology.close()


def _on_sigterm(signum, frame):
    _close_all()
    sys.exit(128 + signum)


atexit.register(_close_all)
if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGTERM, _on_sigterm)


def topo_binary():
    path = os.environ.get("PATHPAIR_TOPO_BIN", "")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("set PATHPAIR_TOPO_BIN to the pathpair-topo executable")
    return path


class Topology:
    """A live topology. `info` is what pathpair-topo printed (tests/topo/describe.h): the name,
    each node's namespace, interfaces and management addresses, and for a chain its layout and
    the expected hops."""

    def __init__(self, spec, name=None):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(spec, f)
            spec_file = f.name
        argv = [topo_binary(), "up", spec_file, "--until-stdin-closes"]
        if name:
            argv += ["--name", name]
        self._closed = False
        try:
            self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True)
            line = self._proc.stdout.readline()
        finally:
            os.unlink(spec_file)
        if not line:
            self._proc.wait()
            error = self._proc.stderr.read()
            self._closed = True
            raise RuntimeError("pathpair-topo up failed (%d): %s" % (self._proc.returncode, error))
        self.info = json.loads(line)
        self.name = self.info["name"]
        with _LIVE_LOCK:
            _LIVE.add(self)

    @property
    def chain(self):
        return self.info.get("chain")

    def namespace(self, node):
        return self.info["nodes"][node]["namespace"]

    def addresses(self, node, interface):
        """The interface's addresses with their prefixes ("198.51.100.1/30")."""
        return self.info["nodes"][node]["interfaces"][interface]

    def management(self, node):
        """{"address": in the namespace, "peer": in the root namespace}, or None."""
        return self.info["nodes"][node].get("management")

    def argv(self, node, argv):
        return ["ip", "netns", "exec", self.namespace(node)] + list(argv)

    def run(self, node, argv, **kwargs):
        """subprocess.run inside the node's namespace (output captured as text by default)."""
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        return subprocess.run(self.argv(node, argv), **kwargs)

    def popen(self, node, argv, **kwargs):
        return subprocess.Popen(self.argv(node, argv), **kwargs)

    def close(self):
        """Removes the topology and waits until it is gone."""
        if self._closed:
            return
        self._closed = True
        try:
            self._proc.stdin.close()
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
            subprocess.run([topo_binary(), "down", self.name], capture_output=True)
        finally:
            self._proc.stdout.close()
            self._proc.stderr.close()
            with _LIVE_LOCK:
                _LIVE.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
