"""With 25% forwarding drop at one router, pathpair's loss starts at the same hop as mtr's.

The drop rule sits in router 3's forward chain: probes that expire at router 3 are answered
from its own stack, so loss starts at hop 4 (probes and replies both cross the rule: about 44%
loss per hop beyond). With 40 cycles a clean-looking lossy hop has probability ~1e-10, so the
test checks the first lossy hop, never exact figures."""

import unittest

import nspath
import report_text

DROP_ROUTER = 3
COMMON = ["-n", "-r", "-c", "40", "-i", "0.1", "-G", "1", "-Z", "1"]


class ForwardDropTest(unittest.TestCase):
    def test_loss_starts_at_the_same_hop_as_in_mtr(self):
        with nspath.NamespacePath(routers=6, forward_drop=(DROP_ROUTER, 25)) as path:
            target = path.server_v4
            ours_proc = path.start_in_client([nspath.pathpair_binary(), "trace"] + COMMON +
                                             [target])
            mtr_proc = path.start_in_client(["mtr"] + COMMON + [target])
            ours, theirs = nspath.wait(ours_proc), nspath.wait(mtr_proc)
        self.assertEqual(ours.returncode, 0, repr(ours))
        self.assertEqual(theirs.returncode, 0, repr(theirs))
        ours_hops = report_text.parse_report(ours.stdout)
        mtr_hops = report_text.parse_report(theirs.stdout)
        self.assertEqual(report_text.first_lossy_ttl(mtr_hops), DROP_ROUTER + 1, theirs.stdout)
        self.assertEqual(report_text.first_lossy_ttl(ours_hops),
                         report_text.first_lossy_ttl(mtr_hops), ours.stdout)
        for hop in ours_hops:
            self.assertEqual(hop.snt, 40, hop)


if __name__ == "__main__":
    nspath.main_requiring_root()
