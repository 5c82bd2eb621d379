#include "agent/service/session_registry.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::agent {
namespace {

TEST(SessionRegistryTest, LeaseRunsOutUnlessRenewed) {
  FakeClock clock;
  SessionRegistry sessions(clock);
  std::vector<StopReason> stops;
  const std::string id = sessions.Add(SessionKind::kTrace, absl::Seconds(10),
                                      [&](StopReason r) { stops.push_back(r); });
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(sessions.Count(SessionKind::kTrace), 1);
  EXPECT_EQ(sessions.NextExpiry(), clock.Now() + absl::Seconds(10));

  clock.Advance(absl::Seconds(9));
  EXPECT_EQ(sessions.ExpireLeases(), 0);
  EXPECT_TRUE(sessions.Renew(id));
  clock.Advance(absl::Seconds(9));
  EXPECT_EQ(sessions.ExpireLeases(), 0);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(sessions.ExpireLeases(), 1);
  EXPECT_THAT(stops, ::testing::ElementsAre(StopReason::kLeaseExpired));
  EXPECT_FALSE(sessions.Renew(id));
  EXPECT_EQ(sessions.Count(SessionKind::kTrace), 0);
  EXPECT_EQ(sessions.NextExpiry(), MonoTime::Infinite());
}

TEST(SessionRegistryTest, StopRemoveAndStopAll) {
  FakeClock clock;
  SessionRegistry sessions(clock);
  std::vector<StopReason> stops;
  auto record = [&](StopReason r) { stops.push_back(r); };
  const std::string a = sessions.Add(SessionKind::kTrace, absl::Seconds(5), record);
  const std::string b = sessions.Add(SessionKind::kOneWay, absl::Seconds(5), record);
  const std::string c = sessions.Add(SessionKind::kTrace, absl::Seconds(5), record);
  EXPECT_NE(a, b);
  EXPECT_TRUE(sessions.Stop(a));
  EXPECT_FALSE(sessions.Stop(a));
  EXPECT_TRUE(sessions.Remove(b));  // ended by itself: no stop
  EXPECT_EQ(sessions.Count(SessionKind::kOneWay), 0);
  sessions.StopAll();
  EXPECT_THAT(stops, ::testing::ElementsAre(StopReason::kStopRequested, StopReason::kShutdown));
  EXPECT_FALSE(sessions.Remove(c));
}

TEST(SessionRegistryTest, StopFunctionMayCallBackIntoTheRegistry) {
  FakeClock clock;
  SessionRegistry sessions(clock);
  std::string id;
  id = sessions.Add(SessionKind::kTrace, absl::Seconds(1), [&](StopReason) {
    EXPECT_FALSE(sessions.Remove(id));  // no deadlock: the lock is not held
  });
  clock.Advance(absl::Seconds(2));
  EXPECT_EQ(sessions.ExpireLeases(), 1);
}

}  // namespace
}  // namespace pathpair::agent
