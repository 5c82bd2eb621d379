"""Each bad input to the real `pathpair trace` exits 2 with one line on stderr and nothing on
stdout. Needs no root and no network: an unresolvable name uses the reserved .invalid domain.

    PATHPAIR_BIN=build/controller/main/pathpair python3 test_bad_input.py [BadInputTest.test_x]
"""

import os
import subprocess
import unittest

import nspath

CASES = {
    "missing_host": ["-n", "-r"],
    "host_with_spaces": ["-n", "foo bar"],
    "unresolvable_name": ["-n", "-r", "no-such-host.pathpair.invalid"],
    "count_zero": ["-n", "-c", "0", "127.0.0.1"],
    "count_not_a_number": ["-n", "-c", "ten", "127.0.0.1"],
    "interval_zero": ["-n", "-i", "0", "127.0.0.1"],
    "interval_negative": ["-n", "-i", "-1", "127.0.0.1"],
    "packet_size_too_big": ["-n", "-s", "99999", "127.0.0.1"],
    "max_ttl_too_big": ["-n", "-m", "256", "127.0.0.1"],
    "first_ttl_above_max": ["-n", "-f", "20", "-m", "10", "127.0.0.1"],
    "tos_too_big": ["-n", "-Q", "300", "127.0.0.1"],
    "port_zero": ["-n", "-T", "-P", "0", "127.0.0.1"],
    "localport_privileged": ["-n", "-u", "-L", "1", "127.0.0.1"],
    "bitpattern_too_big": ["-n", "-B", "256", "127.0.0.1"],
    "timeout_zero": ["-n", "-Z", "0", "127.0.0.1"],
    "gracetime_zero": ["-n", "-G", "0", "127.0.0.1"],
    "mark_too_big": ["-n", "-M", "4294967296", "127.0.0.1"],
    "flows_zero": ["-n", "--flows", "0", "127.0.0.1"],
    "flows_too_many": ["-n", "--flows=17", "127.0.0.1"],
    "udp_with_tcp": ["-n", "-u", "-T", "127.0.0.1"],
    "ipv4_with_ipv6": ["-n", "-4", "-6", "127.0.0.1"],
    "source_of_other_family": ["-n", "-a", "::1", "127.0.0.1"],
    "source_against_dash_4": ["-n", "-4", "-a", "::1", "127.0.0.1"],
    "ipv6_only_for_ipv4_literal": ["-n", "-6", "127.0.0.1"],
    "source_not_an_address": ["-n", "-a", "nowhere", "127.0.0.1"],
    "unknown_option": ["-n", "-X", "127.0.0.1"],
    "unknown_long_option": ["-n", "--bogus", "127.0.0.1"],
    "option_missing_value": ["-n", "127.0.0.1", "-c"],
    "two_hosts": ["-n", "127.0.0.1", "127.0.0.2"],
    "sctp_refused": ["-n", "-S", "127.0.0.1"],
    "ipinfo_out_of_range": ["-n", "-y", "5", "127.0.0.1"],
    "displaymode_out_of_range": ["-n", "--displaymode", "3", "127.0.0.1"],
    "hosts_file_missing": ["-n", "-r", "-F", "/nonexistent-pathpair-dir/hosts.txt"],
    "hosts_file_without_host": ["-n", "-r", "-F", "/dev/null"],
    "no_diagnosis_with_value": ["-n", "--no-diagnosis=1", "127.0.0.1"],
}


class BadInputTest(unittest.TestCase):
    def run_trace(self, args):
        env = dict(os.environ, RES_OPTIONS="timeout:1 attempts:1")
        return subprocess.run([nspath.pathpair_binary(), "trace"] + args, capture_output=True,
                              text=True, timeout=30, env=env)

    def check_bad(self, args):
        result = self.run_trace(args)
        self.assertEqual(result.returncode, 2, "args %s: %r" % (args, result))
        self.assertEqual(result.stdout, "", "args %s" % args)
        self.assertTrue(result.stderr.startswith("pathpair trace: "), result.stderr)
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)

    def test_help_is_not_an_error(self):
        result = self.run_trace(["--help"])
        self.assertEqual(result.returncode, 0)
        self.assertIn("Usage: pathpair trace", result.stdout)
        self.assertEqual(result.stderr, "")
        # Every option, the new ones too, and what the destination check sends.
        for option in ("--filename FILE", "--sctp", "--curses", "--displaymode MODE",
                       "--ipinfo NUMBER", "--aslookup", "--no-diagnosis", "--no-dest-check",
                       "Destination check:", "port 443"):
            self.assertIn(option, result.stdout)

    def test_unknown_subcommand(self):
        result = subprocess.run([nspath.pathpair_binary(), "tracer", "x"], capture_output=True,
                                text=True, timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")

    def test_no_command(self):
        result = subprocess.run([nspath.pathpair_binary()], capture_output=True, text=True,
                                timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")

    def test_version(self):
        result = self.run_trace(["--version"])
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^pathpair \d+\.\d+\.\d+\n$")


def _make_case(args):
    return lambda self: self.check_bad(args)


for _name, _args in CASES.items():
    setattr(BadInputTest, "test_" + _name, _make_case(_args))

if __name__ == "__main__":
    unittest.main()
