#!/usr/bin/env python3
"""pathpair-agent's /metrics against the real Prometheus tools (Debian's `prometheus` package).

- PromtoolTest (no root): `promtool check metrics` accepts what a fresh agent serves.
- PrometheusScrapeTest (root): on a namespace path (tests/integration/nspath.py: client, two
  routers, server), the client agent runs as the systemd unit runs it (an unprivileged user
  whose only capability is CAP_NET_RAW, ambient, with no_new_privs; see
  deploy/systemd/pathpair-agent.service), serves --metrics-listen, and a real Prometheus server
  in the client namespace scrapes it every second. After `pathpair test -u` (UDP: raw sockets)
  between the two agents, Prometheus sees pathpair_agent_probes_sent_total > 0, replies by kind
  and the StartTrace calls; promtool accepts the agent's output with every family filled.

Environment: PATHPAIR_BIN, PATHPAIR_AGENT_BIN, PATHPAIR_TOPO_BIN. Exit 77: skipped.
"""
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "integration"))
import agent_token  # noqa: E402
import nspath  # noqa: E402

AGENT = os.environ.get("PATHPAIR_AGENT_BIN", "pathpair-agent")
PATHPAIR = os.environ.get("PATHPAIR_BIN", "pathpair")
AGENT_PORT = 8620
METRICS_PORT = 9620
PROMETHEUS_PORT = 9090


def start_agent(argv_prefix, extra, log):
    """Starts an agent; returns (process, {"listening": port, "metrics": port})."""
    proc = subprocess.Popen(argv_prefix + [AGENT] + extra, stdout=subprocess.PIPE, stderr=log,
                            text=True)
    ports = {}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and "listening" not in ports:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the agent exited (%s)" % proc.wait())
        if line.startswith("pathpair-agent: metrics on port "):
            ports["metrics"] = int(line.split()[4])
        elif line.startswith("pathpair-agent: listening on port "):
            ports["listening"] = int(line.split()[4])
    return proc, ports


def promtool_check(text):
    return subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                          text=True)


class PromtoolTest(unittest.TestCase):
    def test_fresh_agent_output_passes_promtool(self):
        with tempfile.TemporaryFile("w+") as log:
            proc, ports = start_agent([], ["--listen", "127.0.0.1:0", "--insecure",
                                           "--metrics-listen", "127.0.0.1:0"], log)
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % ports["metrics"],
                                            timeout=10) as response:
                    self.assertEqual(response.headers["Content-Type"],
                                     "text/plain; version=0.0.4; charset=utf-8")
                    text = response.read().decode()
            finally:
                proc.terminate()
                proc.wait()
                proc.stdout.close()
        for name in ["pathpair_agent_traces_active", "pathpair_agent_probes_sent_total",
                     "pathpair_agent_replies_received_total", "pathpair_agent_rpcs_total",
                     "pathpair_agent_oneway_sessions_active",
                     "pathpair_agent_limit_refusals_total", "pathpair_agent_build_info"]:
            self.assertIn("# TYPE %s " % name, text)
        result = promtool_check(text)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_promtool_rejects_broken_output(self):
        """The check above can fail: promtool refuses a counter without _total and junk."""
        result = promtool_check("# TYPE pathpair_bad counter\npathpair_bad{ 1\n")
        self.assertNotEqual(result.returncode, 0)


def unit_user():
    """The unit's user when this machine has it (the package made it), else nobody."""
    for name in ("pathpair", "nobody"):
        try:
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
        except KeyError:
            continue
    raise RuntimeError("no pathpair or nobody user")


class PrometheusScrapeTest(unittest.TestCase):
    def setUp(self):
        reason = nspath.require_root()
        if reason:
            self.skipTest(reason)
        for tool in ("prometheus", "promtool", "setpriv"):
            if shutil.which(tool) is None:
                self.fail("%s is missing (deploy/install-deps.sh)" % tool)

    def query(self, path, expression):
        """Prometheus's instant query, from inside the client namespace; the result vector."""
        code = ("import json,sys,urllib.parse,urllib.request\n"
                "u='http://127.0.0.1:%d/api/v1/query?'+urllib.parse.urlencode({'query':sys.argv[1]})\n"
                "print(urllib.request.urlopen(u,timeout=5).read().decode())\n" % PROMETHEUS_PORT)
        result = subprocess.run(["ip", "netns", "exec", path.client, "/usr/bin/python3", "-c",
                                 code, expression], capture_output=True, text=True)
        if result.returncode != 0:
            return None
        return json.loads(result.stdout)["data"]["result"]

    def wait_for(self, path, expression, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            vector = self.query(path, expression)
            if vector:
                return vector
            time.sleep(0.5)
        self.fail("Prometheus never answered %s with a sample" % expression)

    def test_prometheus_scrapes_probe_counts_after_a_trace(self):
        uid, gid = unit_user()
        work = tempfile.mkdtemp(prefix="pathpair-prom-")
        os.chmod(work, 0o755)
        logs = []
        try:
            with nspath.NamespacePath(routers=2) as path:
                def log(name):
                    f = open(os.path.join(work, name + ".log"), "w+")
                    logs.append(f)
                    return f

                server, _ = start_agent(["ip", "netns", "exec", path.server],
                                        ["--listen", "0.0.0.0:%d" % AGENT_PORT] + agent_token.AGENT_ARGS,
                                        log("server"))
                path._background.append(server)
                # The unit's identity: not root, CAP_NET_RAW only (ambient and bounding),
                # no_new_privs.
                as_unit = ["ip", "netns", "exec", path.client, "setpriv", "--reuid=%d" % uid,
                           "--regid=%d" % gid, "--clear-groups", "--inh-caps=-all,+net_raw",
                           "--ambient-caps=-all,+net_raw", "--bounding-set=-all,+net_raw",
                           "--no-new-privs"]
                client, ports = start_agent(
                    as_unit, ["--listen", "127.0.0.1:%d" % AGENT_PORT] + agent_token.AGENT_ARGS
                    + ["--metrics-listen", "127.0.0.1:%d" % METRICS_PORT],
                    log("client"))
                path._background.append(client)
                self.assertEqual(ports["metrics"], METRICS_PORT)
                with open("/proc/%d/status" % client.pid) as f:
                    status = f.read()
                # The agent itself (setpriv exec'd it), as under the unit: its user, and no
                # capability but CAP_NET_RAW (bit 13) within reach (it may have dropped that
                # one too, once its sockets were open).
                self.assertIn("Uid:\t%d\t" % uid, status)
                self.assertIn("CapBnd:\t0000000000002000\n", status)
                self.assertIn("NoNewPrivs:\t1\n", status)
                effective = int(status.split("CapEff:\t")[1].split()[0], 16)
                self.assertEqual(effective & ~0x2000, 0)

                config = os.path.join(work, "prometheus.yml")
                with open(config, "w") as f:
                    f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                            "scrape_configs:\n  - job_name: pathpair-agent\n"
                            "    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
                            % METRICS_PORT)
                prometheus = subprocess.Popen(
                    ["ip", "netns", "exec", path.client, "prometheus",
                     "--config.file=" + config, "--storage.tsdb.path=" + os.path.join(work, "tsdb"),
                     "--web.listen-address=127.0.0.1:%d" % PROMETHEUS_PORT],
                    stdout=log("prometheus"), stderr=subprocess.STDOUT)
                path._background.append(prometheus)
                self.wait_for(path, 'up{job="pathpair-agent"} == 1')
                before = self.query(path, "pathpair_agent_probes_sent_total")
                self.assertEqual(before[0]["value"][1], "0")

                test = path.run_in_client(
                    [PATHPAIR, "test", "--client", "127.0.0.1:%d" % AGENT_PORT, "--server",
                     "%s:%d" % (path.server_v4, AGENT_PORT), *agent_token.CONTROLLER_ARGS, "-u", "-n", "-c", "3",
                     "-i", "0.2", "--no-oneway", "--no-history", "--json"], timeout=120)
                self.assertIn(test.returncode, (0, 3, 4), test)

                probes = self.wait_for(path, "pathpair_agent_probes_sent_total > 0")
                print("Prometheus: pathpair_agent_probes_sent_total =", probes[0]["value"][1])
                self.wait_for(path, 'pathpair_agent_replies_received_total'
                                    '{kind="time_exceeded"} > 0')
                self.wait_for(path, 'pathpair_agent_rpcs_total'
                                    '{method="pathpair.v1.Agent/StartTrace",code="OK"} > 0')
                self.wait_for(path, 'pathpair_agent_build_info == 1')

                scraped = path.ns(path.client, [
                    "/usr/bin/python3", "-c",
                    "import urllib.request;print(urllib.request.urlopen("
                    "'http://127.0.0.1:%d/metrics',timeout=5).read().decode(),end='')"
                    % METRICS_PORT]).stdout
                self.assertIn('pathpair_agent_rpcs_total{method="pathpair.v1.Agent/Info"', scraped)
                result = promtool_check(scraped)
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        except BaseException:
            for f in logs:
                f.seek(0)
                sys.stderr.write("--- %s\n%s\n" % (f.name, f.read()[-3000:]))
            raise
        finally:
            for f in logs:
                f.close()
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
