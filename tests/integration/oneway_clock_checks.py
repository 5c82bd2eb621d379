"""Helpers for the one-way clock and latency-direction acceptance tests (issue 9 items 1, 2, 4).

They know nothing about how the two ends are built (the path emulator, namespaces of real Linux
routers, real hosts): give them pathpair-agent flags and a `pathpair test` JSON report.

    args = {"client": agent_clock_flags(boot_id="fake-a", synchronized=False),
            "server": agent_clock_flags(boot_id="fake-b", synchronized=False, offset_ms=1000)}
    ... start the agents with args[side], run `pathpair test --json` ...
    figures = oneway_figures(report)   # {"forward_ms", "reverse_ms", "method", ...}
    assert_latency_direction(self, report, "return", expected_ms=29, tolerance_ms=10)
"""
import re


def agent_clock_flags(boot_id=None, synchronized=None, esterror_us=None, offset_ms=None):
    """pathpair-agent's test-only clock flags (the "Testing only" group of its --help)."""
    flags = []
    if boot_id is not None:
        flags += ["--test-boot-id", boot_id]
    if synchronized is not None:
        flags += ["--test-clock-synchronized", "true" if synchronized else "false"]
    if esterror_us is not None:
        flags += ["--test-clock-esterror-us", str(esterror_us)]
    if offset_ms is not None:
        flags += ["--test-clock-offset-ms", str(offset_ms)]
    return flags


def scenario_one_way_ms(path):
    """(forward, reverse) one-way delay a netsim scenario file configures: the sums of its
    forward { } and reverse { } links' delay_ms (jitter and queueing aside)."""
    with open(path) as f:
        text = f.read()
    sums = []
    for direction in ("forward", "reverse"):
        block = re.search(r"^%s \{(.*?)^\}" % direction, text, re.S | re.M).group(1)
        sums.append(sum(float(x) for x in re.findall(r"delay_ms:\s*([0-9.]+)", block)))
    return tuple(sums)


def oneway_figures(report):
    """The one-way part of a paired JSON report, flattened: average delays (ms) each way, their
    difference (reverse - forward), and each direction's clock method and error bound."""
    oneway = report["oneway"]
    forward, reverse = oneway["forward"], oneway["reverse"]
    return {
        "forward_ms": forward["delay_ms"]["avg"],
        "reverse_ms": reverse["delay_ms"]["avg"],
        "difference_ms": reverse["delay_ms"]["avg"] - forward["delay_ms"]["avg"],
        "method": (forward["clock"]["method"], reverse["clock"]["method"]),
        "error_ms": (forward["clock"]["error_ms"], reverse["clock"]["error_ms"]),
        "note": forward["clock"]["note"] or reverse["clock"]["note"],
    }


def findings(report, code):
    """The paired report's merged findings with that code."""
    return [f for f in report["diagnosis"] if f["code"] == code]


def assert_latency_direction(test, report, direction, expected_ms, tolerance_ms):
    """The run names the direction ("forward": client -> server, or "return"), and only it, and
    the one-way delays differ by expected_ms +- tolerance_ms the right way round."""
    figures = oneway_figures(report)
    longer = figures["difference_ms"] if direction == "return" else -figures["difference_ms"]
    test.assertLessEqual(abs(longer - expected_ms), tolerance_ms, figures)
    named = "LATENCY_ON_RETURN_PATH" if direction == "return" else "LATENCY_ON_FORWARD_PATH"
    other = "LATENCY_ON_FORWARD_PATH" if direction == "return" else "LATENCY_ON_RETURN_PATH"
    test.assertEqual(len(findings(report, named)), 1, report["diagnosis"])
    test.assertEqual(findings(report, other), [], report["diagnosis"])


def latency_step_directions(report):
    """The "direction" evidence of every LATENCY_INCREASE in the merged findings."""
    return [f.get("evidence", {}).get("direction")
            for f in findings(report, "LATENCY_INCREASE")]
