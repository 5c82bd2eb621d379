// HistoryFleetStore on a real SQLite file: the claims, runs and /metrics figures of fleet mode.
#include "controller/fleet/history_fleet_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "controller/fleet/fleet_run.h"
#include "tests/controller/paired/sample_run.h"

namespace pathpair::fleet {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

class HistoryFleetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fleet_store_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    absl::StatusOr<std::unique_ptr<history::HistoryStore>> db =
        history::HistoryStore::Open("sqlite:" + dir_ + "/fleet.db");
    ASSERT_TRUE(db.ok()) << db.status();
    store_ = std::make_unique<HistoryFleetStore>(*std::move(db));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  std::unique_ptr<HistoryFleetStore> store_;
};

TEST_F(HistoryFleetStoreTest, OneClaimPerSlotAndTakeoverAfterTheLease) {
  const SlotKey slot{"office>dc/10s", kT0};
  EXPECT_TRUE(store_->ClaimSlot(slot, "a", kT0, absl::Seconds(10)).value());
  EXPECT_FALSE(store_->ClaimSlot(slot, "b", kT0 + absl::Seconds(1), absl::Seconds(10)).value());
  EXPECT_TRUE(store_->ClaimSlot(slot, "b", kT0 + absl::Seconds(11), absl::Seconds(10)).value());
  // "a" lost it: its finish is refused, "b"'s is taken; then nobody claims it again.
  EXPECT_EQ(store_->FinishSlot(slot, "a", "", kT0 + absl::Seconds(12)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->FinishSlot(slot, "b", "run", kT0 + absl::Seconds(12)).ok());
  EXPECT_FALSE(store_->ClaimSlot(slot, "c", kT0 + absl::Seconds(40), absl::Seconds(10)).value());
}

TEST_F(HistoryFleetStoreTest, MetricsFromTheDatabase) {
  v1::PairedRun run = paired::SampleRun();
  run.set_oneway_requested(true);
  run.mutable_oneway_forward()->mutable_stats()->set_sent(100);
  run.mutable_oneway_forward()->mutable_stats()->set_received(75);
  run.mutable_oneway_forward()->mutable_stats()->set_loss_pct(25);
  run.mutable_oneway_forward()->mutable_stats()->mutable_delay()->set_avg_ms(12.5);
  run.mutable_oneway_reverse()->mutable_stats()->set_sent(100);
  run.mutable_oneway_reverse()->mutable_stats()->set_received(100);
  const FleetRun stored = MakeFleetRun(run, "office", "dc");
  ASSERT_TRUE(store_->SaveRun(stored).ok());
  ASSERT_TRUE(store_->SetAgentPresence("office", "a", true, kT0).ok());

  const MetricsSnapshot m = store_->ReadMetrics(kT0).value();
  ASSERT_EQ(m.runs.size(), 1u);
  EXPECT_EQ(m.runs[0].client, "office");
  EXPECT_EQ(m.runs[0].server, "dc");
  EXPECT_EQ(m.runs[0].status, stored.status);
  EXPECT_EQ(m.runs[0].count, 1);
  ASSERT_EQ(m.latest.size(), 1u);
  EXPECT_EQ(m.latest[0].verdict, stored.record.verdict);
  ASSERT_EQ(m.latest[0].directions.size(), 2u);
  EXPECT_EQ(m.latest[0].directions[0].direction, "forward");
  EXPECT_DOUBLE_EQ(m.latest[0].directions[0].loss_ratio, 0.25);
  EXPECT_DOUBLE_EQ(*m.latest[0].directions[0].delay_seconds, 0.0125);
  EXPECT_DOUBLE_EQ(m.latest[0].directions[1].loss_ratio, 0.0);
  ASSERT_EQ(m.agents.size(), 1u);
  EXPECT_EQ(m.agents[0].name, "office");
  EXPECT_TRUE(m.agents[0].connected);

  const history::RunRecord back = store_->LoadRun(stored.record.run_id).value();
  EXPECT_EQ(back.client_name, "office");
  EXPECT_EQ(back.server_name, "dc");
}

}  // namespace
}  // namespace pathpair::fleet
