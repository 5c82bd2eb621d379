"""Reading mtr-style reports (-r/-w) and JSON (-j) in tests, for pathpair and real mtr alike.

    hops = parse_report(text)            # [Hop(ttl=1, host='198.51.100.2', loss=0.0, snt=10), ...]
    shape = layout(text)                 # the report with every number replaced by '#'
    first_lossy_ttl(hops)                # 4, or None
"""

import collections
import re

Hop = collections.namedtuple("Hop", "ttl host loss snt extra_hosts")

_HOP_LINE = re.compile(r"^ {0,2}(\d+)\.\|-- (\S+)\s")
_START = re.compile(r"^Start: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$")
_NUMBER = re.compile(r"\d+(\.\d+)?")


def parse_report(text):
    """Hop lines of an mtr report. Columns: mtr's default order (Loss% Snt _ Last Avg ...)."""
    hops = []
    for line in text.splitlines():
        m = _HOP_LINE.match(line)
        if m:
            stats = line[m.end(2):].split()
            loss = float(stats[0].rstrip("%"))
            hops.append(Hop(int(m.group(1)), m.group(2), loss, int(stats[1]), []))
        elif line.startswith("        ") and hops:
            hops[-1].extra_hosts.append(line.strip())
    return hops


def responders_by_ttl(hops):
    """{ttl: set of every address listed at that TTL, the hop line's and the extra lines'}."""
    return {hop.ttl: {hop.host} | set(hop.extra_hosts) for hop in hops}


def first_lossy_ttl(hops):
    for hop in hops:
        if hop.loss > 0:
            return hop.ttl
    return None


def mtr_part(text):
    """A pathpair report without the findings block it prints under mtr's report (from the
    blank line before "Diagnosis:" on); mtr's own reports come back unchanged."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Diagnosis:"):
            end = i - 1 if i > 0 and not lines[i - 1].strip() else i
            return "\n".join(lines[:end]) + "\n"
    return text


def layout(text, mask_names=False):
    """The report's shape: the Start line's time replaced; on hop lines the hop number and
    name kept as they are (they must match too), every number after them replaced by '#', and
    the line's length kept (columns are fixed width, so lengths match unless a cell overflows).
    mask_names replaces host names too (for ECMP hops, where tracers may order them apart)."""
    shaped = []
    for line in mtr_part(text).splitlines():
        if _START.match(line):
            shaped.append("Start: <time>")
            continue
        m = _HOP_LINE.match(line)
        if m:
            stats = _NUMBER.sub("#", line[m.end(2):])
            head = line[:m.start(2)] + "<name>" if mask_names else line[:m.end(2)]
            shaped.append("%s|%s|len=%d" % (head, " ".join(stats.split()), len(line)))
            continue
        if mask_names and line.startswith("        ") and line.strip():
            shaped.append("        <name>|len=%d" % len(line))
            continue
        shaped.append(line)
    return shaped


MTR_MTR_KEYS = ["src", "dst", "tos", "tests", "psize", "bitpattern"]
MTR_HUB_KEYS = ["count", "host", "Loss%", "Snt", "Last", "Avg", "Best", "Wrst", "StDev"]
