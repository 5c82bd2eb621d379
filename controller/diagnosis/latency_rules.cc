#include "controller/diagnosis/latency_rules.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controller/diagnosis/statistics.h"

namespace pathpair::diagnosis {
namespace {

bool UsableForLatency(const HopView& hop) { return hop.received >= kMinRepliesForLatency; }

double StandardError(const HopView& hop) {
  return hop.received > 0 ? hop.stdev_ms / std::sqrt(static_cast<double>(hop.received)) : 0;
}

void AddRttFigures(v1::Finding& finding, const HopView& hop) {
  AddNumber(finding, "avg_ms", hop.avg_ms);
  AddNumber(finding, "best_ms", hop.best_ms);
  AddNumber(finding, "worst_ms", hop.worst_ms);
  AddNumber(finding, "stdev_ms", hop.stdev_ms);
  AddNumber(finding, "replies", static_cast<double>(hop.received));
}

}  // namespace

bool IsTransientSpike(const HopView& hop) {
  if (hop.received < kMinRepliesForJitter) return false;
  const double spread = hop.worst_ms - hop.best_ms;
  return hop.worst_ms >= kSpikeWorstToAvgRatio * hop.avg_ms &&
         hop.worst_ms - hop.avg_ms >= kSpikeMinExcessMs &&
         hop.avg_ms - hop.best_ms <= kSpikeMaxAvgShare * spread;
}

bool HasHighStdev(const HopView& hop) {
  if (hop.received < kMinRepliesForJitter) return false;
  return hop.stdev_ms >= kHighStdevMinMs && hop.stdev_ms >= kHighStdevFraction * hop.avg_ms;
}

bool HasHighJitter(const HopView& hop) { return HasHighStdev(hop) && !IsTransientSpike(hop); }

void FindLatencySteps(const PathView& path, Findings& out) {
  std::vector<int> usable;
  for (int i = 0; i < static_cast<int>(path.hops.size()); ++i) {
    if (UsableForLatency(path.hops[i])) usable.push_back(i);
  }
  const int n = static_cast<int>(usable.size());
  if (n < 2) return;
  // floor[k]: the lowest Avg from usable hop k to the end: the latency that persists.
  std::vector<double> floor(n);
  std::vector<int> floor_hop(n);
  floor[n - 1] = path.hops[usable[n - 1]].avg_ms;
  floor_hop[n - 1] = usable[n - 1];
  for (int k = n - 2; k >= 0; --k) {
    const double avg = path.hops[usable[k]].avg_ms;
    floor[k] = std::min(avg, floor[k + 1]);
    floor_hop[k] = avg <= floor[k + 1] ? usable[k] : floor_hop[k + 1];
  }
  for (int k = 1; k < n; ++k) {
    const HopView& hop = path.hops[usable[k]];
    const HopView& previous = path.hops[usable[k - 1]];
    const double before = floor[k - 1];
    const double step = floor[k] - before;
    if (step >= kLatencyStepMinMs && step >= kLatencyStepMinFraction * before) {
      const HopView& lowest_after = path.hops[floor_hop[k]];
      std::string summary = absl::StrCat("Latency rises at hop ", hop.ttl, " by ", Decimal(step),
                                         " ms (", Decimal(before), " -> ", Decimal(floor[k]),
                                         " ms) and stays up to the last hop.");
      if (path.reached) absl::StrAppend(&summary, kReturnPathCaveat);
      v1::Finding finding =
          HopFinding(v1::LATENCY_INCREASE, v1::SEVERITY_WARNING, hop, std::move(summary));
      AddNumber(finding, "step_ms", step);
      AddNumber(finding, "before_ms", before);
      AddNumber(finding, "after_ms", floor[k]);
      AddNumber(finding, "previous_hop", previous.ttl);
      AddRttFigures(finding, hop);
      finding.set_confidence(RoundConfidence(ConfidenceDifferencePositive(
          step - kLatencyStepMinMs / 2, StandardError(lowest_after), StandardError(previous))));
      finding.set_probes(hop.sent + previous.sent);
      out.push_back(std::move(finding));
      continue;  // a persistent step is not also a slow path at the same hop
    }
    if (k == n - 1) continue;             // the last hop has nothing after it to return to
    if (IsTransientSpike(hop)) continue;  // its Avg is raised by one slow probe, not the node
    const double after = floor[k + 1];
    const double excess_after = hop.avg_ms - after;
    const double excess_before = hop.avg_ms - previous.avg_ms;
    const double needed = std::max(kSlowPathMinExcessMs, kSlowPathMinFraction * after);
    if (excess_after >= needed && excess_before >= kSlowPathMinExcessMs &&
        excess_before >= kSlowPathMinFraction * previous.avg_ms) {
      const HopView& lowest_after = path.hops[floor_hop[k + 1]];
      v1::Finding finding =
          HopFinding(v1::ICMP_SLOW_PATH_LATENCY, v1::SEVERITY_INFO, hop,
                     absl::StrCat("Hop ", hop.ttl, " is slower (", Decimal(hop.avg_ms),
                                  " ms) than the hops "
                                  "after it (",
                                  Decimal(after),
                                  " ms): the node is slow to generate ICMP "
                                  "replies (rate limiting / control plane); ignore it."));
      AddNumber(finding, "excess_ms", excess_after);
      AddNumber(finding, "previous_avg_ms", previous.avg_ms);
      AddNumber(finding, "later_min_avg_ms", after);
      AddNumber(finding, "later_hop", lowest_after.ttl);
      AddRttFigures(finding, hop);
      finding.set_confidence(RoundConfidence(
          ConfidenceDifferencePositive(excess_after - kSlowPathMinExcessMs / 2, StandardError(hop),
                                       StandardError(lowest_after))));
      out.push_back(std::move(finding));
    }
  }
}

namespace {

// The first index of the high-StDev run that reaches the last answering hop, or -1.
int JitterRunStart(const PathView& path) {
  const int last = path.LastRespondingIndex();
  if (last < 0 || !HasHighStdev(path.hops[last])) return -1;
  for (int k = 0; k <= last; ++k) {
    if (!HasHighStdev(path.hops[k])) continue;
    int judged = 0;
    int high = 0;
    for (int i = k; i <= last; ++i) {
      if (path.hops[i].received < kMinRepliesForJitter) continue;  // too few replies to judge
      ++judged;
      high += HasHighStdev(path.hops[i]) ? 1 : 0;
    }
    if (high >= kJitterPersistShare * judged) return k;
  }
  return last;
}

}  // namespace

void FindJitter(const PathView& path, Findings& out) {
  const int last = path.LastRespondingIndex();
  int start = JitterRunStart(path);
  if (start >= 0) {
    int judged = 0;
    for (int i = start; i <= last; ++i) judged += path.hops[i].received >= kMinRepliesForJitter;
    // One hop whose StDev is one slow probe is a spike, not jitter.
    if (judged < 2 && IsTransientSpike(path.hops[start])) start = -1;
  }
  const int count = static_cast<int>(path.hops.size());
  for (int i = 0; i < count; ++i) {
    const HopView& hop = path.hops[i];
    if (!IsTransientSpike(hop) || (start >= 0 && i >= start)) continue;
    v1::Finding finding =
        HopFinding(v1::TRANSIENT_SPIKE, v1::SEVERITY_INFO, hop,
                   absl::StrCat("Hop ", hop.ttl, " had a high Wrst (", Decimal(hop.worst_ms),
                                " ms) but a normal Avg (", Decimal(hop.avg_ms),
                                " ms): a transient fluctuation during a probe."));
    AddRttFigures(finding, hop);
    // The more replies sit near Best, the surer it is a one-off.
    const double n = static_cast<double>(hop.received);
    finding.set_confidence(RoundConfidence(1 - 1 / n));
    out.push_back(std::move(finding));
  }
  if (start < 0) return;

  const HopView& hop = path.hops[start];
  const HopView& end = path.hops[last];
  v1::Finding finding = HopFinding(
      v1::HIGH_JITTER, v1::SEVERITY_WARNING, hop,
      absl::StrCat("Latency varies widely from hop ", hop.ttl, " to the last hop: StDev ",
                   Decimal(hop.stdev_ms), " ms at Avg ", Decimal(hop.avg_ms), " ms (Best ",
                   Decimal(hop.best_ms), ", Wrst ", Decimal(hop.worst_ms), ")."));
  AddRttFigures(finding, hop);
  AddNumber(finding, "stdev_to_avg", hop.avg_ms > 0 ? hop.stdev_ms / hop.avg_ms : 0);
  AddNumber(finding, "last_hop", end.ttl);
  AddNumber(finding, "last_stdev_ms", end.stdev_ms);
  AddNumber(finding, "last_avg_ms", end.avg_ms);
  const double n = static_cast<double>(std::min(hop.received, end.received));
  finding.set_confidence(RoundConfidence(1 - 1 / n));
  finding.set_probes(hop.sent + (start != last ? end.sent : 0));
  out.push_back(std::move(finding));
}

}  // namespace pathpair::diagnosis
