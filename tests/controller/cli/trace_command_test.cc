#include "controller/cli/trace_command.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "controller/asn/mmdb_as_lookup.h"
#include "controller/diagnosis/exit_status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/controller/asn/fixture.h"

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

// Answers at once, on the caller's thread.
class FakePtr : public dns::PtrResolver {
 public:
  void Lookup(const IpAddress& address, Done done) override {
    ++calls;
    if (address.ToString() == "198.51.100.1") {
      done(std::string("gw.example"));
    } else {
      done(absl::NotFoundError("no PTR"));
    }
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
  FakePtr reverse;
  FakeClock clock;
  dns::ReverseDnsCache names{reverse, clock};
  int runs = 0;
  v1::ProbeOptions last_options;
  std::string last_target;
  absl::StatusOr<v1::TraceResult> result = TwoHopResult();
  TraceCommandDeps deps;
  std::ostringstream out, err;

  Harness() {
    deps.resolver = &resolver;
    deps.names = &names;
    deps.runner = [this](const v1::ProbeOptions& o, const IpAddress& t, const TraceHooks& hooks) {
      ++runs;
      last_options = o;
      last_target = t.ToString();
      if (result.ok()) {
        if (hooks.on_snapshot) hooks.on_snapshot(*result);
        if (hooks.probe_events != nullptr) {
          hooks.probe_events->OnProbeSent(1, 0x8001, MonoTime());
          hooks.probe_events->OnReply(1, 0x8001, *IpAddress::Parse("198.51.100.1"),
                                      absl::Microseconds(1500), {});
        }
      }
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

// The output formats, the diagnosis and the exports wired into `pathpair trace`.
namespace pathpair::cli {
namespace {

TEST(TraceOutputsTest, ReportKeepsMtrsLayoutAndPrintsFindingsUnderIt) {
  Harness h;
  ASSERT_EQ(h.Run({"-n", "-r", "pathtest"}), kExitOk) << h.err.str();
  const std::string text = h.out.str();
  const size_t findings = text.find("\nDiagnosis: HEALTHY");
  ASSERT_NE(findings, std::string::npos) << text;
  // mtr's report, then one blank line, then the findings block.
  EXPECT_EQ(text.substr(findings - 1, 2), "\n\n");
  EXPECT_THAT(text.substr(0, findings), HasSubstr("  2.|-- 198.51.100.9 "));
  EXPECT_THAT(text.substr(findings), HasSubstr("HEALTHY"));
}

TEST(TraceOutputsTest, JsonCarriesDiagnosisVerdictAndEffective) {
  Harness h;
  ASSERT_EQ(h.Run({"-j", "-n", "pathtest"}), kExitOk) << h.err.str();
  nlohmann::json report = nlohmann::json::parse(h.out.str())["report"];
  ASSERT_TRUE(report["diagnosis"].is_array());
  ASSERT_FALSE(report["diagnosis"].empty());
  for (const char* key : {"code", "severity", "hop", "address", "area", "summary", "evidence",
                          "action", "confidence"}) {
    EXPECT_TRUE(report["diagnosis"][0].contains(key)) << key;
  }
  EXPECT_EQ(report["diagnosis"][0]["code"], "HEALTHY");
  EXPECT_EQ(report["verdict"], "healthy");
  EXPECT_TRUE(report["effective"]["loss_pct"].is_number());
  EXPECT_TRUE(report["effective"]["latency_ms"].is_number());
}

TEST(TraceOutputsTest, ExitStaysZeroUnlessDiagnoseExitIsGiven) {
  v1::TraceResult lossy = TwoHopResult();
  for (v1::HopResult& hop : *lossy.mutable_hops()) {
    hop.set_sent(100);
    hop.set_received(30);
    hop.mutable_responders(0)->set_received(30);
  }
  Harness plain;
  plain.result = lossy;
  EXPECT_EQ(plain.Run({"-n", "-r", "pathtest"}), kExitOk) << plain.err.str();
  EXPECT_THAT(plain.out.str(), HasSubstr("Diagnosis: BROKEN"));
  Harness scripted;
  scripted.result = lossy;
  EXPECT_EQ(scripted.Run({"-n", "-r", "--diagnose-exit", "pathtest"}), kExitBroken);
  Harness healthy;
  EXPECT_EQ(healthy.Run({"-n", "-r", "--diagnose-exit", "pathtest"}), kExitOk);
}

TEST(TraceOutputsTest, CsvAndXmlAreMtrsAndCarryNoFindings) {
  Harness csv;
  ASSERT_EQ(csv.Run({"-n", "-C", "pathtest"}), kExitOk) << csv.err.str();
  EXPECT_THAT(csv.out.str(), StartsWith("Mtr_Version,Start_Time,Status,Host,Hop,Ip,Loss%,Snt,"));
  EXPECT_THAT(csv.out.str(), ::testing::Not(HasSubstr("Diagnosis")));
  Harness xml;
  ASSERT_EQ(xml.Run({"-n", "-x", "pathtest"}), kExitOk) << xml.err.str();
  EXPECT_THAT(xml.out.str(), StartsWith("<?xml version=\"1.0\"?>\n<MTR SRC="));
  // The last format flag wins, as in mtr.
  Harness last;
  ASSERT_EQ(last.Run({"-n", "-x", "-C", "pathtest"}), kExitOk);
  EXPECT_THAT(last.out.str(), StartsWith("Mtr_Version,"));
}

TEST(TraceOutputsTest, RawLinesComeFromTheProbeEventsWithTheirSequence) {
  Harness h;
  ASSERT_EQ(h.Run({"-n", "-l", "pathtest"}), kExitOk) << h.err.str();
  EXPECT_EQ(h.out.str(), "x 0 32769\nh 0 198.51.100.1\np 0 1500 32769\n");
}

TEST(TraceOutputsTest, SplitPrintsHopLines) {
  Harness h;
  ASSERT_EQ(h.Run({"-n", "-p", "pathtest"}), kExitOk) << h.err.str();
  EXPECT_THAT(h.out.str(), HasSubstr("1 198.51.100.1 0 3 3 "));
  EXPECT_THAT(h.out.str(), HasSubstr("2 198.51.100.9 0 3 3 "));
}

TEST(TraceOutputsTest, ShowIpsAsNumbersMplsAndFieldsInTheReport) {
  v1::TraceResult r = TwoHopResult();
  v1::MplsLabel* label = r.mutable_hops(0)->mutable_responders(0)->add_mpls();
  label->set_label(24001);
  label->set_bottom_of_stack(true);
  label->set_ttl(1);
  Harness h;
  h.result = r;
  asn::StaticAsLookup* table = nullptr;
  h.deps.open_as_database =
      [&table](const std::string& path) -> absl::StatusOr<std::unique_ptr<asn::AsLookup>> {
    if (path != "as.mmdb") return absl::NotFoundError("no such file");
    auto lookup = std::make_unique<asn::StaticAsLookup>();
    lookup->Add(*IpAddress::Parse("198.51.100.1"), asn::AsInfo{64500, "Example"});
    table = lookup.get();
    return std::unique_ptr<asn::AsLookup>(std::move(lookup));
  };
  ASSERT_EQ(h.Run({"-r", "-b", "-z", "-e", "--asn-db", "as.mmdb", "--fields", "LSD", "pathtest"}),
            kExitOk)
      << h.err.str();
  EXPECT_NE(table, nullptr);
  const std::string text = h.out.str();
  EXPECT_THAT(text, HasSubstr("  1. AS64500  gw.example (198.51.  0.0%"));  // cut at 33, as mtr
  EXPECT_THAT(text, HasSubstr("  2. AS???    198.51.100.9"));
  EXPECT_THAT(text, HasSubstr("       [MPLS: Lbl 24001 TC 0 S 1 TTL 1]\n"));
  EXPECT_THAT(text, HasSubstr("Loss%   Snt Drop\n"));

  Harness missing;
  missing.deps.open_as_database = h.deps.open_as_database;
  EXPECT_EQ(missing.Run({"-r", "--asn-db", "nope.mmdb", "pathtest"}), kExitBadInput);
  EXPECT_THAT(missing.err.str(), HasSubstr("--asn-db nope.mmdb: no such file"));
  EXPECT_EQ(missing.runs, 0);
}

TEST(TraceOutputsTest, ExportsAreWrittenNextToTheReport) {
  const std::string dir = ::testing::TempDir();
  const std::string text_path = dir + "/pp-export.txt";
  const std::string html_path = dir + "/pp-export.html";
  Harness h;
  ASSERT_EQ(h.Run({"-n", "-r", "--export-text", text_path, "--export-html", html_path, "pathtest"}),
            kExitOk)
      << h.err.str();
  std::ifstream text(text_path), html(html_path);
  std::stringstream text_body, html_body;
  text_body << text.rdbuf();
  html_body << html.rdbuf();
  EXPECT_THAT(text_body.str(), HasSubstr("198.51.100.9"));
  EXPECT_THAT(html_body.str(), HasSubstr("<html"));
  std::remove(text_path.c_str());
  std::remove(html_path.c_str());

  Harness bad;
  EXPECT_EQ(bad.Run({"-n", "-r", "--export-text", "/nonexistent-dir/x.txt", "pathtest"}),
            kExitRuntimeError);
  EXPECT_THAT(bad.err.str(), HasSubstr("/nonexistent-dir/x.txt"));
}

TEST(TraceOutputsTest, AFormatFlagOnATerminalSkipsTheScreen) {
  Harness h;
  h.deps.interactive = true;
  ASSERT_EQ(h.Run({"-n", "-j", "pathtest"}), kExitOk) << h.err.str();
  EXPECT_EQ(h.runs, 1);
  EXPECT_THAT(h.out.str(), StartsWith("{"));
}

TEST(TraceOutputsTest, NamesAreLookedUpWhileProbing) {
  Harness h;
  std::vector<int> calls_at_snapshot;
  TraceRunner inner = h.deps.runner;
  h.deps.runner = [&](const v1::ProbeOptions& o, const IpAddress& t, const TraceHooks& hooks) {
    TraceHooks observed = hooks;
    observed.on_snapshot = [&](const v1::TraceResult& s) {
      hooks.on_snapshot(s);
      calls_at_snapshot.push_back(h.reverse.calls);
    };
    return inner(o, t, observed);
  };
  ASSERT_EQ(h.Run({"-r", "pathtest"}), kExitOk) << h.err.str();
  ASSERT_EQ(calls_at_snapshot.size(), 1u);
  EXPECT_EQ(calls_at_snapshot[0], 2);  // both lookups started before the trace ended
}

}  // namespace
}  // namespace pathpair::cli

// --asn-db with a real MaxMind-format file (the AS fixture), as the executable opens it.
namespace pathpair::cli {
namespace {

TEST(TraceOutputsTest, AsnDatabaseFeedsTheAsColumnAndTheDiagnosisAreas) {
  absl::StatusOr<std::string> db = asn::testing::WriteAsFixture("trace-as.mmdb");
  ASSERT_TRUE(db.ok()) << db.status();
  Harness h;
  h.deps.open_as_database =
      [](const std::string& path) -> absl::StatusOr<std::unique_ptr<asn::AsLookup>> {
    absl::StatusOr<std::unique_ptr<asn::MmdbAsLookup>> opened = asn::MmdbAsLookup::Open(path);
    if (!opened.ok()) return opened.status();
    return std::unique_ptr<asn::AsLookup>(*std::move(opened));
  };
  ASSERT_EQ(h.Run({"-n", "-C", "-z", "--asn-db", *db, "pathtest"}), kExitOk) << h.err.str();
  EXPECT_THAT(h.out.str(), HasSubstr(",1,198.51.100.1,AS64500,"));
  Harness json;
  json.deps.open_as_database = h.deps.open_as_database;
  ASSERT_EQ(json.Run({"-n", "-j", "--asn-db", *db, "pathtest"}), kExitOk) << json.err.str();
  EXPECT_EQ(nlohmann::json::parse(json.out.str())["report"]["area_source"], "mmdb");
}

}  // namespace
}  // namespace pathpair::cli

// --geo-db with a real city database (the fixture): the long-link rule checks the distance.
namespace pathpair::cli {
namespace {

// 198.51.100.1 (Frankfurt) at 10 ms, then a steady 76 ms step at `far_hop`, and the target.
v1::TraceResult LongHaulResult(const std::string& far_hop) {
  v1::TraceResult r = TwoHopResult();
  r.clear_hops();
  const std::vector<std::pair<std::string, double>> hops = {
      {"198.51.100.1", 10}, {far_hop, 86}, {"198.51.100.9", 87}};
  int ttl = 0;
  for (const auto& [address, avg] : hops) {
    v1::HopResult* hop = r.add_hops();
    hop->set_ttl(++ttl);
    hop->set_sent(10);
    hop->set_received(10);
    hop->mutable_rtt()->set_count(10);
    hop->mutable_rtt()->set_avg_ms(avg);
    hop->mutable_rtt()->set_best_ms(avg - 0.5);
    hop->mutable_rtt()->set_worst_ms(avg + 1);
    hop->mutable_rtt()->set_stdev_ms(0.4);
    v1::Responder* responder = hop->add_responders();
    responder->set_address(address);
    responder->set_received(10);
  }
  r.mutable_hops(2)->set_termination(v1::HOP_TERMINATION_DESTINATION);
  return r;
}

std::vector<std::string> Codes(const std::string& json_text) {
  std::vector<std::string> codes;
  const nlohmann::json report = nlohmann::json::parse(json_text)["report"];
  for (const auto& f : report["diagnosis"]) codes.push_back(f["code"]);
  return codes;
}

TEST(TraceOutputsTest, GeoDatabaseChecksLongLinksAgainstTheDistance) {
  absl::StatusOr<std::string> db = asn::testing::WriteCityFixture("trace-city.mmdb");
  ASSERT_TRUE(db.ok()) << db.status();
  struct Case {
    const char* far_hop;
    bool geo_db;
    int code;  // with --diagnose-exit
    const char* code_name;
    const char* says;
  };
  for (const Case& c : {
           // Without it, a steady step is a long link whose distance was not checked.
           Case{"203.0.113.5", false, kExitOk, "LONG_DISTANCE_LINK", "distance was not checked"},
           // Frankfurt to New York: the ocean explains 76 ms.
           Case{"203.0.113.5", true, kExitOk, "LONG_DISTANCE_LINK", "New York, US"},
           // Both hops in Frankfurt: 76 ms is no distance, a warning.
           Case{"203.0.113.130", true, kExitDegraded, "LATENCY_INCREASE", "far above"},
       }) {
    SCOPED_TRACE(c.says);
    Harness h;
    h.result = LongHaulResult(c.far_hop);
    std::vector<std::string> args = {"-n", "-j", "--diagnose-exit", "pathtest"};
    if (c.geo_db) args.insert(args.begin(), {"--geo-db", *db});
    ASSERT_EQ(h.Run(args), c.code) << h.err.str();
    EXPECT_THAT(Codes(h.out.str()), ::testing::Contains(c.code_name));
    EXPECT_THAT(h.out.str(), HasSubstr(c.says));
  }
  // A file that is missing or not a database is bad input.
  Harness missing;
  EXPECT_EQ(missing.Run({"-r", "--geo-db", "nope.mmdb", "pathtest"}), kExitBadInput);
  EXPECT_THAT(missing.err.str(), HasSubstr("--geo-db nope.mmdb: "));
  EXPECT_TRUE(missing.out.str().empty());
}

}  // namespace
}  // namespace pathpair::cli
