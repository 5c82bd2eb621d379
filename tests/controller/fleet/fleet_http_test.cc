#include "controller/fleet/fleet_http.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/fleet/scheduler.h"
#include "tests/controller/fleet/memory_fleet_store.h"
#include "tests/controller/paired/sample_run.h"

namespace pathpair::fleet {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TEST(FleetHttpTest, Routes) {
  MemoryFleetStore store;
  v1::PairedRun sample = paired::SampleRun();
  ASSERT_TRUE(store.SaveRun(MakeFleetRun(sample, "office", "dc")).ok());

  EXPECT_EQ(HandleFleetRequest("/healthz", store, kNow).status, 200);

  const agent::metrics::HttpReply metrics = HandleFleetRequest("/metrics", store, kNow);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, HasSubstr("pathpair_test_runs_total{client=\"office\",server=\"dc\""));

  const agent::metrics::HttpReply runs = HandleFleetRequest("/runs", store, kNow);
  EXPECT_EQ(runs.status, 200);
  EXPECT_THAT(runs.body, HasSubstr(absl::StrCat("\"run_id\":\"", sample.run_id(), "\"")));
  EXPECT_THAT(runs.body, HasSubstr("\"client\":\"office\""));

  const agent::metrics::HttpReply report =
      HandleFleetRequest(absl::StrCat("/runs/", sample.run_id()), store, kNow);
  EXPECT_EQ(report.status, 200);
  EXPECT_THAT(report.content_type, HasSubstr("text/html"));
  EXPECT_THAT(report.body, HasSubstr("<html"));

  EXPECT_EQ(HandleFleetRequest("/runs/20261127T000000.000Z-ffffffff", store, kNow).status, 404);
  EXPECT_EQ(HandleFleetRequest("/runs/../../etc/passwd", store, kNow).status, 404);
  EXPECT_EQ(HandleFleetRequest("/nope", store, kNow).status, 404);
}

TEST(FleetHttpTest, DatabaseDownIs503) {
  MemoryFleetStore store;
  for (const char* path : {"/healthz", "/metrics", "/runs"}) {
    store.unavailable = 1;
    const agent::metrics::HttpReply reply = HandleFleetRequest(path, store, kNow);
    EXPECT_EQ(reply.status, 503) << path;
    EXPECT_THAT(reply.body, HasSubstr("database unavailable")) << path;
  }
}

}  // namespace
}  // namespace pathpair::fleet
