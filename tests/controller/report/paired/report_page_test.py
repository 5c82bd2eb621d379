"""The paired HTML report, rendered in headless Chromium, reads like an answer (issue 9 item 8,
issue 15 section 6). For the three sample runs (tests/controller/report/paired/sample_runs.h:
healthy, lossy on the way back, partial), written by paired_report_tool exactly as `pathpair
test` writes them (HTML, text and JSON of one run), a script added to a copy of each page
measures the rendered page and writes what it found into the DOM; `chromium --dump-dom` hands
it back. Checked:

  - the verdict is at the top (first in <main>, above the findings) and is the JSON's verdict;
  - a one-way section gives loss and delay each way, the clock method and its error bound;
  - the evidence is in words: no raw keys such as `loss_ci_low_pct`;
  - a hop a finding says to ignore (ICMP rate limiting) is not drawn red anywhere;
  - in the latency chart, a router's points on the two lines are at the same x;
  - every text of every SVG lies inside the SVG's viewport (no clipped labels);
  - each finding carries the right direction tag (a partial run's findings included);
  - severity words are the text report's ("problem", never "critical"), finding for finding.

Each check is shown to fail on a copy of the page broken in the way it guards against.

Set PAIRED_REPORT_TOOL (ctest does). Exit 77 (skipped) when chromium is not installed, unless
PATHPAIR_REQUIRE_CHROMIUM=1 (CI sets it: there the test must run)."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from render_check_test import chromium  # noqa: E402  (one way to find the browser)

TOOL = os.environ.get("PAIRED_REPORT_TOOL", "")
FIXTURES = ("healthy", "lossy_reverse", "partial")
IGNORE_CODES = {"ICMP_RATE_LIMITED_HOP", "UNRESPONSIVE_HOP", "ICMP_SLOW_PATH_LATENCY"}
RAW_KEY = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")

# Runs in the page once it is laid out; writes its measurements as JSON into <pre id=results>.
PROBE = r"""
<script>
(function () {
  const out = {};
  const main = document.querySelector("main");
  const verdict = document.getElementById("verdict");
  const findings = document.getElementById("findings");
  out.verdict = verdict ? {
    first_in_main: main.firstElementChild === verdict,
    above_findings: findings ? verdict.getBoundingClientRect().bottom <=
                               findings.getBoundingClientRect().top : false,
    word: verdict.querySelector(".vword").textContent.trim(),
    data: verdict.dataset.verdict,
  } : null;
  const oneway = document.getElementById("oneway");
  out.oneway = oneway ? {
    rows: Array.from(oneway.querySelectorAll("table.oneway tbody tr")).map(tr => ({
      dir: tr.dataset.dir,
      cells: Array.from(tr.children).map(c => c.textContent.trim()),
      clock: (tr.querySelector(".clock") || {textContent: ""}).textContent.trim(),
      bound: (tr.querySelector(".bound") || {textContent: ""}).textContent.trim(),
    })),
    clocks: (oneway.querySelector(".clocks") || {textContent: ""}).textContent.trim(),
  } : null;
  out.evidence = Array.from(document.querySelectorAll("#findings table.evidence th, " +
                                                      "#findings table.evidence td"))
                     .map(e => e.textContent.trim());
  out.findings = Array.from(document.querySelectorAll("#findings .finding")).map(f => ({
    code: f.dataset.code,
    hop: Number(f.dataset.hop || 0),
    hop_dir: f.dataset.hopDir || "",
    direction: f.dataset.direction,
    tag: (f.querySelector(".dir") || {textContent: ""}).textContent.trim(),
    severity: f.querySelector(".sev").textContent.trim(),
  }));
  out.body_text = document.body.innerText;
  out.hops = Array.from(document.querySelectorAll("[data-dir][data-ttl]")).map(e => {
    const style = getComputedStyle(e);
    const svg = e instanceof SVGElement;
    return {dir: e.dataset.dir, ttl: Number(e.dataset.ttl), ignore: e.dataset.ignore === "1",
            kind: e.tagName.toLowerCase() + (e.classList.length ? "." + e.classList[0] : ""),
            color: svg ? style.fill : style.color,
            background: svg ? "" : style.backgroundColor};
  });
  out.latency_points = Array.from(document.querySelectorAll("#latency circle.avg")).map(c => {
    const r = c.getBoundingClientRect();
    return {dir: c.dataset.dir, address: c.dataset.address, col: Number(c.dataset.col),
            x: r.left + r.width / 2};
  });
  out.overflow = [];
  out.svg_texts = 0;
  for (const svg of document.querySelectorAll("svg")) {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll("text")) {
      out.svg_texts++;
      const r = t.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 ||
          r.bottom > box.bottom + 0.5) {
        out.overflow.push({text: t.textContent, section: svg.closest("section").id,
                           left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                           box: [box.left, box.right, box.top, box.bottom]});
      }
    }
  }
  const pre = document.createElement("pre");
  pre.id = "results";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def measure(page, workdir):
    """The probe's measurements of `page` (an HTML string) rendered in headless Chromium."""
    path = os.path.join(workdir, "probe-%d.html" % len(os.listdir(workdir)))
    with open(path, "w", encoding="utf-8") as f:
        f.write(page.replace("</body>", PROBE + "</body>"))
    profile = tempfile.mkdtemp(prefix="pp-chromium-")
    try:
        result = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + profile, "--window-size=1280,2000", "--dump-dom",
             "file://" + path],
            capture_output=True, text=True, timeout=90)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    found = re.search(r'<pre id="results">(.*?)</pre>', result.stdout, re.S)
    if not found:
        raise AssertionError("no results in the dumped DOM: %s" % result.stderr[-2000:])
    text = found.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    return json.loads(text.replace("&amp;", "&"))


def is_red(css_color):
    m = re.match(r"rgba?\((\d+), (\d+), (\d+)", css_color or "")
    if not m:
        return False
    r, g, b = (int(x) for x in m.groups())
    return r > 180 and g < 110 and b < 110


def expected_direction(finding):
    """The direction tag a finding of the paired JSON must carry."""
    code = finding["code"]
    if code == "HEALTHY":
        return ""
    if code in ("LOSS_BOTH_DIRECTIONS", "ASYMMETRIC_PATH"):
        return "both"
    if code in ("LOSS_REVERSE_DIRECTION", "LATENCY_ON_RETURN_PATH"):
        return "reverse"
    if code in ("LOSS_FORWARD_DIRECTION", "LATENCY_ON_FORWARD_PATH"):
        return "forward"
    return finding["direction"]


TAG_WORDS = {"forward": "way out", "reverse": "way back", "both": "both ways", "": ""}


# Each check returns a list of failures (empty: passed).

def check_verdict(m, report, text):
    v = m["verdict"]
    if v is None:
        return ["no verdict section"]
    errors = []
    if not v["first_in_main"]:
        errors.append("the verdict is not the first thing in <main>")
    if not v["above_findings"]:
        errors.append("the verdict is not above the findings")
    if v["word"] != report["verdict"].upper() or v["data"] != report["verdict"]:
        errors.append("verdict %r/%r, the JSON says %r" % (v["word"], v["data"], report["verdict"]))
    if ("Diagnosis: %s" % report["verdict"].upper()) not in text:
        errors.append("the text report says another verdict")
    return errors


def check_oneway(m, report, text):
    if report["oneway"] is None:
        return [] if m["oneway"] is None else ["a one-way section without a measurement"]
    o = m["oneway"]
    if o is None:
        return ["no one-way section"]
    errors = []
    if [r["dir"] for r in o["rows"]] != ["forward", "reverse"]:
        errors.append("one-way rows: %r" % [r["dir"] for r in o["rows"]])
    for row in o["rows"]:
        side = report["oneway"][row["dir"]]
        method = side["clock"]["method"]
        words = {"same_host": "same host", "synchronized": "synchronized",
                 "estimated": "estimated", "none": "none"}[method]
        loss = "%.1f%%" % side["loss_pct"]
        if not any(c.startswith(loss) for c in row["cells"]):
            errors.append("%s: loss %s not shown: %r" % (row["dir"], loss, row["cells"]))
        if not any(re.match(r"[0-9.]+ / [0-9.]+ / [0-9.]+ ms", c) for c in row["cells"]):
            errors.append("%s: no delay min / avg / max" % row["dir"])
        if words not in row["clock"]:
            errors.append("%s: clock method %r not in %r" % (row["dir"], words, row["clock"]))
        if not re.search(r"[0-9.]+ ms", row["bound"]):
            errors.append("%s: no error bound: %r" % (row["dir"], row["bound"]))
    if "Clocks:" not in o["clocks"]:
        errors.append("no clocks paragraph")
    return errors


def check_evidence_words(m, report, text):
    raw = [t for t in m["evidence"] if RAW_KEY.search(t)]
    errors = ["raw evidence key: %r" % t for t in raw]
    # The text report's evidence uses the same words.
    raw_text = [l for l in text.split("Evidence of the findings:")[-1].split("Both traces")[0]
                .splitlines() if RAW_KEY.search(l.split(":")[0])]
    errors += ["raw evidence key in the text report: %r" % l for l in raw_text]
    return errors


def ignored_hops(report):
    return {(f["direction"], f["hop"]) for f in report["diagnosis"]
            if f["code"] in IGNORE_CODES and f["hop"] is not None}


def check_ignore_not_red(m, report, text):
    errors = []
    for direction, ttl in ignored_hops(report):
        marks = [h for h in m["hops"] if h["dir"] == direction and h["ttl"] == ttl]
        kinds = {h["kind"] for h in marks}
        for needed in ("circle.hop", "rect", "td.loss"):
            if needed not in kinds:
                errors.append("ignored %s hop %d: no %s drawn" % (direction, ttl, needed))
        for h in marks:
            if is_red(h["color"]) or is_red(h["background"]):
                errors.append("ignored %s hop %d drawn red (%s %s)" % (direction, ttl,
                                                                      h["kind"], h["color"]))
    return errors


def check_latency_alignment(m, report, text):
    by_address = {}
    for p in m["latency_points"]:
        by_address.setdefault(p["address"], {})[p["dir"]] = p
    errors = []
    both = [a for a, d in by_address.items() if len(d) == 2]
    if report["paths"] is not None and len(both) < 3:
        errors.append("only %d routers drawn on both lines" % len(both))
    for address in both:
        f, r = by_address[address]["forward"], by_address[address]["reverse"]
        if abs(f["x"] - r["x"]) > 0.5 or f["col"] != r["col"]:
            errors.append("router %s at x=%.1f out and x=%.1f back" % (address, f["x"], r["x"]))
    return errors


def check_labels_inside(m, report, text):
    errors = ["%(section)s: %(text)r outside the SVG" % o for o in m["overflow"]]
    if m["svg_texts"] < 20:
        errors.append("only %d SVG texts measured" % m["svg_texts"])
    return errors


def check_direction_tags(m, report, text):
    errors = []
    html_findings = [f for f in m["findings"] if f["code"] != "RUN_ERROR"]
    if [f["code"] for f in html_findings] != [f["code"] for f in sorted_like(report, m)]:
        errors.append("findings differ from the JSON's")
    for f, j in zip(html_findings, sorted_like(report, m)):
        want = expected_direction(j)
        if f["direction"] != want or f["tag"] != TAG_WORDS[want]:
            errors.append("%s tagged %r/%r, expected %r" % (f["code"], f["direction"], f["tag"],
                                                            want))
    for f in m["findings"]:
        if f["code"] == "RUN_ERROR" and f["tag"] not in ("way out", "way back"):
            errors.append("a run error without its direction: %r" % f)
    return errors


def sorted_like(report, m):
    """The JSON findings in the page's order (matched code by code)."""
    remaining = list(report["diagnosis"])
    ordered = []
    for f in m["findings"]:
        for j in remaining:
            if (j["code"], j["hop"] or 0) == (f["code"], f["hop"]) and (
                    not f["hop"] or j["direction"] == f["hop_dir"]):
                ordered.append(j)
                remaining.remove(j)
                break
    return ordered + remaining


def check_severity_words(m, report, text):
    errors = []
    if re.search(r"critical", m["body_text"], re.I):
        errors.append("the page says 'critical'")
    for f in m["findings"]:
        if f["severity"] not in ("problem", "warning", "info"):
            errors.append("severity word %r" % f["severity"])
    in_text = re.findall(r"^  \[(\w+)\] ([A-Z_]+)", text, re.M)
    in_page = [(f["severity"], f["code"]) for f in m["findings"] if f["code"] != "RUN_ERROR"]
    if in_text != in_page:
        errors.append("the text report says %r, the page %r" % (in_text, in_page))
    return errors


CHECKS = [check_verdict, check_oneway, check_evidence_words, check_ignore_not_red,
          check_latency_alignment, check_labels_inside, check_direction_tags,
          check_severity_words]


class ReportPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pp-report-page-")
        subprocess.run([TOOL, cls.dir], check=True)
        cls.pages, cls.reports, cls.texts, cls.measured = {}, {}, {}, {}
        for name in FIXTURES:
            stem = os.path.join(cls.dir, name)
            with open(stem + ".html", encoding="utf-8") as f:
                cls.pages[name] = f.read()
            with open(stem + ".json", encoding="utf-8") as f:
                cls.reports[name] = json.load(f)
            with open(stem + ".txt", encoding="utf-8") as f:
                cls.texts[name] = f.read()
            cls.measured[name] = measure(cls.pages[name], cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run_check(self, check):
        for name in FIXTURES:
            with self.subTest(page=name):
                self.assertEqual(check(self.measured[name], self.reports[name], self.texts[name]),
                                 [])

    def test_fixtures_are_what_they_claim(self):
        # The checks below are only worth something on pages that hold what they look for.
        self.assertEqual(self.reports["healthy"]["verdict"], "healthy")
        lossy = self.reports["lossy_reverse"]
        self.assertNotEqual(lossy["verdict"], "healthy")
        self.assertIn("LOSS_REVERSE_DIRECTION", [f["code"] for f in lossy["diagnosis"]])
        self.assertTrue(ignored_hops(lossy))
        self.assertEqual(self.reports["partial"]["status"], "partial")
        self.assertTrue(self.measured["lossy_reverse"]["evidence"])

    def test_verdict_at_the_top(self):
        self.run_check(check_verdict)

    def test_oneway_section_with_clock_method(self):
        self.run_check(check_oneway)
        self.assertIn("same host", self.measured["healthy"]["oneway"]["rows"][0]["clock"])
        self.assertIn("synchronized", self.measured["lossy_reverse"]["oneway"]["rows"][1]["clock"])

    def test_evidence_in_words(self):
        self.run_check(check_evidence_words)

    def test_ignored_hop_not_red(self):
        self.run_check(check_ignore_not_red)

    def test_latency_points_of_one_router_share_x(self):
        self.run_check(check_latency_alignment)

    def test_svg_labels_inside_viewport(self):
        self.run_check(check_labels_inside)

    def test_direction_tags(self):
        self.run_check(check_direction_tags)
        # The partial run has only the server's trace: its findings are about the way back.
        partial = self.measured["partial"]["findings"]
        self.assertIn(("PACKET_LOSS", "reverse", "way back"),
                      [(f["code"], f["direction"], f["tag"]) for f in partial])
        self.assertIn(("RUN_ERROR", "way out"), [(f["code"], f["tag"]) for f in partial])
        lossy = self.measured["lossy_reverse"]["findings"]
        self.assertEqual(lossy[0]["code"], "LOSS_REVERSE_DIRECTION")
        self.assertEqual(lossy[0]["tag"], "way back")

    def test_severity_words_match_the_text_report(self):
        self.run_check(check_severity_words)

    def test_every_check_fails_on_a_broken_page(self):
        page = self.pages["lossy_reverse"]
        broken = page
        # The verdict moved below the findings.
        verdict = re.search(r'<section id="verdict".*?</section>\n', broken, re.S).group(0)
        broken = broken.replace(verdict, "").replace("</main>", verdict + "</main>")
        # A one-way row without its clock method.
        broken = re.sub(r'<td class="clock">[^<]*</td>', '<td class="clock"></td>', broken, 1)
        # A raw evidence key.
        broken = broken.replace("<tr><th>probes sent</th>", "<tr><th>loss_ci_low_pct</th>", 1)
        # The ignored hop drawn red in the diagram.
        broken = re.sub(r'(<circle class="hop"[^>]*?fill=")#7f95ad', r"\1#d62728", broken, 1)
        # A router's way-back point moved to another x.
        broken = re.sub(r'(<circle class="avg" cx=")([0-9.]+)(" cy="[0-9.]+" r="4")',
                        lambda mm: mm.group(1) + str(float(mm.group(2)) + 40) + mm.group(3),
                        broken, 1)
        # A label past the right edge.
        broken = re.sub(r"(translate\()([0-9.]+)(,[0-9.]+\) rotate\(35\)\" class=\"addr\">)",
                        lambda mm: mm.group(1) + "985" + mm.group(3), broken, 1)
        # The wrong direction tag.
        broken = broken.replace('data-direction="reverse"', 'data-direction="forward"', 1)
        # The old severity word.
        broken = broken.replace('<span class="sev">problem', '<span class="sev">CRITICAL', 1)
        self.assertNotEqual(broken, page)
        m = measure(broken, self.dir)
        report, text = self.reports["lossy_reverse"], self.texts["lossy_reverse"]
        for check in CHECKS:
            with self.subTest(check=check.__name__):
                self.assertNotEqual(check(m, report, text), [], "passed on a broken page")


if __name__ == "__main__":
    if not TOOL:
        print("skipped: set PAIRED_REPORT_TOOL")
        raise SystemExit(77)
    if not chromium():
        if os.environ.get("PATHPAIR_REQUIRE_CHROMIUM") == "1":
            print("chromium is required here (PATHPAIR_REQUIRE_CHROMIUM=1) but not installed")
            raise SystemExit(1)
        print("skipped: chromium not installed")
        raise SystemExit(77)
    unittest.main()
