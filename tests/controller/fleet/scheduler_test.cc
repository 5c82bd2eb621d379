#include "controller/fleet/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>

#include "common/log/log.h"
#include "controller/cli/trace_options.h"
#include "tests/controller/fleet/memory_fleet_store.h"
#include "tests/controller/paired/fake_endpoint.h"

namespace pathpair::fleet {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);  // a multiple of 10 s

ScheduledTest MakeTest(const std::string& client, const std::string& server, int every_s) {
  ScheduledTest t;
  t.client = client;
  t.server = server;
  t.every = absl::Seconds(every_s);
  t.key = absl::StrCat(client, ">", server, "/", every_s, "s");
  t.options.probe = cli::DefaultProbeOptions();
  t.options.probe.set_count(2);
  return t;
}

TEST(SlotStartTest, FloorsOnTheEpoch) {
  EXPECT_EQ(SlotStart(kT0, absl::Seconds(10)), kT0);
  EXPECT_EQ(SlotStart(kT0 + absl::Milliseconds(9999), absl::Seconds(10)), kT0);
  EXPECT_EQ(SlotStart(kT0 + absl::Seconds(10), absl::Seconds(10)), kT0 + absl::Seconds(10));
  EXPECT_EQ(SlotStart(kT0 + absl::Seconds(70), absl::Minutes(1)), kT0 + absl::Seconds(60));
}

struct Replica {
  Replica(MemoryFleetStore& store, const std::string& replica, std::vector<ScheduledTest> tests)
      : scheduler({.store = &store,
                   .replica = replica,
                   .start_run = [this](const ScheduledTest& t, const SlotKey& s) {
                     started.push_back({t.key, s.slot_start});
                   }}) {
    scheduler.SetTests(std::move(tests));
    name = replica;
  }
  Scheduler scheduler;
  std::string name;
  std::vector<std::pair<std::string, absl::Time>> started;
};

TEST(SchedulerTest, EachSlotRunsOnceAcrossReplicas) {
  MemoryFleetStore store;
  const std::vector<ScheduledTest> tests = {MakeTest("a", "b", 10), MakeTest("a", "c", 30)};
  Replica r1(store, "r1", tests), r2(store, "r2", tests);
  int runs = 0;
  for (absl::Time now = kT0; now < kT0 + absl::Seconds(60); now += absl::Milliseconds(500)) {
    for (Replica* r : {&r1, &r2}) {
      runs += r->scheduler.Tick(now);
      for (const auto& [key, slot] : r->started) {
        r->scheduler.RunEnded(key);
        ASSERT_TRUE(store.FinishSlot({key, slot}, r->name, "run", now).ok());
      }
      r->started.clear();
    }
  }
  EXPECT_EQ(runs, 6 + 2);  // a>b: 6 slots in a minute; a>c: 2
  for (const auto& [key, slot] : store.slots()) EXPECT_EQ(slot.claims, 1) << key.first;
}

TEST(SchedulerTest, DeadReplicasSlotIsTakenOverWithinTheInterval) {
  MemoryFleetStore store;
  const std::vector<ScheduledTest> tests = {MakeTest("a", "b", 10)};
  Replica r1(store, "r1", tests), r2(store, "r2", tests);
  ASSERT_EQ(r1.scheduler.Tick(kT0), 1);  // r1 claims slot 0 and "dies": never finishes it
  EXPECT_EQ(r2.scheduler.Tick(kT0 + absl::Seconds(1)), 0);  // held by r1's lease
  // r1's lease (one interval) runs out mid-way through the next slot at the latest; r2 runs the
  // next slot at its start, without waiting for anything.
  EXPECT_EQ(r2.scheduler.Tick(kT0 + absl::Seconds(10)), 1);
  // With a shorter lease, r2 takes over the dead replica's slot itself within the slot.
  MemoryFleetStore store2;
  Scheduler::Options options{.store = &store2, .replica = "r1", .start_run = [](auto&, auto&) {}};
  options.lease = [](const ScheduledTest&) { return absl::Seconds(3); };
  Scheduler s1(options);
  options.replica = "r2";
  std::vector<absl::Time> r2_started;
  options.start_run = [&](const ScheduledTest&, const SlotKey& s) {
    r2_started.push_back(s.slot_start);
  };
  Scheduler s2(options);
  s1.SetTests(tests);
  s2.SetTests(tests);
  ASSERT_EQ(s1.Tick(kT0), 1);
  EXPECT_EQ(s2.Tick(kT0 + absl::Seconds(1)), 0);
  EXPECT_EQ(s2.Tick(kT0 + absl::Seconds(2)), 0);  // retried later in the slot, not every tick
  EXPECT_EQ(s2.Tick(kT0 + absl::Seconds(4)), 1);  // the lease expired: taken over
  EXPECT_THAT(r2_started, testing::ElementsAre(kT0));
}

TEST(SchedulerTest, DatabaseOutageIsLoggedAndRetried) {
  std::vector<std::string> lines;
  log::SetSinkForTesting([&](absl::string_view line) { lines.emplace_back(line); });
  MemoryFleetStore store;
  Replica r1(store, "r1", {MakeTest("a", "b", 10)});
  store.unavailable = 2;
  EXPECT_EQ(r1.scheduler.Tick(kT0), 0);
  EXPECT_EQ(r1.scheduler.Tick(kT0 + absl::Seconds(1)), 0);
  EXPECT_EQ(r1.scheduler.Tick(kT0 + absl::Seconds(2)), 1);  // the database is back
  log::SetSinkForTesting(nullptr);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("event=slot_claim_failed"));
  EXPECT_THAT(lines[0], HasSubstr("connection to the database refused"));
}

TEST(SchedulerTest, ARunLongerThanItsIntervalSkipsSlotsInsteadOfOverlapping) {
  MemoryFleetStore store;
  Replica r1(store, "r1", {MakeTest("a", "b", 10)});
  ASSERT_EQ(r1.scheduler.Tick(kT0), 1);
  EXPECT_EQ(r1.scheduler.Tick(kT0 + absl::Seconds(10)), 0);  // still running
  EXPECT_EQ(r1.scheduler.Running(), 1);
  r1.scheduler.RunEnded("a>b/10s");
  EXPECT_EQ(r1.scheduler.Tick(kT0 + absl::Seconds(11)), 1);  // that slot, late
}

TEST(SchedulerTest, OnlyAReplicaThatMayClaimRunsTheSlot) {
  MemoryFleetStore store;
  bool holds_agent = false;
  int started = 0;
  Scheduler scheduler({.store = &store,
                       .replica = "r1",
                       .start_run = [&](const ScheduledTest&, const SlotKey&) { ++started; },
                       .may_claim = [&](const ScheduledTest&) { return holds_agent; }});
  scheduler.SetTests({MakeTest("office", "dc", 10)});
  EXPECT_EQ(scheduler.Tick(kT0), 0);
  EXPECT_TRUE(store.slots().empty());  // not even claimed
  holds_agent = true;
  EXPECT_EQ(scheduler.Tick(kT0 + absl::Seconds(1)), 1);
  EXPECT_EQ(started, 1);
}

TEST(SchedulerTest, AtMostMaxRunningAtOnceTheRestLaterInTheSlot) {
  MemoryFleetStore store;
  std::vector<std::string> started;
  Scheduler scheduler(
      {.store = &store,
       .replica = "r1",
       .start_run = [&](const ScheduledTest& t, const SlotKey&) { started.push_back(t.key); },
       .max_running = 2});
  scheduler.SetTests({MakeTest("a", "b", 60), MakeTest("c", "d", 60), MakeTest("e", "f", 60)});
  EXPECT_EQ(scheduler.Tick(kT0), 2);
  EXPECT_EQ(scheduler.Tick(kT0 + absl::Seconds(1)), 0);  // full
  scheduler.RunEnded(started[0]);
  EXPECT_EQ(scheduler.Tick(kT0 + absl::Seconds(2)), 1);  // the third, same slot
  EXPECT_EQ(started.size(), 3u);
}

TEST(SchedulerTest, AnAgentRunsOneTestAtATime) {
  MemoryFleetStore store;
  std::vector<std::string> started;
  Scheduler scheduler(
      {.store = &store, .replica = "r1", .start_run = [&](const ScheduledTest& t, const SlotKey&) {
         started.push_back(t.key);
       }});
  scheduler.SetTests({MakeTest("a", "b", 60), MakeTest("a", "c", 60), MakeTest("c", "d", 60)});
  EXPECT_EQ(scheduler.Tick(kT0), 2);  // a>b and c>d; a>c waits for both a and c
  EXPECT_THAT(started, testing::ElementsAre("a>b/60s", "c>d/60s"));
  scheduler.RunEnded("a>b/60s");
  EXPECT_EQ(scheduler.Tick(kT0 + absl::Seconds(1)), 0);  // c still busy
  scheduler.RunEnded("c>d/60s");
  EXPECT_EQ(scheduler.Tick(kT0 + absl::Seconds(2)), 1);
  EXPECT_EQ(started.back(), "a>c/60s");
}

paired::PairedDeps FakeDeps() {
  auto now = std::make_shared<std::atomic<int64_t>>(1'800'000'000'000'000);
  auto ids = std::make_shared<std::atomic<int>>(0);
  paired::PairedDeps deps;
  deps.now_unix_us = [now] { return now->fetch_add(1000); };
  deps.new_run_id = [ids](absl::Time) {
    return absl::StrCat("20261127T000000.000Z-0000000", ids->fetch_add(1));
  };
  deps.new_pairing_id = [] { return std::string("pairing-0123456789"); };
  deps.new_test_id = [] { return uint64_t{42}; };
  deps.new_session_key = [] { return std::string(32, 'k'); };
  return deps;
}

class RunSlotTest : public ::testing::Test {
 protected:
  RunSlotTest() {
    deps_.replica = "r1";
    config_.security.insecure = true;
    config_.agents = {{.name = "dc", .address = "203.0.113.10:7431"},
                      {.name = "office", .address = "", .dial_in = true}};
    deps_.paired = FakeDeps();
    deps_.connect =
        [this](const AgentConfig& agent) -> absl::StatusOr<std::unique_ptr<paired::Endpoint>> {
      if (down_ == agent.name) return absl::UnavailableError("agent office is not connected");
      auto end = std::make_unique<paired::FakeEndpoint>(agent.name);
      end->hop_addresses = {};
      if (agent.name == "dc") end->oneway_received = received_by_dc_;
      return std::unique_ptr<paired::Endpoint>(std::move(end));
    };
    deps_.target_of = [](const AgentConfig&) -> absl::StatusOr<std::string> {
      return std::string("203.0.113.10");
    };
    deps_.sleep = [this](absl::Duration) { ++sleeps_; };
  }

  FleetConfig config_;
  SlotRunnerDeps deps_;
  MemoryFleetStore store_;
  std::string down_;
  int64_t received_by_dc_ = -1;
  int sleeps_ = 0;
};

TEST_F(RunSlotTest, StoresTheRunWithAgentsByNameVerdictAndOneWayFigures) {
  received_by_dc_ = 0;  // nothing arrives office -> dc: forward loss 100 %
  const ScheduledTest test = MakeTest("office", "dc", 10);
  const SlotKey slot{test.key, kT0};
  ASSERT_TRUE(store_.ClaimSlot(slot, "r1", kT0, absl::Seconds(10)).value());
  absl::StatusOr<std::string> id = RunSlot(test, config_, slot, store_, deps_);
  ASSERT_TRUE(id.ok()) << id.status();
  const std::vector<FleetRun> runs = store_.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].record.run_id, *id);
  EXPECT_EQ(runs[0].record.client, "office");
  EXPECT_EQ(runs[0].record.server, "dc");
  EXPECT_EQ(runs[0].record.verdict, "broken");
  ASSERT_EQ(runs[0].directions.size(), 2u);
  EXPECT_EQ(runs[0].directions[0].direction, "forward");
  EXPECT_DOUBLE_EQ(runs[0].directions[0].loss_ratio, 1.0);
  EXPECT_DOUBLE_EQ(runs[0].directions[1].loss_ratio, 0.0);
  EXPECT_TRUE(runs[0].directions[1].delay_seconds.has_value());
  EXPECT_TRUE(store_.slots().at({test.key, kT0}).finished);
  EXPECT_EQ(store_.slots().at({test.key, kT0}).run_id, *id);
  // The listening agent answered: it counts as connected.
  const MetricsSnapshot metrics = store_.ReadMetrics(kT0).value();
  ASSERT_EQ(metrics.agents.size(), 1u);
  EXPECT_EQ(metrics.agents[0].name, "dc");
  EXPECT_TRUE(metrics.agents[0].connected);
}

TEST_F(RunSlotTest, AgentDownGivesAFailedRunWithTheReason) {
  down_ = "office";
  const ScheduledTest test = MakeTest("office", "dc", 10);
  ASSERT_TRUE(RunSlot(test, config_, {test.key, kT0}, store_, deps_).ok());
  const std::vector<FleetRun> runs = store_.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "failed");
  EXPECT_EQ(runs[0].record.verdict, "");
  EXPECT_THAT(runs[0].error, HasSubstr("agent office is not connected"));
  // Back again: the next slot's run is complete.
  down_.clear();
  ASSERT_TRUE(RunSlot(test, config_, {test.key, kT0 + absl::Seconds(10)}, store_, deps_).ok());
  EXPECT_EQ(store_.runs().back().status, "complete");
  EXPECT_EQ(store_.runs().back().record.verdict, "healthy");
}

TEST_F(RunSlotTest, UnknownAgentGivesAFailedRun) {
  const ScheduledTest test = MakeTest("office", "lab", 10);
  ASSERT_TRUE(RunSlot(test, config_, {test.key, kT0}, store_, deps_).ok());
  EXPECT_EQ(store_.runs().at(0).status, "failed");
  EXPECT_THAT(store_.runs().at(0).error, HasSubstr("agent 'lab' is not in the config"));
}

TEST_F(RunSlotTest, DatabaseOutageIsRetriedWithALogLineAndTheRunKept) {
  std::vector<std::string> lines;
  log::SetSinkForTesting([&](absl::string_view line) { lines.emplace_back(line); });
  const ScheduledTest test = MakeTest("office", "dc", 10);
  store_.unavailable = 3;
  absl::StatusOr<std::string> id = RunSlot(test, config_, {test.key, kT0}, store_, deps_);
  log::SetSinkForTesting(nullptr);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(store_.runs().size(), 1u);
  EXPECT_EQ(sleeps_, 3);
  int retries = 0;
  for (const std::string& line : lines)
    retries += line.find("run_store_failed") != std::string::npos;
  EXPECT_EQ(retries, 3);
}

TEST_F(RunSlotTest, DatabaseGoneForGoodLosesTheRunWithALogLine) {
  std::vector<std::string> lines;
  log::SetSinkForTesting([&](absl::string_view line) { lines.emplace_back(line); });
  deps_.max_store_attempts = 2;
  store_.unavailable = 1000;
  const ScheduledTest test = MakeTest("office", "dc", 10);
  absl::StatusOr<std::string> id = RunSlot(test, config_, {test.key, kT0}, store_, deps_);
  log::SetSinkForTesting(nullptr);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnavailable);
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines.back(), HasSubstr("event=run_lost"));
  EXPECT_THAT(lines.back(), HasSubstr("client=office"));
}

}  // namespace
}  // namespace pathpair::fleet
