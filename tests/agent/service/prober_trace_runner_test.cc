// ProberTraceRunner's Start when the prober's loop answers too late: Start reports the trace as
// not started, and then it must never run nor call back (the service would otherwise release
// the trace's slot twice). Needs probe sockets (root, or unprivileged ICMP); skips without.
#include "agent/service/prober_trace_runner.h"

#include <atomic>
#include <memory>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace pathpair::agent {
namespace {

TEST(ProberTraceRunnerTest, AStartThatTimedOutNeverRunsNorCallsBack) {
  absl::StatusOr<std::unique_ptr<ProberTraceRunner>> runner =
      ProberTraceRunner::Create(SystemClock::Get());
  if (!runner.ok()) GTEST_SKIP() << "no probe sockets: " << runner.status();
  // Stall the loop so that it cannot take the trace in time.
  absl::Notification stalled, resume;
  (*runner)->PostToLoopForTesting([&] {
    stalled.Notify();
    resume.WaitForNotification();
  });
  stalled.WaitForNotification();
  (*runner)->set_start_timeout(absl::Milliseconds(100));

  std::atomic<int> done_calls{0};
  v1::ProbeOptions options;
  options.set_target("127.0.0.1");
  options.set_max_ttl(1);
  options.set_count(1);
  options.set_interval_us(10000);
  TraceRunner::Callbacks callbacks;
  callbacks.on_done = [&](const v1::TraceResult&) { ++done_calls; };
  absl::StatusOr<TraceRunner::Handle> handle =
      (*runner)->Start(options, *IpAddress::Parse("127.0.0.1"), callbacks);
  EXPECT_EQ(handle.status().code(), absl::StatusCode::kUnavailable);

  resume.Notify();  // the loop now reaches the abandoned work
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(done_calls.load(), 0);

  // The runner still works: a trace started now completes and calls back once.
  (*runner)->set_start_timeout(absl::Seconds(5));
  absl::Notification finished;
  callbacks.on_done = [&](const v1::TraceResult&) {
    ++done_calls;
    finished.Notify();
  };
  ASSERT_TRUE((*runner)->Start(options, *IpAddress::Parse("127.0.0.1"), callbacks).ok());
  EXPECT_TRUE(finished.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(done_calls.load(), 1);
}

}  // namespace
}  // namespace pathpair::agent
