#!/usr/bin/env python3
"""Authentication and role refusals of the real pathpair-agent, seen by a client the project
did not write: Debian's python3-grpcio, with generic calls on raw bytes (no generated code).

Two agents on loopback (no namespaces, no probes): one serving mutual TLS with certificates
from deploy/make-certs.sh, one serving plaintext with a controller token and an agent token.
Every RPC but grpc.health.v1 needs authentication; an agent certificate or token may call only
Reflect; a controller's may call everything. Run with /usr/bin/python3."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

try:
    import grpc
except ImportError:  # python3-grpcio (deploy/install-deps.sh)
    print("python3-grpcio is not installed", file=sys.stderr)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
AGENT = os.environ.get("PATHPAIR_AGENT_BIN", "pathpair-agent")
MAKE_CERTS = os.path.join(HERE, "..", "..", "deploy", "make-certs.sh")
PAIRING = b"grpcio-pairing-1"


def field(number, payload):
    """A length-delimited protobuf field (wire type 2)."""
    return bytes([number << 3 | 2, len(payload)]) + payload


def reflect_request():
    return field(1, PAIRING)  # ReflectRequest.pairing_id


def start_agent(args, workdir, name):
    log = open(os.path.join(workdir, name + ".log"), "w+")
    proc = subprocess.Popen([AGENT, "--listen", "127.0.0.1:0"] + args, stdout=subprocess.PIPE,
                            stderr=log, text=True)
    line = proc.stdout.readline()
    match = re.search(r"listening on port (\d+)", line)
    if not match:
        proc.kill()
        log.seek(0)
        raise RuntimeError("agent did not start: %s %s" % (line, log.read()))
    proc.log = log
    return proc, int(match.group(1))


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pathpair-grpcio-")
        pki = os.path.join(cls.dir, "pki")
        other = os.path.join(cls.dir, "other")
        for args in ([pki], [other]):
            subprocess.run([MAKE_CERTS] + args, check=True, capture_output=True)
        cls.pki, cls.other = pki, other
        with open(os.path.join(cls.dir, "token"), "w") as f:
            f.write("controller-secret\n")
        with open(os.path.join(cls.dir, "agent-token"), "w") as f:
            f.write("agent-secret\n")
        cls.tls_agent, cls.tls_port = start_agent(
            ["--tls-cert", pki + "/agent.pem", "--tls-key", pki + "/agent.key",
             "--tls-ca", pki + "/ca.pem"], cls.dir, "tls")
        cls.token_agent, cls.token_port = start_agent(
            ["--insecure", "--token-file", os.path.join(cls.dir, "token"),
             "--agent-token-file", os.path.join(cls.dir, "agent-token")], cls.dir, "token")

    @classmethod
    def tearDownClass(cls):
        for proc in (cls.tls_agent, cls.token_agent):
            proc.terminate()
            proc.wait(timeout=10)
            proc.stdout.close()
            proc.log.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def tls_channel(self, who, pki=None):
        """A channel with `who`'s certificate from `pki` (None: no client certificate)."""
        pki = pki or self.pki
        credentials = grpc.ssl_channel_credentials(
            root_certificates=self.read(self.pki + "/ca.pem"),
            private_key=self.read("%s/%s.key" % (pki, who)) if who else None,
            certificate_chain=self.read("%s/%s.pem" % (pki, who)) if who else None)
        return grpc.secure_channel("127.0.0.1:%d" % self.tls_port, credentials,
                                   options=[("grpc.ssl_target_name_override", "localhost")])

    def plain_channel(self):
        return grpc.insecure_channel("127.0.0.1:%d" % self.token_port)

    def unary(self, channel, method, request=b"", token=None):
        """(status code, details) of a generic unary call on raw bytes."""
        call = channel.unary_unary(method)
        metadata = [("authorization", "Bearer " + token)] if token else None
        try:
            call(request, timeout=5, metadata=metadata)
            return grpc.StatusCode.OK, ""
        except grpc.RpcError as error:
            return error.code(), error.details()

    def stream(self, channel, method, request=b"", token=None):
        call = channel.unary_stream(method)
        metadata = [("authorization", "Bearer " + token)] if token else None
        try:
            for _ in call(request, timeout=5, metadata=metadata):
                pass
            return grpc.StatusCode.OK, ""
        except grpc.RpcError as error:
            return error.code(), error.details()

    def reflection(self, channel, token=None):
        call = channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/"
                                     "ServerReflectionInfo")
        metadata = [("authorization", "Bearer " + token)] if token else None
        try:
            # list_services (field 7) = "*"
            answers = list(call(iter([field(7, b"*")]), timeout=5, metadata=metadata))
            return grpc.StatusCode.OK, b"".join(answers)
        except grpc.RpcError as error:
            return error.code(), error.details()

    # --- mutual TLS: the certificate's role ---

    def test_tls_without_a_client_certificate_is_refused(self):
        code, _ = self.unary(self.tls_channel(None), "/pathpair.v1.Agent/Info")
        self.assertEqual(code, grpc.StatusCode.UNAVAILABLE)
        code, _ = self.reflection(self.tls_channel(None))
        self.assertEqual(code, grpc.StatusCode.UNAVAILABLE)

    def test_tls_certificate_of_another_ca_is_refused(self):
        code, _ = self.unary(self.tls_channel("client", pki=self.other), "/pathpair.v1.Agent/Info")
        self.assertEqual(code, grpc.StatusCode.UNAVAILABLE)

    def test_tls_agent_certificate_may_call_only_reflect(self):
        channel = self.tls_channel("agent")
        self.assertEqual(self.unary(channel, "/pathpair.v1.Agent/Reflect", reflect_request())[0],
                         grpc.StatusCode.OK)
        for method in ("Info", "ReflectPeer", "Renew", "Stop", "ResolveAliases"):
            code, details = self.unary(channel, "/pathpair.v1.Agent/" + method)
            self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED, method)
            self.assertIn("role agent may not call " + method, details)
        for method in ("StartTrace", "StartOneWay"):
            code, details = self.stream(channel, "/pathpair.v1.Agent/" + method)
            self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED, method)

    def test_tls_controller_certificate_may_call_everything(self):
        channel = self.tls_channel("client")
        self.assertEqual(self.unary(channel, "/pathpair.v1.Agent/Info")[0], grpc.StatusCode.OK)
        self.assertEqual(self.unary(channel, "/pathpair.v1.Agent/Stop")[0], grpc.StatusCode.OK)
        code, answer = self.reflection(channel)
        self.assertEqual(code, grpc.StatusCode.OK)
        self.assertIn(b"pathpair.v1.Agent", answer)
        code, answer = self.unary(channel, "/grpc.health.v1.Health/Check")
        self.assertEqual(code, grpc.StatusCode.OK)

    def test_reflect_peer_keeps_tls_when_the_files_are_gone(self):
        """ReflectPeer's credentials are read once, at start-up: files that disappear (or become
        unreadable after privileges drop) never make it fall back to plaintext."""
        copy = os.path.join(self.dir, "vanishing")
        shutil.copytree(self.pki, copy)
        agent, port = start_agent(["--tls-cert", copy + "/agent.pem", "--tls-key",
                                   copy + "/agent.key", "--tls-ca", copy + "/ca.pem"],
                                  self.dir, "vanishing")
        try:
            shutil.rmtree(copy)
            channel = grpc.secure_channel(
                "127.0.0.1:%d" % port,
                grpc.ssl_channel_credentials(
                    root_certificates=self.read(self.pki + "/ca.pem"),
                    private_key=self.read(self.pki + "/client.key"),
                    certificate_chain=self.read(self.pki + "/client.pem")),
                options=[("grpc.ssl_target_name_override", "localhost")])
            # ReflectPeerRequest: peer (1) = the agent itself, pairing_id (2).
            request = field(1, b"127.0.0.1:%d" % port) + field(2, PAIRING)
            code, details = self.unary(channel, "/pathpair.v1.Agent/ReflectPeer", request)
            self.assertEqual(code, grpc.StatusCode.OK, details)
        finally:
            agent.terminate()
            agent.wait(timeout=10)
            agent.stdout.close()
            agent.log.close()

    # --- plaintext with tokens: the token's role ---

    def test_token_is_required_on_every_agent_rpc(self):
        channel = self.plain_channel()
        for method in ("Info", "Reflect", "ReflectPeer", "Renew", "Stop", "ResolveAliases"):
            code, details = self.unary(channel, "/pathpair.v1.Agent/" + method)
            self.assertEqual(code, grpc.StatusCode.UNAUTHENTICATED, method)
        for method in ("StartTrace", "StartOneWay"):
            self.assertEqual(self.stream(channel, "/pathpair.v1.Agent/" + method)[0],
                             grpc.StatusCode.UNAUTHENTICATED, method)
        self.assertEqual(self.unary(channel, "/pathpair.v1.Agent/Info", token="wrong")[0],
                         grpc.StatusCode.UNAUTHENTICATED)

    def test_reflection_is_not_served_where_it_cannot_check_the_token(self):
        code, _ = self.reflection(self.plain_channel())
        self.assertEqual(code, grpc.StatusCode.UNIMPLEMENTED)

    def test_health_needs_no_authentication(self):
        code, _ = self.unary(self.plain_channel(), "/grpc.health.v1.Health/Check")
        self.assertEqual(code, grpc.StatusCode.OK)

    def test_agent_token_may_call_only_reflect(self):
        channel = self.plain_channel()
        self.assertEqual(self.unary(channel, "/pathpair.v1.Agent/Reflect", reflect_request(),
                                    token="agent-secret")[0], grpc.StatusCode.OK)
        code, details = self.unary(channel, "/pathpair.v1.Agent/Info", token="agent-secret")
        self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn("role agent", details)
        code, _ = self.stream(channel, "/pathpair.v1.Agent/StartTrace", token="agent-secret")
        self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED)

    def test_controller_token_may_call_everything(self):
        channel = self.plain_channel()
        for method in ("Info", "Stop", "Renew"):
            self.assertEqual(self.unary(channel, "/pathpair.v1.Agent/" + method,
                                        token="controller-secret")[0], grpc.StatusCode.OK)


if __name__ == "__main__":
    unittest.main()
