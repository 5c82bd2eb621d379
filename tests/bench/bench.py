#!/usr/bin/python3
"""pathpair measured against mtr (Debian mtr-tiny), side by side in the same run, on a chain of
real Linux routers in network namespaces (tests/topo). Writes docs/BENCHMARKS.md (or --out) and
prints the same table.

    tests/bench/run.sh            # full run (about 10 minutes), writes docs/BENCHMARKS.md
    tests/bench/run.sh --smoke    # a short run (CI: ctest -R bench.smoke), no thresholds
    tests/bench/run.sh --only agent --agent-traces 1000   # one figure, printed only

Figures (issue 13):
  * RTT error against the wire: a tcpdump capture with nanosecond timestamps on the client's
    interface, each probe paired by its on-wire ICMP sequence with the tool's raw `-l` output;
    idle and with busy loops loading every core. p50, p99, max |error|, share of probes matched.
  * CPU per probe: user+sys of the finished process (wait4 rusage, children included, so
    mtr-packet counts for mtr) at `-c 300 -i 0.01` and `-c 1000 -i 0.001`; the ratio to mtr.
  * Peak RSS (ru_maxrss) of `pathpair trace` and of mtr.
  * The agent with N concurrent endless traces (1 round/s, 4 hops) driven over gRPC
    (python3-grpcio, messages from proto/ compiled with protoc at run time): its CPU as a share
    of a core (/proc/PID/stat over a window), its RSS, updates per stream per second.
  * `pathpair test` overhead (wall time minus the traces' own duration) and the time to the
    first full hop list (every hop of one round printed by `-l`), pathpair and mtr.

Tools are alternated A B A B; each figure is the median over the pairs. Goals are in the table;
nothing here fails on a missed goal (exit status 0 unless the benchmark itself broke).

Environment: PATHPAIR_BIN, PATHPAIR_AGENT_BIN, PATHPAIR_TOPO_BIN (set by ctest and run.sh).
"""

import argparse
import json
import os
import platform
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "topo"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import agent_token  # noqa: E402  the token of plaintext agents beyond loopback
import topo  # noqa: E402

PATHPAIR = os.environ.get("PATHPAIR_BIN", "pathpair")
AGENT = os.environ.get("PATHPAIR_AGENT_BIN", "pathpair-agent")
AGENT_PORT = 8631
TOOLS = ("pathpair", "mtr")


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100.0 * (len(ordered) - 1))))]


def median(values):
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


def tool_argv(tool, target, extra):
    binary = PATHPAIR if tool == "pathpair" else "mtr"
    prefix = [binary, "trace"] if tool == "pathpair" else [binary]
    return prefix + ["-n"] + extra + [target]


class Bench:
    def __init__(self, topology, smoke, pairs=0):
        self.t = topology
        self.smoke = smoke
        self.pairs = pairs or (1 if smoke else 3)
        self.client = topology.namespace("client")
        self.server = topology.namespace("server")
        self.target = topology.chain["server"]["ipv4"]
        self.client_v4 = topology.chain["client"]["ipv4"]
        self.hops = len(topology.chain["hops"]["ipv4"]["forward"])

    def ns(self, node, argv):
        return ["ip", "netns", "exec", node] + argv

    def run_rusage(self, node, argv):
        """Runs argv in `node`; returns (stdout, user+sys seconds, peak RSS KiB).

        CPU: wait4's rusage of the finished process (its waited-for children included, so
        mtr-packet counts for mtr; GNU time's own share is well under a millisecond). Peak RSS:
        GNU time's %M, because a process forked from this Python interpreter inherits the
        interpreter's RSS high-water mark in its own ru_maxrss (exec keeps it)."""
        with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss:
            proc = subprocess.Popen(self.ns(node, ["/usr/bin/time", "-f", "%M", "-o", rss.name]
                                            + argv), stdout=out, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode != 0:
                raise RuntimeError("%s exited %d" % (argv, proc.returncode))
            out.seek(0)
            return (out.read().decode(), usage.ru_utime + usage.ru_stime,
                    int(rss.read().split()[-1]))

    # --- RTT error against the wire -------------------------------------------------------

    def rtt_error(self, tool, count, interval):
        """One run under tcpdump; returns (|tool RTT - wire RTT| in µs per matched probe, probes
        sent, probes matched).

        tcpdump gets packets from the kernel in blocks (libpcap's TPACKET_V3 ring, a block
        when full or when its 1-second timer retires it) and a SIGTERM loses the block still
        open, so the capture is stopped only once it holds the request and the reply of every
        probe the tool printed a reply for (at most CAPTURE_GRACE_S), not a fixed time after
        the tool. Why not --immediate-mode: docs/BENCHMARKS.md, "Probes matched to the wire"."""
        with tempfile.NamedTemporaryFile(suffix=".pcap") as pcap:
            dump = subprocess.Popen(
                self.ns(self.client, ["tcpdump", "-i", "r", "-n", "-U", "-s", "128",
                                      "--time-stamp-precision=nano", "-w", pcap.name, "icmp"]),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            dump.stderr.readline()  # "listening on r ..." once the capture is open
            out = ""
            try:
                out, _, _ = self.run_rusage(self.client, tool_argv(
                    tool, self.target, ["-l", "-c", str(count), "-i", str(interval)]))
                replied = raw_reply_rtts(out)
                deadline = time.monotonic() + CAPTURE_GRACE_S
                while (not replied.keys() <= wire_rtts(pcap.name).keys()
                       and time.monotonic() < deadline):
                    time.sleep(0.05)
            finally:
                dump.terminate()
                _, stats = dump.communicate()
            dropped = capture_drops(stats)
            if dropped:
                print("bench: tcpdump dropped %d packets (%s run): its matched share is low"
                      % (dropped, tool), file=sys.stderr)
            wire = wire_rtts(pcap.name)
        sent = sum(1 for line in out.splitlines() if line.split()[:1] == ["x"])
        errors = [abs(rtt - wire[seq]) for seq, rtt in raw_reply_rtts(out).items() if seq in wire]
        return errors, sent, len(errors)

    def rtt_figures(self, loaded):
        count, interval = (20, 0.05) if self.smoke else (100, 0.01)
        pairs = self.pairs
        loops = []
        if loaded:
            loops = [subprocess.Popen(["sh", "-c", "while :; do :; done"])
                     for _ in range(2 * (os.cpu_count() or 1))]
        try:
            per_tool = {tool: [] for tool in TOOLS}
            for _ in range(pairs):
                for tool in TOOLS:
                    errors, sent, matched = self.rtt_error(tool, count, interval)
                    per_tool[tool].append((percentile(errors, 50), percentile(errors, 99),
                                           max(errors, default=float("nan")),
                                           matched / sent if sent else 0.0))
        finally:
            for loop in loops:
                loop.kill()
                loop.wait()
        return {tool: tuple(median([run[i] for run in runs]) for i in range(4))
                for tool, runs in per_tool.items()}

    # --- CPU per probe and peak RSS ---------------------------------------------------------

    def cpu_figures(self, count, interval):
        pairs = self.pairs
        ratios, cpu, rss = [], {t: [] for t in TOOLS}, {t: [] for t in TOOLS}
        for _ in range(pairs):
            seconds = {}
            for tool in TOOLS:
                _, used, maxrss = self.run_rusage(self.client, tool_argv(
                    tool, self.target, ["-r", "-c", str(count), "-i", str(interval)]))
                seconds[tool] = used
                cpu[tool].append(used / (count * self.hops) * 1e6)
                rss[tool].append(maxrss / 1024.0)
            ratios.append(seconds["pathpair"] / seconds["mtr"] if seconds["mtr"] else float("nan"))
            print("bench: CPU per probe at -c %d -i %g: pathpair %.1f µs, mtr %.1f µs" % (
                count, interval, cpu["pathpair"][-1], cpu["mtr"][-1]), file=sys.stderr)
        return median(ratios), {t: median(v) for t, v in cpu.items()}, \
            {t: median(v) for t, v in rss.items()}

    # --- Time to the first full hop list -----------------------------------------------------

    def first_full_list(self, tool):
        """Seconds from start until `-l` has printed a reply from every hop."""
        start = time.monotonic()
        proc = subprocess.Popen(self.ns(self.client, tool_argv(
            tool, self.target, ["-l", "-c", "5", "-i", "0.2"])), stdout=subprocess.PIPE, text=True)
        seen = set()
        elapsed = float("nan")
        for line in proc.stdout:
            fields = line.split()
            if fields[:1] == ["p"]:
                seen.add(int(fields[1]))
                if len(seen) >= self.hops:
                    elapsed = time.monotonic() - start
                    break
        proc.kill()
        proc.wait()
        return elapsed

    # --- pathpair test overhead ---------------------------------------------------------------

    def paired_overhead(self, extra):
        count, interval = 5, 0.1
        with tempfile.TemporaryDirectory() as tmp:
            start = time.monotonic()
            proc = subprocess.run(self.ns(self.client, [
                PATHPAIR, "test", "--client", "127.0.0.1:%d" % AGENT_PORT,
                "--server", "%s:%d" % (self.target, AGENT_PORT), "--target", self.target,
                *agent_token.CONTROLLER_ARGS, "--json", "--history-db", os.path.join(tmp, "h.db"), "-n",
                "-c", str(count), "-i", str(interval)] + extra), capture_output=True, text=True)
            wall = time.monotonic() - start
        if proc.returncode not in (0, 3, 4):  # a verdict (healthy, degraded, broken)
            raise RuntimeError("pathpair test failed: %s" % proc.stderr)
        oneway = json.loads(proc.stdout).get("oneway") or {}
        sent = [(oneway.get(way) or {}).get("sent", 0) for way in ("forward", "reverse")]
        # The traces' own duration: `count` rounds `interval` apart, then the last round's
        # probe timeout (the trace waits for late replies); measured as a plain `pathpair trace`
        # with the same options, so the overhead is what the pairing adds.
        start = time.monotonic()
        subprocess.run(self.ns(self.client, tool_argv("pathpair", self.target, [
            "-r", "-c", str(count), "-i", str(interval)])), capture_output=True, check=True)
        trace = time.monotonic() - start
        return wall, trace, min(sent)

    # --- The agent with N traces --------------------------------------------------------------

    def agent_figures(self, n, window):
        script = os.path.join(HERE, "agent_driver.py")
        agent = subprocess.Popen(self.ns(self.client, [
            AGENT, "--listen", "127.0.0.1:%d" % AGENT_PORT, "--insecure", "--allow",
            self.target + "/32", "--max-traces", "100000", "--max-traces-per-client", "100000", "--max-rate",
            "10000000"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_listening(self.ns(self.client, []), AGENT_PORT)
            driver = subprocess.Popen(self.ns(self.client, [
                "/usr/bin/python3", script, "--endpoint", "127.0.0.1:%d" % AGENT_PORT,
                "--target", self.target, "--traces", str(n), "--warmup", "5" if not self.smoke
                else "2", "--window", str(window), "--agent-pid", str(agent.pid),
                "--proto-root", os.path.join(ROOT, "proto")]),
                stdout=subprocess.PIPE, text=True)
            try:
                out, _ = driver.communicate(timeout=window + 240)
            except subprocess.TimeoutExpired:
                driver.kill()
                out, _ = driver.communicate()
            if "cpu_percent=" not in out:
                raise RuntimeError("agent driver failed for N=%d" % n)
            figures = dict(item.split("=") for item in out.split())
            return {k: float(v) for k, v in figures.items()}
        finally:
            agent.terminate()
            agent.wait()


def wait_listening(prefix, port):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        probe = subprocess.run(prefix + ["/usr/bin/python3", "-c",
                                         "import socket; socket.create_connection(('127.0.0.1',"
                                         " %d), timeout=0.5).close()" % port],
                               capture_output=True)
        if probe.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("agent never listened")


# How long the capture may take, after the tool ended, to hold the replies the tool printed
# (tcpdump's block timeout is 1 s; more under load).
CAPTURE_GRACE_S = 3.0


def raw_reply_rtts(raw):
    """RTT in µs per probe sequence from mtr's raw format (`p HOP RTT_US SEQ` lines)."""
    rtts = {}
    for line in raw.splitlines():
        fields = line.split()
        if fields[:1] == ["p"] and len(fields) >= 4:
            rtts[int(fields[3])] = int(fields[2])
    return rtts


def capture_drops(stats):
    """The kernel's drop count from tcpdump's closing statistics on stderr."""
    for line in stats.splitlines():
        if line.endswith("packets dropped by kernel"):
            return int(line.split()[0])
    return 0


def wire_rtts(path):
    """Wire RTT in µs per ICMP sequence: echo request out to time-exceeded/echo reply back."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return {}  # tcpdump has not written its file header yet
    magic = struct.unpack("<I", data[:4])[0]
    if magic != 0xA1B23C4D:
        raise RuntimeError("capture is not nanosecond pcap (magic %x)" % magic)
    linktype = struct.unpack("<I", data[20:24])[0]
    offset = 24
    sent, rtts = {}, {}
    while offset + 16 <= len(data):
        sec, nsec, caplen, _ = struct.unpack("<IIII", data[offset:offset + 16])
        if offset + 16 + caplen > len(data):
            break  # a record tcpdump is still writing
        packet = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        when = sec * 1e9 + nsec
        ip = packet[14:] if linktype == 1 else packet
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 1:
            continue
        icmp = ip[(ip[0] & 0xF) * 4:]
        kind = icmp[0]
        if kind == 8:
            sent.setdefault(struct.unpack("!H", icmp[6:8])[0], when)
        elif kind == 0:
            seq = struct.unpack("!H", icmp[6:8])[0]
        elif kind in (11, 3) and len(icmp) >= 36:
            inner = icmp[8:]
            inner_icmp = inner[(inner[0] & 0xF) * 4:]
            if len(inner_icmp) < 8 or inner_icmp[0] != 8:
                continue
            seq = struct.unpack("!H", inner_icmp[6:8])[0]
        else:
            continue
        if kind != 8 and seq in sent and seq not in rtts:
            rtts[seq] = (when - sent[seq]) / 1000.0
    return rtts


def fmt(value, digits=1):
    return "n/a" if value != value else ("%.*f" % (digits, value))


# The parts of the suite, for --only (e.g. `--only cpu` while working on CPU per probe).
PARTS = ("rtt", "cpu", "first", "paired", "agent")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="short run, for CI")
    parser.add_argument("--out", help="where to write the table (default docs/BENCHMARKS.md)")
    parser.add_argument("--load-note", default="", help="what else loaded the machine")
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="measure only this part (repeatable); the table is printed, and "
                        "written only with --out")
    parser.add_argument("--pairs", type=int, default=0,
                        help="A B pairs per figure (default 3, 1 with --smoke)")
    parser.add_argument("--agent-traces", type=int, action="append", metavar="N",
                        help="the agent figures for N traces only (repeatable; default 10, 100 "
                        "and 1000, 10 with --smoke)")
    args = parser.parse_args()
    if any(n < 1 for n in args.agent_traces or []):
        parser.error("--agent-traces: N must be at least 1")
    parts = set(args.only or PARTS)
    out = args.out or (None if args.only else os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    if os.geteuid() != 0:
        print("bench: needs root (network namespaces)", file=sys.stderr)
        return 77

    spec = {"icmp_rate_limits": "ICMP_RATE_LIMITS_OFF", "chain": {"routers": 3}}
    rows = []
    started = time.time()
    load_before = os.getloadavg()
    with topo.Topology(spec) as t:
        b = Bench(t, args.smoke, args.pairs)
        if "rtt" in parts:
            idle = b.rtt_figures(loaded=False)
            loaded = b.rtt_figures(loaded=True)
            for label, figures in (("idle", idle), ("%d busy loops" % (2 * (os.cpu_count() or 1)),
                                                     loaded)):
                pp, mtr = figures["pathpair"], figures["mtr"]
                goal = "p50 and p99 within ±5 and ±20 µs" if label != "idle" else ""
                rows.append(("\\|RTT error\\| p50 / p99 / max (µs), " + label,
                             "%s / %s / %s" % (fmt(pp[0]), fmt(pp[1]), fmt(pp[2])),
                             "%s / %s / %s" % (fmt(mtr[0]), fmt(mtr[1]), fmt(mtr[2])), "", goal))
                rows.append(("Probes matched to the wire, " + label, "%.1f%%" % (100 * pp[3]),
                             "%.1f%%" % (100 * mtr[3]), "", "≥ 99%" if goal else ""))
        if "cpu" in parts:
            rates = [(30, 0.01)] if args.smoke else [(300, 0.01), (1000, 0.001)]
            rss = None
            for count, interval in rates:
                ratio, cpu, rss_run = b.cpu_figures(count, interval)
                rss = rss or rss_run
                rows.append(("CPU per probe (µs user+sys), -c %d -i %g" % (count, interval),
                             fmt(cpu["pathpair"]), fmt(cpu["mtr"]), fmt(ratio, 2), "ratio ≤ 0.2"))
            rows.append(("Peak RSS (MiB)", fmt(rss["pathpair"]), fmt(rss["mtr"]),
                         fmt(rss["pathpair"] / rss["mtr"], 2), ""))
        if "first" in parts:
            firsts = {tool: [] for tool in TOOLS}
            for _ in range(b.pairs):
                for tool in TOOLS:
                    firsts[tool].append(b.first_full_list(tool))
            rows.append(("Time to the first full hop list (ms)", fmt(1000 * median(firsts["pathpair"])),
                         fmt(1000 * median(firsts["mtr"])), "", ""))
        if "paired" in parts:
            # pathpair test needs an agent at each end.
            agents = [subprocess.Popen(b.ns(node, [AGENT, "--listen", "0.0.0.0:%d" % AGENT_PORT]
                                            + agent_token.AGENT_ARGS), stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL) for node in (b.client, b.server)]
            try:
                wait_listening(b.ns(b.client, []), AGENT_PORT)
                wait_listening(b.ns(b.server, []), AGENT_PORT)
                variants = (("", []), (", --no-oneway", ["--no-oneway"]))
                runs = {label: [b.paired_overhead(extra) for _ in range(b.pairs)]
                        for label, extra in variants}
            finally:
                for agent in agents:
                    agent.terminate()
                    agent.wait()
            for label, _ in variants:
                walls = [1000 * wall for wall, _, _ in runs[label]]
                traces = [1000 * trace for _, trace, _ in runs[label]]
                sent = min(oneway for _, _, oneway in runs[label])
                rows.append(("`pathpair test -c 5 -i 0.1%s` overhead (ms): wall %s − trace %s%s" % (
                    label, fmt(median(walls), 0), fmt(median(traces), 0),
                    "; %d one-way packets each way" % sent if sent else ""),
                    fmt(median([w - tr for w, tr in zip(walls, traces)]), 0), "", "", "≤ 200 ms"))
        if "agent" in parts:
            for n in args.agent_traces or ((10,) if args.smoke else (10, 100, 1000)):
                window = 5 if args.smoke else 20
                a = b.agent_figures(n, window)
                goal = n == 1000
                rows.append(("Agent, %d traces: CPU (%% of a core)" % n, fmt(a["cpu_percent"]), "",
                             "", "< 25%" if goal else ""))
                rows.append(("Agent, %d traces: RSS (MiB)" % n, fmt(a["rss_mib"]), "", "",
                             "< 64 MiB" if goal else ""))
                rows.append(("Agent, %d traces: updates per stream per second" % n,
                             fmt(a["updates_per_stream_s"], 2), "", "", "≈ 1" if goal else ""))
    load_after = os.getloadavg()
    table = ["| Figure | pathpair | mtr | pathpair / mtr | Goal |", "|---|---|---|---|---|"]
    table += ["| %s |" % " | ".join(row) for row in rows]
    header = [
        "Taken %s UTC on %s (%d cores, kernel %s), %s run, %.0f s. Load average before/after: "
        "%.2f / %.2f.%s" % (
            time.strftime("%Y-%m-%d %H:%M", time.gmtime(started)), socket.gethostname(),
            os.cpu_count() or 0, platform.release(), ("smoke" if args.smoke else "full") + (
                " (%s only)" % ", ".join(sorted(parts)) if args.only else ""),
            time.time() - started, load_before[0], load_after[0],
            (" " + args.load_note) if args.load_note else ""),
        "",
    ]
    text = "\n".join(header + table) + "\n"
    print(text)
    if out:
        write_table(out, text)
    return 0


BEGIN = "<!-- bench.py: table begins -->"
END = "<!-- bench.py: table ends -->"


def write_table(path, text):
    """Replaces the table between the markers in `path` (the prose around it is kept)."""
    try:
        with open(path) as f:
            document = f.read()
    except FileNotFoundError:
        document = "# Benchmarks\n\n%s\n%s\n" % (BEGIN, END)
    if BEGIN not in document or END not in document:
        document += "\n%s\n%s\n" % (BEGIN, END)
    head, rest = document.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w") as f:
        f.write(head + BEGIN + "\n" + text + END + tail)


if __name__ == "__main__":
    sys.exit(main())
