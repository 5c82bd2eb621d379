"""Per-hop Loss% like mtr's on routers and a target that keep the kernel's default ICMP rate
limits (issue 9 item 5), in ICMP, UDP and TCP mode.

Every namespace keeps its defaults (nspath default_icmp_limits=True): icmp_ratelimit 1000 ms,
i.e. per destination about one Time Exceeded or Port Unreachable a second after a burst of 6.
At -i 0.2 every router then "loses" about 63% in 30 rounds, whichever tool probes, as long as
the tool spends no extra ICMP on the way: that is what is compared.
- Each mode has a path of its own, and the three run in parallel (the test stays under two
  minutes). On each path pathpair and mtr alternate, A B A B, PAUSE_S apart: a router's token
  bucket (burst 6, refilled at 1/s) is full again before every run, so no run pays for the one
  before (back to back, the second tool sees far more loss).
- Each hop's lost probes, pooled over pathpair's two runs, are compared with mtr's two runs with
  a two-proportion z test at SIGNIFICANCE per hop: 15 comparisons (5 hops, 3 modes) keep the
  chance of a false failure under 1.5%. The routers must show the limits at work (mtr's loss at
  least MIN_LIMITED_LOSS), else the comparison would prove nothing.
- UDP: a Linux target answers with Port Unreachable, limited like the routers' messages; a first
  round that probed every TTL up to -m spent the target's burst on probes past it (80% loss at
  the target where mtr showed 67%). The engine's sweep stops at the destination.
  The binomial test cannot see so small a difference in 60 probes; test_udp_no_probe_past_
  the_destination checks the mechanism itself in pathpair's raw output (-l).
- TCP: both tools compare equal only when mtr runs with -Z 1, as here. mtr's TCP probes are
  connect() sockets: with its default -Z (10 s) and -G (5 s) the kernel retransmits each
  unanswered SYN (at +1 s, +3 s, ...) with the same TTL, routers answer those later from
  refilled tokens, and mtr counts them (47% instead of 63%, with Wrst of seconds). pathpair sends one probe per chance by
  design. test_tcp_mtr_default_timeout_counts_syn_retransmissions measures that once more, so the
  explanation is checked rather than assumed.
- pathpair's verdict must be healthy: rate-limited routers are ICMP_RATE_LIMITED_HOP (info); in
  UDP mode the target's rationed Port Unreachables too, once 20 ICMP echo requests (not rate
  limited by default) show that it is reached: DEST_ICMP_RATE_LIMITED (info).
"""

import re
import threading
import time
import unittest

import binomial
import nspath
import report_text

ROUTERS = 4
TCP_PORT = 80
PAUSE_S = 8
SIGNIFICANCE = 0.001
MIN_LIMITED_LOSS = 30.0
MTR_DEFAULTS = ["-n", "-r", "-c", "30", "-i", "0.2"]
COMMON = MTR_DEFAULTS + ["-Z", "1", "-G", "1"]
MODES = {"icmp": [], "udp": ["-u"], "tcp": ["-T", "-P", str(TCP_PORT)]}
_HOP_LINE = re.compile(r"^ {0,2}(\d+)\.\|-- (\S+)\s")


def worst_ms(report):
    """{ttl: Wrst} of a report in mtr's default columns (Loss% Snt Last Avg Best Wrst StDev)."""
    worst = {}
    for line in report.splitlines():
        m = _HOP_LINE.match(line)
        if m:
            worst[int(m.group(1))] = float(line[m.end(2):].split()[5])
    return worst


class DefaultIcmpLimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.results = {}
        cls.hosts = {}
        errors = []
        threads = [threading.Thread(target=cls._measure, args=(mode, errors)) for mode in MODES]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    @classmethod
    def _measure(cls, mode, errors):
        try:
            listener = TCP_PORT if mode == "tcp" else None
            with nspath.NamespacePath(routers=ROUTERS, tcp_listener_port=listener,
                                      default_icmp_limits=True) as path:
                cls.hosts[mode] = path.hop_addresses_v4()
                tools = {"pp": [nspath.pathpair_binary(), "trace"], "mtr": ["mtr"]}
                runs = [("pp", COMMON), ("mtr", COMMON), ("pp", COMMON), ("mtr", COMMON)]
                if mode == "tcp":  # mtr as a user runs it: its default -Z and -G
                    runs.append(("mtr_default_z", MTR_DEFAULTS))
                if mode == "udp":  # every probe pathpair sends, one line each (mtr -l)
                    runs.append(("pp_raw", ["-n", "-l", "-c", "30", "-i", "0.2", "-Z", "1"]))
                for i, (name, args) in enumerate(runs):
                    if i > 0:
                        time.sleep(PAUSE_S)
                    argv = tools[name.split("_")[0]] + args + MODES[mode] + [path.server_v4]
                    cls.results.setdefault((mode, name), []).append(path.run_in_client(argv))
        except BaseException as e:  # reported by setUpClass
            errors.append(e)

    def hops(self, mode, tool):
        """[(hops of one run)] for each run of `tool` in `mode`, checked to have run fine."""
        out = []
        for result in self.results[(mode, tool)]:
            self.assertEqual(result.returncode, 0, repr(result))
            hops = report_text.parse_report(result.stdout)
            self.assertEqual([h.host for h in hops], self.hosts[mode], result.stdout)
            out.append(hops)
        return out

    def check_loss_like_mtr(self, mode):
        ours, theirs = self.hops(mode, "pp"), self.hops(mode, "mtr")
        summary = []
        for index, host in enumerate(self.hosts[mode]):
            counts = []
            for runs in (ours, theirs):
                sent = sum(run[index].snt for run in runs)
                lost = sum(round(run[index].loss * run[index].snt / 100) for run in runs)
                counts += [lost, sent]
            p = binomial.two_proportion_p_value(*counts)
            summary.append("hop %d: pathpair %d/%d lost, mtr %d/%d, p=%.3f" %
                           ((index + 1,) + tuple(counts) + (p,)))
            self.assertGreater(p, SIGNIFICANCE, "\n".join(summary) + "\n" + self.reports(mode))
            if index < ROUTERS:
                self.assertGreaterEqual(100 * counts[2] / counts[3], MIN_LIMITED_LOSS,
                                        "the routers' ICMP limits are not at work:\n" +
                                        self.reports(mode))
        print("\n%s:\n  %s" % (mode, "\n  ".join(summary)))

    def reports(self, mode):
        return "\n".join("%s:\n%s" % (tool, r.stdout) for tool in ("pp", "mtr")
                         for r in self.results[(mode, tool)])

    def check_verdict_healthy(self, mode):
        for result in self.results[(mode, "pp")]:
            self.assertIn("\nDiagnosis: HEALTHY (", result.stdout)

    def test_icmp_loss_like_mtr(self):
        self.check_loss_like_mtr("icmp")

    def test_udp_loss_like_mtr(self):
        self.check_loss_like_mtr("udp")

    def test_tcp_loss_like_mtr(self):
        self.check_loss_like_mtr("tcp")

    def test_icmp_verdict_healthy(self):
        self.check_verdict_healthy("icmp")

    # The target's Port Unreachables are rate limited like the routers' messages, so every hop,
    # the destination included, loses about the same 63%. The echo cross-check of the target
    # (controller/destcheck) gets every reply: the destination rations its ICMP, the routers'
    # loss does not carry on, and the verdict is healthy.
    def test_udp_verdict_healthy(self):
        self.check_verdict_healthy("udp")
        for result in self.results[("udp", "pp")]:
            self.assertIn("DEST_ICMP_RATE_LIMITED", result.stdout)
            self.assertIn("ICMP echo requests reach it with 0% loss", result.stdout)

    def test_tcp_verdict_healthy(self):
        self.check_verdict_healthy("tcp")

    def test_udp_no_probe_past_the_destination(self):
        # The sharp check of what the binomial one can only bound: the first round's sweep stops
        # at the destination (it answers within a pacing step here), later rounds too.
        [result] = self.results[("udp", "pp_raw")]
        self.assertEqual(result.returncode, 0, repr(result))
        positions = [int(line.split()[1]) for line in result.stdout.splitlines()
                     if line.startswith("x ")]
        self.assertEqual(len(positions), 30 * (ROUTERS + 1), result.stdout)
        self.assertEqual(max(positions), ROUTERS, "a probe past the destination (pos = TTL-1)")

    def test_tcp_mtr_default_timeout_counts_syn_retransmissions(self):
        ours = self.hops("tcp", "pp")
        [theirs] = self.hops("tcp", "mtr_default_z")
        late = worst_ms(self.results[("tcp", "mtr_default_z")][0].stdout)
        for index in range(ROUTERS):
            # Only extra answers: never more loss than pathpair's.
            self.assertLessEqual(theirs[index].loss, max(run[index].loss for run in ours))
        # Answers to the kernel's retransmitted SYNs come a second or more after the probe.
        self.assertGreaterEqual(max(late[ttl] for ttl in range(1, ROUTERS + 1)), 900.0,
                                self.results[("tcp", "mtr_default_z")][0].stdout)
        print("\ntcp, mtr with its default -Z: routers lose %s%%, worst RTTs %s ms" %
              ([h.loss for h in theirs[:ROUTERS]], [late[t] for t in range(1, ROUTERS + 1)]))


if __name__ == "__main__":
    nspath.main_requiring_root()
