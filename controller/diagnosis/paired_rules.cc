#include "controller/diagnosis/paired_rules.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "controller/diagnosis/latency_rules.h"
#include "controller/diagnosis/statistics.h"
#include "controller/merge/path_merge.h"

namespace pathpair::diagnosis {
namespace {

// Counts clamped to [0, 2^40]: untrusted input must not overflow the sums below.
constexpr int64_t kMaxCount = int64_t{1} << 40;

int64_t OneWaySent(const v1::OneWayResult& result) {
  return std::clamp<int64_t>(result.sent(), 0, kMaxCount);
}

int64_t OneWayLost(const v1::OneWayResult& result) {
  return std::max<int64_t>(
      0, OneWaySent(result) - std::clamp<int64_t>(result.received(), 0, kMaxCount));
}

double OneWayLossPct(const v1::OneWayResult& result) {
  return OneWaySent(result) > 0 ? 100.0 * static_cast<double>(OneWayLost(result)) /
                                      static_cast<double>(OneWaySent(result))
                                : 0;
}

bool OneWayHasLoss(const v1::OneWayResult* result) {
  return result != nullptr && OneWaySent(*result) > 0 && OneWayLost(*result) >= kMinLostProbes &&
         WilsonInterval(OneWayLost(*result), OneWaySent(*result)).low > kSignificantLossFloor;
}

// Where loss starts in a trace: the persistent run's first hop, or the destination when only
// it loses; nullptr when the trace shows no loss that lasts.
const HopView* LossStart(const PathView* path, const LossProfile* loss) {
  if (path == nullptr || loss == nullptr || loss->persistent_start < 0) return nullptr;
  return &path->hops[loss->persistent_start];
}

void AddOneWay(v1::Finding& finding, absl::string_view prefix, const v1::OneWayResult* result) {
  if (result == nullptr) return;
  AddNumber(finding, absl::StrCat(prefix, "_loss_pct"), OneWayLossPct(*result));
  AddNumber(finding, absl::StrCat(prefix, "_sent"), static_cast<double>(OneWaySent(*result)));
  AddNumber(finding, absl::StrCat(prefix, "_lost"), static_cast<double>(OneWayLost(*result)));
}

// Without one-way results: when one trace loses from some hop to its end while the other
// loses only at its destination, the loss is in the first trace's direction: the second
// trace's probes cross that direction's links without loss, and only its destination's
// replies (sent in the first trace's direction) are lost. When both traces lose from a middle
// hop on, round trips cannot tell the direction and nothing is reported.
void FindLossDirectionFromTraces(const PathView& forward, const LossProfile& forward_loss,
                                 const PathView* reverse, const LossProfile* reverse_loss,
                                 Findings& out) {
  if (reverse == nullptr || reverse_loss == nullptr) return;
  const bool forward_run = forward_loss.persistent_start >= 0 && forward_loss.run_hops >= 2;
  const bool reverse_run = reverse_loss->persistent_start >= 0 && reverse_loss->run_hops >= 2;
  v1::FindingCode code;
  const HopView* start;
  const PathView* other;
  if (forward_run && reverse_loss->destination_only) {
    code = v1::LOSS_FORWARD_DIRECTION;
    start = &forward.hops[forward_loss.persistent_start];
    other = reverse;
  } else if (reverse_run && forward_loss.destination_only) {
    code = v1::LOSS_REVERSE_DIRECTION;
    start = &reverse->hops[reverse_loss->persistent_start];
    other = &forward;
  } else {
    return;
  }
  const bool is_reverse = code == v1::LOSS_REVERSE_DIRECTION;
  const HopView& other_end = other->hops[other->destination_index];
  v1::Finding finding =
      HopFinding(code, v1::SEVERITY_PROBLEM, *start,
                 absl::StrCat("Packets are lost on the way ", is_reverse ? "back from" : "to",
                              " the destination, from hop ", start->ttl, " of the ",
                              is_reverse ? "reverse" : "forward",
                              " trace on: the other trace loses only "
                              "the replies of its own destination (",
                              Decimal(other_end.loss_pct()), "%), which travel this direction."));
  if (is_reverse) finding.set_direction(v1::TRACE_DIRECTION_REVERSE);
  AddNumber(finding, "start_loss_pct", start->loss_pct());
  AddNumber(finding, "other_destination_loss_pct", other_end.loss_pct());
  AddText(finding, "decided_by", "traces");
  finding.set_confidence(kTraceDirectionConfidence);
  finding.set_probes(start->sent + other_end.sent);
  out.push_back(std::move(finding));
}

}  // namespace

void FindLossDirection(const PathView& forward, const LossProfile& forward_loss,
                       const PathView* reverse, const LossProfile* reverse_loss,
                       const v1::OneWayResult* forward_oneway,
                       const v1::OneWayResult* reverse_oneway, Findings& out) {
  if (forward_oneway == nullptr && reverse_oneway == nullptr) {
    FindLossDirectionFromTraces(forward, forward_loss, reverse, reverse_loss, out);
    return;
  }
  const bool forward_lossy = OneWayHasLoss(forward_oneway);
  const bool reverse_lossy = OneWayHasLoss(reverse_oneway);
  if (!forward_lossy && !reverse_lossy) return;

  const HopView* forward_start = LossStart(&forward, &forward_loss);
  const HopView* reverse_start = LossStart(reverse, reverse_loss);
  v1::FindingCode code = forward_lossy && reverse_lossy ? v1::LOSS_BOTH_DIRECTIONS
                         : forward_lossy                ? v1::LOSS_FORWARD_DIRECTION
                                                        : v1::LOSS_REVERSE_DIRECTION;
  // The hop named is where loss starts in that direction's own trace (forward for both).
  const bool use_reverse = code == v1::LOSS_REVERSE_DIRECTION;
  const HopView* start = use_reverse ? reverse_start : forward_start;
  std::string where =
      start == nullptr ? std::string(" (the trace does not show where it starts)")
                       : absl::StrCat(", starting at hop ", start->ttl, " (", start->address,
                                      ") of the ", use_reverse ? "reverse" : "forward", " trace");
  std::string summary;
  if (code == v1::LOSS_BOTH_DIRECTIONS) {
    summary = absl::StrCat(
        "Packets are lost in both directions: ", Decimal(OneWayLossPct(*forward_oneway)),
        "% on the way out and ", Decimal(OneWayLossPct(*reverse_oneway)), "% on the way back",
        where, ".");
  } else if (forward_lossy) {
    summary = absl::StrCat("Packets are lost on the way to the destination (",
                           Decimal(OneWayLossPct(*forward_oneway)), "% one-way)", where, ".");
  } else {
    summary = absl::StrCat("Packets are lost on the way back from the destination (",
                           Decimal(OneWayLossPct(*reverse_oneway)), "% one-way)", where, ".");
  }
  v1::Finding finding = start != nullptr
                            ? HopFinding(code, v1::SEVERITY_PROBLEM, *start, std::move(summary))
                            : PathFinding(code, v1::SEVERITY_PROBLEM, std::move(summary));
  if (use_reverse) finding.set_direction(v1::TRACE_DIRECTION_REVERSE);
  AddOneWay(finding, "forward", forward_oneway);
  AddOneWay(finding, "reverse", reverse_oneway);
  if (forward_start != nullptr) AddNumber(finding, "forward_start_hop", forward_start->ttl);
  if (reverse_start != nullptr) AddNumber(finding, "reverse_start_hop", reverse_start->ttl);
  double confidence = 1;
  int64_t probes = 0;
  for (const v1::OneWayResult* result : {forward_oneway, reverse_oneway}) {
    if (result == nullptr) continue;
    const bool lossy = OneWayHasLoss(result);
    const double sure =
        ConfidenceRateAbove(OneWayLost(*result), OneWaySent(*result), kSignificantLossFloor);
    confidence *= lossy ? sure : 1 - sure;
    probes += OneWaySent(*result);
  }
  finding.set_confidence(RoundConfidence(confidence));
  finding.set_probes(probes);
  out.push_back(std::move(finding));
}

namespace {

// Replaces a LATENCY_INCREASE's single-trace caveat (kReturnPathCaveat) with `conclusion`.
void ResolveReturnPathCaveat(v1::Finding& increase, absl::string_view conclusion) {
  increase.set_summary(absl::StrReplaceAll(increase.summary(), {{kReturnPathCaveat, conclusion}}));
}

std::string AlikeBothWays(const v1::OneWayResult& forward, const v1::OneWayResult& reverse) {
  return absl::StrCat(" One-way delays are alike both ways (", Decimal(forward.delay_avg_ms()),
                      " ms out, ", Decimal(reverse.delay_avg_ms()),
                      " ms back), so it is no return-path effect: a steady step like this is a "
                      "long-distance link, or a congested one if it varies.");
}

enum class StepSide { kOut, kBack, kBoth };

// What the two one-way results say about a latency step of `step_ms`: whether one direction
// carries at least kReturnPathMinShare of it. Queueing delay above each direction's minimum does
// not depend on the clock offset; the difference of the averages does, within twice the offset
// error. Out = client to server.
class OneWayDelays {
 public:
  OneWayDelays(const v1::OneWayResult& out, const v1::OneWayResult& back)
      : out_excess_(out.delay_avg_ms() - out.delay_min_ms()),
        back_excess_(back.delay_avg_ms() - back.delay_min_ms()),
        offset_error_(std::abs(out.offset_error_ms()) + std::abs(back.offset_error_ms())),
        back_minus_out_(back.delay_avg_ms() - out.delay_avg_ms()) {}

  StepSide SideOf(double step_ms) const {
    const double needed = kReturnPathMinShare * step_ms;
    const bool back = BackMargin() >= needed;
    const bool out =
        out_excess_ - back_excess_ >= needed || -back_minus_out_ - offset_error_ >= needed;
    if (back && !out) return StepSide::kBack;
    if (out && !back) return StepSide::kOut;
    return StepSide::kBoth;
  }
  // How far the way back exceeds the way out, by the better of the two measures.
  double BackMargin() const {
    return std::max(back_excess_ - out_excess_, back_minus_out_ - offset_error_);
  }
  double out_excess() const { return out_excess_; }
  double back_excess() const { return back_excess_; }
  double offset_error() const { return offset_error_; }
  double back_minus_out() const { return back_minus_out_; }

 private:
  double out_excess_, back_excess_, offset_error_, back_minus_out_;
};

bool UsableOneWay(const v1::OneWayResult* forward, const v1::OneWayResult* reverse) {
  return forward != nullptr && reverse != nullptr && forward->received() > 0 &&
         reverse->received() > 0;
}

}  // namespace

void FindReturnPathLatency(Findings& forward_findings, const v1::OneWayResult* forward_oneway,
                           const v1::OneWayResult* reverse_oneway, Findings& out) {
  if (!UsableOneWay(forward_oneway, reverse_oneway)) return;
  const OneWayDelays delays(*forward_oneway, *reverse_oneway);
  for (v1::Finding& increase : forward_findings) {
    if (increase.code() != v1::LATENCY_INCREASE) continue;
    const v1::Evidence* step_evidence = FindEvidence(increase, "step_ms");
    if (step_evidence == nullptr) continue;
    const double step = step_evidence->number();
    switch (delays.SideOf(step)) {
      case StepSide::kOut:
        AddText(increase, "direction", "forward");
        ResolveReturnPathCaveat(increase,
                                " One-way delays put it on the way out (client to server).");
        continue;
      case StepSide::kBoth:
        ResolveReturnPathCaveat(increase, AlikeBothWays(*forward_oneway, *reverse_oneway));
        continue;
      case StepSide::kBack:
        break;
    }
    v1::Finding finding = increase;
    finding.set_code(v1::LATENCY_ON_RETURN_PATH);
    finding.set_severity(v1::SEVERITY_WARNING);
    finding.clear_evidence();
    finding.set_summary(absl::StrCat(
        "The latency step at hop ", increase.ttl(), " (", Decimal(step),
        " ms) is on the return path: one-way delay back is ", Decimal(delays.back_minus_out()),
        " ms above the way out (clock error +-", Decimal(delays.offset_error()), " ms)."));
    AddNumber(finding, "step_ms", step);
    AddNumber(finding, "forward_delay_avg_ms", forward_oneway->delay_avg_ms());
    AddNumber(finding, "reverse_delay_avg_ms", reverse_oneway->delay_avg_ms());
    AddNumber(finding, "forward_queueing_ms", delays.out_excess());
    AddNumber(finding, "reverse_queueing_ms", delays.back_excess());
    AddNumber(finding, "offset_error_ms", delays.offset_error());
    finding.set_confidence(
        RoundConfidence(std::min(0.95, 0.5 + 0.5 * delays.BackMargin() / std::max(step, 1e-9))));
    finding.set_probes(OneWaySent(*forward_oneway) + OneWaySent(*reverse_oneway));
    AddText(increase, "direction", "return");
    out.push_back(std::move(finding));
  }
}

void ExplainReverseLatencySteps(Findings& reverse_findings, const v1::OneWayResult* forward_oneway,
                                const v1::OneWayResult* reverse_oneway) {
  if (!UsableOneWay(forward_oneway, reverse_oneway)) return;
  const OneWayDelays delays(*forward_oneway, *reverse_oneway);
  for (v1::Finding& increase : reverse_findings) {
    if (increase.code() != v1::LATENCY_INCREASE) continue;
    const v1::Evidence* step_evidence = FindEvidence(increase, "step_ms");
    if (step_evidence == nullptr) continue;
    if (delays.SideOf(step_evidence->number()) == StepSide::kBoth) {
      ResolveReturnPathCaveat(increase, AlikeBothWays(*forward_oneway, *reverse_oneway));
    }
  }
}

void AttributeTraceLossToDirection(const Findings& paired, Findings& forward_findings,
                                   Findings& reverse_findings) {
  for (const v1::Finding& direction : paired) {
    const bool forward_lossy = direction.code() == v1::LOSS_FORWARD_DIRECTION;
    if (!forward_lossy && direction.code() != v1::LOSS_REVERSE_DIRECTION) continue;
    // The trace that travels the clean direction out and sees the loss on its replies' way back.
    Findings& explained = forward_lossy ? reverse_findings : forward_findings;
    const char* clean_way = forward_lossy ? "server to client" : "client to server";
    const std::string code = v1::FindingCode_Name(direction.code());
    for (v1::Finding& loss : explained) {
      if (loss.code() != v1::PACKET_LOSS) continue;
      loss.set_severity(v1::SEVERITY_INFO);
      loss.set_summary(absl::StrCat(loss.summary(), " The one-way measurement finds no loss ",
                                    clean_way,
                                    ": these probes lose their replies on the way "
                                    "back, which ",
                                    code, " names."));
      loss.set_action(absl::StrCat("Nothing to report for this hop: follow ", code, "."));
      AddText(loss, "explained_by", code);
    }
  }
}

void FindAsymmetricPath(const v1::DiagnosisInput& input, Findings& out) {
  const merge::RouterAliases aliases{
      .client = input.has_client_aliases() ? &input.client_aliases() : nullptr,
      .server = input.has_server_aliases() ? &input.server_aliases() : nullptr};
  const merge::MergedPaths merged =
      merge::MergePaths(input.forward(), input.reverse(), /*as_lookup=*/nullptr, aliases);
  if (merged.only_forward.empty() && merged.only_reverse.empty()) return;
  std::vector<std::string> forward_hops;
  std::vector<std::pair<int, std::string>> reverse_hops;  // (index in the reverse trace, address)
  int64_t probes = 0;
  for (const merge::AlignedRow& row : merged.rows) {
    for (const std::optional<merge::HopRef>* side : {&row.forward, &row.reverse}) {
      if (!side->has_value()) continue;
      const merge::HopRef& hop = **side;
      probes += std::clamp<int64_t>(hop.received, 0, kMaxCount);
      if (hop.is_destination || hop.addresses.empty()) continue;
      if (side == &row.forward) {
        forward_hops.push_back(hop.address);
      } else {
        reverse_hops.emplace_back(hop.index, hop.address);
      }
    }
  }
  std::sort(reverse_hops.begin(), reverse_hops.end());
  std::vector<std::string> reverse_order;  // as the server traced it
  for (auto& [index, address] : reverse_hops) reverse_order.push_back(std::move(address));

  std::vector<std::string> differences;
  if (!merged.only_reverse.empty()) {
    differences.push_back(absl::StrCat("the way back crosses ",
                                       absl::StrJoin(merged.only_reverse, ", "),
                                       ", which the way out does not"));
  }
  if (!merged.only_forward.empty()) {
    differences.push_back(absl::StrCat("the way out crosses ",
                                       absl::StrJoin(merged.only_forward, ", "),
                                       ", which the way back does not"));
  }
  v1::Finding finding = PathFinding(
      v1::ASYMMETRIC_PATH, v1::SEVERITY_INFO,
      absl::StrCat("The two directions take different routers: ", absl::StrJoin(differences, "; "),
                   "; ", merge::DescribeMatches(merged),
                   ". Read each direction's trace on its own."));
  AddList(finding, "forward_hops", forward_hops);
  AddList(finding, "reverse_hops", reverse_order);
  AddList(finding, "only_forward", merged.only_forward);
  AddList(finding, "only_reverse", merged.only_reverse);
  AddNumber(finding, "routers_matched", static_cast<double>(merged.common_hops.size()));
  finding.set_confidence(kAsymmetricConfidence);
  finding.set_probes(probes);
  out.push_back(std::move(finding));
}

}  // namespace pathpair::diagnosis
