// PathView: one trace's hops, cleaned up for the diagnosis rules. Counts are clamped
// (0 <= received <= sent), non-finite times become 0, hops are sorted by TTL without
// duplicates, and the destination's hop is located (by the engine's termination mark, or by
// the target's address answering). Everything the rules read goes through here, so the rules
// never see a malformed trace.
//
//   PathView path = MakePathView(trace);
//   for (const HopView& hop : path.hops) if (hop.responded()) ...
#ifndef PATHPAIR_CONTROLLER_DIAGNOSIS_PATH_VIEW_H_
#define PATHPAIR_CONTROLLER_DIAGNOSIS_PATH_VIEW_H_

#include <cstdint>
#include <string>
#include <vector>

#include "pathpair/v1/trace.pb.h"

namespace pathpair::diagnosis {

struct HopView {
  int ttl = 0;
  int64_t sent = 0;
  int64_t received = 0;
  double last_ms = 0;
  double best_ms = 0;
  double avg_ms = 0;
  double worst_ms = 0;
  double stdev_ms = 0;
  std::string address;  // the most frequent responder (its name if no address); empty: none
  std::vector<std::string> addresses;  // every responder, most frequent first
  v1::HopTermination termination = v1::HOP_TERMINATION_NONE;
  int unreachable_code = 0;

  int64_t lost() const { return sent - received; }
  double loss_fraction() const {
    return sent > 0 ? static_cast<double>(lost()) / static_cast<double>(sent) : 0;
  }
  double loss_pct() const { return 100 * loss_fraction(); }
  bool probed() const { return sent > 0; }
  bool responded() const { return received > 0; }
};

struct PathView {
  std::vector<HopView> hops;  // ascending TTL
  std::string target_address;
  v1::Protocol protocol = v1::PROTOCOL_UNSPECIFIED;
  bool reached = false;        // the destination answered at least once
  int destination_index = -1;  // index into hops of the destination's hop, when reached

  // Index of the last hop that answered at all; -1 when none did.
  int LastRespondingIndex() const;
  // Index of the next / previous answering hop after / before index; -1 when none.
  int NextResponding(int index) const;
  int PreviousResponding(int index) const;
  bool IsDestination(int index) const { return reached && index == destination_index; }
};

PathView MakePathView(const v1::TraceResult& trace);

}  // namespace pathpair::diagnosis

#endif  // PATHPAIR_CONTROLLER_DIAGNOSIS_PATH_VIEW_H_
