"""The HTML pages pathpair writes (paired report, WinMTR export) parse with balanced tags and no
external resources, and render in headless Chromium without console errors.

Set HTML_SAMPLE_TOOL (ctest does). Exit code 77 (skipped) when chromium is not installed.
RENDER_SCREENSHOT=path additionally keeps a screenshot of the sample page (docs/report-screenshot.png
is made from a real run instead: see controller/report/README.md)."""

import html.parser
import os
import shutil
import subprocess
import tempfile
import unittest

TOOL = os.environ.get("HTML_SAMPLE_TOOL", "")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
# SVG elements written self-closed (<line/>) are reported by handle_startendtag.


class BalanceChecker(html.parser.HTMLParser):
    """Fails on any end tag that does not close the innermost open element, on unclosed
    elements, and on attributes that load something from elsewhere."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.errors = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "xlink:href") or (value and "url(" in value):
                self.errors.append("external reference: <%s %s=%r>" % (tag, name, value))
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "xlink:href"):
                self.errors.append("external reference: <%s %s=%r>" % (tag, name, value))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append("unexpected </%s> at %s (open: %s)" % (
                tag, self.getpos(), [t for t, _ in self.stack[-3:]]))
            return
        self.stack.pop()

    def handle_data(self, data):
        if "@import" in data or "url(" in data:
            self.errors.append("external reference in text/CSS: %r" % data[:60])

    def check(self, text):
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append("unclosed: %s" % self.stack)
        return self.errors


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class RenderCheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pp-html-")
        cls.report = os.path.join(cls.dir, "report.html")
        cls.winmtr_html = os.path.join(cls.dir, "winmtr.html")
        cls.winmtr_text = os.path.join(cls.dir, "winmtr.txt")
        subprocess.run([TOOL, cls.report, cls.winmtr_html, cls.winmtr_text], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def read(self, path):
        with open(path, encoding="utf-8") as f:
            return f.read()

    def test_checker_catches_unbalanced_tags(self):
        self.assertTrue(BalanceChecker().check("<div><p>x</div>"))
        self.assertTrue(BalanceChecker().check("<div><span>x</span>"))
        self.assertTrue(BalanceChecker().check('<img src="http://example.com/x.png">'))
        self.assertEqual(BalanceChecker().check("<div><br><svg><line/></svg></div>"), [])

    def test_report_parses_balanced_and_self_contained(self):
        self.assertEqual(BalanceChecker().check(self.read(self.report)), [])

    def test_winmtr_page_parses_balanced(self):
        self.assertEqual(BalanceChecker().check(self.read(self.winmtr_html)), [])

    def render(self, page, screenshot):
        browser = chromium()
        profile = tempfile.mkdtemp(prefix="pp-chromium-")
        try:
            result = subprocess.run(
                [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--user-data-dir=" + profile, "--enable-logging=stderr",
                 "--v=0", "--screenshot=" + screenshot, "--window-size=1280,2000",
                 "file://" + page],
                capture_output=True, text=True, timeout=90)
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        return result

    def check_renders(self, page):
        shot = os.path.join(self.dir, os.path.basename(page) + ".png")
        result = self.render(page, shot)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        console = [l for l in result.stderr.splitlines() if "CONSOLE" in l]
        self.assertEqual(console, [], "console messages while rendering %s" % page)
        self.assertTrue(os.path.getsize(shot) > 10000, "screenshot is empty")
        with open(shot, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        return shot

    def test_report_renders_without_console_errors(self):
        if not chromium():
            self.skipTest("chromium not installed")
        shot = self.check_renders(self.report)
        keep = os.environ.get("RENDER_SCREENSHOT")
        if keep:
            shutil.copy(shot, keep)

    def test_winmtr_page_renders_without_console_errors(self):
        if not chromium():
            self.skipTest("chromium not installed")
        self.check_renders(self.winmtr_html)

    def test_console_errors_would_be_seen(self):
        # The check above is only worth something if a broken page does show up.
        if not chromium():
            self.skipTest("chromium not installed")
        bad = os.path.join(self.dir, "bad.html")
        with open(bad, "w") as f:
            f.write("<!DOCTYPE html><html><body><script>console.error('boom');"
                    "undefinedFunction();</script></body></html>")
        result = self.render(bad, os.path.join(self.dir, "bad.png"))
        self.assertTrue([l for l in result.stderr.splitlines() if "CONSOLE" in l], result.stderr[-2000:])


if __name__ == "__main__":
    if not TOOL:
        print("skipped: set HTML_SAMPLE_TOOL")
        raise SystemExit(77)
    unittest.main()
