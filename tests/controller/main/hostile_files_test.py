"""Hostile files given to the real `pathpair` binary end at exit 2 with one line, never a crash
(docs/SECURITY.md, issue 10 §5): JSON nested millions of levels deep or far too large for
`diagnose`, such JSON stored in the history for `show` and `diagnose RUN_ID`, and a symbolic link
planted where the history database goes. A new history database is private (0600 in 0700
directories). Needs no root. Environment: PATHPAIR_BIN.
"""
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import unittest

PATHPAIR = os.environ.get("PATHPAIR_BIN", "pathpair")
DEEP = 2_000_000
RUN_ID = "20261127T112540.123Z-3f9a1c0b"


class HostileFilesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pp-hostile-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def run_pathpair(self, *args, umask=None, env=None):
        return subprocess.run([PATHPAIR] + list(args), capture_output=True, text=True, timeout=120,
                              preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
                              env=env)

    def assert_bad_input(self, proc, *needles):
        self.assertEqual(proc.returncode, 2, (proc.args[:3], proc.stderr[-500:]))
        self.assertEqual(proc.stdout, "")
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr[-500:])
        for needle in needles:
            self.assertIn(needle, lines[0])

    # diagnose FILE -------------------------------------------------------------------------------

    def test_deeply_nested_json_files(self):
        documents = {
            "arrays": "[" * DEEP + "]" * DEEP,
            "objects": '{"a":' * DEEP + "1" + "}" * DEEP,
            "unclosed": "[" * DEEP,
            "in_mtr_hubs": '{"report":{"mtr":{},"hubs":[' + "[" * DEEP + "]" * DEEP + "]}}",
            "beside_mtr_hubs": '{"report":{"mtr":{},"hubs":[],"x":' + "[" * DEEP + "]" * DEEP +
                               "}}",
            "in_paired_forward": '{"run_id":"x","reverse":null,"forward":' + "[" * DEEP +
                                 "]" * DEEP + "}",
            "in_paired_oneway": '{"run_id":"x","reverse":null,"forward":{"report":{"mtr":{},'
                                '"hubs":[]}},"oneway":' + '{"a":' * DEEP + "1" + "}" * DEEP +
                                "}",
        }
        for name, text in documents.items():
            with self.subTest(document=name):
                self.assert_bad_input(self.run_pathpair("diagnose", self.write(name, text)))

    def test_huge_files(self):
        sparse = self.path("huge.json")
        with open(sparse, "w") as f:
            f.truncate(8 << 30)  # 8 GiB, and not a byte on disk
        self.assert_bad_input(self.run_pathpair("diagnose", sparse), "too large")
        # Just below the size cap, a valid document of nothing but nesting.
        nested = self.write("nested.json", "[" * (8 << 20) + "]" * (7 << 20))
        self.assert_bad_input(self.run_pathpair("diagnose", nested))

    # show / diagnose RUN_ID: what the history database holds is input too -----------------------

    def plant_run(self, db, payload_format, payload):
        self.assertEqual(self.run_pathpair("history", "--history-db", db).returncode, 0)
        with sqlite3.connect(db) as connection:
            connection.execute(
                "INSERT INTO runs (run_id, start_unix_us, end_unix_us, client, server, target, "
                "client_name, server_name, verdict, status, payload_format, payload) "
                "VALUES (?, 1, 2, 'local', 'agent:8620', '203.0.113.9', 'local', 'agent:8620', "
                "'HEALTHY', 'complete', ?, ?)", (RUN_ID, payload_format, payload))

    def test_hostile_stored_runs(self):
        payloads = {
            "deep_json_v1": ("json:pathpair.paired_run.v1",
                             b'{"format":"json:pathpair.paired_run.v1","x":' + b"[" * DEEP +
                             b"]" * DEEP + b"}"),
            "deep_protobuf": ("proto:pathpair.v1.PairedRun", b"\x0a\x80\x01" * 200000),
            "garbage": ("proto:pathpair.v1.PairedRun", os.urandom(1 << 20)),
        }
        for name, (payload_format, payload) in payloads.items():
            with self.subTest(payload=name):
                db = self.path(name + ".db")
                self.plant_run(db, payload_format, payload)
                for command in ("show", "diagnose"):
                    self.assert_bad_input(
                        self.run_pathpair(command, "--history-db", db, RUN_ID), RUN_ID)

    # The history database file ------------------------------------------------------------------

    def test_symbolic_link_at_the_history_path_is_refused(self):
        victim = self.write("victim", "precious")
        os.symlink(victim, self.path("to-file.db"))
        os.symlink(self.path("missing"), self.path("dangling.db"))
        for link in (self.path("to-file.db"), self.path("dangling.db")):
            for argv in (["history", "--history-db", link],
                         ["show", "--history-db", link, RUN_ID],
                         ["diagnose", "--history-db", link, RUN_ID],
                         # refused before any agent is contacted (none listens there)
                         ["test", "--insecure", "--server", "198.51.100.1:9", "--history-db",
                          link]):
                with self.subTest(link=os.path.basename(link), command=argv[0]):
                    self.assert_bad_input(self.run_pathpair(*argv), "symbolic link")
        with open(victim) as f:
            self.assertEqual(f.read(), "precious")
        self.assertFalse(os.path.exists(self.path("missing")))

    def test_new_history_is_private(self):
        # The default place, under a new XDG_DATA_HOME: the only directories pathpair makes (a
        # --history-db in a missing directory is an error).
        env = dict(os.environ, XDG_DATA_HOME=self.path("new/dir"))
        env.pop("PATHPAIR_HISTORY_DB", None)
        db = self.path("new/dir/pathpair/history.db")
        proc = self.run_pathpair("history", umask=0, env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for directory in (self.path("new"), self.path("new/dir"), self.path("new/dir/pathpair")):
            self.assertEqual(stat.S_IMODE(os.stat(directory).st_mode), 0o700, directory)
        self.assertEqual(stat.S_IMODE(os.stat(db).st_mode), 0o600)


if __name__ == "__main__":
    unittest.main()
