// The history payload of a paired run: binary protobuf with a schema version, and the version 1
// JSON payload of older releases (testdata/paired_run_v1.json, written by the v1 serialiser).
#include "controller/paired/run_payload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "controller/paired/oneway_clock.h"
#include "controller/paired/paired_json.h"
#include "controller/paired/paired_run.h"
#include "tests/controller/paired/sample_run.h"

namespace pathpair::paired {
namespace {

using ::testing::HasSubstr;

std::string ReadTestData(const std::string& name) {
  std::ifstream in(std::string(PATHPAIR_PAIRED_TESTDATA) + "/" + name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RunPayloadTest, StoredRunRoundTrips) {
  const v1::PairedRun run = SampleRun();
  const RunPayload stored = EncodeRun(run);
  EXPECT_EQ(stored.format, "proto:pathpair.v1.PairedRun");
  absl::StatusOr<v1::PairedRun> again = DecodeRun(stored.format, stored.bytes);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->schema_version(), kRunSchemaVersion);
  const nlohmann::ordered_json a = PairedRunToJson(run, nlohmann::json(), DiagnosisJson());
  const nlohmann::ordered_json b = PairedRunToJson(*again, nlohmann::json(), DiagnosisJson());
  EXPECT_EQ(a.dump(), b.dump());
  EXPECT_EQ(again->server().trace().hops_size(), 3);
  EXPECT_TRUE(again->reverse_target_reflected());
}

TEST(RunPayloadTest, VersionOnePayloadIsStillRead) {
  const std::string payload = ReadTestData("paired_run_v1.json");
  ASSERT_FALSE(payload.empty());
  absl::StatusOr<v1::PairedRun> run = DecodeRun(kRunPayloadFormatV1, payload);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->run_id(), "20261127T112540.123Z-3f9a1c0b");
  EXPECT_EQ(run->start_unix_us(), 1'800'000'000'000'000);
  EXPECT_EQ(run->reverse_target(), "198.51.100.9");
  EXPECT_TRUE(run->reverse_target_reflected());
  EXPECT_EQ(run->client().hostname(), "laptop");
  EXPECT_EQ(run->server().trace().hops_size(), 3);
  EXPECT_EQ(run->client().trace().hops(0).responders(0).address(), "10.0.0.1");
  EXPECT_THAT(run->server().error(), HasSubstr("lost the agent"));
  EXPECT_EQ(run->start_skew_ms(), 4.5);
  EXPECT_EQ(RunCompleteness(*run), Completeness::kPartial);
  // The one-way directions, with both clock cases.
  EXPECT_EQ(run->oneway_forward().stats().received(), 240);
  EXPECT_EQ(run->oneway_forward().stats().loss_pct(), 20);
  EXPECT_EQ(run->oneway_forward().stats().delay().avg_ms(), 2.5);
  EXPECT_EQ(run->oneway_forward().stats().jitter_ms(), 0.25);
  EXPECT_EQ(EffectiveClock(run->oneway_forward()).method(), v1::CLOCK_METHOD_NONE);
  EXPECT_EQ(EffectiveClock(run->oneway_reverse()).method(), v1::CLOCK_METHOD_ESTIMATED);
  EXPECT_EQ(EffectiveClock(run->oneway_reverse()).error_ms(), 0.5);
  // Printed as the run it was.
  const nlohmann::ordered_json printed = PairedRunToJson(*run, nlohmann::json(), DiagnosisJson());
  EXPECT_EQ(printed["oneway"]["forward"]["delay_ms"]["max"], 4.0);
  EXPECT_EQ(printed["oneway"]["reverse"]["clock"]["error_ms"], 0.5);
  EXPECT_EQ(printed["status"], "partial");
}

TEST(RunPayloadTest, NewerOrForeignPayloadsAreRefusedClearly) {
  v1::PairedRun newer = SampleRun();
  newer.set_schema_version(kRunSchemaVersion + 1);
  absl::StatusOr<v1::PairedRun> refused = DecodeRun(kRunPayloadFormat, newer.SerializeAsString());
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status()));
  EXPECT_THAT(refused.status().message(), HasSubstr("newer pathpair"));

  refused = DecodeRun("proto:pathpair.v2.PairedRun", EncodeRun(SampleRun()).bytes);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("cannot read"));

  for (const std::string& damaged :
       {std::string("\xff\xff\xff", 3), std::string(), SampleRun().SerializeAsString(),
        EncodeRun(SampleRun()).bytes.substr(0, 40)}) {
    EXPECT_FALSE(DecodeRun(kRunPayloadFormat, damaged).ok());
  }
}

TEST(RunPayloadTest, ForeignVersionOnePayloadsAreRefused) {
  for (const char* bad : {"", "{", "[]", "{\"format\": \"other\"}", "null",
                          "{\"format\": \"json:pathpair.paired_run.v1\", \"client\": 3}",
                          "{\"format\": \"json:pathpair.paired_run.v1\", \"client\": {\"trace\": "
                          "{\"hops\": \"x\"}}, \"server\": {}}",
                          "{\"format\": \"json:pathpair.paired_run.v1\", \"oneway_forward\": "
                          "{\"sent\": \"x\"}}"}) {
    EXPECT_FALSE(DecodeRun(kRunPayloadFormatV1, bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace pathpair::paired
