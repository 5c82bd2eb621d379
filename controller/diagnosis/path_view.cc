#include "controller/diagnosis/path_view.h"

#include <algorithm>
#include <cmath>

namespace pathpair::diagnosis {
namespace {

// Times above this (ms) and counts above kMaxCount are not measurements; clamping them keeps
// every sum and product the rules compute far from overflow.
constexpr double kMaxMs = 1e9;
constexpr int64_t kMaxCount = int64_t{1} << 40;

double Finite(double value) {
  return std::isfinite(value) && value > 0 ? std::min(value, kMaxMs) : 0;
}

HopView MakeHopView(const v1::HopResult& hop) {
  HopView view;
  view.ttl = hop.ttl();
  view.received = std::clamp<int64_t>(hop.received(), 0, kMaxCount);
  // A trace may count a probe as received before its outcome is final; never report negative
  // loss because of it.
  view.sent = std::max<int64_t>(view.received, std::clamp<int64_t>(hop.sent(), 0, kMaxCount));
  view.last_ms = Finite(hop.rtt().last_ms());
  view.best_ms = Finite(hop.rtt().best_ms());
  view.avg_ms = Finite(hop.rtt().avg_ms());
  view.worst_ms = Finite(hop.rtt().worst_ms());
  view.stdev_ms = Finite(hop.rtt().stdev_ms());
  for (const v1::Responder& responder : hop.responders()) {
    // A responder known only by name (mtr's JSON without -n) is identified by that name.
    const std::string& id =
        responder.address().empty() ? responder.hostname() : responder.address();
    if (id.empty()) continue;
    if (std::find(view.addresses.begin(), view.addresses.end(), id) == view.addresses.end()) {
      view.addresses.push_back(id);
    }
  }
  if (!view.addresses.empty()) view.address = view.addresses.front();
  view.termination = hop.termination();
  view.unreachable_code = hop.unreachable_code();
  return view;
}

}  // namespace

int PathView::LastRespondingIndex() const {
  for (int i = static_cast<int>(hops.size()) - 1; i >= 0; --i) {
    if (hops[i].responded()) return i;
  }
  return -1;
}

int PathView::NextResponding(int index) const {
  for (int i = index + 1; i < static_cast<int>(hops.size()); ++i) {
    if (hops[i].responded()) return i;
  }
  return -1;
}

int PathView::PreviousResponding(int index) const {
  for (int i = std::min(index, static_cast<int>(hops.size())) - 1; i >= 0; --i) {
    if (hops[i].responded()) return i;
  }
  return -1;
}

PathView MakePathView(const v1::TraceResult& trace) {
  PathView path;
  path.target_address = trace.target_address();
  path.protocol = trace.options().protocol();
  for (const v1::HopResult& hop : trace.hops()) {
    if (hop.ttl() <= 0 || hop.ttl() > 255) continue;
    path.hops.push_back(MakeHopView(hop));
  }
  std::stable_sort(path.hops.begin(), path.hops.end(),
                   [](const HopView& a, const HopView& b) { return a.ttl < b.ttl; });
  path.hops.erase(std::unique(path.hops.begin(), path.hops.end(),
                              [](const HopView& a, const HopView& b) { return a.ttl == b.ttl; }),
                  path.hops.end());

  const int count = static_cast<int>(path.hops.size());
  for (int i = 0; i < count && path.destination_index < 0; ++i) {
    const HopView& hop = path.hops[i];
    if (!hop.responded()) continue;
    const bool target_answered =
        !path.target_address.empty() && std::find(hop.addresses.begin(), hop.addresses.end(),
                                                  path.target_address) != hop.addresses.end();
    if (hop.termination == v1::HOP_TERMINATION_DESTINATION || target_answered) {
      path.destination_index = i;
    }
  }
  if (path.destination_index < 0 && trace.reached()) {
    path.destination_index = path.LastRespondingIndex();
  }
  path.reached = path.destination_index >= 0;
  if (path.reached) path.hops.resize(path.destination_index + 1);
  return path;
}

}  // namespace pathpair::diagnosis
