"""On a clean 6-router path, pathpair trace and real mtr list the same hops with 0% loss, and
pathpair's -r/-w layout and -j keys match mtr's."""

import json
import unittest

import nspath
import report_text

COMMON = ["-n", "-c", "10", "-i", "0.2", "-G", "1", "-Z", "1"]


class CleanPathTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path = nspath.NamespacePath(routers=6)
        try:
            target = cls.path.server_v4
            pathpair = nspath.pathpair_binary()
            runs = {
                "pp_report": [pathpair, "trace", "-r"] + COMMON + [target],
                "mtr_report": ["mtr", "-r"] + COMMON + [target],
                "pp_wide": [pathpair, "trace", "-w"] + COMMON + [target],
                "mtr_wide": ["mtr", "-w"] + COMMON + [target],
                "pp_json": [pathpair, "trace", "-j"] + COMMON + [target],
                "mtr_json": ["mtr", "-j"] + COMMON + [target],
            }
            # All at once: also shows that concurrent tracers do not disturb each other.
            procs = {name: cls.path.start_in_client(argv) for name, argv in runs.items()}
            cls.results = {name: nspath.wait(proc) for name, proc in procs.items()}
        except BaseException:
            cls.path.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.path.close()

    def ok(self, name):
        result = self.results[name]
        self.assertEqual(result.returncode, 0, repr(result))
        return result.stdout

    def test_same_hops_as_mtr_with_no_loss(self):
        ours = report_text.parse_report(self.ok("pp_report"))
        theirs = report_text.parse_report(self.ok("mtr_report"))
        self.assertEqual([h.host for h in theirs], self.path.hop_addresses_v4(),
                         "mtr itself should see the built path")
        self.assertEqual([h.host for h in ours], [h.host for h in theirs])
        self.assertEqual([h.ttl for h in ours], [h.ttl for h in theirs])
        for hop in ours:
            self.assertEqual(hop.loss, 0.0, hop)
            self.assertEqual(hop.snt, 10, hop)

    def test_report_layout_matches_mtr_apart_from_numbers(self):
        self.assertEqual(report_text.layout(self.ok("pp_report")),
                         report_text.layout(self.ok("mtr_report")))

    def test_report_prints_the_findings_under_mtrs_report(self):
        text = self.ok("pp_report")
        mtr_part = report_text.mtr_part(text)
        self.assertNotEqual(mtr_part, text)
        self.assertTrue(text[len(mtr_part):].startswith("\nDiagnosis: HEALTHY"), text)
        self.assertIn("[info] HEALTHY", text)

    def test_wide_report_layout_matches_mtr_apart_from_numbers(self):
        self.assertEqual(report_text.layout(self.ok("pp_wide")),
                         report_text.layout(self.ok("mtr_wide")))

    def test_json_parses_and_carries_mtr_keys(self):
        ours = json.loads(self.ok("pp_json"))
        theirs = json.loads(self.ok("mtr_json"))
        mtr_keys = list(theirs["report"]["mtr"].keys())
        self.assertEqual(mtr_keys, report_text.MTR_MTR_KEYS)
        self.assertEqual(list(ours["report"]["mtr"].keys())[:len(mtr_keys)], mtr_keys)
        for key in mtr_keys:
            self.assertIs(type(ours["report"]["mtr"][key]), type(theirs["report"]["mtr"][key]),
                          key)
        self.assertEqual(ours["report"]["mtr"]["dst"], theirs["report"]["mtr"]["dst"])
        self.assertEqual(ours["report"]["mtr"]["tests"], 10)
        self.assertIs(ours["report"]["mtr"]["reached"], True)
        self.assertEqual(ours["report"]["mtr"]["protocol"], "icmp")
        # The diagnosis members: a clean path is one HEALTHY finding about the whole path.
        self.assertEqual([f["code"] for f in ours["report"]["diagnosis"]], ["HEALTHY"])
        for key in ("code", "severity", "hop", "address", "area", "summary", "evidence",
                    "action", "confidence"):
            self.assertIn(key, ours["report"]["diagnosis"][0])
        self.assertIsNone(ours["report"]["diagnosis"][0]["hop"])
        self.assertEqual(ours["report"]["verdict"], "healthy")
        self.assertEqual(ours["report"]["effective"]["loss_pct"], 0)
        self.assertIn("latency_ms", ours["report"]["effective"])
        hub_keys = list(theirs["report"]["hubs"][0].keys())
        self.assertEqual(hub_keys, report_text.MTR_HUB_KEYS)
        self.assertEqual([h["host"] for h in ours["report"]["hubs"]],
                         [h["host"] for h in theirs["report"]["hubs"]])
        for ours_hub, mtr_hub in zip(ours["report"]["hubs"], theirs["report"]["hubs"]):
            self.assertEqual(list(ours_hub.keys())[:len(hub_keys)], hub_keys)
            for key in hub_keys:
                self.assertIs(type(ours_hub[key]), type(mtr_hub[key]), key)
            for key in ("Rcv", "Drop", "Gmean", "Jttr", "Javg", "Jmax", "Jint", "p50", "p95",
                        "p99", "hosts", "mpls"):
                self.assertIn(key, ours_hub)
            self.assertEqual(ours_hub["Rcv"], 10)
            self.assertEqual([h["ip"] for h in ours_hub["hosts"]], [ours_hub["host"]])


if __name__ == "__main__":
    nspath.main_requiring_root()
