#include "controller/diagnosis/paired_rules.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
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

double OneWayLossPct(const v1::OneWayResult& result) {
  return OneWaySent(result) > 0 ? 100.0 * static_cast<double>(OneWayLost(result)) /
                                      static_cast<double>(OneWaySent(result))
                                : 0;
}

std::optional<DestinationCrossCheck> OneWayCrossCheck(const v1::OneWayResult* forward_oneway,
                                                      const v1::OneWayResult* reverse_oneway) {
  if (forward_oneway == nullptr || reverse_oneway == nullptr) return std::nullopt;
  const int64_t out_sent = OneWaySent(*forward_oneway);
  const int64_t back_sent = OneWaySent(*reverse_oneway);
  if (out_sent <= 0 || back_sent <= 0) return std::nullopt;
  const double delivered =
      (1 - static_cast<double>(OneWayLost(*forward_oneway)) / static_cast<double>(out_sent)) *
      (1 - static_cast<double>(OneWayLost(*reverse_oneway)) / static_cast<double>(back_sent));
  DestinationCrossCheck check;
  check.sent = std::min(out_sent, back_sent);
  check.received = std::llround(delivered * static_cast<double>(check.sent));
  check.method = "the one-way packets (both directions)";
  return check;
}

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

bool Finite(std::initializer_list<double> values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

// A clock error with the digits its size needs: 0.002, 1.25, 46.
std::string ErrorMs(double ms) { return Decimal(ms, ms < 0.1 ? 3 : ms < 10 ? 2 : 0); }

std::string ClockWords(v1::ClockMethod method) {
  switch (method) {
    case v1::CLOCK_METHOD_SAME_HOST:
      return "one host's clock";
    case v1::CLOCK_METHOD_SYNCHRONIZED:
      return "synchronised clocks";
    case v1::CLOCK_METHOD_ESTIMATED:
      return "clocks reconciled by an offset estimated from the exchange";
    case v1::CLOCK_METHOD_NONE:
      return "unsynchronised clocks";
    default:
      return "the clocks";
  }
}

enum class Side { kOut, kBack, kAlike, kUnplaced };

// What the two one-way results say about direction (see kOneWayNoiseFloorMs). Out = client to
// server. Usable only when both directions received packets, their figures are finite, and
// the clocks give the delays a bound (not CLOCK_METHOD_NONE).
class DirectionalDelays {
 public:
  DirectionalDelays(const v1::OneWayResult* out, const v1::OneWayResult* back) {
    if (out == nullptr || back == nullptr) return;
    have_data_ = out->received() > 0 && back->received() > 0;
    method_ = back->clock_method() != v1::CLOCK_METHOD_UNSPECIFIED ? back->clock_method()
                                                                   : out->clock_method();
    out_ms_ = out->delay_avg_ms();
    back_ms_ = back->delay_avg_ms();
    clock_error_ = std::abs(out->offset_error_ms()) + std::abs(back->offset_error_ms());
    noise_ =
        std::max(kOneWayNoiseFloorMs, std::hypot(out->delay_stdev_ms(), back->delay_stdev_ms()));
    usable_ = have_data_ && Finite({out_ms_, back_ms_, clock_error_, noise_}) &&
              out->clock_method() != v1::CLOCK_METHOD_NONE &&
              back->clock_method() != v1::CLOCK_METHOD_NONE;
  }

  bool have_data() const { return have_data_; }
  bool usable() const { return usable_; }
  // How much longer the way back is (negative: the way out is longer).
  double back_minus_out() const { return back_ms_ - out_ms_; }
  double out_ms() const { return out_ms_; }
  double back_ms() const { return back_ms_; }
  double clock_error() const { return clock_error_; }
  double noise() const { return noise_; }
  v1::ClockMethod method() const { return method_; }

  // The direction whose delay is longer by more than the clock error plus the noise.
  Side Longer() const {
    if (!usable_) return Side::kUnplaced;
    const double needed = clock_error_ + noise_;
    if (back_minus_out() > needed) return Side::kBack;
    if (-back_minus_out() > needed) return Side::kOut;
    return Side::kAlike;
  }

  // Where a trace's latency step of `step_ms` is: in the direction that is longer by at least
  // kStepDirectionMinShare of the step beyond the clock error (and by more than error plus
  // noise); alike both ways when the measurement could have shown that share and did not;
  // unplaced when the clock error and noise are too large for it.
  Side SideOf(double step_ms) const {
    if (!usable_ || !std::isfinite(step_ms)) return Side::kUnplaced;
    const double needed = kStepDirectionMinShare * step_ms;
    const Side longer = Longer();
    const double certain = std::abs(back_minus_out()) - clock_error_;
    if ((longer == Side::kBack || longer == Side::kOut) && certain >= needed) return longer;
    if (clock_error_ + noise_ < needed) return Side::kAlike;
    return Side::kUnplaced;
  }

 private:
  bool have_data_ = false;
  bool usable_ = false;
  v1::ClockMethod method_ = v1::CLOCK_METHOD_UNSPECIFIED;
  double out_ms_ = 0, back_ms_ = 0, clock_error_ = 0, noise_ = 0;
};

const char* EvidenceName(Side side) {
  switch (side) {
    case Side::kOut:
      return "forward";
    case Side::kBack:
      return "return";
    case Side::kAlike:
      return "both";
    case Side::kUnplaced:
      break;
  }
  return "unplaced";
}

// The sentence a LATENCY_INCREASE gets in place of its caveat.
std::string StepConclusion(Side side, const DirectionalDelays& delays) {
  switch (side) {
    case Side::kOut:
      return " One-way delays put it on the way out (client to server).";
    case Side::kBack:
      return " One-way delays put it on the way back (server to client).";
    case Side::kAlike:
      if (delays.Longer() == Side::kAlike) {
        return absl::StrCat(" One-way delays are alike both ways (", Decimal(delays.out_ms()),
                            " ms out, ", Decimal(delays.back_ms()),
                            " ms back), so it is no return-path effect: a steady step like this "
                            "is a long-distance link, or a congested one if it varies.");
      }
      return absl::StrCat(
          " One-way delays are ", Decimal(std::abs(delays.back_minus_out())), " ms longer ",
          delays.Longer() == Side::kBack ? "back (server to client)" : "out (client to server)",
          ", less than half of it: most of the step is in both directions.");
    case Side::kUnplaced:
      break;
  }
  if (!delays.have_data()) {
    return " Without one-way delays of both directions, its direction cannot be placed.";
  }
  if (!delays.usable()) {
    return " Its direction cannot be placed: the clocks are not synchronised and no offset "
           "could be estimated. Synchronise both ends' clocks (NTP, chrony or PTP) to place it.";
  }
  std::string text = absl::StrCat(" The one-way delays cannot place its direction: with ",
                                  ClockWords(delays.method()), " they are only good to +-",
                                  ErrorMs(delays.clock_error()), " ms.");
  if (delays.method() == v1::CLOCK_METHOD_ESTIMATED) {
    absl::StrAppend(&text,
                    " That estimate splits any constant asymmetry evenly over both directions; "
                    "synchronise both ends' clocks (NTP, chrony or PTP) to place it.");
  }
  return text;
}

// The trace step (LATENCY_INCREASE) that the one-way delays put in direction `side`: the trace
// that probes in that direction first (its step is where the slow link is), then the other
// (its replies cross the slow direction). nullptr when no step is put there.
struct PlacedStep {
  const v1::Finding* step = nullptr;
  bool reverse_trace = false;
};

PlacedStep StepOnSide(Side side, const Findings& forward_findings, const Findings* reverse_findings,
                      const DirectionalDelays& delays) {
  auto first_on_side = [&](const Findings& findings) -> const v1::Finding* {
    for (const v1::Finding& f : findings) {
      if (f.code() != v1::LATENCY_INCREASE) continue;
      const v1::Evidence* step = FindEvidence(f, "step_ms");
      if (step != nullptr && delays.SideOf(step->number()) == side) return &f;
    }
    return nullptr;
  };
  const Findings empty;
  const Findings& reverse = reverse_findings != nullptr ? *reverse_findings : empty;
  const bool reverse_first = side == Side::kBack;
  for (bool use_reverse : {reverse_first, !reverse_first}) {
    if (const v1::Finding* f = first_on_side(use_reverse ? reverse : forward_findings)) {
      return {f, use_reverse};
    }
  }
  return {};
}

v1::Finding DirectionFinding(Side side, const DirectionalDelays& delays, const PlacedStep& placed,
                             const v1::OneWayResult& out, const v1::OneWayResult& back) {
  const bool back_longer = side == Side::kBack;
  const v1::FindingCode code =
      back_longer ? v1::LATENCY_ON_RETURN_PATH : v1::LATENCY_ON_FORWARD_PATH;
  const double longer_by = std::abs(delays.back_minus_out());
  const v1::Severity severity = longer_by - delays.clock_error() >= kDirectionalLatencyWarningMs
                                    ? v1::SEVERITY_WARNING
                                    : v1::SEVERITY_INFO;
  std::string figures = absl::StrCat(
      "one-way delay ", back_longer ? "back (server to client)" : "out (client to server)", " is ",
      Decimal(longer_by), " ms longer than ", back_longer ? "out" : "back", " (",
      Decimal(back_longer ? delays.back_ms() : delays.out_ms()), " against ",
      Decimal(back_longer ? delays.out_ms() : delays.back_ms()), " ms; ",
      ClockWords(delays.method()), ", error +-", ErrorMs(delays.clock_error()), " ms; noise ",
      Decimal(delays.noise(), 2), " ms).");
  v1::Finding finding;
  const v1::Evidence* step =
      placed.step != nullptr ? FindEvidence(*placed.step, "step_ms") : nullptr;
  if (step != nullptr) {
    finding = *placed.step;
    finding.clear_evidence();
    finding.set_code(code);
    finding.set_severity(severity);
    finding.set_summary(absl::StrCat("The latency step at hop ", placed.step->ttl(), " of the ",
                                     placed.reverse_trace ? "reverse" : "forward", " trace (",
                                     Decimal(step->number()), " ms) is on the way ",
                                     back_longer ? "back" : "out", ": ", figures));
    if (placed.reverse_trace) finding.set_direction(v1::TRACE_DIRECTION_REVERSE);
    AddNumber(finding, "step_ms", step->number());
  } else {
    std::string sentence = figures;
    sentence[0] = absl::ascii_toupper(static_cast<unsigned char>(sentence[0]));
    finding = PathFinding(code, severity, std::move(sentence));
    if (severity == v1::SEVERITY_INFO) {
      absl::StrAppend(finding.mutable_summary(),
                      " A small difference like this is common when the two directions take "
                      "different routes.");
    }
  }
  AddNumber(finding, "forward_delay_avg_ms", delays.out_ms());
  AddNumber(finding, "reverse_delay_avg_ms", delays.back_ms());
  AddNumber(finding, "difference_ms", longer_by);
  AddNumber(finding, "clock_error_ms", delays.clock_error());
  AddNumber(finding, "noise_ms", delays.noise());
  const double margin = longer_by - delays.clock_error() - delays.noise();
  finding.set_confidence(RoundConfidence(std::min(0.95, 0.5 + 0.5 * margin / longer_by)));
  finding.set_probes(OneWaySent(out) + OneWaySent(back));
  return finding;
}

}  // namespace

void FindLatencyDirection(Findings& forward_findings, Findings* reverse_findings,
                          const v1::OneWayResult* forward_oneway,
                          const v1::OneWayResult* reverse_oneway, Findings& out) {
  const DirectionalDelays delays(forward_oneway, reverse_oneway);
  const bool have_oneway = forward_oneway != nullptr || reverse_oneway != nullptr;
  // A lone trace keeps its caveat (compare with a reverse trace): there is nothing to place
  // the step with. Otherwise every step gets what the one-way delays say.
  if (have_oneway || reverse_findings != nullptr) {
    for (Findings* findings : {&forward_findings, reverse_findings}) {
      if (findings == nullptr) continue;
      for (v1::Finding& increase : *findings) {
        if (increase.code() != v1::LATENCY_INCREASE) continue;
        const v1::Evidence* step = FindEvidence(increase, "step_ms");
        if (step == nullptr) continue;
        const Side side = delays.SideOf(step->number());
        ResolveReturnPathCaveat(increase, StepConclusion(side, delays));
        AddText(increase, "direction", EvidenceName(side));
      }
    }
  }
  const Side longer = delays.Longer();
  if (longer != Side::kOut && longer != Side::kBack) return;
  const PlacedStep placed = StepOnSide(longer, forward_findings, reverse_findings, delays);
  out.push_back(DirectionFinding(longer, delays, placed, *forward_oneway, *reverse_oneway));
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
      // PACKET_LOSS, and loss at the destination alone: its replies cross the lossy direction.
      const bool destination_only =
          loss.code() == v1::DEST_ICMP_RATE_LIMITED && loss.severity() == v1::SEVERITY_WARNING;
      if (loss.code() != v1::PACKET_LOSS && !destination_only) continue;
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
