#include "controller/report/trace/report_writer.h"

#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::output {
namespace {

class ReportWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

v1::HopResult* AddHop(v1::TraceResult& r, int ttl, int64_t sent, int64_t received,
                      const std::string& address, double rtt_ms) {
  v1::HopResult* hop = r.add_hops();
  hop->set_ttl(ttl);
  hop->set_sent(sent);
  hop->set_received(received);
  v1::RttStats* s = hop->mutable_rtt();
  s->set_last_ms(rtt_ms);
  s->set_best_ms(rtt_ms);
  s->set_avg_ms(rtt_ms);
  s->set_worst_ms(rtt_ms);
  if (!address.empty()) {
    v1::Responder* resp = hop->add_responders();
    resp->set_address(address);
    resp->set_received(received);
  }
  return hop;
}

// Lines copied from real mtr 0.95 (`mtr -r -c 1 -n 127.0.0.1` on host "vm").
TEST_F(ReportWriterTest, MatchesRealMtrReport) {
  v1::TraceResult r;
  r.set_source_hostname("vm");
  r.set_start_unix_us(1'700'000'000'123'456);
  AddHop(r, 1, 1, 1, "127.0.0.1", 0.1);
  EXPECT_EQ(FormatReport(r, ReportOptions{}),
            "Start: 2023-11-14T22:13:20+0000\n"
            "HOST: vm                          Loss%   Snt   Last   Avg  Best  Wrst StDev\n"
            "  1.|-- 127.0.0.1                  0.0%     1    0.1   0.1   0.1   0.1   0.0\n");
}

// Lines copied from real mtr 0.95 (`mtr -w -c 1 127.0.0.1`): in wide mode the header's name
// column is two characters narrower than the hops' (mtr's own quirk).
TEST_F(ReportWriterTest, MatchesRealMtrWideReport) {
  v1::TraceResult r;
  r.set_source_hostname("vm");
  v1::HopResult* hop = AddHop(r, 1, 1, 1, "127.0.0.1", 0.1);
  hop->mutable_responders(0)->set_hostname("localhost");
  ReportOptions wide;
  wide.wide = true;
  const std::string text = FormatReport(r, wide);
  EXPECT_THAT(
      text, ::testing::HasSubstr("\nHOST: vm        Loss%   Snt   Last   Avg  Best  Wrst StDev\n"
                                 "  1.|-- localhost  0.0%     1    0.1   0.1   0.1   0.1   0.0\n"));
  ReportOptions numeric = wide;
  numeric.use_names = false;
  EXPECT_THAT(FormatReport(r, numeric), ::testing::HasSubstr("  1.|-- 127.0.0.1  0.0%"));
}

TEST_F(ReportWriterTest, UnknownHopLossAndEcmpLines) {
  v1::TraceResult r;
  r.set_source_hostname("client");
  AddHop(r, 1, 10, 10, "198.51.100.1", 1.25);
  AddHop(r, 2, 10, 0, "", 0);
  v1::HopResult* ecmp = AddHop(r, 3, 10, 7, "198.51.100.10", 12.75);
  v1::Responder* other = ecmp->add_responders();
  other->set_address("198.51.100.14");
  const std::string text = FormatReport(r, ReportOptions{});
  EXPECT_THAT(text,
              ::testing::HasSubstr(
                  "  1.|-- 198.51.100.1               0.0%    10    1.2   1.2   1.2   1.2   0.0\n"
                  "  2.|-- ???                       100.0    10    0.0   0.0   0.0   0.0   0.0\n"
                  "  3.|-- 198.51.100.10             30.0%    10   12.8  12.8  12.8  12.8   0.0\n"
                  "        198.51.100.14                    \n"));
}

TEST_F(ReportWriterTest, LongNamesAreCutUnlessWide) {
  v1::TraceResult r;
  r.set_source_hostname("a-rather-long-local-host-name.example.org");
  v1::HopResult* hop = AddHop(r, 12, 4, 4, "198.51.100.1", 1.0);
  const std::string name = "core-router-17.frankfurt.backbone.example.net";
  hop->mutable_responders(0)->set_hostname(name);
  const std::string narrow = FormatReport(r, ReportOptions{});
  EXPECT_THAT(narrow, ::testing::HasSubstr("\nHOST: a-rather-long-local-host-na Loss%"));
  EXPECT_THAT(narrow, ::testing::HasSubstr("\n 12.|-- core-router-17.frankfurt.  0.0%"));
  ReportOptions wide;
  wide.wide = true;
  const std::string text = FormatReport(r, wide);
  EXPECT_THAT(text, ::testing::HasSubstr(absl::StrCat(" 12.|-- ", name, "  0.0%")));
  EXPECT_THAT(text,
              ::testing::HasSubstr("HOST: a-rather-long-local-host-name.example.org     Loss%"));
}

TEST_F(ReportWriterTest, OverwideCellIsOverwrittenByTheNextAsInMtr) {
  v1::TraceResult r;
  r.set_source_hostname("h");
  AddHop(r, 1, 1, 1, "198.51.100.1", 1234.5);
  // " 1234.5" is 7 characters in a 6-character column: mtr's next cell overwrites the last one.
  EXPECT_THAT(FormatReport(r, ReportOptions{}),
              ::testing::HasSubstr("     1  1234. 1234. 1234. 1234.   0.0\n"));
}

TEST_F(ReportWriterTest, NoHopsStillHasHeader) {
  v1::TraceResult r;
  r.set_source_hostname("h");
  const std::string text = FormatReport(r, ReportOptions{});
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

TEST_F(ReportWriterTest, OtherFieldOrders) {
  v1::TraceResult r;
  r.set_source_hostname("h");
  AddHop(r, 1, 10, 9, "198.51.100.1", 2.0);
  ReportOptions options;
  options.field_order = "DR JMXI";
  EXPECT_THAT(FormatReport(r, options), ::testing::HasSubstr("Drop   Rcv  Jttr Javg Jmax Jint\n"));
  EXPECT_THAT(FormatReport(r, options), ::testing::HasSubstr("    1     9   0.0  0.0  0.0  0.0\n"));
}

}  // namespace
}  // namespace pathpair::output

// -z, -b and -e in the report (the -z line copied from real mtr 0.95: `mtr -r -z -n -c 1`).
namespace pathpair::output {
namespace {

TEST_F(ReportWriterTest, AsColumnShowIpsAndMplsLines) {
  v1::TraceResult r;
  r.set_source_hostname("vm");
  r.set_start_unix_us(1'700'000'000'123'456);
  v1::HopResult* first = AddHop(r, 1, 1, 1, "198.51.100.2", 0.2);
  first->mutable_responders(0)->set_hostname("gw.example");
  v1::MplsLabel* label = first->mutable_responders(0)->add_mpls();
  label->set_label(24001);
  label->set_bottom_of_stack(true);
  label->set_ttl(1);
  AddHop(r, 2, 1, 1, "198.51.100.6", 0.1);

  ReportOptions as_numbers;
  as_numbers.use_names = false;
  as_numbers.show_as = true;
  as_numbers.as_number = [](const std::string& a) { return a == "198.51.100.6" ? 64500u : 0u; };
  EXPECT_THAT(
      FormatReport(r, as_numbers),
      ::testing::HasSubstr(
          "  1. AS???    198.51.100.2         0.0%     1    0.2   0.2   0.2   0.2   0.0\n"
          "  2. AS64500  198.51.100.6         0.0%     1    0.1   0.1   0.1   0.1   0.0\n"));

  ReportOptions ips_and_mpls;
  ips_and_mpls.wide = true;
  ips_and_mpls.show_ips = true;
  ips_and_mpls.show_mpls = true;
  EXPECT_THAT(FormatReport(r, ips_and_mpls),
              ::testing::HasSubstr("  1.|-- gw.example (198.51.100.2)  0.0%     1    0.2"
                                   "   0.2   0.2   0.2   0.0\n"
                                   "       [MPLS: Lbl 24001 TC 0 S 1 TTL 1]\n"
                                   "  2.|-- 198.51.100.6             "));
}

// Issue 15: a report cut short by Ctrl-C says so under its hops; a complete one does not.
TEST_F(ReportWriterTest, InterruptedReportSaysHowManyRoundsItCovers) {
  v1::TraceResult r;
  r.set_source_hostname("vm");
  r.set_start_unix_us(1'700'000'000'123'456);
  AddHop(r, 1, 13, 13, "198.51.100.2", 0.1);
  AddHop(r, 2, 13, 8, "198.51.100.6", 0.2);
  r.mutable_options()->set_count(50);
  r.set_rounds(13);
  r.set_rounds_started(18);
  EXPECT_EQ(InterruptionNote(r), "");
  const std::string complete = FormatReport(r, ReportOptions{});
  r.set_interrupted(true);
  r.set_incomplete(true);
  const std::string note =
      "Interrupted after 13 of 50 rounds; 5 more were under way and left out (their losses were "
      "not yet known).";
  EXPECT_EQ(InterruptionNote(r), note);
  EXPECT_EQ(FormatReport(r, ReportOptions{}), absl::StrCat(complete, note, "\n"));
  // Unlimited (-c 0) and nothing left out (a graceful stop).
  r.mutable_options()->set_count(0);
  r.set_rounds_started(13);
  EXPECT_EQ(InterruptionNote(r), "Interrupted after 13 rounds.");
  r.set_rounds_started(14);
  EXPECT_THAT(InterruptionNote(r), ::testing::HasSubstr("; 1 more was under way"));
}

}  // namespace
}  // namespace pathpair::output
