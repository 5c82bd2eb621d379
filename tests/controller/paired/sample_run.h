// A sample v1::PairedRun for the paired unit tests: both traces (the reverse one cut short: the
// server agent was lost after 2 rounds), both one-way directions (forward unsynchronised,
// reverse with an offset bound) and a start skew. Built with the fake endpoint's traces, so it
// links the agent's protocol.
//
//   v1::PairedRun run = SampleRun();   // partial
#ifndef PATHPAIR_TESTS_CONTROLLER_PAIRED_SAMPLE_RUN_H_
#define PATHPAIR_TESTS_CONTROLLER_PAIRED_SAMPLE_RUN_H_

#include "pathpair/v1/paired.pb.h"
#include "tests/controller/paired/fake_endpoint.h"
#include "tests/controller/paired/run_builders.h"

namespace pathpair::paired {

inline v1::PairedRun SampleRun() {
  v1::PairedRun run;
  run.set_run_id("20261127T112540.123Z-3f9a1c0b");
  run.set_start_unix_us(1'800'000'000'000'000);
  run.set_end_unix_us(run.start_unix_us() + 12'000'000);
  run.set_forward_target("203.0.113.80");
  run.set_reverse_target("198.51.100.9");
  run.set_reverse_target_reflected(true);
  run.mutable_client()->set_endpoint("local");
  run.mutable_client()->set_hostname("laptop");
  run.mutable_server()->set_endpoint("agent.example:8620");
  v1::StartTraceRequest forward;
  forward.mutable_options()->set_target("203.0.113.80");
  forward.mutable_options()->set_count(3);
  *run.mutable_client()->mutable_trace() = FakeEndpoint::Snapshot(forward, {"10.0.0.1"}, 3, true);
  v1::StartTraceRequest reverse;
  reverse.mutable_options()->set_target("198.51.100.9");
  *run.mutable_server()->mutable_trace() =
      FakeEndpoint::Snapshot(reverse, {"10.9.0.1", "10.9.1.1"}, 2, false);
  run.mutable_server()->set_error("lost the agent agent.example:8620: Socket closed");
  run.set_oneway_requested(true);
  *run.mutable_oneway_forward() = OneWay(300, 240, 20);
  *run.mutable_oneway_reverse() = OneWay(300, 300, 0, 0.5);
  run.set_start_skew_ms(4.5);
  return run;
}

}  // namespace pathpair::paired

#endif  // PATHPAIR_TESTS_CONTROLLER_PAIRED_SAMPLE_RUN_H_
