#include "controller/diagnosis/distance_rules.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "controller/diagnosis/latency_rules.h"
#include "controller/diagnosis/statistics.h"

namespace pathpair::diagnosis {
namespace {

int IndexOfTtl(const PathView& path, int ttl) {
  for (int i = 0; i < static_cast<int>(path.hops.size()); ++i) {
    if (path.hops[i].ttl == ttl) return i;
  }
  return -1;
}

// What the hops from the step to the end say about it.
struct Steadiness {
  double best_rise_ms = 0;  // lowest Best from the step on, minus the Best before it
  double min_stdev_ms = 0;  // lowest StDev from the step on
  bool judged = false;      // enough replies to tell
};

Steadiness Judge(const PathView& path, int previous, int step) {
  Steadiness s;
  double min_best = std::numeric_limits<double>::infinity();
  double min_stdev = std::numeric_limits<double>::infinity();
  const int last = path.LastRespondingIndex();
  for (int i = step; i <= last; ++i) {
    const HopView& hop = path.hops[i];
    if (hop.received >= kMinRepliesForLatency) min_best = std::min(min_best, hop.best_ms);
    if (hop.received >= kMinRepliesForJitter) min_stdev = std::min(min_stdev, hop.stdev_ms);
  }
  s.judged = min_best != std::numeric_limits<double>::infinity() &&
             min_stdev != std::numeric_limits<double>::infinity();
  if (s.judged) {
    s.best_rise_ms = min_best - path.hops[previous].best_ms;
    s.min_stdev_ms = min_stdev;
  }
  return s;
}

// The great-circle distance between the hop before the step and the step's hop, or why it is
// unknown.
struct Distance {
  std::optional<double> km;
  geo::GeoLocation from, to;
  std::string unknown_because;
};

absl::StatusOr<geo::GeoLocation> Locate(geo::GeoLookup& lookup, const HopView& hop) {
  if (hop.address.empty()) {
    return absl::NotFoundError(absl::StrCat("hop ", hop.ttl, " has no address"));
  }
  absl::StatusOr<IpAddress> address = IpAddress::Parse(hop.address);
  if (!address.ok()) {
    return absl::NotFoundError(absl::StrCat("hop ", hop.ttl, " (", hop.address, ") is no address"));
  }
  absl::StatusOr<geo::GeoLocation> where = lookup.Locate(*address);
  if (!where.ok()) {
    return absl::NotFoundError(absl::StrCat("the location database has no location for hop ",
                                            hop.ttl, " (", hop.address, ")"));
  }
  return where;
}

Distance Measure(geo::GeoLookup* lookup, const HopView& previous, const HopView& step) {
  Distance d;
  if (lookup == nullptr) {
    d.unknown_because = "no location database (--geo-db)";
    return d;
  }
  absl::StatusOr<geo::GeoLocation> from = Locate(*lookup, previous);
  absl::StatusOr<geo::GeoLocation> to = from.ok() ? Locate(*lookup, step) : from;
  if (!to.ok()) {
    d.unknown_because = std::string(to.status().message());
    return d;
  }
  d.from = *from;
  d.to = *to;
  d.km = geo::GreatCircleKm(d.from, d.to);
  return d;
}

void AddDistance(v1::Finding& finding, const Distance& d) {
  if (!d.km.has_value()) {
    AddText(finding, "distance_checked", "no");
    AddText(finding, "distance_not_checked_because", d.unknown_because);
    return;
  }
  AddText(finding, "distance_checked", "yes");
  AddText(finding, "from_location", d.from.Describe());
  AddText(finding, "to_location", d.to.Describe());
  AddNumber(finding, "distance_km", *d.km);
  AddNumber(finding, "distance_explains_max_ms", MaxExplainedRoundTripMs(*d.km));
}

std::string DistanceSentence(const Distance& d, int previous_ttl, int step_ttl) {
  if (!d.km.has_value()) {
    return absl::StrCat(" The distance was not checked: ", d.unknown_because, ".");
  }
  return absl::StrCat(
      " Hops ", previous_ttl, " and ", step_ttl, " are ", Decimal(*d.km, 0), " km apart (",
      d.from.Describe(), " to ", d.to.Describe(), "), which explains about ",
      Decimal(*d.km / kFibreKmPerRoundTripMs * kTypicalRouteFactor),
      " ms of round trip over fibre and at most ", Decimal(MaxExplainedRoundTripMs(*d.km)), " ms.");
}

}  // namespace

double MaxExplainedRoundTripMs(double distance_km) {
  return distance_km / kFibreKmPerRoundTripMs * kMaxRouteFactor + kDistanceSlackMs;
}

void ClassifyLongLinks(const PathView& path, const LossProfile& loss, geo::GeoLookup* geo_lookup,
                       Findings& findings) {
  const bool lossy = loss.persistent_start >= 0 && !loss.destination_only;
  for (v1::Finding& finding : findings) {
    if (finding.code() != v1::LATENCY_INCREASE || !finding.has_ttl()) continue;
    const v1::Evidence* step_evidence = FindEvidence(finding, "step_ms");
    const v1::Evidence* previous_evidence = FindEvidence(finding, "previous_hop");
    if (step_evidence == nullptr || previous_evidence == nullptr) continue;
    // One-way delays that put the step on one direction: a detour or a queue on that side. (A
    // step they cannot place is not shown to differ: it is judged by its steadiness.)
    const v1::Evidence* direction = FindEvidence(finding, "direction");
    const std::string side = direction != nullptr ? direction->text() : "";
    if (side == "forward" || side == "return") continue;
    const bool alike_both_ways = side == "both";
    const int step = IndexOfTtl(path, finding.ttl());
    const int previous = IndexOfTtl(path, static_cast<int>(previous_evidence->number()));
    if (step < 0 || previous < 0 || lossy) continue;
    const double step_ms = step_evidence->number();
    const Steadiness steadiness = Judge(path, previous, step);
    if (!steadiness.judged || steadiness.best_rise_ms < kLongLinkMinBestRiseShare * step_ms ||
        steadiness.min_stdev_ms > kLongLinkMaxStdevShare * step_ms) {
      continue;
    }
    const HopView& from = path.hops[previous];
    const HopView& to = path.hops[step];
    const Distance distance = Measure(geo_lookup, from, to);
    if (distance.km.has_value() && step_ms > MaxExplainedRoundTripMs(*distance.km)) {
      // Steady, but far more than the distance: a detour or a standing queue. Stays a warning.
      AddDistance(finding, distance);
      finding.set_summary(absl::StrCat(finding.summary(),
                                       DistanceSentence(distance, from.ttl, to.ttl),
                                       " The step is far above that: not the distance."));
      continue;
    }
    std::string summary = absl::StrCat(
        "Latency rises steadily at hop ", to.ttl, " by ", Decimal(step_ms),
        " ms to the last hop: ", "the lowest RTT rises as much (+",
        Decimal(steadiness.best_rise_ms), " ms), StDev stays at ", Decimal(steadiness.min_stdev_ms),
        " ms and nothing is lost. A long-distance link ", "(propagation delay), not a fault.");
    if (alike_both_ways) absl::StrAppend(&summary, " One-way delays are alike both ways.");
    absl::StrAppend(&summary, DistanceSentence(distance, from.ttl, to.ttl));
    finding.set_code(v1::LONG_DISTANCE_LINK);
    finding.set_severity(v1::SEVERITY_INFO);
    finding.set_summary(std::move(summary));
    AddNumber(finding, "best_rise_ms", steadiness.best_rise_ms);
    AddNumber(finding, "min_stdev_ms", steadiness.min_stdev_ms);
    AddDistance(finding, distance);
    finding.set_confidence(distance.km.has_value() ? kLongLinkCheckedConfidence
                                                   : kLongLinkUncheckedConfidence);
  }
}

}  // namespace pathpair::diagnosis
