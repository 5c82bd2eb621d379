#!/usr/bin/env python3
"""Fleet mode through a NAT: an agent that only dials out (`pathpair-agent --controller ...
--name office`) behind a masquerading router that drops every new inbound connection, a
listening agent on the other side, and the controller's hub (fleet_nat_driver, a test binary
embedding controller/fleet/agent_hub.h) running paired tests between them:

    client ns (office, 198.51.100.1) -- r1 (NAT: masquerade, no new inbound) -- r2 -- server ns
                                                                    (hub :7500, agent :8620)

- the NATed agent as the client: the reverse target is the NAT's public address (r1's outside
  address), learned by Reflect with the NATed end initiating; one-way results in both
  directions;
- the NATed agent as the server: it calls Reflect on the listening agent, which sees the NAT's
  public address (the forward target); traces and one-way results in both directions;
- the hub restarts: the agent reconnects by itself.
Needs root; exits 77 (skipped) without it.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_token  # noqa: E402
import nspath  # noqa: E402

AGENT = os.environ.get("PATHPAIR_AGENT_BIN", "pathpair-agent")
DRIVER = os.environ.get("FLEET_NAT_DRIVER", "fleet_nat_driver")
AGENT_PORT = 8620
HUB_PORT = 7500
COUNT = 5


def write_token(value):
    fd, path = tempfile.mkstemp(prefix="pathpair-test-agent-token-")
    os.write(fd, (value + "\n").encode())
    os.close(fd)
    os.chmod(path, 0o644)
    return path


def interface_with(path, node, address):
    out = path.ns(node, ["ip", "-o", "-4", "addr", "show"]).stdout
    for line in out.splitlines():
        fields = line.split()
        if fields[3].split("/")[0] == address:
            return fields[1]
    raise RuntimeError("no interface with %s in %s" % (address, node))


class FleetNatTest(unittest.TestCase):
    def setUp(self):
        self.procs = []
        self.agent_token = write_token("agent-" + os.urandom(16).hex())
        self.path = nspath.NamespacePath(routers=2)
        try:
            self.inside = self.path.v4(0, False)      # the NATed agent
            self.nat_public = self.path.v4(1, False)  # r1's outside address
            self.outside = self.path.server_v4
            r1 = self.path.router_names[0]
            outside_if = interface_with(self.path, r1, self.nat_public)
            # Masquerade what leaves r1 towards the outside; admit nothing new from outside.
            rules = (
                "table ip fleetnat {\n"
                " chain outbound { type nat hook postrouting priority srcnat; policy accept;\n"
                "  oifname \"%s\" ip saddr %s masquerade; }\n"
                " chain inbound { type filter hook forward priority filter; policy accept;\n"
                "  iifname \"%s\" ct state new counter drop; }\n"
                "}\n" % (outside_if, self.inside, outside_if))
            self.path.ns(r1, ["nft", "-f", "-"], input=rules)
        except BaseException:
            self.path.close()
            raise

    def tearDown(self):
        for proc, log in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            log.close()
        self.path.close()
        os.unlink(self.agent_token)

    def start(self, node, argv):
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen(["ip", "netns", "exec", node] + argv, stdout=log, stderr=log)
        self.procs.append((proc, log))
        return proc, log

    def log_of(self, log):
        log.seek(0)
        return log.read().decode(errors="replace")

    def test_nated_agent_is_either_end_and_reconnects(self):
        # The inside accepts no connection from outside: a listener there is reachable from
        # the inside only.
        listener, listener_log = self.start(self.path.client, [
            sys.executable, "-c",
            "import socket,time\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,"
            "socket.SO_REUSEADDR,1)\ns.bind(('0.0.0.0',9999));s.listen(8)\ntime.sleep(120)"])
        nspath.wait_for_port(self.path.client, self.inside, 9999, listener, listener_log)
        blocked = subprocess.run(
            ["ip", "netns", "exec", self.path.server, sys.executable, "-c",
             "import socket; socket.create_connection(('%s', 9999), timeout=1).close()"
             % self.inside], capture_output=True)
        self.assertNotEqual(blocked.returncode, 0, "the NAT let a connection in")

        listening, listening_log = self.start(self.path.server, [
            AGENT, "--listen", "0.0.0.0:%d" % AGENT_PORT, "--agent-token-file",
            self.agent_token] + agent_token.AGENT_ARGS)
        nspath.wait_for_port(self.path.server, self.outside, AGENT_PORT, listening, listening_log)
        driver, driver_log = self.start(self.path.server, [
            DRIVER, "--hub-listen", "%s:%d" % (self.outside, HUB_PORT),
            "--agent", "%s:%d" % (self.outside, AGENT_PORT), "--name", "office",
            "--token-file", agent_token.PATH, "--agent-token-file", self.agent_token,
            "--count", str(COUNT)])
        nspath.wait_for_port(self.path.server, self.outside, HUB_PORT, driver, driver_log)
        # No --listen: the office agent only dials out.
        office, office_log = self.start(self.path.client, [
            AGENT, "--controller", "%s:%d" % (self.outside, HUB_PORT), "--name", "office",
            "--agent-token-file", self.agent_token] + agent_token.AGENT_ARGS)
        try:
            driver.wait(timeout=150)
        except subprocess.TimeoutExpired:
            driver.kill()
            driver.wait()
        out = self.log_of(driver_log)
        context = "driver:\n%s\noffice agent:\n%s\nlistening agent:\n%s" % (
            out[-6000:], self.log_of(office_log)[-4000:], self.log_of(listening_log)[-3000:])
        steps = {}
        for line in out.splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                steps[record["step"]] = record
        self.assertEqual(driver.returncode, 0, context)
        for name in ("nat_client", "nat_server"):
            run = steps.get(name, {}).get("run", {})
            print("%s: forward %s reverse %s one-way fwd %s rev %s" % (
                name, run.get("forward_target"), run.get("reverse_target"),
                run.get("oneway_forward", {}).get("stats"),
                run.get("oneway_reverse", {}).get("stats")), file=sys.stderr)
        print("reattached: %s" % steps.get("reattached"), file=sys.stderr)

        # The hub saw the agent come from the NAT's public address.
        self.assertEqual(steps["attached"]["peer"].rsplit(":", 1)[0], self.nat_public, context)

        # The NATed agent as the client.
        client = steps["nat_client"]
        self.assertEqual(client["status"], "OK", context)
        run = client["run"]
        self.assertEqual(run["forward_target"], self.outside)
        self.assertEqual(run["reverse_target"], self.nat_public, context)
        self.assertTrue(run["reverse_target_reflected"])
        self.check_traces_and_oneway(run, context)

        # The NATed agent as the server: it called Reflect on the listening agent.
        server = steps["nat_server"]
        self.assertEqual(server["status"], "OK", context)
        run = server["run"]
        self.assertEqual(run["forward_target"], self.nat_public, context)
        self.assertEqual(run["reverse_target"], self.outside)
        self.check_traces_and_oneway(run, context)

        # The hub restarted: the agent came back by itself and answers through it.
        again = steps["reattached"]
        self.assertEqual(again["peer"].rsplit(":", 1)[0], self.nat_public, context)
        self.assertEqual(again["info"], "OK", context)
        self.assertIsNone(office.poll(), "the office agent exited:\n" + context)

    def check_traces_and_oneway(self, run, context):
        for side, target in (("client", run["forward_target"]), ("server", run["reverse_target"])):
            trace = run[side].get("trace", {})
            self.assertTrue(trace.get("final"), "%s trace not final\n%s" % (side, context))
            self.assertEqual(trace.get("rounds"), COUNT, context)
            self.assertTrue(trace.get("reached"), "%s trace never reached %s\n%s" % (
                side, target, context))
            last = trace["hops"][-1]
            addresses = {r.get("address") for r in last.get("responders", [])}
            self.assertIn(target, addresses, context)
        for direction in ("oneway_forward", "oneway_reverse"):
            stats = run[direction].get("stats", {})
            self.assertEqual(run[direction].get("error", ""), "", "%s\n%s" % (direction, context))
            self.assertGreaterEqual(int(stats.get("sent", 0)), 200, "%s\n%s" % (direction, context))
            self.assertEqual(int(stats.get("received", 0)), int(stats["sent"]),
                             "%s lost packets through the NAT\n%s" % (direction, context))


if __name__ == "__main__":
    nspath.main_requiring_root()
