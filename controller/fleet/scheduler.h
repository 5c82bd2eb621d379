// The schedule of `pathpair serve`, as pure logic with the clock injected: every scheduled test
// has one slot per interval (slot start = floor(now / every) * every, on the Unix epoch, so
// every replica computes the same slots), claimed through the FleetStore so that it runs once
// among all replicas. A claim lost to another replica is retried a few times within the slot (a
// dead replica's lease expires and its slot is taken over); a database error is logged and
// retried at the next tick, never dropped silently.
//
//   Scheduler scheduler({.store = &store, .replica = "host-1234",
//                        .start_run = [&](const ScheduledTest& t, const SlotKey& s) {...}});
//   scheduler.SetTests(config.tests);
//   every second: scheduler.Tick(absl::Now());
//   when a run ends: scheduler.RunEnded(test_key);
//
// RunSlot does one claimed slot: reach both agents, run the paired test, store the run (agents
// by name, the verdict; a failed run records why), finish the slot.
#ifndef PATHPAIR_CONTROLLER_FLEET_SCHEDULER_H_
#define PATHPAIR_CONTROLLER_FLEET_SCHEDULER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controller/fleet/fleet_config.h"
#include "controller/fleet/fleet_run.h"
#include "controller/fleet/fleet_store.h"
#include "controller/paired/endpoint.h"
#include "controller/paired/orchestrator.h"
#include "pathpair/v1/paired.pb.h"

namespace pathpair::fleet {

// The start of the slot `now` falls in.
absl::Time SlotStart(absl::Time now, absl::Duration every);

class Scheduler {
 public:
  struct Options {
    FleetStore* store = nullptr;
    std::string replica;  // this process's name in the claims (host and pid)
    // Starts a claimed slot's run (in the background); RunEnded(key) is called when it ends.
    std::function<void(const ScheduledTest& test, const SlotKey& slot)> start_run;
    // How long a claim holds: a replica that dies mid-run loses the slot after it.
    std::function<absl::Duration(const ScheduledTest& test)> lease;  // default: every
    // Whether this replica may claim the test's slot now (a dial-in agent held by another
    // replica: no). Empty: always.
    std::function<bool(const ScheduledTest& test)> may_claim;
    // At most this many runs at once (threads, agents' sessions): the other due slots are
    // claimed on later ticks, as runs end (a large mesh spreads over its interval).
    int max_running = 64;
  };
  // A test whose agent is already in a running test of this replica waits for it (an agent
  // measures one one-way session at a time): the slot is claimed when the agent is free, later
  // in the slot.
  explicit Scheduler(Options options);

  // The tests to schedule (a reload): slots of tests that stay are not claimed again.
  void SetTests(std::vector<ScheduledTest> tests);
  // Claims and starts every slot due at `now`. Returns how many runs it started.
  int Tick(absl::Time now);
  void RunEnded(const std::string& test_key);
  // Runs started and not ended.
  int Running() const;

 private:
  struct TestState {
    ScheduledTest test;
    absl::Time handled_slot = absl::InfinitePast();  // claimed, or given up on
    absl::Time next_try = absl::InfinitePast();      // within a slot held elsewhere
    bool running = false;
  };

  bool AgentBusy(const ScheduledTest& test) const;

  Options options_;
  std::map<std::string, TestState> tests_;
};

// What running one slot needs from the world.
struct SlotRunnerDeps {
  std::string replica;  // this process in the slot claims (Scheduler::Options::replica)
  // An agent's end of a test (a gRPC endpoint, or the hub's for a dial-in agent), or why not.
  std::function<absl::StatusOr<std::unique_ptr<paired::Endpoint>>(const AgentConfig& agent)>
      connect;
  // The address tests to `agent` target (the forward target when it is the server).
  std::function<absl::StatusOr<std::string>(const AgentConfig& agent)> target_of;
  paired::PairedDeps paired;
  std::function<void(absl::Duration)> sleep;  // between database retries
  const paired::CancelToken* stop = nullptr;  // SIGTERM: the run is cut short and recorded
  absl::Duration retry_every = absl::Seconds(2);
  int max_store_attempts = 30;  // then the run is given up with a log line
};

// Runs `test` for `slot` and stores the result, then finishes the slot. An agent that is not
// configured or cannot be reached gives a failed run whose error says why. Returns the stored
// run's id, or the error when the run could not be stored.
absl::StatusOr<std::string> RunSlot(const ScheduledTest& test, const FleetConfig& config,
                                    const SlotKey& slot, FleetStore& store, SlotRunnerDeps& deps);

}  // namespace pathpair::fleet

#endif  // PATHPAIR_CONTROLLER_FLEET_SCHEDULER_H_
