#include "controller/cli/trace_command.h"

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace pathpair::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class FakeResolver : public HostResolver {
 public:
  absl::StatusOr<IpAddress> Resolve(absl::string_view host, int ip_version) override {
    ++calls;
    for (const auto& [name, address] : table) {
      if (name != host) continue;
      absl::StatusOr<IpAddress> a = IpAddress::Parse(address);
      if (ip_version == 0 || (ip_version == 4) == a->is_v4()) return a;
    }
    return absl::NotFoundError(absl::StrCat("cannot resolve '", host, "': unknown"));
  }
  std::multimap<std::string, std::string> table = {
      {"pathtest", "198.51.100.9"}, {"pathtest", "2001:db8::9"}, {"v6only", "2001:db8::7"}};
  int calls = 0;
};

class FakeReverse : public ReverseResolver {
 public:
  std::optional<std::string> NameOf(const IpAddress& address) override {
    ++calls;
    if (address.ToString() == "198.51.100.1") return "gw.example";
    return std::nullopt;
  }
  int calls = 0;
};

v1::TraceResult TwoHopResult() {
  v1::TraceResult r;
  r.set_start_unix_us(1'700'000'000'000'000);
  r.set_end_unix_us(1'700'000'002'000'000);
  r.set_reached(true);
  for (int ttl : {1, 2}) {
    v1::HopResult* hop = r.add_hops();
    hop->set_ttl(ttl);
    hop->set_sent(3);
    hop->set_received(3);
    hop->mutable_rtt()->set_avg_ms(1.5);
    v1::Responder* resp = hop->add_responders();
    resp->set_address(ttl == 1 ? "198.51.100.1" : "198.51.100.9");
    resp->set_received(3);
  }
  return r;
}

struct Harness {
  FakeResolver resolver;
  FakeReverse reverse;
  int runs = 0;
  v1::ProbeOptions last_options;
  std::string last_target;
  absl::StatusOr<v1::TraceResult> result = TwoHopResult();
  TraceCommandDeps deps;
  std::ostringstream out, err;

  Harness() {
    deps.resolver = &resolver;
    deps.reverse = &reverse;
    deps.runner = [this](const v1::ProbeOptions& o, const IpAddress& t) {
      ++runs;
      last_options = o;
      last_target = t.ToString();
      return result;
    };
    deps.now_unix_us = [] { return int64_t{1'800'000'000'000'000}; };
    deps.local_hostname = "client";
  }
  int Run(std::vector<std::string> args) { return RunTraceCommand(args, deps, out, err); }
};

TEST(TraceCommandTest, ReportWithNumericAddressesUnderDashN) {
  Harness h;
  ASSERT_EQ(h.Run({"-n", "-r", "-c", "3", "pathtest"}), kExitOk) << h.err.str();
  EXPECT_EQ(h.runs, 1);
  EXPECT_EQ(h.last_target, "198.51.100.9");
  EXPECT_EQ(h.last_options.count(), 3);
  EXPECT_EQ(h.last_options.ip_version(), 4);
  EXPECT_EQ(h.reverse.calls, 0);
  EXPECT_THAT(h.out.str(), StartsWith("Start: "));
  EXPECT_THAT(h.out.str(), HasSubstr("HOST: client"));
  EXPECT_THAT(h.out.str(), HasSubstr("  1.|-- 198.51.100.1 "));
  EXPECT_EQ(h.err.str(), "");
}

TEST(TraceCommandTest, ReverseNamesOnlyWithDns) {
  Harness h;
  ASSERT_EQ(h.Run({"-r", "pathtest"}), kExitOk) << h.err.str();
  EXPECT_EQ(h.reverse.calls, 2);
  EXPECT_THAT(h.out.str(), HasSubstr("  1.|-- gw.example "));
  EXPECT_THAT(h.out.str(), HasSubstr("  2.|-- 198.51.100.9 "));
}

TEST(TraceCommandTest, SixPicksTheIpv6Address) {
  Harness h;
  ASSERT_EQ(h.Run({"-6", "-n", "pathtest"}), kExitOk) << h.err.str();
  EXPECT_EQ(h.last_target, "2001:db8::9");
  EXPECT_EQ(h.last_options.ip_version(), 6);
}

TEST(TraceCommandTest, JsonParsesAndCarriesMtrKeys) {
  Harness h;
  ASSERT_EQ(h.Run({"-j", "-n", "pathtest"}), kExitOk) << h.err.str();
  nlohmann::json j = nlohmann::json::parse(h.out.str());
  EXPECT_EQ(j["report"]["mtr"]["src"], "client");
  EXPECT_EQ(j["report"]["mtr"]["dst"], "pathtest");
  EXPECT_EQ(j["report"]["hubs"].size(), 2u);
}

TEST(TraceCommandTest, HelpAndVersionGoToStdout) {
  Harness h;
  EXPECT_EQ(h.Run({"--help"}), kExitOk);
  EXPECT_THAT(h.out.str(), HasSubstr("Usage: pathpair trace"));
  Harness v;
  EXPECT_EQ(v.Run({"--version"}), kExitOk);
  EXPECT_THAT(v.out.str(), StartsWith("pathpair "));
  EXPECT_EQ(h.runs + v.runs, 0);
}

class BadInputCommandTest : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(BadInputCommandTest, ExitsTwoWithOneLineAndNoStdout) {
  Harness h;
  EXPECT_EQ(h.Run(GetParam()), kExitBadInput);
  EXPECT_EQ(h.out.str(), "");
  EXPECT_EQ(h.runs, 0);
  const std::string err = h.err.str();
  EXPECT_THAT(err, StartsWith("pathpair trace: "));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadInputCommandTest,
    ::testing::Values(std::vector<std::string>{"-n", "no.such.name"},
                      std::vector<std::string>{"-n", "foo bar"},
                      std::vector<std::string>{"-n", "-4", "v6only"},
                      std::vector<std::string>{"-n", "-a", "2001:db8::1", "198.51.100.9"},
                      std::vector<std::string>{"-n", "-6", "-s", "40", "pathtest"},
                      std::vector<std::string>{"-n", "-c", "0", "pathtest"},
                      std::vector<std::string>{"-u", "-T", "pathtest"},
                      std::vector<std::string>{"--what", "pathtest"}, std::vector<std::string>{}));

TEST(TraceCommandTest, AddressLiteralPicksFamilyWithoutDashFourOrSix) {
  Harness h;
  h.resolver.table.insert({"198.51.100.9", "198.51.100.9"});
  ASSERT_EQ(h.Run({"-n", "-a", "198.51.100.2", "198.51.100.9"}), kExitOk) << h.err.str();
  EXPECT_EQ(h.last_options.source_address(), "198.51.100.2");
}

TEST(TraceCommandTest, RunnerFailureIsRuntimeErrorWithNothingOnStdout) {
  Harness h;
  h.result = absl::PermissionDeniedError("raw sockets need CAP_NET_RAW");
  EXPECT_EQ(h.Run({"-n", "pathtest"}), kExitRuntimeError);
  EXPECT_EQ(h.out.str(), "");
  EXPECT_EQ(h.err.str(), "pathpair trace: raw sockets need CAP_NET_RAW\n");
}

TEST(TraceCommandTest, TraceErrorStillPrintsWhatWasMeasured) {
  Harness h;
  v1::TraceResult r = TwoHopResult();
  r.set_error("network unreachable");
  h.result = r;
  EXPECT_EQ(h.Run({"-n", "-r", "pathtest"}), kExitRuntimeError);
  EXPECT_THAT(h.out.str(), HasSubstr("  2.|-- 198.51.100.9"));
  EXPECT_THAT(h.err.str(), HasSubstr("network unreachable"));
}

TEST(TraceCommandTest, FillsWhatTheRunnerLeavesToItsCaller) {
  Harness h;
  v1::TraceResult r = TwoHopResult();
  r.set_start_unix_us(0);
  r.set_end_unix_us(0);
  h.result = r;
  ASSERT_EQ(h.Run({"-j", "-n", "-c", "3", "pathtest"}), kExitOk);
  nlohmann::json j = nlohmann::json::parse(h.out.str());
  EXPECT_EQ(j["report"]["mtr"]["tests"], 3);
  EXPECT_EQ(j["report"]["mtr"]["start"], "2027-01-15T08:00:00.000Z");
}

}  // namespace
}  // namespace pathpair::cli

namespace pathpair::cli {
namespace {

TEST(TraceCommandTest, OnlyRootMayProbeFasterThanOnceASecond) {
  Harness h;
  h.deps.privileged = false;
  EXPECT_EQ(h.Run({"-n", "-i", "0.5", "pathtest"}), kExitBadInput);
  EXPECT_THAT(h.err.str(), HasSubstr("needs root"));
  EXPECT_EQ(h.out.str(), "");
  Harness slow;
  slow.deps.privileged = false;
  EXPECT_EQ(slow.Run({"-n", "-i", "1", "pathtest"}), kExitOk) << slow.err.str();
  Harness root;
  EXPECT_EQ(root.Run({"-n", "-i", "0.1", "pathtest"}), kExitOk) << root.err.str();
}

}  // namespace
}  // namespace pathpair::cli
