#include "controller/screen/live_trace.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/controller/screen/fake_trace_source.h"

namespace pathpair::screen {
namespace {

class InstantResolver : public dns::PtrResolver {
 public:
  void Lookup(const IpAddress& address, Done done) override {
    done("name-of-" + address.ToString());
  }
};

TEST(SnapshotSlotTest, PauseFreezesButKeepsTheFinalResult) {
  SnapshotSlot slot;
  slot.Publish(testing::FakeTrace(1, "198.51.100."));
  slot.SetPaused(true);
  slot.Publish(testing::FakeTrace(2, "198.51.100."));
  EXPECT_EQ(slot.Latest().rounds(), 1);
  v1::TraceResult final_result = testing::FakeTrace(3, "198.51.100.");
  final_result.set_final(true);
  slot.Publish(final_result);
  EXPECT_EQ(slot.Latest().rounds(), 3);
}

TEST(SnapshotSourceTest, NamesResetAndPause) {
  SnapshotSlot slot;
  InstantResolver resolver;
  FakeClock clock;
  dns::ReverseDnsCache cache(resolver, clock);
  std::atomic<bool> dns_on{true};
  int restarts = 0;
  SnapshotSource source = MakeSnapshotSource(
      slot, &cache, [&] { ++restarts; }, "t", &dns_on);
  v1::TraceResult t = testing::FakeTrace(2, "198.51.100.");
  t.mutable_hops(0)->mutable_responders(0)->clear_hostname();
  slot.Publish(t);
  EXPECT_EQ(source.latest().hops(0).responders(0).hostname(), "name-of-198.51.100.1");
  dns_on = false;
  EXPECT_EQ(source.latest().hops(0).responders(0).hostname(), "");
  source.set_paused(true);
  EXPECT_TRUE(slot.paused());
  source.reset();
  EXPECT_EQ(restarts, 1);
  EXPECT_EQ(slot.Latest().hops_size(), 0);
}

// `r` on the screen: the path stays (no "1. ???"), the figures and any error go, until the
// new trace's first reply.
TEST(SnapshotSlotTest, ClearKeepingPathShowsThePathUntilTheNewTraceAnswers) {
  SnapshotSlot slot;
  v1::TraceResult old = testing::FakeTrace(6, "198.51.100.");
  old.set_error("cancelled");
  slot.Publish(old);
  slot.Finish();
  slot.ClearKeepingPath();
  EXPECT_FALSE(slot.finished());
  v1::TraceResult shown = slot.Latest();
  EXPECT_EQ(shown.error(), "");
  ASSERT_EQ(shown.hops_size(), 5);
  EXPECT_EQ(shown.hops(3).responders(0).address(), "198.51.100.4");
  EXPECT_EQ(shown.hops(3).sent(), 0);
  EXPECT_EQ(shown.hops(3).received(), 0);
  EXPECT_EQ(shown.hops(3).responders(0).received(), 0);

  // The new trace's first snapshot (one hop, no reply yet) does not collapse the path.
  v1::TraceResult first;
  first.set_rounds(0);
  first.add_hops()->set_ttl(1);
  slot.Publish(first);
  EXPECT_EQ(slot.Latest().hops_size(), 5);
  // Its first replies replace it.
  slot.Publish(testing::FakeTrace(1, "203.0.113."));
  EXPECT_EQ(slot.Latest().hops(0).responders(0).address(), "203.0.113.1");
  slot.Publish(first);
  EXPECT_EQ(slot.Latest().hops_size(), 1);

  slot.Publish(old);
  slot.Clear();
  EXPECT_EQ(slot.Latest().error(), "");
  EXPECT_EQ(slot.Latest().hops_size(), 0);
}

}  // namespace
}  // namespace pathpair::screen
