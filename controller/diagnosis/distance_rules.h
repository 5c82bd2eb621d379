// The long-link rule (issue 9): a latency step that is propagation over a long link is not a
// fault. "A steady step of 70-80 ms with tiny jitter between two hops on different continents is
// propagation" (shared/reference/real-networks.md, "Distance").
//
// A LATENCY_INCREASE (latency_rules.h) becomes LONG_DISTANCE_LINK (info) when the step is steady:
//  - the minimum moved with the average: the lowest Best from the step's hop to the end is at
//    least kLongLinkMinBestRiseShare of the step above the Best of the hop before it;
//  - low jitter: the lowest StDev from the step's hop to the end is at most
//    kLongLinkMaxStdevShare of the step;
//  - no loss: no loss persists from any hop to the end (the destination's own ICMP limit aside);
//  - when one-way delays exist, they are alike both ways: the paired rules (paired_rules.h) did
//    not put the step on one direction (its evidence "direction" is neither "forward" nor
//    "return");
//  - with a location database (DiagnoseOptions::geo_lookup), the step is no larger than the
//    fibre distance between the two hops explains (see kMaxRouteFactor); a step far above it
//    stays a LATENCY_INCREASE (warning), with the distance in its evidence. Without one, or when
//    a hop has no location, the finding says that the distance was not checked.
//
//   ClassifyLongLinks(path, loss, geo_lookup, findings);   // after the paired rules
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_DISTANCE_RULES_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_DISTANCE_RULES_H_

#include "controller/diagnosis/finding.h"
#include "controller/diagnosis/loss_rules.h"
#include "controller/diagnosis/path_view.h"
#include "controller/geo/geo_lookup.h"

namespace pathpair::diagnosis {

// Steady: propagation delays every packet by the same amount, so the fastest probe is as late as
// the average one; queueing behind congestion delays most packets but lets some through at the
// old minimum, so Best rises much less than Avg. 0.8 leaves room for the few tenths of a ms by
// which the Best of a few dozen probes wanders.
inline constexpr double kLongLinkMinBestRiseShare = 0.8;
// Low jitter: propagation adds no variance, while a queue that adds a step's worth of delay on
// average spreads the RTTs by about as much (an M/M/1 queue's waiting time has a standard
// deviation close to its mean). 0.2 of the step leaves room for the ordinary jitter of the rest
// of the path (a few ms over 30-80 ms steps). The lowest StDev after the step is used, because
// one router that is slow to answer probes raises its own StDev but not the path's.
inline constexpr double kLongLinkMaxStdevShare = 0.2;

// Light in fibre covers about 200 km per ms: each 100 km of path adds about 1 ms of round trip.
inline constexpr double kFibreKmPerRoundTripMs = 100;
// Real routes are longer than great circles, often by 1.5-2x (cables follow coasts, roads and
// rails, and traffic crosses exchange points on the way).
inline constexpr double kTypicalRouteFactor = 1.5;
inline constexpr double kMaxRouteFactor = 2.0;
// On top of that, a step may still be explained by this much: city-level locations of router
// addresses are coarse (often the operator's registered office), and a hop adds a little
// forwarding and serialisation delay.
inline constexpr double kDistanceSlackMs = 10;

// How sure a LONG_DISTANCE_LINK is: with the distance checked, only a standing queue of exactly
// the size the distance allows could fool it; without it, a steady standing queue (bufferbloat
// that never drains) or a steady detour looks the same from round trips alone.
inline constexpr double kLongLinkCheckedConfidence = 0.9;
inline constexpr double kLongLinkUncheckedConfidence = 0.7;

// The most round-trip delay `distance_km` of great circle explains (kMaxRouteFactor plus
// kDistanceSlackMs).
double MaxExplainedRoundTripMs(double distance_km);

// Rewrites each steady LATENCY_INCREASE in `findings` (found on `path`, with `loss` its loss
// profile) as LONG_DISTANCE_LINK, or adds the distance that leaves it a warning. geo_lookup may
// be null (the distance is not checked).
void ClassifyLongLinks(const PathView& path, const LossProfile& loss, geo::GeoLookup* geo_lookup,
                       Findings& findings);

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_DISTANCE_RULES_H_
