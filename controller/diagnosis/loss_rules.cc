#include "controller/diagnosis/loss_rules.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "controller/diagnosis/statistics.h"

namespace pathpair::diagnosis {
namespace {

void AddLossFigures(v1::Finding& finding, const HopView& hop, absl::string_view prefix = "") {
  const Interval ci = WilsonInterval(hop.lost(), hop.sent);
  AddNumber(finding, absl::StrCat(prefix, "loss_pct"), hop.loss_pct());
  AddNumber(finding, absl::StrCat(prefix, "sent"), static_cast<double>(hop.sent));
  AddNumber(finding, absl::StrCat(prefix, "lost"), static_cast<double>(hop.lost()));
  AddNumber(finding, absl::StrCat(prefix, "loss_ci_low_pct"), 100 * ci.low);
  AddNumber(finding, absl::StrCat(prefix, "loss_ci_high_pct"), 100 * ci.high);
}

// Two-proportion z statistic of "hop loses more than reference" (pooled variance); 0 without
// data.
double ExcessLossZ(const HopView& hop, const HopView& reference) {
  if (hop.sent <= 0 || reference.sent <= 0) return 0;
  const double n1 = static_cast<double>(hop.sent);
  const double n2 = static_cast<double>(reference.sent);
  const double pooled =
      (static_cast<double>(hop.lost()) + static_cast<double>(reference.lost())) / (n1 + n2);
  const double error = std::sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (!(error > 0)) return 0;
  return (hop.loss_fraction() - reference.loss_fraction()) / error;
}

// ICMP_RATE_LIMITED_HOP at `hop`, whose loss `after` (a later answering hop) does not show; the
// confidence is that of `after` losing less than `hop`.
v1::Finding RateLimitedHopFinding(const HopView& hop, const HopView& after, std::string summary) {
  v1::Finding finding =
      HopFinding(v1::ICMP_RATE_LIMITED_HOP, v1::SEVERITY_INFO, hop, std::move(summary));
  AddLossFigures(finding, hop);
  AddNumber(finding, "later_hop", after.ttl);
  AddNumber(finding, "later_loss_pct", after.loss_pct());
  finding.set_confidence(
      RoundConfidence(ConfidenceRateBelow(after.lost(), after.sent, hop.loss_fraction())));
  finding.set_probes(hop.sent + after.sent);
  return finding;
}

// A hop inside the persistent run that loses clearly more than what persists to the end.
void FindRateLimitingInsideRun(const PathView& path, const LossProfile& loss, int index,
                               Findings& out) {
  const HopView& hop = path.hops[index];
  const HopView& after = path.hops[loss.effective_index];
  if (ExcessLossZ(hop, after) < kConfidenceZ) return;
  out.push_back(RateLimitedHopFinding(
      hop, after,
      absl::StrCat("Loss ", Decimal(hop.loss_pct()), "% at hop ", hop.ttl,
                   " is well above the loss that persists to the end (", Decimal(after.loss_pct()),
                   "% at hop ", after.ttl,
                   "): the excess is the node rate-limiting its ICMP replies.")));
}

}  // namespace

bool HasSignificantLoss(const HopView& hop) {
  return hop.probed() && hop.lost() >= kMinLostProbes &&
         WilsonInterval(hop.lost(), hop.sent).low > kSignificantLossFloor;
}

LossProfile AnalyzeLoss(const PathView& path) {
  LossProfile profile;
  const int last = path.LastRespondingIndex();
  if (last < 0) return profile;

  // Walk back over answering hops while each has loss; silent hops are neutral. A hop that
  // lost some probes, at a rate not significantly below the run's, does not end the run: with
  // few probes a hop of a 20% loss often shows 1 in 20 by chance. The run still starts at a hop
  // of significant loss.
  int run_length = 0;
  int hops_walked = 0;
  int64_t run_lost = 0;
  int64_t run_sent = 0;
  for (int i = last; i >= 0; i = path.PreviousResponding(i)) {
    const HopView& hop = path.hops[i];
    const bool significant = HasSignificantLoss(hop);
    const bool consistent_with_run =
        run_sent > 0 && hop.lost() >= 1 &&
        WilsonInterval(hop.lost(), hop.sent).high >= static_cast<double>(run_lost) / run_sent;
    if (!significant && !consistent_with_run) break;
    ++hops_walked;
    if (!significant) continue;
    profile.persistent_start = i;
    run_length = hops_walked;
    run_lost += hop.lost();
    run_sent += hop.sent;
  }
  profile.run_hops = run_length;
  profile.destination_only = run_length == 1 && path.IsDestination(last);
  if (run_length >= 2 && path.reached) {
    bool all_heavy = true;
    for (int i = profile.persistent_start; i >= 0; i = path.NextResponding(i)) {
      all_heavy = all_heavy && path.hops[i].loss_pct() >= kInterruptionMinLossPct;
    }
    profile.interrupted = all_heavy;
    profile.last_clean_index = path.PreviousResponding(profile.persistent_start);
  }

  // Effective loss: the smallest among the last answering hops.
  int index = last;
  for (int taken = 0; taken < kEffectiveLossWindowHops && index >= 0; ++taken) {
    const HopView& hop = path.hops[index];
    if (profile.effective_index < 0 ||
        hop.loss_fraction() < path.hops[profile.effective_index].loss_fraction()) {
      profile.effective_index = index;
    }
    index = path.PreviousResponding(index);
  }
  profile.effective_loss_pct = path.hops[profile.effective_index].loss_pct();
  return profile;
}

void FindRateLimitedHops(const PathView& path, const LossProfile& loss, Findings& out) {
  const int count = static_cast<int>(path.hops.size());
  const int run_start = loss.run_hops >= 2 ? loss.persistent_start : -1;
  for (int i = 0; i < count; ++i) {
    const HopView& hop = path.hops[i];
    if (!hop.responded() || hop.lost() <= 0 || path.IsDestination(i)) continue;
    if (run_start >= 0 && i >= run_start) {
      if (i < loss.effective_index) FindRateLimitingInsideRun(path, loss, i, out);
      continue;
    }
    const int next = path.NextResponding(i);
    if (next < 0) continue;  // nothing after it to compare with
    // The clean hop that shows the loss does not continue: the first later answering hop
    // without loss (there is one before the run, or at the end when there is no run).
    int reference = next;
    while (reference >= 0 && HasSignificantLoss(path.hops[reference])) {
      reference = path.NextResponding(reference);
    }
    if (reference < 0) reference = next;
    const HopView& after = path.hops[reference];
    out.push_back(RateLimitedHopFinding(
        hop, after,
        absl::StrCat("Loss ", Decimal(hop.loss_pct()), "% at hop ", hop.ttl,
                     " does not continue to later hops (hop ", after.ttl, ": ",
                     Decimal(after.loss_pct()),
                     "%): the node rate-limits its ICMP replies; ignore this hop's loss.")));
  }
}

void FindUnresponsiveHops(const PathView& path, Findings& out) {
  const int last = path.LastRespondingIndex();
  for (int i = 0; i < last; ++i) {
    const HopView& hop = path.hops[i];
    if (!hop.probed() || hop.responded()) continue;
    const HopView& after = path.hops[path.NextResponding(i)];
    v1::Finding finding =
        HopFinding(v1::UNRESPONSIVE_HOP, v1::SEVERITY_INFO, hop,
                   absl::StrCat("Hop ", hop.ttl, " never answered (", hop.sent,
                                " probes) but later hops do: the node does not reply to probes yet "
                                "forwards traffic; ignore it."));
    AddNumber(finding, "sent", static_cast<double>(hop.sent));
    AddNumber(finding, "later_hop", after.ttl);
    AddNumber(finding, "later_received", static_cast<double>(after.received));
    // Traffic demonstrably passes: every reply from a later hop crossed this node.
    finding.set_confidence(RoundConfidence(1 - 1.0 / static_cast<double>(1 + after.received)));
    out.push_back(std::move(finding));
  }
}

void FindPacketLoss(const PathView& path, const LossProfile& loss, Findings& out) {
  if (loss.persistent_start < 0 || loss.run_hops < 2) return;
  const HopView& start = path.hops[loss.persistent_start];
  const HopView& effective = path.hops[loss.effective_index];
  if (loss.interrupted) {
    const std::string after_text =
        loss.last_clean_index >= 0
            ? absl::StrCat("after hop ", path.hops[loss.last_clean_index].ttl, " (",
                           path.hops[loss.last_clean_index].address, ")")
            : std::string("before the first hop");
    std::string summary = absl::StrCat(
        "From hop ", start.ttl, " on, every hop loses at least ", Decimal(kInterruptionMinLossPct),
        "% (", Decimal(effective.loss_pct()), "% at hop ", effective.ttl, "): the link ",
        after_text, " went down or flaps during the trace.");
    v1::Finding finding =
        loss.last_clean_index >= 0
            ? HopFinding(v1::LINK_INTERRUPTION, v1::SEVERITY_PROBLEM,
                         path.hops[loss.last_clean_index], std::move(summary))
            : PathFinding(v1::LINK_INTERRUPTION, v1::SEVERITY_PROBLEM, std::move(summary));
    AddNumber(finding, "first_lossy_ttl", start.ttl);
    AddLossFigures(finding, start, "first_lossy_");
    AddNumber(finding, "effective_hop", effective.ttl);
    AddLossFigures(finding, effective, "effective_");
    finding.set_confidence(RoundConfidence(
        ConfidenceRateAbove(effective.lost(), effective.sent, kInterruptionMinLossPct / 100 / 2)));
    finding.set_probes(start.sent + effective.sent);
    out.push_back(std::move(finding));
    return;
  }
  std::string summary =
      absl::StrCat("Loss starts at hop ", start.ttl, " (", Decimal(start.loss_pct()),
                   "%) and continues to the last hop (", Decimal(effective.loss_pct()), "% at hop ",
                   effective.ttl, ").");
  if (!path.reached) absl::StrAppend(&summary, " The destination was not reached.");
  v1::Finding finding =
      HopFinding(v1::PACKET_LOSS, v1::SEVERITY_PROBLEM, start, std::move(summary));
  AddLossFigures(finding, start);
  AddNumber(finding, "effective_hop", effective.ttl);
  AddLossFigures(finding, effective, "effective_");
  int hops_with_loss = 0;
  for (int i = loss.persistent_start; i >= 0; i = path.NextResponding(i)) ++hops_with_loss;
  AddNumber(finding, "hops_with_loss", hops_with_loss);
  finding.set_confidence(RoundConfidence(
      ConfidenceRateAbove(effective.lost(), effective.sent, kSignificantLossFloor)));
  finding.set_probes(start.sent +
                     (loss.effective_index != loss.persistent_start ? effective.sent : 0));
  out.push_back(std::move(finding));
}

void FindDestinationRateLimited(const PathView& path, const LossProfile& loss, Findings& out) {
  if (!loss.destination_only) return;
  const HopView& destination = path.hops[path.destination_index];
  const int before_index = path.PreviousResponding(path.destination_index);
  v1::Finding finding = HopFinding(
      v1::DEST_ICMP_RATE_LIMITED, v1::SEVERITY_WARNING, destination,
      absl::StrCat("Only the destination loses probes (", Decimal(destination.loss_pct()),
                   "%) while the hops before it are clean: the destination (or its firewall) "
                   "rate-limits ICMP."));
  AddLossFigures(finding, destination);
  double confidence =
      ConfidenceRateAbove(destination.lost(), destination.sent, kSignificantLossFloor);
  if (before_index >= 0) {
    const HopView& before = path.hops[before_index];
    AddNumber(finding, "previous_hop", before.ttl);
    AddNumber(finding, "previous_loss_pct", before.loss_pct());
    confidence *= ConfidenceRateBelow(before.lost(), before.sent, destination.loss_fraction());
    finding.set_probes(destination.sent + before.sent);
  }
  finding.set_confidence(RoundConfidence(confidence));
  out.push_back(std::move(finding));
}

bool ApplyDestinationCrossCheck(const DestinationCrossCheck& check, PathView& path, Findings& out) {
  if (!path.reached || path.destination_index < 0) return false;
  if (check.sent < kMinCrossCheckPackets || check.received < 0 || check.received > check.sent) {
    return false;
  }
  HopView& destination = path.hops[path.destination_index];
  HopView checked;
  checked.sent = check.sent;
  checked.received = check.received;
  if (!HasSignificantLoss(destination) || ExcessLossZ(destination, checked) < kConfidenceZ) {
    return false;
  }
  v1::Finding finding = HopFinding(
      v1::DEST_ICMP_RATE_LIMITED, v1::SEVERITY_INFO, destination,
      absl::StrCat("The destination answers only ", Decimal(100 - destination.loss_pct()),
                   "% of the probes, but ", check.method, " reach it with ",
                   Decimal(100 * checked.loss_fraction()),
                   "% loss: it rations its ICMP replies (a kernel rate limit), and the path "
                   "does not lose those packets. Loss at earlier hops that does not carry on is "
                   "their rate limiting."));
  AddLossFigures(finding, destination);
  AddText(finding, "cross_check", check.method);
  AddNumber(finding, "cross_check_sent", static_cast<double>(checked.sent));
  AddNumber(finding, "cross_check_lost", static_cast<double>(checked.lost()));
  AddNumber(finding, "cross_check_loss_pct", checked.loss_pct());
  finding.set_confidence(RoundConfidence(NormalCdf(ExcessLossZ(destination, checked))));
  finding.set_probes(destination.sent + checked.sent);
  out.push_back(std::move(finding));
  destination.sent = checked.sent;
  destination.received = checked.received;
  return true;
}

}  // namespace pathpair::diagnosis
