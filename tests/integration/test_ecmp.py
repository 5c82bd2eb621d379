"""On a path where one hop has two routers (each packet goes to either at random, as on a
per-packet ECMP hop), pathpair and real mtr list the same responders at every TTL, and print
the extra responder the way mtr does: its own line, 8 spaces and the name padded to the name
column, under the hop line (-r and -w)."""

import unittest

import nspath
import report_text

TWIN = 2
# 20 cycles: the chance that every probe at the twin hop takes the same router is 2 * 2^-20.
COMMON = ["-n", "-c", "20", "-i", "0.1", "-G", "1", "-Z", "1"]


class EcmpHopTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path = nspath.NamespacePath(routers=4, twin_router=TWIN)
        try:
            target = cls.path.server_v4
            pathpair = nspath.pathpair_binary()
            runs = {}
            for mode in ("-r", "-w"):
                runs[("pp", mode)] = [pathpair, "trace", mode] + COMMON + [target]
                runs[("mtr", mode)] = ["mtr", mode] + COMMON + [target]
            procs = {key: cls.path.start_in_client(argv) for key, argv in runs.items()}
            cls.results = {key: nspath.wait(proc) for key, proc in procs.items()}
        except BaseException:
            cls.path.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.path.close()

    def outputs(self, mode):
        ours, theirs = self.results[("pp", mode)], self.results[("mtr", mode)]
        self.assertEqual(ours.returncode, 0, repr(ours))
        self.assertEqual(theirs.returncode, 0, repr(theirs))
        return ours.stdout, theirs.stdout

    def test_same_responders_at_every_ttl(self):
        ours, theirs = self.outputs("-r")
        ours_sets = report_text.responders_by_ttl(report_text.parse_report(ours))
        mtr_sets = report_text.responders_by_ttl(report_text.parse_report(theirs))
        self.assertEqual(mtr_sets[TWIN],
                         {self.path.v4(TWIN - 1, right=True), self.path.twin_address_v4},
                         "mtr should see both routers:\n" + theirs)
        self.assertEqual(ours_sets, mtr_sets, "pathpair:\n%s\nmtr:\n%s" % (ours, theirs))

    def test_report_layout_with_extra_responder_lines(self):
        for mode in ("-r", "-w"):
            ours, theirs = self.outputs(mode)
            self.assertEqual(report_text.layout(ours, mask_names=True),
                             report_text.layout(theirs, mask_names=True),
                             "%s\npathpair:\n%s\nmtr:\n%s" % (mode, ours, theirs))


if __name__ == "__main__":
    nspath.main_requiring_root()
