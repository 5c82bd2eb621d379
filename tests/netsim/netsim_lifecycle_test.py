#!/usr/bin/env python3
"""pathpair-netsim's life cycle and isolation, with real namespaces (needs root):
`run` and `up`/`down` leave no namespace, device or process behind after success, after a
failing command and after SIGTERM/SIGINT to the emulator; nothing but the scenario's own
addresses is reachable from inside; the management link reaches both namespaces from the root
namespace and nothing else.

Environment: NETSIM_BIN, NETSIM_SCENARIOS (as netsim_scenarios_test.py).
"""
import json
import os
import random
import signal
import subprocess
import time
import unittest

import netsim_up

HERE = os.path.dirname(os.path.abspath(__file__))
NETSIM = os.environ.get("NETSIM_BIN", "pathpair-netsim")
SCENARIOS = os.environ.get("NETSIM_SCENARIOS", os.path.join(HERE, "..", "scenarios"))
HEALTHY = os.path.join(SCENARIOS, "healthy.textproto")
PING = os.path.join(HERE, "netsim_ping.py")  # ADDRESS [TIMEOUT]: exit 0 on an echo reply


def fresh_name():
    return "ppt%06x" % random.getrandbits(24)


def leftovers(name, marker=None):
    """Everything instance `name` could leave behind, as a list of strings (empty: clean)."""
    found = []
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    found += [l for l in netns.splitlines() if l.startswith(name + "-")]
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    found += [l.split(":")[1].strip() for l in links.splitlines() if (name + "-") in l]
    if os.path.exists("/run/pathpair-topo/%s.pid" % name):
        found.append("state file")
    if marker:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if marker.encode() in f.read():
                        found.append("process %s" % pid)
            except OSError:
                pass
    return found


def wait_until_clean(name, marker=None, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not leftovers(name, marker):
            return []
        time.sleep(0.05)
    return leftovers(name, marker)


def wait_for_namespace(name, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists("/run/netns/%s-cli" % name):
            return True
        time.sleep(0.02)
    return False


class RunLifecycleTest(unittest.TestCase):
    def run_netsim(self, name, *command):
        return subprocess.run([NETSIM, "run", HEALTHY, "--name", name, "--"] + list(command),
                              capture_output=True, text=True, timeout=60)

    def test_success_exits_zero_and_cleans_up(self):
        name = fresh_name()
        p = self.run_netsim(name, "sh", "-c", PING + ' "$NETSIM_SERVER_IP" 2')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(wait_until_clean(name), [])

    def test_failing_command_status_is_passed_on_and_cleans_up(self):
        name = fresh_name()
        p = self.run_netsim(name, "sh", "-c", "exit 7")
        self.assertEqual(p.returncode, 7)
        self.assertEqual(wait_until_clean(name), [])
        name = fresh_name()
        p = self.run_netsim(name, "/nonexistent/command")
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(wait_until_clean(name), [])

    def check_signal(self, sig):
        name = fresh_name()
        marker = "31.%d" % random.randint(100000, 999999)
        proc = subprocess.Popen([NETSIM, "run", HEALTHY, "--name", name, "--", "sleep", marker],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            self.assertTrue(wait_for_namespace(name))
            time.sleep(0.3)
            self.assertTrue(leftovers(name, marker), "the command should be running")
            proc.send_signal(sig)
            rc = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        proc.stderr.close()
        self.assertEqual(rc, 128 + sig)
        self.assertEqual(wait_until_clean(name, marker), [])

    def test_sigterm_cleans_up(self):
        self.check_signal(signal.SIGTERM)

    def test_sigint_cleans_up(self):
        self.check_signal(signal.SIGINT)

    def start_and_kill(self, marker, also_the_reaper):
        """`run` with a sleeping command, then SIGKILL to the emulator (and to its reaper)."""
        name = fresh_name()
        proc = subprocess.Popen([NETSIM, "run", HEALTHY, "--name", name, "--", "sleep", marker],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.assertTrue(wait_for_namespace(name))
        time.sleep(0.3)
        if also_the_reaper:
            with open("/run/pathpair-topo/%s.pid" % name) as f:
                owner, reaper = (int(x) for x in f.read().split())
            self.assertEqual(owner, proc.pid)
            os.kill(reaper, signal.SIGKILL)
        proc.kill()
        proc.wait()
        return name

    def test_sigkill_is_cleaned_up_by_the_reaper(self):
        # The command dies with the emulator (parent-death signal); the namespaces go with the
        # reaper the topology builder started.
        marker = "34.%d" % random.randint(100000, 999999)
        name = self.start_and_kill(marker, also_the_reaper=False)
        self.assertEqual(wait_until_clean(name, marker, seconds=10), [])

    def test_sigkill_then_down_cleans_up(self):
        # Emulator and reaper both killed: the namespaces remain until `down`.
        marker = "33.%d" % random.randint(100000, 999999)
        name = self.start_and_kill(marker, also_the_reaper=True)
        self.assertTrue(leftovers(name))
        down = subprocess.run([NETSIM, "down", name], capture_output=True, text=True, timeout=30)
        self.assertEqual(down.returncode, 0, down.stderr)
        self.assertEqual(wait_until_clean(name, marker), [])

    def test_builtin_default_scenario(self):
        p = subprocess.run([NETSIM, "describe", "default"], capture_output=True, text=True,
                           cwd="/", timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        truth = json.loads(p.stdout)
        self.assertEqual(truth["name"], "default")
        self.assertEqual(len(truth["truth"]["ipv4"]["forward"]), 15)

    def test_bad_scenario_is_a_clear_error(self):
        p = subprocess.run([NETSIM, "check", "/nonexistent.textproto"], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("/nonexistent.textproto", p.stderr)

    def test_isolation_inside_run(self):
        name = fresh_name()
        script = r"""
set -e
ip -4 route show > /tmp/{n}.routes4
ip -6 route show > /tmp/{n}.routes6
ip -o link show > /tmp/{n}.links
# A documentation address that is not in the scenario: the emulator has no route for it.
if {p} 198.51.100.250 1; then echo reached-outside; exit 9; fi
if {p} 2001:db8:ffff::1 1; then echo reached-outside6; exit 9; fi
# The server answers through the emulated path.
{p} "$NETSIM_SERVER_IP" 2
{p} "$NETSIM_SERVER_IP6" 2
""".format(n=name, p=PING)
        p = self.run_netsim(name, "sh", "-c", script)
        try:
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            routes4 = open("/tmp/%s.routes4" % name).read().split("\n")
            routes6 = open("/tmp/%s.routes6" % name).read()
            links = open("/tmp/%s.links" % name).read()
        finally:
            for ext in ("routes4", "routes6", "links"):
                if os.path.exists("/tmp/%s.%s" % (name, ext)):
                    os.remove("/tmp/%s.%s" % (name, ext))
        self.assertEqual([r.strip() for r in routes4 if r.strip()],
                         ["default dev netsim0 scope link src 198.51.100.10"])
        self.assertIn("default dev netsim0", routes6)
        names = sorted(l.split(":")[1].strip().split("@")[0] for l in links.splitlines())
        self.assertEqual(names, ["lo", "netsim0"])


class UpDownTest(unittest.TestCase):
    def start_up(self, name):
        proc = subprocess.Popen([NETSIM, "up", HEALTHY, "--name", name], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        env = netsim_up.read_announcement(proc)
        self.assertIn("NETSIM_READY", env, proc.stderr.read() if proc.poll() is not None else "")
        return proc, env

    def test_up_management_link_and_down(self):
        name = fresh_name()
        marker = "32.%d" % random.randint(100000, 999999)
        proc, env = self.start_up(name)
        try:
            cns, sns = env["NETSIM_CLIENT_NS"], env["NETSIM_SERVER_NS"]
            ping = [PING]
            # The root namespace reaches both namespaces over the management link.
            self.assertEqual(subprocess.run(ping + [env["NETSIM_CLIENT_MGMT_IP"], "1"],
                                            capture_output=True).returncode, 0)
            self.assertEqual(subprocess.run(ping + [env["NETSIM_SERVER_MGMT_IP"], "1"],
                                            capture_output=True).returncode, 0)
            # But a namespace reaches nothing beyond its own /30: not the other side's
            # management address, not the root namespace's other address.
            for target in (env["NETSIM_SERVER_MGMT_IP"], env["NETSIM_SERVER_MGMT_PEER_IP"]):
                r = subprocess.run(["ip", "netns", "exec", cns] + ping + [target, "1"],
                                   capture_output=True)
                self.assertNotEqual(r.returncode, 0, target)
            routes = subprocess.run(["ip", "-n", cns, "-4", "route"], capture_output=True,
                                    text=True).stdout
            self.assertEqual(len([r for r in routes.splitlines() if r.strip()]), 2, routes)
            # The emulated path works meanwhile.
            r = subprocess.run(["ip", "netns", "exec", cns] + ping + [env["NETSIM_SERVER_IP"], "2"],
                               capture_output=True)
            self.assertEqual(r.returncode, 0)
            # A program started in a namespace is stopped by `down`.
            sleeper = subprocess.Popen(["ip", "netns", "exec", sns, "sleep", marker])
            time.sleep(0.2)
            down = subprocess.run([NETSIM, "down", name], capture_output=True, text=True,
                                  timeout=30)
            self.assertEqual(down.returncode, 0, down.stderr)
            self.assertEqual(proc.wait(timeout=10), 0)
            sleeper.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            subprocess.run([NETSIM, "down", name], capture_output=True)
            proc.stdout.close()
            proc.stderr.close()
        self.assertEqual(wait_until_clean(name, marker), [])

    def test_second_instance_with_the_same_name_is_refused(self):
        name = fresh_name()
        proc, env = self.start_up(name)
        try:
            second = subprocess.run([NETSIM, "up", HEALTHY, "--name", name], capture_output=True,
                                    text=True, timeout=30)
            self.assertEqual(second.returncode, 3)
            self.assertIn("already exists", second.stderr)
            # The first one is untouched.
            r = subprocess.run([PING, env["NETSIM_CLIENT_MGMT_IP"], "1"], capture_output=True)
            self.assertEqual(r.returncode, 0)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
            proc.stdout.close()
            proc.stderr.close()
        self.assertEqual(wait_until_clean(name), [])

    def test_up_sigterm_cleans_up(self):
        name = fresh_name()
        proc, _ = self.start_up(name)
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=20), 0)
        proc.stdout.close()
        proc.stderr.close()
        self.assertEqual(wait_until_clean(name), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
