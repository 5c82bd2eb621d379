"""pathpair's mtr formats (-C CSV, -x XML, -p split, -l raw) against the real mtr on the same
path of namespace routers: header, element names, columns and line grammar must be identical;
only the measured numbers may differ.

Needs root; run by ctest with FORMATS_TOOL set and tests/integration on PYTHONPATH (for nspath,
the integration harness). FORMATS_TOOL is a command line: integration.formats_mtr_compat
sets it to the real "pathpair trace"."""

import os
import re
import shlex
import subprocess
import time
import unittest

import nspath

TOOL = shlex.split(os.environ.get("FORMATS_TOOL", ""))
COMMON = ["-c", "3", "-i", "0.2"]
NUMBER = re.compile(r"\d+(\.\d+)?")


def shape(text):
    """Every number replaced by '#' (addresses first become <ip> so their digits are kept apart)."""
    text = re.sub(r"198\.51\.100\.\d+", "<ip>", text)
    return NUMBER.sub("#", text)


class MtrFormatsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.path = nspath.NamespacePath(routers=3)
        try:
            cls.target = cls.path.server_v4
            runs = {}
            for flag in ("-C", "-x", "-l"):
                for extra in ([], ["-b"]):
                    key = flag + "".join(extra)
                    runs["mtr" + key] = ["mtr", flag, "-n"] + extra + COMMON + [cls.target]
                    runs["pp" + key] = TOOL + [flag, "-n"] + extra + COMMON + [cls.target]
            runs["mtr-C-o"] = ["mtr", "-C", "-n", "-o", "LDRS NBAWVGJMXI"] + COMMON + [cls.target]
            runs["pp-C-o"] = TOOL + ["-C", "-n", "-o", "LDRS NBAWVGJMXI"] + COMMON + [cls.target]
            runs["mtr-x-o"] = ["mtr", "-x", "-n", "-o", "LDRS NBAWVGJMXI"] + COMMON + [cls.target]
            runs["pp-x-o"] = TOOL + ["-x", "-n", "-o", "LDRS NBAWVGJMXI"] + COMMON + [cls.target]
            runs["pp-p"] = TOOL + ["-p", "-n"] + COMMON + [cls.target]
            # -z: no AS data reaches the namespaces, so both print AS??? in the Asn column.
            runs["mtr-C-z"] = ["mtr", "-C", "-n", "-z"] + COMMON + [cls.target]
            runs["pp-C-z"] = TOOL + ["-C", "-n", "-z"] + COMMON + [cls.target]
            procs = {k: cls.path.start_in_client(v) for k, v in runs.items()}
            cls.results = {k: nspath.wait(p, timeout=60) for k, p in procs.items()}
            cls.results["mtr-p"] = cls.run_split_under_tmux(cls.path, cls.target)
        except BaseException:
            cls.path.close()
            raise

    @classmethod
    def run_split_under_tmux(cls, path, target):
        # mtr's split mode reads keys from its terminal: it only runs with a tty on stdin.
        out = "/tmp/%s-split.txt" % path.tag
        session = "%s-split" % path.tag
        command = "ip netns exec %s mtr -p -n %s %s > %s; tmux wait-for -S %s-done" % (
            path.client, " ".join(COMMON), target, out, session)
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
                        command], check=True)
        try:
            subprocess.run(["timeout", "30", "tmux", "wait-for", session + "-done"])
        finally:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        with open(out) as f:
            text = f.read()
        os.unlink(out)
        return nspath.Completed(["mtr", "-p"], 0, text, "")

    @classmethod
    def tearDownClass(cls):
        cls.path.close()

    def out(self, key):
        result = self.results[key]
        self.assertEqual(result.returncode, 0, repr(result))
        self.assertTrue(result.stdout, repr(result))
        return result.stdout

    def hops(self):
        return self.path.hop_addresses_v4()

    # CSV ----------------------------------------------------------------------------------------

    def check_csv(self, ours, theirs):
        ours, theirs = ours.splitlines(), theirs.splitlines()
        self.assertEqual(ours[0], theirs[0], "CSV header")
        self.assertEqual(len(ours), len(theirs))
        for a, b in zip(ours[1:], theirs[1:]):
            fa, fb = a.split(","), b.split(",")
            self.assertEqual(len(fa), len(fb), (a, b))
            # Status, Host, Hop, Ip must be equal; MTR.<ver> and the time have mtr's shape.
            self.assertEqual(fa[2:6], fb[2:6], (a, b))
            self.assertRegex(fa[0], r"^MTR\.\S+$")
            self.assertRegex(fa[1], r"^\d{10}$")
            self.assertEqual([shape(x) for x in fa[6:]], [shape(x) for x in fb[6:]], (a, b))

    def test_csv(self):
        self.check_csv(self.out("pp-C"), self.out("mtr-C"))
        self.assertEqual([l.split(",")[5] for l in self.out("pp-C").splitlines()[1:]], self.hops())

    def test_csv_with_b(self):
        self.check_csv(self.out("pp-C-b"), self.out("mtr-C-b"))

    def test_csv_with_as_column(self):
        self.check_csv(self.out("pp-C-z"), self.out("mtr-C-z"))
        self.assertIn(",Ip,Asn,Loss%,", self.out("pp-C-z").splitlines()[0])

    def test_csv_all_fields(self):
        self.check_csv(self.out("pp-C-o"), self.out("mtr-C-o"))

    # XML ----------------------------------------------------------------------------------------

    def check_xml(self, ours, theirs):
        def norm(text):
            return re.sub(r'SRC="[^"]*"', 'SRC="<host>"', shape(text)).splitlines()
        self.assertEqual(norm(ours), norm(theirs))

    def test_xml(self):
        self.check_xml(self.out("pp-x"), self.out("mtr-x"))

    def test_xml_all_fields(self):
        self.check_xml(self.out("pp-x-o"), self.out("mtr-x-o"))

    def test_xml_parses(self):
        import xml.dom.minidom
        doc = xml.dom.minidom.parseString(self.out("pp-x"))
        self.assertEqual([h.getAttribute("HOST") for h in doc.getElementsByTagName("HUB")],
                         self.hops())

    # Split --------------------------------------------------------------------------------------

    SPLIT_LINE = re.compile(r"^(\d+ (\S+) \d+ \d+ \d+ \d+ \d+ \d+|\d+ \?\?\?|-\d+)$")

    def test_split_grammar(self):
        for key in ("mtr-p", "pp-p"):
            lines = self.out(key).splitlines()
            for line in lines:
                self.assertRegex(line, self.SPLIT_LINE, key)
        # The last line printed for each hop names the same host in both.
        def last_hosts(text):
            hosts = {}
            for line in text.splitlines():
                parts = line.split()
                if len(parts) == 8:
                    hosts[int(parts[0])] = parts[1]
                elif line.startswith("-"):
                    hosts.pop(int(line[1:]), None)
            return [hosts[k] for k in sorted(hosts)]
        self.assertEqual(last_hosts(self.out("pp-p")), self.hops())
        self.assertEqual(last_hosts(self.out("mtr-p")), self.hops())

    # Raw ----------------------------------------------------------------------------------------

    RAW_LINE = re.compile(r"^(x \d+ \d+|h \d+ \S+|d \d+ \S+|p \d+ \d+ \d+|m \d+ \d+ \d+ \d+ \d+)$")

    def check_raw(self, key):
        sent = {}
        kinds = set()
        hosts = {}
        for line in self.out(key).splitlines():
            self.assertRegex(line, self.RAW_LINE, key)
            kind, pos = line.split()[0], int(line.split()[1])
            kinds.add(kind)
            if kind == "x":
                sent[int(line.split()[2])] = pos
            elif kind == "h":
                hosts.setdefault(pos, line.split()[2])
            elif kind == "p":
                seq = int(line.split()[3])
                # Each reply names a probe announced before it, at the same position.
                self.assertEqual(sent.get(seq), pos, (key, line))
        return kinds, hosts

    def test_raw_grammar_and_sequences(self):
        for suffix in ("-l", "-l-b"):
            ours, our_hosts = self.check_raw("pp" + suffix)
            theirs, their_hosts = self.check_raw("mtr" + suffix)
            self.assertEqual(ours, theirs, suffix)
            hops = self.hops()
            self.assertEqual([our_hosts[p] for p in range(len(hops))], hops)
            self.assertEqual([their_hosts[p] for p in range(len(hops))], hops)


if __name__ == "__main__":
    if not TOOL:
        print("skipped: set FORMATS_TOOL")
        raise SystemExit(77)
    nspath.main_requiring_root()
