"""Two pathpair traces to the same target at the same time keep exact counts: Snt equals the
probes sent at every hop, no reply is counted twice (Rcv <= Snt) or by the wrong run (a clean
path shows 0% loss and exactly Snt replies for both)."""

import json
import unittest

import nspath

CYCLES = 10
COMMON = ["-n", "-j", "-c", str(CYCLES), "-i", "0.2", "-G", "1", "-Z", "1"]


class ConcurrentRunsTest(unittest.TestCase):
    def test_two_runs_keep_exact_counts(self):
        with nspath.NamespacePath(routers=6) as path:
            argv = [nspath.pathpair_binary(), "trace"] + COMMON + [path.server_v4]
            procs = [path.start_in_client(argv) for _ in range(2)]
            results = [nspath.wait(p) for p in procs]
            expected_hosts = path.hop_addresses_v4()
        for result in results:
            self.assertEqual(result.returncode, 0, repr(result))
            hubs = json.loads(result.stdout)["report"]["hubs"]
            self.assertEqual([h["host"] for h in hubs], expected_hosts)
            for hub in hubs:
                self.assertEqual(hub["Snt"], CYCLES, hub)
                self.assertLessEqual(hub["Rcv"], hub["Snt"], hub)
                self.assertEqual(hub["Rcv"], CYCLES, hub)
                self.assertEqual(hub["Loss%"], 0.0, hub)
                self.assertEqual(sum(h["Rcv"] for h in hub["hosts"]), hub["Rcv"], hub)


if __name__ == "__main__":
    nspath.main_requiring_root()
