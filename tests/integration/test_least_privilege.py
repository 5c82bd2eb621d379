"""Least privilege, read from /proc while the programs run (docs/SECURITY.md, issue 10 §1).

pathpair-agent, `pathpair trace` and the in-process client of `pathpair test` open every socket
first and then drop everything: an unprivileged user (as root), no capability in any of the four
sets (effective, permitted, inheritable, ambient), no_new_privs. Each test reads
/proc/PID/task/*/status of the running process (every thread, not only the main one) and then
proves that probing still works after the drop: ICMP, UDP and TCP, over IPv4 and IPv6, on a
namespace path, every probe answered by the destination.

Two starting points: root, and a non-root user holding only CAP_NET_RAW (ambient), as under
systemd with AmbientCapabilities=CAP_NET_RAW (started here with setpriv from util-linux).

Needs root; exits 77 (skipped) without it. Environment: PATHPAIR_BIN, PATHPAIR_AGENT_BIN,
PATHPAIR_TOPO_BIN.
"""
import ipaddress
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import agent_token  # noqa: E402
import nspath  # noqa: E402

PATHPAIR = os.environ.get("PATHPAIR_BIN", "pathpair")
AGENT = os.environ.get("PATHPAIR_AGENT_BIN", "pathpair-agent")
AGENT_PORT = 8620
COUNT = 12
ROUNDS = ["-c", str(COUNT), "-i", "0.25", "--timeout", "2", "--gracetime", "1"]
# Without root, mtr's rule forbids intervals below 1 s.
SLOW_ROUNDS = ["-c", "4", "-i", "1", "--timeout", "2", "--gracetime", "1"]
PROTOCOLS = {"icmp": [], "udp": ["-u"], "tcp": ["-T", "-P", "9"]}
NOBODY = pwd.getpwnam("nobody")
# A non-root user holding only CAP_NET_RAW, as systemd's AmbientCapabilities=CAP_NET_RAW gives.
NET_RAW_ONLY = ["setpriv", "--reuid=%d" % NOBODY.pw_uid, "--regid=%d" % NOBODY.pw_gid,
                "--clear-groups", "--inh-caps=+net_raw", "--ambient-caps=+net_raw"]


def default_user():
    """The user a root process becomes by default (agent/net/privileges.h)."""
    try:
        return pwd.getpwnam("pathpair")
    except KeyError:
        return NOBODY


def read_status(pid):
    """{field: value} of every thread of `pid` ({} when it has gone)."""
    threads = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                threads.append(dict(line.rstrip("\n").split(":\t", 1) for line in f
                                    if ":\t" in line))
    except (FileNotFoundError, ProcessLookupError):
        return []
    return threads


def status_once_dropped(proc, timeout=10):
    """The status of every thread, read while `proc` runs, once it has dropped its privileges.
    The drop (right after the sockets open) ends by setting no_new_privs, which neither `ip netns
    exec` nor setpriv sets, so that marks it; the status is then read again while it probes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        threads = read_status(proc.pid)
        if threads and threads[0].get("NoNewPrivs") == "1":
            time.sleep(0.3)
            again = read_status(proc.pid)
            if again and proc.poll() is None:
                return again
        time.sleep(0.02)
    raise AssertionError("never saw %s drop its privileges while running (rc=%s)"
                         % (proc.args, proc.poll()))


class LeastPrivilegeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path = nspath.NamespacePath(routers=2)
        cls.tmp = tempfile.mkdtemp(prefix="pp-privilege-")

    @classmethod
    def tearDownClass(cls):
        cls.path.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assert_unprivileged(self, threads, uid, gid):
        self.assertTrue(threads)
        for t in threads:
            self.assertEqual(t["Uid"].split(), [str(uid)] * 4, t)
            self.assertEqual(t["Gid"].split(), [str(gid)] * 4, t)
            self.assertNotIn("0", t["Groups"].split(), t)
            for field in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
                self.assertEqual(int(t[field], 16), 0, (field, t))
            self.assertEqual(t["NoNewPrivs"], "1", t)

    def target(self, family):
        return self.path.server_v4 if family == 4 else self.path.server_v6

    def check_trace_json(self, text, target, count=COUNT):
        hubs = json.loads(text)["report"]["hubs"]
        self.assertEqual(ipaddress.ip_address(hubs[-1]["host"]), ipaddress.ip_address(target),
                         hubs)
        self.assertEqual(hubs[-1]["Loss%"], 0.0, hubs)
        self.assertEqual(hubs[-1]["Snt"], count, hubs)

    # pathpair trace --------------------------------------------------------------------------

    def run_traces(self, prefix, uid, gid, rounds=ROUNDS):
        """Every protocol and family at once; each is read from /proc while it runs."""
        running = {}
        for name, flags in PROTOCOLS.items():
            for family in (4, 6):
                argv = prefix + [PATHPAIR, "trace", "-n", "-j"] + rounds + flags + [
                    self.target(family)]
                running[(name, family)] = self.path.start_in_client(argv)
        for (name, family), proc in running.items():
            with self.subTest(protocol=name, family=family):
                self.assert_unprivileged(status_once_dropped(proc), uid, gid)
        for (name, family), proc in running.items():
            with self.subTest(protocol=name, family=family):
                done = nspath.wait(proc, timeout=60)
                self.assertEqual(done.returncode, 0, done)
                self.check_trace_json(done.stdout, self.target(family), int(rounds[1]))

    def test_trace_as_root_becomes_unprivileged(self):
        user = default_user()
        self.run_traces([], user.pw_uid, user.pw_gid)

    def test_trace_via_sudo_becomes_the_invoking_user(self):
        argv = ["env", "SUDO_UID=4242", "SUDO_GID=4343", PATHPAIR, "trace", "-n", "-j"] + \
            ROUNDS + [self.path.server_v4]
        proc = self.path.start_in_client(argv)
        self.assert_unprivileged(status_once_dropped(proc), 4242, 4343)
        done = nspath.wait(proc, timeout=60)
        self.assertEqual(done.returncode, 0, done)
        self.check_trace_json(done.stdout, self.path.server_v4)

    def test_trace_with_only_cap_net_raw(self):
        self.run_traces(NET_RAW_ONLY, NOBODY.pw_uid, NOBODY.pw_gid, SLOW_ROUNDS)

    # pathpair-agent and pathpair test ---------------------------------------------------------

    def start_agent(self, node, prefix=(), extra=()):
        log = open(os.path.join(self.tmp, "agent-%s-%d.log" % (node, time.monotonic_ns())), "w+")
        proc = subprocess.Popen(["ip", "netns", "exec", node] + list(prefix) + [
            AGENT, "--listen", "[::]:%d" % AGENT_PORT] + agent_token.AGENT_ARGS + list(extra),
            stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(log.close)
        self.addCleanup(lambda: (proc.kill(), proc.wait()))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            log.seek(0)
            if "listening on port" in log.read():
                return proc
            if proc.poll() is not None:
                log.seek(0)
                self.fail("agent exited: %s" % log.read())
            time.sleep(0.05)
        self.fail("agent in %s never listened" % node)

    def paired_test(self, client, family, protocol_flags, extra=()):
        server = ("%s:%d" % (self.path.server_v4, AGENT_PORT) if family == 4
                  else "[%s]:%d" % (self.path.server_v6, AGENT_PORT))
        argv = [PATHPAIR, "test"] + list(client) + [
            "--server", server, "--target", self.target(family), *agent_token.CONTROLLER_ARGS, "--json",
            "--no-history", "-n"] + ROUNDS + protocol_flags + list(extra)
        return self.path.start_in_client(argv)

    def check_paired(self, done, family):
        self.assertEqual(done.returncode, 0, done)
        report = json.loads(done.stdout)
        self.check_trace_json(json.dumps(report["forward"]), self.target(family))
        client_v4 = self.path.v4(0, False)
        client_v6 = self.path.v6(0, False)
        self.check_trace_json(json.dumps(report["reverse"]),
                              client_v4 if family == 4 else client_v6)

    def run_agents_matrix(self, agent_prefix, uid, gid):
        client_agent = self.start_agent(self.path.client, agent_prefix)
        server_agent = self.start_agent(self.path.server, agent_prefix)
        for agent in (client_agent, server_agent):
            self.assert_unprivileged(read_status(agent.pid), uid, gid)
        running = {}
        for name, flags in PROTOCOLS.items():
            for family in (4, 6):
                running[(name, family)] = self.paired_test(
                    ["--client", "127.0.0.1:%d" % AGENT_PORT], family, flags, ["--no-oneway"])
        for (name, family), proc in running.items():
            with self.subTest(protocol=name, family=family):
                self.check_paired(nspath.wait(proc, timeout=90), family)
        # The one-way endpoint was bound before the drop and still measures.
        done = nspath.wait(self.paired_test(["--client", "127.0.0.1:%d" % AGENT_PORT], 4, []), 90)
        self.check_paired(done, 4)
        oneway = json.loads(done.stdout)["oneway"]
        self.assertTrue(oneway, done)
        for agent in (client_agent, server_agent):
            self.assertIsNone(agent.poll())
            self.assert_unprivileged(read_status(agent.pid), uid, gid)

    def test_agent_as_root_becomes_unprivileged_and_probes(self):
        user = default_user()
        self.run_agents_matrix([], user.pw_uid, user.pw_gid)

    def test_agent_with_only_cap_net_raw(self):
        self.run_agents_matrix(NET_RAW_ONLY, NOBODY.pw_uid, NOBODY.pw_gid)

    def test_agent_user_flag(self):
        proc = self.start_agent(self.path.server, extra=["--user", "daemon"])
        daemon = pwd.getpwnam("daemon")
        self.assert_unprivileged(read_status(proc.pid), daemon.pw_uid, daemon.pw_gid)

    def test_agent_refuses_a_user_it_cannot_become(self):
        for prefix, user in (([], "no-such-user-pathpair"), (NET_RAW_ONLY, "daemon"),
                             ([], "root")):
            with self.subTest(user=user, root=not prefix):
                proc = subprocess.run(["ip", "netns", "exec", self.path.server] + prefix + [
                    AGENT, "--listen", "127.0.0.1:0", "--insecure", "--user", user],
                    capture_output=True, text=True, timeout=30)
                self.assertEqual(proc.returncode, 2, proc)
                self.assertIn(user, proc.stderr)
                self.assertNotIn("listening", proc.stdout)

    def test_in_process_client_of_pathpair_test(self):
        self.start_agent(self.path.server)
        user = default_user()
        running = {}
        for name, flags in PROTOCOLS.items():
            for family in (4, 6):
                running[(name, family)] = self.paired_test([], family, flags, ["--no-oneway"])
        for (name, family), proc in running.items():
            with self.subTest(protocol=name, family=family):
                self.assert_unprivileged(status_once_dropped(proc), user.pw_uid, user.pw_gid)
        for (name, family), proc in running.items():
            with self.subTest(protocol=name, family=family):
                self.check_paired(nspath.wait(proc, timeout=90), family)


if __name__ == "__main__":
    nspath.main_requiring_root()
