#include "controller/report/trace/hop_fields.h"

#include <algorithm>

namespace pathpair::output {
namespace {

const HopField kFields[] = {
    {' ', " ", " ", 1, true, [](const v1::HopResult&) { return 0.0; }},
    {'L', "Loss%", " %4.1f%%", 6, false,
     [](const v1::HopResult& h) { return LossPercent(h.sent(), h.received()); }},
    {'D', "Drop", " %4d", 5, true,
     [](const v1::HopResult& h) { return static_cast<double>(DroppedProbes(h)); }},
    {'R', "Rcv", " %5d", 6, true,
     [](const v1::HopResult& h) { return static_cast<double>(h.received()); }},
    {'S', "Snt", " %5d", 6, true,
     [](const v1::HopResult& h) { return static_cast<double>(h.sent()); }},
    {'N', "Last", " %5.1f", 6, false, [](const v1::HopResult& h) { return h.rtt().last_ms(); }},
    {'B', "Best", " %5.1f", 6, false, [](const v1::HopResult& h) { return h.rtt().best_ms(); }},
    {'A', "Avg", " %5.1f", 6, false, [](const v1::HopResult& h) { return h.rtt().avg_ms(); }},
    {'W', "Wrst", " %5.1f", 6, false, [](const v1::HopResult& h) { return h.rtt().worst_ms(); }},
    {'V', "StDev", " %5.1f", 6, false, [](const v1::HopResult& h) { return h.rtt().stdev_ms(); }},
    {'G', "Gmean", " %5.1f", 6, false, [](const v1::HopResult& h) { return h.rtt().gmean_ms(); }},
    {'J', "Jttr", " %4.1f", 5, false, [](const v1::HopResult& h) { return h.rtt().jitter_ms(); }},
    {'M', "Javg", " %4.1f", 5, false,
     [](const v1::HopResult& h) { return h.rtt().jitter_avg_ms(); }},
    {'X', "Jmax", " %4.1f", 5, false,
     [](const v1::HopResult& h) { return h.rtt().jitter_max_ms(); }},
    {'I', "Jint", " %4.1f", 5, false,
     [](const v1::HopResult& h) { return h.rtt().jitter_interarrival_ms(); }},
};

}  // namespace

const HopField* FindHopField(char key) {
  for (const HopField& f : kFields) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

double LossPercent(int64_t sent, int64_t received) {
  if (sent <= 0) return 0.0;
  const int64_t lost = std::max<int64_t>(0, sent - received);
  return 100.0 * static_cast<double>(lost) / static_cast<double>(sent);
}

int64_t DroppedProbes(const v1::HopResult& hop) {
  return std::max<int64_t>(0, hop.sent() - hop.received());
}

}  // namespace pathpair::output
