// The link model of pathpair-netsim: one direction of one link, as the scenario describes it
// (base delay, jitter distribution, independent loss, Gilbert-Elliott burst loss, timed changes).
// Pure: time comes in as the offset since the emulator started, randomness from SimRandom.
//
//   LinkModel link(scenario_link, SimRandom(seed, "forward:link:2"));
//   LinkTransit t = link.Cross(absl::Milliseconds(1500));   // 1.5 s after start
//   if (!t.lost) deliver_at = now + t.delay;
#ifndef PATHPAIR_TESTS_NETSIM_LINK_MODEL_H_
#define PATHPAIR_TESTS_NETSIM_LINK_MODEL_H_

#include "absl/time/time.h"
#include "tests/netsim/netsim.pb.h"
#include "tests/netsim/sim_random.h"

namespace pathpair::netsim {

// One jitter sample in milliseconds (>= 0) from the given distribution.
double SampleJitterMs(const v1::Jitter& jitter, SimRandom& rng);
// The distribution's mean in milliseconds, taking the cap into account only roughly (ignored).
double JitterMeanMs(const v1::Jitter& jitter);

// The long-run loss probability of a Gilbert-Elliott chain (its stationary mix of the states).
double GilbertElliottMeanLoss(const v1::GilbertElliott& ge);

// Long-run loss probability of a link's properties (independent and burst loss combined).
double LinkMeanLoss(const v1::Link& link);

struct LinkTransit {
  bool lost = false;
  absl::Duration delay = absl::ZeroDuration();  // set even when lost (for the event log)
};

class LinkModel {
 public:
  LinkModel(const v1::Link& link, SimRandom rng);

  // A packet enters the link `since_start` after the emulator started.
  LinkTransit Cross(absl::Duration since_start);

  // The properties in force at that time (the base link or the last change at or before it).
  const v1::Link& PropertiesAt(absl::Duration since_start) const;
  bool has_changes() const { return link_.changes_size() > 0; }

 private:
  v1::Link link_;
  SimRandom rng_;
  bool ge_bad_ = false;
};

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_LINK_MODEL_H_
