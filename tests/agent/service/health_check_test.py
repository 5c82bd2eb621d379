#!/usr/bin/env python3
"""`pathpair-agent --health-check ADDR:PORT` (the Kubernetes exec probe of
deploy/kubernetes/daemonset.yaml) against a real agent over mutual TLS with certificates from
deploy/make-certs.sh: 0 when serving; 1 for an agent that is not there or that does not trust
the caller's certificate; 2 without credentials. No root needed.

Environment: PATHPAIR_AGENT_BIN, PATHPAIR_SOURCE_DIR.
"""
import os
import subprocess
import tempfile
import unittest

AGENT = os.environ.get("PATHPAIR_AGENT_BIN", "pathpair-agent")
SOURCE = os.environ.get("PATHPAIR_SOURCE_DIR", ".")


def make_certs(directory):
    subprocess.run([os.path.join(SOURCE, "deploy", "make-certs.sh"), directory], check=True,
                   capture_output=True)
    return ["--tls-cert", os.path.join(directory, "agent.pem"), "--tls-key",
            os.path.join(directory, "agent.key"), "--tls-ca", os.path.join(directory, "ca.pem")]


def health_check(endpoint, *flags):
    return subprocess.run([AGENT, "--health-check", endpoint] + list(flags), capture_output=True,
                          text=True, timeout=30)


class HealthCheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.TemporaryDirectory()
        cls.tls = make_certs(os.path.join(cls.work.name, "pki"))
        cls.other_tls = make_certs(os.path.join(cls.work.name, "other"))  # another CA
        cls.agent = subprocess.Popen([AGENT, "--listen", "127.0.0.1:0"] + cls.tls,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = cls.agent.stdout.readline()
        assert line.startswith("pathpair-agent: listening on port "), line
        cls.endpoint = "127.0.0.1:%d" % int(line.split()[4])

    @classmethod
    def tearDownClass(cls):
        cls.agent.terminate()
        cls.agent.wait()
        cls.agent.stdout.close()
        cls.work.cleanup()

    def test_serving_agent_exits_zero(self):
        result = health_check(self.endpoint, *self.tls)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("is serving", result.stdout)

    def test_certificate_of_another_ca_exits_one(self):
        result = health_check(self.endpoint, *self.other_tls)
        self.assertEqual(result.returncode, 1, result.stdout)

    def test_nothing_listening_exits_one(self):
        with socket_port() as port:
            result = health_check("127.0.0.1:%d" % port, *self.tls)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("--health-check", result.stderr)

    def test_no_credentials_exits_two(self):
        self.assertEqual(health_check(self.endpoint).returncode, 2)


class socket_port:
    """A local port that nothing listens on (bound, never listening, while in use)."""

    def __enter__(self):
        import socket
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc):
        self.sock.close()


if __name__ == "__main__":
    unittest.main()
