"""ICMP, UDP (-u) and TCP (-T) reach the destination, and -6 works on the IPv6 path; each is
compared with real mtr run with the same options on the same path at the same time."""

import json
import unittest

import nspath
import report_text

TCP_PORT = 80
COMMON = ["-n", "-r", "-c", "5", "-i", "0.2", "-G", "1", "-Z", "1"]


class ProtocolsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path = nspath.NamespacePath(routers=6, tcp_listener_port=TCP_PORT)
        try:
            v4, v6 = cls.path.server_v4, cls.path.server_v6
            pp = [nspath.pathpair_binary(), "trace"]
            cases = {
                "icmp": ([], v4),
                "udp": (["-u"], v4),
                "tcp": (["-T", "-P", str(TCP_PORT)], v4),
                "icmp6": (["-6"], v6),
                "udp6": (["-6", "-u"], v6),
                "tcp6": (["-6", "-T", "-P", str(TCP_PORT)], v6),
            }
            procs = {}
            for name, (flags, target) in cases.items():
                procs[("pp", name)] = cls.path.start_in_client(pp + COMMON + flags + [target])
                procs[("mtr", name)] = cls.path.start_in_client(["mtr"] + COMMON + flags +
                                                                [target])
            procs[("pp", "json_tcp")] = cls.path.start_in_client(
                pp + ["-j", "-n", "-c", "3", "-i", "0.2", "-G", "1", "-Z", "1", "-T", "-P",
                      str(TCP_PORT), v4])
            cls.results = {key: nspath.wait(proc) for key, proc in procs.items()}
        except BaseException:
            cls.path.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.path.close()

    def check(self, name, expected_hosts, target):
        ours, theirs = self.results[("pp", name)], self.results[("mtr", name)]
        self.assertEqual(ours.returncode, 0, repr(ours))
        self.assertEqual(theirs.returncode, 0, repr(theirs))
        ours_hops = report_text.parse_report(ours.stdout)
        mtr_hops = report_text.parse_report(theirs.stdout)
        self.assertEqual([h.host for h in ours_hops], [h.host for h in mtr_hops],
                         "pathpair:\n%s\nmtr:\n%s" % (ours.stdout, theirs.stdout))
        self.assertEqual([h.host for h in ours_hops], expected_hosts, ours.stdout)
        self.assertEqual(ours_hops[-1].host, target)
        self.assertLess(ours_hops[-1].loss, 100.0, "destination not reached:\n" + ours.stdout)

    def test_icmp_reaches_destination(self):
        self.check("icmp", self.path.hop_addresses_v4(), self.path.server_v4)

    def test_udp_reaches_destination(self):
        self.check("udp", self.path.hop_addresses_v4(), self.path.server_v4)

    def test_tcp_reaches_destination(self):
        self.check("tcp", self.path.hop_addresses_v4(), self.path.server_v4)

    def test_ipv6_icmp(self):
        self.check("icmp6", self.path.hop_addresses_v6(), self.path.server_v6)

    def test_ipv6_udp(self):
        self.check("udp6", self.path.hop_addresses_v6(), self.path.server_v6)

    def test_ipv6_tcp(self):
        self.check("tcp6", self.path.hop_addresses_v6(), self.path.server_v6)

    def test_tcp_json_says_reached(self):
        result = self.results[("pp", "json_tcp")]
        self.assertEqual(result.returncode, 0, repr(result))
        report = json.loads(result.stdout)["report"]
        self.assertIs(report["mtr"]["reached"], True)
        self.assertEqual(report["mtr"]["protocol"], "tcp")
        self.assertEqual(report["hubs"][-1]["host"], self.path.server_v4)


if __name__ == "__main__":
    nspath.main_requiring_root()
