"""The interactive screen under tmux: the table shows within a second, `?` shows help, `d`
switches views, `n`/`j` change the table, a resize does not crash it, and `q`, SIGTERM and
Ctrl-C all leave the terminal as it was (normal screen, echo and canonical mode back).

Set SCREEN_DEMO (ctest does); SCREEN_COMMAND may name another command showing the screen
(e.g. "pathpair trace 127.0.0.1") for the parts that do not depend on the fake data. With
PATHPAIR_BIN (and root, and tests/integration on PYTHONPATH) test_real_command runs the real
`pathpair trace` on a namespace path of its own (ctest: integration.screen_tmux)."""

import os
import secrets
import shlex
import shutil
import subprocess
import time
import unittest

DEMO = os.environ.get("SCREEN_DEMO", "")
PATHPAIR_BIN = os.environ.get("PATHPAIR_BIN", "")


def tmux(*args, check=True):
    return subprocess.run(["tmux"] + list(args), capture_output=True, text=True, check=check)


class Pane:
    def __init__(self, width=100, height=30):
        self.session = "pp%s-screen" % secrets.token_hex(3)
        tmux("new-session", "-d", "-s", self.session, "-x", str(width), "-y", str(height),
             "env PS1='pp-prompt$ ' TERM=xterm-256color bash --norc --noprofile")
        self.wait_for("pp-prompt$")

    def close(self):
        tmux("kill-session", "-t", self.session, check=False)

    def text(self):
        return tmux("capture-pane", "-p", "-t", self.session).stdout

    def keys(self, *keys):
        tmux("send-keys", "-t", self.session, *keys)

    def run(self, command):
        self.keys(command + "; echo EXIT=$?", "Enter")

    def fmt(self, what):
        return tmux("display-message", "-p", "-t", self.session, what).stdout.strip()

    def wait_for(self, needle, timeout=5.0, absent=False):
        """Seconds it took until `needle` is on the pane (or gone, with absent=True)."""
        start = time.monotonic()
        while True:
            text = self.text()
            if (needle in text) != absent:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError("%r %s after %.1fs; pane:\n%s" % (
                    needle, "still there" if absent else "not shown", timeout, text))
            time.sleep(0.03)

    def child_pid(self):
        shell = self.fmt("#{pane_pid}")
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", shell], capture_output=True,
                             text=True).stdout.split()
        return int(out[0]) if out else None


class TmuxScreenTest(unittest.TestCase):
    def setUp(self):
        self.pane = Pane()

    def tearDown(self):
        self.pane.close()

    def assert_terminal_restored(self, expected_exit):
        self.pane.wait_for("EXIT=%d" % expected_exit)
        self.assertEqual(self.pane.fmt("#{alternate_on}"), "0", "still on the alternate screen")
        self.pane.keys("clear", "Enter")
        self.pane.wait_for("EXIT=", absent=True)
        self.pane.run("stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(echo|icanon|isig)' | tr '\\n' ' '")
        self.pane.wait_for("EXIT=0")
        modes = self.pane.text()
        for mode in ("echo", "icanon", "isig"):
            self.assertIn(" %s " % mode, " " + modes.replace("\n", " "), modes)
            self.assertNotIn("-" + mode, modes)
        self.assertEqual(self.pane.fmt("#{cursor_flag}"), "1", "cursor left hidden")

    def test_keys_views_resize_and_quit(self):
        self.pane.run(shlex.quote(DEMO))
        took = self.pane.wait_for("Loss%")
        self.assertLess(took, 1.0, "the table took %.2fs to appear" % took)
        self.pane.wait_for("hop1.example.net")
        self.assertEqual(self.pane.fmt("#{alternate_on}"), "1")

        self.pane.keys("?")
        self.pane.wait_for("Press any key to go back")
        self.assertIn("display mode", self.pane.text())
        self.pane.keys("x")
        self.pane.wait_for("Loss%")

        self.pane.keys("d")
        self.pane.wait_for("Latency of each probe")
        self.pane.wait_for("Scale:")
        self.pane.keys("d")
        self.pane.wait_for("Histogram")
        self.pane.keys("d")
        self.pane.wait_for("Loss%")

        self.pane.keys("n")
        self.pane.wait_for("198.51.100.1 ")
        self.pane.wait_for("hop1.example.net", absent=True)
        self.pane.keys("j")
        self.pane.wait_for("Jttr")
        self.pane.keys("j")
        self.pane.wait_for("StDev")

        self.pane.keys("p")
        self.pane.wait_for("[paused]")
        self.pane.keys(" ")
        self.pane.wait_for("[paused]", absent=True)

        for width, height in ((50, 12), (30, 5), (140, 45), (100, 30)):
            tmux("resize-window", "-t", self.pane.session, "-x", str(width), "-y", str(height))
            self.pane.wait_for("My traceroute" if width >= 40 else "My trace")
        self.assertIsNotNone(self.pane.child_pid(), "the screen died on a resize")
        self.pane.wait_for("Loss%")

        self.pane.keys("q")
        self.assert_terminal_restored(0)

    def test_sigterm_restores_the_terminal(self):
        self.pane.run(shlex.quote(DEMO) + " --paired")
        self.pane.wait_for("== reverse: 203.0.113.5 -> fakehost ==")
        pid = self.pane.child_pid()
        self.assertIsNotNone(pid)
        os.kill(pid, 15)
        self.assert_terminal_restored(143)

    @unittest.skipUnless(os.environ.get("SCREEN_COMMAND") or PATHPAIR_BIN,
                         "neither SCREEN_COMMAND nor PATHPAIR_BIN set")
    def test_real_command(self):
        """The real `pathpair trace` on a namespace path: with no format flag on a terminal it
        shows the screen; keys work; q restores the terminal and writes --export-text."""
        path = None
        command = os.environ.get("SCREEN_COMMAND", "")
        export = "/tmp/pp%s-export.txt" % secrets.token_hex(3)
        if not command:
            if os.geteuid() != 0:
                self.skipTest("the real trace needs root for its namespace path")
            import nspath  # tests/integration, on PYTHONPATH
            path = nspath.NamespacePath(routers=2)
            command = "ip netns exec %s %s trace -i 0.2 --export-text %s %s" % (
                path.client, shlex.quote(PATHPAIR_BIN), export, path.server_v4)
        try:
            self.pane.run(command)
            took = self.pane.wait_for("Loss%")
            self.assertLess(took, 1.0, "the table took %.2fs to appear" % took)
            if path is not None:
                self.pane.wait_for(path.server_v4)
            self.pane.keys("?")
            self.pane.wait_for("Press any key to go back")
            self.pane.keys("x")
            self.pane.wait_for("Loss%")
            self.pane.keys("d")
            self.pane.wait_for("Scale:")
            self.pane.keys("d")
            self.pane.wait_for("Histogram")
            self.pane.keys("d")
            self.pane.keys("r")  # reset: the trace restarts and the table fills again
            self.pane.wait_for("Loss%")
            tmux("resize-window", "-t", self.pane.session, "-x", "60", "-y", "15")
            self.pane.wait_for("My traceroute")
            if path is not None:
                self.pane.wait_for(path.server_v4)
            self.pane.keys("q")
            self.assert_terminal_restored(0)
            if path is not None:
                with open(export) as f:
                    self.assertIn(path.server_v4, f.read())
        finally:
            if path is not None:
                path.close()
            if os.path.exists(export):
                os.unlink(export)

    @unittest.skipUnless(PATHPAIR_BIN, "PATHPAIR_BIN not set")
    def test_real_command_with_count_closes_after_the_last_round(self):
        """As mtr's display: with -c the screen goes away by itself after the last round."""
        if os.geteuid() != 0:
            self.skipTest("the real trace needs root for its namespace path")
        import nspath  # tests/integration, on PYTHONPATH
        path = nspath.NamespacePath(routers=1)
        try:
            self.pane.run("ip netns exec %s %s trace -c 3 -i 0.1 -G 0.5 %s" % (
                path.client, shlex.quote(PATHPAIR_BIN), path.server_v4))
            self.pane.wait_for("Loss%")
            self.assert_terminal_restored(0)
        finally:
            path.close()

    def test_ctrl_c_restores_the_terminal(self):
        self.pane.run(shlex.quote(DEMO))
        self.pane.wait_for("Loss%")
        self.pane.keys("C-c")
        self.assert_terminal_restored(130)


if __name__ == "__main__":
    if not DEMO or not shutil.which("tmux"):
        print("skipped: needs SCREEN_DEMO and tmux")
        raise SystemExit(77)
    unittest.main()
