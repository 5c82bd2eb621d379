#include "controller/cli/trace_command.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "controller/asn/mmdb_as_lookup.h"
#include "controller/cli/trace_screen.h"
#include "controller/diagnosis/diagnose.h"
#include "controller/diagnosis/exit_status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/controller/asn/fake_dns.h"
#include "tests/controller/asn/fixture.h"

namespace pathpair::cli {
namespace {

using ::testing::ElementsAre;
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

// A snapshot per round costs a copy of every hop's statistics: the runner is asked for them only
// when something uses them while probing (names, AS lookups, --split's live lines).
TEST(TraceOutputsTest, SnapshotsOnlyWhenSomethingUsesThemWhileProbing) {
  Harness h;
  std::vector<bool> asked;
  TraceRunner inner = h.deps.runner;
  h.deps.runner = [&](const v1::ProbeOptions& o, const IpAddress& t, const TraceHooks& hooks) {
    asked.push_back(static_cast<bool>(hooks.on_snapshot));
    return inner(o, t, hooks);
  };
  ASSERT_EQ(h.Run({"-n", "-r", "pathtest"}), kExitOk) << h.err.str();
  ASSERT_EQ(h.Run({"-r", "pathtest"}), kExitOk) << h.err.str();
  ASSERT_EQ(h.Run({"-n", "-p", "pathtest"}), kExitOk) << h.err.str();
  EXPECT_THAT(asked, ElementsAre(false, true, true));
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

// Issue 15: Ctrl-C on `trace -r` prints what was measured, says it was interrupted, and the
// diagnosis says the trace is incomplete; the exit code is 130, as `pathpair test`'s.
TEST(TraceCommandTest, InterruptedRunPrintsWhatWasMeasuredAndSaysSo) {
  Harness h;
  v1::TraceResult r = TwoHopResult();
  r.set_error("cancelled");
  r.set_interrupted(true);
  r.set_incomplete(true);
  r.set_rounds(3);
  r.set_rounds_started(5);
  h.result = r;
  EXPECT_EQ(h.Run({"-n", "-r", "-c", "50", "pathtest"}), kExitInterrupted);
  EXPECT_THAT(h.out.str(), HasSubstr("  2.|-- 198.51.100.9"));
  EXPECT_THAT(h.out.str(), HasSubstr("\nInterrupted after 3 of 50 rounds; 2 more were under way"));
  EXPECT_THAT(h.out.str(), HasSubstr("Diagnosis: HEALTHY, INCOMPLETE TRACE (interrupted after 3 "
                                     "of 50 rounds;"));
  EXPECT_EQ(h.err.str(), "");
  Harness json;
  json.result = r;
  EXPECT_EQ(json.Run({"-n", "-j", "-c", "50", "pathtest"}), kExitInterrupted);
  const nlohmann::json report = nlohmann::json::parse(json.out.str())["report"];
  EXPECT_EQ(report["mtr"]["interrupted"], true);
  EXPECT_EQ(report["incomplete"], true);
}

}  // namespace
}  // namespace pathpair::cli

// Issue 15 part 3: `pathpair trace` as a drop-in for mtr.
namespace pathpair::cli {
namespace {

// An ICMP trace that never reached its target: the case the destination check is for.
v1::TraceResult MissedTarget() {
  v1::TraceResult r = TwoHopResult();
  r.set_reached(false);
  r.mutable_hops(1)->clear_responders();
  r.mutable_hops(1)->set_received(0);
  return r;
}

// Records what every runner call would send: the trace's protocol and port.
struct SentProbes {
  std::vector<std::pair<v1::Protocol, int>> runs;
  int tcp() const {
    int n = 0;
    for (const auto& [protocol, port] : runs) n += protocol == v1::PROTOCOL_TCP;
    return n;
  }
  int udp() const {
    int n = 0;
    for (const auto& [protocol, port] : runs) n += protocol == v1::PROTOCOL_UDP;
    return n;
  }
};

SentProbes RunCountingProbes(const std::vector<std::string>& args, int* status = nullptr,
                             std::string* out = nullptr) {
  Harness h;
  h.result = MissedTarget();
  SentProbes sent;
  TraceRunner inner = h.deps.runner;
  h.deps.runner = [&](const v1::ProbeOptions& o, const IpAddress& t, const TraceHooks& hooks) {
    sent.runs.emplace_back(o.protocol(), o.port());
    if (o.protocol() != v1::PROTOCOL_ICMP) {
      v1::TraceResult silent;
      *silent.mutable_options() = o;
      silent.add_hops()->set_ttl(o.max_ttl());
      silent.mutable_hops(0)->set_sent(o.count());
      return absl::StatusOr<v1::TraceResult>(silent);
    }
    return inner(o, t, hooks);
  };
  const int code = h.Run(args);
  if (status != nullptr) *status = code;
  if (out != nullptr) *out = h.out.str();
  return sent;
}

TEST(DestinationCheckTest, RunsOnlyWhenADiagnosisIsWantedAndIsInTheHelp) {
  // The report and JSON print a diagnosis: 3 attempts after the ICMP trace.
  for (const char* format : {"-r", "-w", "-j"}) {
    const SentProbes sent = RunCountingProbes({"-n", format, "pathtest"});
    ASSERT_EQ(sent.runs.size(), 4u) << format;
    EXPECT_EQ(sent.runs[0].first, v1::PROTOCOL_ICMP);
    EXPECT_EQ(sent.runs[1], std::make_pair(v1::PROTOCOL_TCP, 80));
    EXPECT_EQ(sent.runs[2], std::make_pair(v1::PROTOCOL_TCP, 443));
    EXPECT_EQ(sent.runs[3].first, v1::PROTOCOL_UDP);
  }
  // mtr's own formats, --no-dest-check, and a report without a verdict: ICMP only, as mtr.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"-n", "-C", "pathtest"},
           {"-n", "-x", "pathtest"},
           {"-n", "-l", "pathtest"},
           {"-n", "-p", "pathtest"},
           {"-n", "--split", "pathtest"},
           {"-n", "-C", "--diagnose-exit", "pathtest"},
           {"-n", "-r", "--no-dest-check", "pathtest"},
           {"-n", "-j", "--no-dest-check", "pathtest"},
           {"-n", "-r", "--no-diagnosis", "pathtest"},
       }) {
    const SentProbes sent = RunCountingProbes(args);
    EXPECT_EQ(sent.runs.size(), 1u) << args[1] << " " << args[2];
    EXPECT_EQ(sent.tcp() + sent.udp(), 0) << args[1] << " " << args[2];
  }
  // A verdict for the exit status without printing it still deserves the check.
  int status = 0;
  EXPECT_EQ(
      RunCountingProbes({"-n", "-r", "--no-diagnosis", "--diagnose-exit", "pathtest"}, &status)
          .runs.size(),
      4u);
  EXPECT_EQ(status, kExitBroken);
  const std::string help = TraceUsage();
  EXPECT_THAT(help, HasSubstr("--no-dest-check"));
  EXPECT_THAT(help, HasSubstr("Destination check:"));
  EXPECT_THAT(help, HasSubstr("3 TCP SYNs to port 80, 3 to port 443 and 3 UDP"));
}

// `pathpair trace -r --no-diagnosis` is mtr's report and nothing else.
TEST(NoDiagnosisTest, ReportHasExactlyMtrsLines) {
  std::string with, without;
  int status = 0;
  RunCountingProbes({"-n", "-r", "pathtest"}, &status, &with);
  RunCountingProbes({"-n", "-r", "--no-diagnosis", "pathtest"}, &status, &without);
  EXPECT_EQ(status, kExitOk);
  const size_t diagnosis = with.find("\nDiagnosis:");
  ASSERT_NE(diagnosis, std::string::npos);
  EXPECT_EQ(without, with.substr(0, diagnosis));  // the report part, byte for byte
  const std::vector<std::string> lines = absl::StrSplit(without, '\n');
  ASSERT_EQ(lines.size(), 5u);  // Start, HOST, two hops, and the final newline
  EXPECT_THAT(lines[0], ::testing::MatchesRegex("Start: [0-9T:+-]+"));
  EXPECT_THAT(lines[1], ::testing::MatchesRegex("HOST: client +Loss%   Snt   Last   Avg  Best  "
                                                "Wrst StDev"));
  EXPECT_THAT(lines[2], ::testing::MatchesRegex("  1\\.\\|-- 198\\.51\\.100\\.1 +.*"));
  EXPECT_THAT(lines[3], ::testing::MatchesRegex("  2\\.\\|-- \\?\\?\\? +.*"));
  EXPECT_EQ(lines[4], "");

  std::string json;
  RunCountingProbes({"-n", "-j", "--no-diagnosis", "pathtest"}, &status, &json);
  nlohmann::json report = nlohmann::json::parse(json)["report"];
  for (const char* key : {"diagnosis", "verdict", "effective", "area_source"}) {
    EXPECT_FALSE(report.contains(key)) << key;
  }
  EXPECT_EQ(report["hubs"].size(), 2u);
}

// A DNS server that never answers: every lookup runs into its timeout.
class SilentDns {
 public:
  SilentDns() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentDns() { close(fd_); }
  std::string servers() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(AsLookupTest, DashZAsksTeamCymruWithoutAnAsnDatabase) {
  asn::testing::FakeDns server({
      {"1.100.51.198.origin.asn.cymru.com", "64500 | 198.51.100.0/24 | ZZ | test | 2001-01-01"},
      {"as64500.asn.cymru.com", "64500 | ZZ | test | 2001-01-01 | EXAMPLE - Example, ZZ"},
  });
  ASSERT_TRUE(server.ok());
  Harness h;
  h.deps.cymru.servers = server.servers();
  h.deps.cymru.timeout_ms = 1000;
  ASSERT_EQ(h.Run({"-n", "-r", "-z", "--no-dest-check", "pathtest"}), kExitOk) << h.err.str();
  EXPECT_THAT(h.out.str(), HasSubstr("  1. AS64500  198.51.100.1"));
  EXPECT_THAT(h.out.str(), HasSubstr("  2. AS???    198.51.100.9"));  // NXDOMAIN
  EXPECT_THAT(h.out.str(), HasSubstr("areas: dns)"));  // the diagnosis used the same answers
  EXPECT_GT(server.queries(), 0);

  // -y 2: the country, from the same record.
  Harness country;
  country.deps.cymru = h.deps.cymru;
  ASSERT_EQ(country.Run({"-n", "-r", "-y", "2", "--no-diagnosis", "pathtest"}), kExitOk);
  EXPECT_THAT(country.out.str(), HasSubstr("  1. ZZ  198.51.100.1"));
  EXPECT_THAT(country.out.str(), HasSubstr("  2. ??? 198.51.100.9"));

  // CSV carries mtr's Asn column.
  Harness csv;
  csv.deps.cymru = h.deps.cymru;
  ASSERT_EQ(csv.Run({"-n", "-C", "-z", "pathtest"}), kExitOk);
  EXPECT_THAT(csv.out.str(), HasSubstr(",1,198.51.100.1,AS64500,"));

  // Without -z or -y nothing is asked.
  const int queries = server.queries();
  Harness plain;
  plain.deps.cymru = h.deps.cymru;
  ASSERT_EQ(plain.Run({"-n", "-r", "pathtest"}), kExitOk);
  EXPECT_EQ(server.queries(), queries);
}

TEST(AsLookupTest, ADeadDnsServerHoldsTheReportUpOnlyForTheBoundedWait) {
  SilentDns dead;
  Harness h;
  h.deps.cymru.servers = dead.servers();
  h.deps.cymru.timeout_ms = 30'000;  // c-ares alone would wait 30 s per try
  h.deps.dns_wait = absl::Milliseconds(200);
  const absl::Time start = absl::Now();
  ASSERT_EQ(h.Run({"-n", "-r", "-z", "pathtest"}), kExitOk) << h.err.str();
  // Not a speed measurement: far below c-ares' own timeout, so the wait was bounded.
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));
  EXPECT_THAT(h.out.str(), HasSubstr("  1. AS???    198.51.100.1"));
}

TEST(HostsFileTest, TracesEachHostInTurnAsMtr) {
  Harness h;
  h.resolver.table.insert({"198.51.100.9", "198.51.100.9"});
  std::vector<std::string> targets;
  TraceRunner inner = h.deps.runner;
  h.deps.runner = [&](const v1::ProbeOptions& o, const IpAddress& t, const TraceHooks& hooks) {
    targets.push_back(o.target());
    return inner(o, t, hooks);
  };
  std::string read_path;
  h.deps.read_hosts_file = [&](const std::string& path) -> absl::StatusOr<std::string> {
    read_path = path;
    return std::string("pathtest\n\n   198.51.100.9  \nno.such.name\nbad host\n");
  };
  EXPECT_EQ(h.Run({"-n", "-r", "--no-diagnosis", "-F", "hosts.txt", "pathtest"}), kExitBadInput);
  EXPECT_EQ(read_path, "hosts.txt");
  // File order first, then the command line's host; the unresolvable and bad names are skipped.
  EXPECT_EQ(targets, (std::vector<std::string>{"pathtest", "198.51.100.9", "pathtest"}));
  const std::string text = h.out.str();
  size_t starts = 0;
  for (size_t at = text.find("Start: "); at != std::string::npos; at = text.find("Start: ", at + 1))
    ++starts;
  EXPECT_EQ(starts, 3u);  // one whole report per host, as mtr -r -F
  const std::string err = h.err.str();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 2) << err;
  EXPECT_THAT(err, HasSubstr("no.such.name"));
  EXPECT_THAT(err, HasSubstr("whitespace"));

  // All hosts fine: exit 0.
  Harness good;
  good.deps.read_hosts_file = [](const std::string&) -> absl::StatusOr<std::string> {
    return std::string("pathtest\npathtest\n");
  };
  EXPECT_EQ(good.Run({"-n", "-C", "-F", "-"}), kExitOk) << good.err.str();
  EXPECT_EQ(good.runs, 2);
}

TEST(HostsFileTest, AReadErrorOrNoHostIsBadInput) {
  Harness missing;
  EXPECT_EQ(missing.Run({"-n", "-r", "-F", "/nonexistent-dir/hosts.txt"}), kExitBadInput);
  EXPECT_THAT(missing.err.str(), HasSubstr("-F (--filename) /nonexistent-dir/hosts.txt"));
  EXPECT_EQ(missing.out.str(), "");
  EXPECT_EQ(missing.runs, 0);

  const std::string path = ::testing::TempDir() + "/pp-empty-hosts.txt";
  { std::ofstream(path) << "\n   \n"; }
  Harness empty;
  EXPECT_EQ(empty.Run({"-n", "-r", "-F", path}), kExitBadInput);
  EXPECT_THAT(empty.err.str(), HasSubstr("names no host"));
  { std::ofstream(path) << "pathtest\n"; }
  Harness one;
  EXPECT_EQ(one.Run({"-n", "-r", "-F", path}), kExitOk) << one.err.str();
  EXPECT_EQ(one.runs, 1);
  std::remove(path.c_str());
}

TEST(MissingOptionsTest, EachHasMtrsMeaningOrAClearRefusal) {
  Harness sctp;
  EXPECT_EQ(sctp.Run({"-S", "pathtest"}), kExitBadInput);
  const std::string sctp_err = sctp.err.str();
  EXPECT_THAT(sctp_err, HasSubstr("SCTP"));
  EXPECT_EQ(std::count(sctp_err.begin(), sctp_err.end(), '\n'), 1);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"-y", "5", "pathtest"}, {"--displaymode", "3", "pathtest"}, {"--sctp", "pathtest"}}) {
    Harness bad;
    EXPECT_EQ(bad.Run(args), kExitBadInput) << args[0];
    EXPECT_EQ(bad.out.str(), "");
  }
  // -t forces the screen, which needs a terminal (the unit test has none).
  Harness screen;
  EXPECT_EQ(screen.Run({"-n", "-r", "-t", "pathtest"}), kExitRuntimeError);
  EXPECT_THAT(screen.err.str(), HasSubstr("terminal"));
  // The last format flag wins, -t included.
  Harness report;
  EXPECT_EQ(report.Run({"-n", "-t", "-r", "pathtest"}), kExitOk) << report.err.str();
  EXPECT_THAT(report.out.str(), StartsWith("Start: "));
}

TEST(ScreenDiagnosisTest, VerdictLineAndTheTopFinding) {
  v1::TraceResult lossy = TwoHopResult();
  for (v1::HopResult& hop : *lossy.mutable_hops()) {
    hop.set_sent(100);
    hop.set_received(60);
    hop.mutable_responders(0)->set_received(60);
  }
  const std::vector<std::string> lines = ScreenDiagnosisLines(diagnosis::DiagnoseTrace(lossy));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], StartsWith("Diagnosis: "));
  EXPECT_THAT(lines[1], StartsWith("  top: [problem] "));
  EXPECT_THAT(lines[1], HasSubstr(" at hop 1 198.51.100.1: "));
  const std::vector<std::string> healthy =
      ScreenDiagnosisLines(diagnosis::DiagnoseTrace(TwoHopResult()));
  ASSERT_EQ(healthy.size(), 1u);
  EXPECT_THAT(healthy[0], StartsWith("Diagnosis: HEALTHY"));
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
