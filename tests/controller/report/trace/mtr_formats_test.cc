#include "controller/report/trace/mtr_formats.h"

#include <sstream>

#include "controller/report/trace/host_label.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/controller/report/trace/sample_trace.h"

namespace pathpair::formats {
namespace {

using ::testing::HasSubstr;

MtrFormatOptions Numeric() {
  MtrFormatOptions options;
  options.label.use_names = false;
  return options;
}

TEST(CsvTest, HeaderAndRowsAsMtr) {
  EXPECT_EQ(
      FormatCsv(testing::SampleTrace(), Numeric()),
      "Mtr_Version,Start_Time,Status,Host,Hop,Ip,Loss%,Snt, ,Last,Avg,Best,Wrst,StDev,\n"
      "MTR.0.95,1795779851,OK,target.example,1,198.51.100.2,0.00,3,0,0.08,0.08,0.07,0.09,0.25\n"
      "MTR.0.95,1795779851,OK,target.example,2,???,100.00,3,3,0.00,0.00,0.00,0.00,0.25\n"
      "MTR.0.95,1795779851,OK,target.example,3,198.51.100.10,66.67,3,2,12.50,12.50,12.50,"
      "12.50,0.25\n");
}

TEST(CsvTest, AsColumnWideRowsAndNames) {
  MtrFormatOptions options;
  options.show_as = true;
  options.wide = true;
  options.label.show_ips = true;
  options.as_number = [](const std::string& a) { return a == "198.51.100.2" ? 64500u : 0u; };
  const std::string csv = FormatCsv(testing::SampleTrace(), options);
  EXPECT_THAT(csv, HasSubstr("Host,Hop,Ip,Asn,Loss%"));
  EXPECT_THAT(csv, HasSubstr(",1,r1.example (198.51.100.2),AS64500,0.00,"));
  EXPECT_THAT(csv, HasSubstr(",3,198.51.100.10,AS???,66.67,"));
  EXPECT_THAT(csv, HasSubstr(",3,198.51.100.14,AS???,66.67,"));  // -w: the ECMP responder
}

TEST(CsvTest, NoHopsNoOutput) {
  v1::TraceResult empty;
  EXPECT_EQ(FormatCsv(empty, Numeric()), "");
}

TEST(XmlTest, ElementsAsMtr) {
  v1::TraceResult trace = testing::SampleTrace();
  trace.mutable_hops()->DeleteSubrange(1, 2);
  EXPECT_EQ(FormatXml(trace, Numeric()),
            "<?xml version=\"1.0\"?>\n"
            "<MTR SRC=\"vm\" DST=\"target.example\" TOS=\"0x0\" PSIZE=\"64\" BITPATTERN=\"0x00\" "
            "TESTS=\"3\">\n"
            "    <HUB COUNT=\"1\" HOST=\"198.51.100.2\">\n"
            "        <Loss>  0.0%</Loss>\n"
            "        <Snt>     3</Snt>\n"
            "        <Last>   0.1</Last>\n"
            "        <Avg>   0.1</Avg>\n"
            "        <Best>   0.1</Best>\n"
            "        <Wrst>   0.1</Wrst>\n"
            "        <StDev>   0.2</StDev>\n"
            "    </HUB>\n"
            "</MTR>\n");
}

TEST(XmlTest, EscapesNames) {
  v1::TraceResult trace = testing::SampleTrace();
  trace.mutable_hops(0)->mutable_responders(0)->set_hostname("a&b\"<c>");
  const std::string xml = FormatXml(trace, MtrFormatOptions{});
  EXPECT_THAT(xml, HasSubstr("HOST=\"a&amp;b&quot;&lt;c&gt;\""));
}

TEST(SplitTest, PrintsOnlyChangesAndRemovals) {
  SplitWriter split(Numeric());
  v1::TraceResult trace = testing::SampleTrace();
  EXPECT_EQ(split.Update(trace),
            "1 198.51.100.2 0 3 3 0 0 0\n"
            "3 198.51.100.10 66666 1 3 12 12 12\n");
  EXPECT_EQ(split.Update(trace), "");
  trace.mutable_hops(0)->set_sent(4);
  trace.mutable_hops()->DeleteSubrange(2, 1);
  EXPECT_EQ(split.Update(trace), "-3\n1 198.51.100.2 25000 3 4 0 0 0\n");
}

TEST(SplitTest, ShowIpsAddsTheAddress) {
  MtrFormatOptions options = Numeric();
  options.label.show_ips = true;
  SplitWriter split(options);
  EXPECT_THAT(split.Update(testing::SampleTrace()),
              HasSubstr("1 198.51.100.2 198.51.100.2 0 3 3 0 0 0\n"));
}

TEST(RawTest, EventLinesWithSequenceNumbers) {
  std::ostringstream out;
  MtrFormatOptions options;
  options.show_mpls = true;
  RawWriter raw(out, options,
                [](const IpAddress&) { return std::optional<std::string>("r1.example"); });
  const IpAddress r1 = *IpAddress::Parse("198.51.100.2");
  raw.OnProbeSent(1, 33000, MonoTime());
  raw.OnReply(1, 33000, r1, absl::Microseconds(59), {{24001, 0, true, 1}});
  raw.OnProbeSent(1, 33004, MonoTime());
  raw.OnReply(1, 33004, r1, absl::Microseconds(61), {});
  EXPECT_EQ(out.str(),
            "x 0 33000\n"
            "h 0 198.51.100.2\n"
            "m 0 24001 0 1 1\n"
            "d 0 r1.example\n"
            "p 0 59 33000\n"
            "x 0 33004\n"
            "p 0 61 33004\n");
}

TEST(RawTest, NegativeRttPrintsAsZero) {
  std::ostringstream out;
  RawWriter raw(out, Numeric());
  raw.OnReply(1, 9, *IpAddress::Parse("198.51.100.2"), absl::Milliseconds(-8), {});
  EXPECT_EQ(out.str(), "h 0 198.51.100.2\np 0 0 9\n");
}

TEST(RawTest, NoNamesWithNumeric) {
  std::ostringstream out;
  RawWriter raw(out, Numeric(), [](const IpAddress&) { return std::optional<std::string>("x"); });
  raw.OnReply(2, 7, *IpAddress::Parse("2001:db8::1"), absl::Milliseconds(2), {});
  EXPECT_EQ(out.str(), "h 1 2001:db8::1\np 1 2000 7\n");
}

TEST(HostLabelTest, AsAndMplsHelpers) {
  EXPECT_EQ(ReportHopPrefix(1, true, 0), "  1. AS???    ");
  EXPECT_EQ(ReportHopPrefix(12, true, 64500), " 12. AS64500  ");
  EXPECT_EQ(ReportHopPrefix(3, false, 0), "  3.|-- ");
  v1::Responder r;
  r.set_address("198.51.100.2");
  v1::MplsLabel* l = r.add_mpls();
  l->set_label(24001);
  l->set_bottom_of_stack(true);
  l->set_ttl(254);
  EXPECT_THAT(MplsReportLines(r),
              ::testing::ElementsAre("       [MPLS: Lbl 24001 TC 0 S 1 TTL 254]"));
  EXPECT_THAT(MplsRawLines(4, r), ::testing::ElementsAre("m 4 24001 0 1 254"));
  EXPECT_EQ(HostLabel(r, LabelOptions{.use_names = true, .show_ips = true}), "198.51.100.2");
  r.set_hostname("r.example");
  EXPECT_EQ(HostLabel(r, LabelOptions{.use_names = true, .show_ips = true}),
            "r.example (198.51.100.2)");
  EXPECT_EQ(HostLabel(r, LabelOptions{.use_names = false, .show_ips = true}), "198.51.100.2");
}

}  // namespace
}  // namespace pathpair::formats
