#!/usr/bin/env python3
"""deploy/kubernetes: the DaemonSet parses (python3-yaml) and has what issue 11 asks for:
hostNetwork; capabilities drop ALL, add only NET_RAW; runAsNonRoot; allowPrivilegeEscalation
false; a read-only root file system; gRPC health (pathpair-agent --health-check, which calls
grpc.health.v1.Health/Check) as liveness and readiness; TLS files from a Secret, the paths the
agent's flags name; Prometheus scrape annotations on the metrics port. The Dockerfile starts
from Debian 12, installs the .deb with apt-get and runs as the user the DaemonSet names.

Environment: PATHPAIR_SOURCE_DIR (the repository root).
"""
import os
import re
import unittest

import yaml

SOURCE = os.environ.get("PATHPAIR_SOURCE_DIR",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
KUBE = os.path.join(SOURCE, "deploy", "kubernetes")


def load_daemonset():
    with open(os.path.join(KUBE, "daemonset.yaml")) as f:
        documents = [d for d in yaml.safe_load_all(f) if d]
    daemonsets = [d for d in documents if d.get("kind") == "DaemonSet"]
    assert len(daemonsets) == 1, documents
    return daemonsets[0]


def flag_values(argv, flag):
    """Values of --flag=VALUE / --flag VALUE in an argument list."""
    values = []
    for i, arg in enumerate(argv):
        if arg.startswith(flag + "="):
            values.append(arg.split("=", 1)[1])
        elif arg == flag and i + 1 < len(argv):
            values.append(argv[i + 1])
    return values


class DaemonSetTest(unittest.TestCase):
    def setUp(self):
        self.ds = load_daemonset()
        self.pod = self.ds["spec"]["template"]["spec"]
        containers = self.pod["containers"]
        self.assertEqual(len(containers), 1)
        self.agent = containers[0]

    def test_is_an_apps_v1_daemonset_whose_selector_matches_its_pods(self):
        self.assertEqual(self.ds["apiVersion"], "apps/v1")
        selector = self.ds["spec"]["selector"]["matchLabels"]
        labels = self.ds["spec"]["template"]["metadata"]["labels"]
        for key, value in selector.items():
            self.assertEqual(labels.get(key), value)

    def test_host_network(self):
        self.assertIs(self.pod["hostNetwork"], True)
        self.assertEqual(self.pod["dnsPolicy"], "ClusterFirstWithHostNet")

    def test_only_net_raw_as_non_root_without_escalation_on_a_read_only_root(self):
        security = self.agent["securityContext"]
        self.assertEqual(security["capabilities"]["drop"], ["ALL"])
        self.assertEqual(security["capabilities"]["add"], ["NET_RAW"])
        self.assertIs(security["allowPrivilegeEscalation"], False)
        self.assertIs(security["readOnlyRootFilesystem"], True)
        self.assertIsNot(security.get("privileged"), True)
        pod_security = self.pod["securityContext"]
        run_as_non_root = security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
        self.assertIs(run_as_non_root, True)
        uid = security.get("runAsUser", pod_security.get("runAsUser"))
        self.assertIsInstance(uid, int)
        self.assertGreater(uid, 0)

    def test_grpc_health_is_the_liveness_and_readiness_probe(self):
        listen = flag_values(self.agent["args"], "--listen")
        self.assertEqual(len(listen), 1)
        port = int(listen[0].rsplit(":", 1)[1])
        for probe in ("livenessProbe", "readinessProbe"):
            command = self.agent[probe]["exec"]["command"]
            self.assertEqual(command[0], "/usr/bin/pathpair-agent", probe)
            target = flag_values(command, "--health-check")
            self.assertEqual(len(target), 1, probe)
            self.assertEqual(int(target[0].rsplit(":", 1)[1]), port, probe)
            for flag in ("--tls-cert", "--tls-key", "--tls-ca"):
                self.assertEqual(flag_values(command, flag), flag_values(self.agent["args"], flag),
                                 "%s %s" % (probe, flag))

    def test_certificates_come_from_a_secret(self):
        volumes = {v["name"]: v for v in self.pod["volumes"]}
        mounts = self.agent["volumeMounts"]
        secret_mounts = [m for m in mounts if "secret" in volumes[m["name"]]]
        self.assertEqual(len(secret_mounts), 1)
        mount = secret_mounts[0]
        self.assertIs(mount["readOnly"], True)
        self.assertTrue(volumes[mount["name"]]["secret"]["secretName"])
        for flag in ("--tls-cert", "--tls-key", "--tls-ca"):
            (path,) = flag_values(self.agent["args"], flag)
            self.assertEqual(os.path.dirname(path), mount["mountPath"].rstrip("/"), flag)
        self.assertNotIn("--insecure", self.agent["args"])

    def test_prometheus_scrape_annotations_name_the_metrics_port(self):
        annotations = self.ds["spec"]["template"]["metadata"]["annotations"]
        self.assertEqual(annotations["prometheus.io/scrape"], "true")
        self.assertEqual(annotations["prometheus.io/path"], "/metrics")
        (metrics,) = flag_values(self.agent["args"], "--metrics-listen")
        self.assertEqual(annotations["prometheus.io/port"], metrics.rsplit(":", 1)[1])
        ports = {p["name"]: p["containerPort"] for p in self.agent["ports"]}
        self.assertEqual(str(ports["metrics"]), annotations["prometheus.io/port"])


class DockerfileTest(unittest.TestCase):
    def test_debian_12_with_the_deb_installed_by_apt_as_the_daemonsets_user(self):
        with open(os.path.join(KUBE, "Dockerfile")) as f:
            text = f.read()
        self.assertRegex(text, r"(?m)^FROM debian:(12|bookworm)(-slim)?\s*$")
        self.assertRegex(text, r"COPY \$\{PATHPAIR_DEB\} /tmp/pathpair\.deb")
        self.assertRegex(text, r"apt-get install -y --no-install-recommends /tmp/pathpair\.deb")
        self.assertRegex(text, r'ENTRYPOINT \["/usr/bin/pathpair-agent"\]')
        user = re.search(r"(?m)^USER (\d+):(\d+)\s*$", text)
        self.assertIsNotNone(user)
        security = load_daemonset()["spec"]["template"]["spec"]["securityContext"]
        self.assertEqual(int(user.group(1)), security["runAsUser"])
        self.assertEqual(int(user.group(2)), security["runAsGroup"])


if __name__ == "__main__":
    unittest.main()
