"""Ctrl-C on `pathpair trace` (issue 15): a run cut short tells the truth about what it measured.

On a path where router 2 drops 20% of what it forwards (both ways, so probes to hop 3 and beyond
lose 1 - 0.8^2 = 36%), `pathpair trace -r -n -c 50 -i 0.2` and the same with -j are stopped by
SIGINT after about 3 s. Before the fix every lost probe was still "in flight" (lost only at -Z,
10 s) and the report showed 0.0% everywhere with a HEALTHY diagnosis. Now:
- a probe counts once it is past its overdue time (1 s here), as lost if unanswered, and younger
  probes are left out, so Loss% beyond router 2 is binomial around 36%: the lost probes of hops
  3..5 of both runs, pooled, must fall in the central 99.9% interval of Binomial(n, 0.36);
- the report says "Interrupted after N of 50 rounds" and every hop's Snt covers those N rounds;
- the diagnosis says INCOMPLETE TRACE on its verdict line; the JSON says interrupted;
- the exit code is 130.
"""

import json
import re
import signal
import time
import unittest

import binomial
import nspath
import report_text

DROP_ROUTER = 2
DROP_PERCENT = 20
LOSS_BEYOND = 1 - (1 - DROP_PERCENT / 100) ** 2  # probe and reply both cross the drop
STOP_AFTER_S = 3.0
ALPHA = 0.001
ARGS = ["-n", "-c", "50", "-i", "0.2"]
INTERRUPTED_LINE = re.compile(r"^Interrupted after (\d+) of 50 rounds(; (\d+) more)?")


class InterruptedTraceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with nspath.NamespacePath(routers=4, forward_drop=(DROP_ROUTER, DROP_PERCENT)) as path:
            cls.path_hosts = path.hop_addresses_v4()
            pathpair = [nspath.pathpair_binary(), "trace"] + ARGS
            procs = {"report": path.start_in_client(pathpair + ["-r", path.server_v4]),
                     "json": path.start_in_client(pathpair + ["-j", path.server_v4])}
            time.sleep(STOP_AFTER_S)
            for proc in procs.values():
                proc.send_signal(signal.SIGINT)
            cls.results = {name: nspath.wait(proc, timeout=30) for name, proc in procs.items()}

    def report(self):
        result = self.results["report"]
        self.assertEqual(result.returncode, 130, repr(result))
        return result.stdout

    def json_report(self):
        result = self.results["json"]
        self.assertEqual(result.returncode, 130, repr(result))
        return json.loads(result.stdout)["report"]

    def rounds_covered(self):
        for line in self.report().splitlines():
            m = INTERRUPTED_LINE.match(line)
            if m:
                return int(m.group(1))
        self.fail("no 'Interrupted after N of 50 rounds' line:\n" + self.report())

    def test_report_says_it_was_interrupted_and_covers_those_rounds(self):
        rounds = self.rounds_covered()
        # 15 rounds start in 3 s; those older than 1 s count: about 10.
        self.assertGreaterEqual(rounds, 6, self.report())
        self.assertLessEqual(rounds, 13, self.report())
        hops = report_text.parse_report(self.report())
        self.assertEqual([h.host for h in hops], self.path_hosts, self.report())
        for hop in hops:
            self.assertIn(hop.snt, (rounds, rounds + 1), hop)

    def test_loss_shows_within_binomial_bounds(self):
        hops = report_text.parse_report(self.report())
        hubs = self.json_report()["hubs"]
        lost = sent = 0
        for ttl_loss, ttl_sent, ttl in ([(h.loss, h.snt, h.ttl) for h in hops] +
                                        [(h["Loss%"], h["Snt"], h["count"]) for h in hubs]):
            if ttl <= DROP_ROUTER:
                self.assertEqual(ttl_loss, 0.0, "no loss before the drop:\n" + self.report())
                continue
            lost += round(ttl_loss * ttl_sent / 100)
            sent += ttl_sent
        lo, hi = binomial.binomial_interval(sent, LOSS_BEYOND, ALPHA)
        print("\nbeyond router %d: %d of %d lost (%.1f%%), expected %d..%d; rounds %d" %
              (DROP_ROUTER, lost, sent, 100 * lost / max(sent, 1), lo, hi, self.rounds_covered()))
        self.assertTrue(lo <= lost <= hi,
                        "%d of %d lost beyond router %d, expected %d..%d (%.0f%% loss):\n%s" %
                        (lost, sent, DROP_ROUTER, lo, hi, 100 * LOSS_BEYOND, self.report()))

    def test_diagnosis_says_the_trace_is_incomplete(self):
        rounds = self.rounds_covered()
        verdict = [l for l in self.report().splitlines() if l.startswith("Diagnosis: ")]
        self.assertEqual(len(verdict), 1, self.report())
        self.assertIn(", INCOMPLETE TRACE (interrupted after %d of 50 rounds;" % rounds,
                      verdict[0])
        report = self.json_report()
        self.assertIs(report["mtr"]["interrupted"], True)
        self.assertIs(report["mtr"]["incomplete"], True)
        self.assertIs(report["incomplete"], True)
        self.assertGreater(report["mtr"]["rounds_started"], report["mtr"]["rounds"])


if __name__ == "__main__":
    nspath.main_requiring_root()
