#include "controller/cli/trace_options.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::cli {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<TraceCommandLine> Parse(std::vector<std::string> args) {
  return ParseTraceCommandLine(args);
}

TEST(TraceOptionsTest, DefaultsAreMtrs) {
  absl::StatusOr<TraceCommandLine> cmd = Parse({"example.net"});
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  const v1::ProbeOptions& p = cmd->probe;
  EXPECT_EQ(p.target(), "example.net");
  EXPECT_EQ(p.protocol(), v1::PROTOCOL_ICMP);
  EXPECT_EQ(p.ip_version(), 0);
  EXPECT_EQ(p.count(), 10);
  EXPECT_EQ(p.interval_us(), 1'000'000);
  EXPECT_EQ(p.first_ttl(), 1);
  EXPECT_EQ(p.max_ttl(), 30);
  EXPECT_EQ(p.packet_size(), 64);
  EXPECT_EQ(p.probe_timeout_us(), 10'000'000);
  EXPECT_EQ(p.grace_us(), 5'000'000);
  EXPECT_EQ(p.max_unknown(), 12);
  EXPECT_EQ(p.port(), 0);
  EXPECT_EQ(cmd->output.format, OutputFormat::kReport);
  EXPECT_FALSE(cmd->output.wide);
  EXPECT_TRUE(cmd->output.dns);
}

TEST(TraceOptionsTest, EveryOptionLandsInItsField) {
  absl::StatusOr<TraceCommandLine> cmd =
      Parse({"-n",           "-w",   "-c",   "7",     "-i",         "0.2", "-s", "100", "-a",
             "198.51.100.1", "-I",   "eth0", "-4",    "-m",         "20",  "-f", "3",   "-u",
             "-P",           "5000", "-L",   "40000", "-Q",         "184", "-B", "255", "-Z",
             "2.5",          "-G",   "0.5",  "-M",    "4294967295", "-U",  "4",  "host"});
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  const v1::ProbeOptions& p = cmd->probe;
  EXPECT_FALSE(cmd->output.dns);
  EXPECT_TRUE(cmd->output.wide);
  EXPECT_EQ(cmd->output.format, OutputFormat::kReport);
  EXPECT_EQ(p.count(), 7);
  EXPECT_EQ(p.interval_us(), 200'000);
  EXPECT_EQ(p.packet_size(), 100);
  EXPECT_EQ(p.source_address(), "198.51.100.1");
  EXPECT_EQ(p.interface(), "eth0");
  EXPECT_EQ(p.ip_version(), 4);
  EXPECT_EQ(p.max_ttl(), 20);
  EXPECT_EQ(p.first_ttl(), 3);
  EXPECT_EQ(p.protocol(), v1::PROTOCOL_UDP);
  EXPECT_EQ(p.port(), 5000);
  EXPECT_EQ(p.local_port(), 40000);
  EXPECT_EQ(p.tos(), 184);
  EXPECT_EQ(p.bit_pattern(), 255);
  EXPECT_EQ(p.probe_timeout_us(), 2'500'000);
  EXPECT_EQ(p.grace_us(), 500'000);
  EXPECT_EQ(p.fwmark(), 4294967295u);
  EXPECT_EQ(p.max_unknown(), 4);
  EXPECT_EQ(p.target(), "host");
}

TEST(TraceOptionsTest, LongNamesAndEqualsForm) {
  absl::StatusOr<TraceCommandLine> cmd =
      Parse({"--no-dns", "--report-cycles=3", "--interval", "0.5", "--tcp", "--json", "--inet6",
             "--max-ttl=9", "host"});
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_EQ(cmd->probe.count(), 3);
  EXPECT_EQ(cmd->probe.interval_us(), 500'000);
  EXPECT_EQ(cmd->probe.protocol(), v1::PROTOCOL_TCP);
  EXPECT_EQ(cmd->probe.ip_version(), 6);
  EXPECT_EQ(cmd->probe.max_ttl(), 9);
  EXPECT_EQ(cmd->output.format, OutputFormat::kJson);
  EXPECT_FALSE(cmd->output.dns);
}

TEST(TraceOptionsTest, TcpDefaultsToPort80UnlessGiven) {
  EXPECT_EQ(Parse({"-T", "h"})->probe.port(), 80);
  EXPECT_EQ(Parse({"-P", "443", "-T", "h"})->probe.port(), 443);
}

TEST(TraceOptionsTest, HostMayComeFirstAndShortOptionsCluster) {
  absl::StatusOr<TraceCommandLine> cmd = Parse({"host", "-rnc", "4"});
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_EQ(cmd->probe.target(), "host");
  EXPECT_EQ(cmd->probe.count(), 4);
  EXPECT_FALSE(cmd->output.dns);
}

TEST(TraceOptionsTest, LastOutputModeWinsAsInMtr) {
  EXPECT_EQ(Parse({"-j", "-r", "h"})->output.format, OutputFormat::kReport);
  EXPECT_EQ(Parse({"-w", "-j", "h"})->output.format, OutputFormat::kJson);
}

TEST(TraceOptionsTest, HelpAndVersionNeedNoHost) {
  EXPECT_TRUE(Parse({"--help"})->show_help);
  EXPECT_TRUE(Parse({"-h"})->show_help);
  EXPECT_TRUE(Parse({"--version"})->show_version);
}

TEST(TraceOptionsTest, ParsesAgainAfterAnEarlierCall) {
  // getopt keeps global state; each call must start from scratch.
  ASSERT_FALSE(Parse({"-X", "h"}).ok());
  EXPECT_EQ(Parse({"-c", "2", "h"})->probe.count(), 2);
  EXPECT_EQ(Parse({"-c", "3", "h"})->probe.count(), 3);
}

struct BadCase {
  std::vector<std::string> args;
  std::string message_part;
};

class BadInputTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInputTest, IsInvalidArgumentWithAOneLineMessage) {
  absl::StatusOr<TraceCommandLine> cmd = Parse(GetParam().args);
  ASSERT_FALSE(cmd.ok());
  EXPECT_EQ(cmd.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(cmd.status().message()), HasSubstr(GetParam().message_part));
  EXPECT_EQ(std::string(cmd.status().message()).find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadInputTest,
    ::testing::Values(
        BadCase{{}, "missing HOST"}, BadCase{{"-r"}, "missing HOST"},
        BadCase{{"a", "b"}, "expected one HOST"}, BadCase{{"foo bar"}, "whitespace"},
        BadCase{{"foo\tbar"}, "whitespace"}, BadCase{{""}, "empty"},
        BadCase{{"-X", "h"}, "unknown option '-X'"}, BadCase{{"--bogus", "h"}, "'--bogus'"},
        BadCase{{"h", "--rep"}, "'--rep'"}, BadCase{{"h", "-c"}, "-c needs a value"},
        BadCase{{"h", "--report-cycles"}, "--report-cycles needs a value"},
        BadCase{{"--udp=1", "h"}, "--udp takes no value"},
        BadCase{{"-c", "0", "h"}, "-c (--report-cycles)"},
        BadCase{{"-c", "-1", "h"}, "-c (--report-cycles)"},
        BadCase{{"-c", "abc", "h"}, "got 'abc'"}, BadCase{{"-c", "5x", "h"}, "got '5x'"},
        BadCase{{"-c", " 5", "h"}, "-c"}, BadCase{{"-c", "99999999999", "h"}, "-c"},
        BadCase{{"-i", "0", "h"}, "-i (--interval)"}, BadCase{{"-i", "-1", "h"}, "-i"},
        BadCase{{"-i", "nan", "h"}, "-i"}, BadCase{{"-i", "inf", "h"}, "-i"},
        BadCase{{"-i", "1e-9", "h"}, "-i"}, BadCase{{"-G", "0", "h"}, "-G (--gracetime)"},
        BadCase{{"-Z", "0", "h"}, "-Z (--timeout)"}, BadCase{{"-s", "27", "h"}, "-s (--psize)"},
        BadCase{{"-s", "4471", "h"}, "-s"}, BadCase{{"-s", "-64", "h"}, "-s"},
        BadCase{{"-m", "0", "h"}, "-m (--max-ttl)"}, BadCase{{"-m", "256", "h"}, "-m"},
        BadCase{{"-f", "0", "h"}, "-f (--first-ttl)"},
        BadCase{{"-f", "10", "-m", "5", "h"}, "cannot be larger than -m"},
        BadCase{{"-m", "5", "-f", "10", "h"}, "cannot be larger than -m"},
        BadCase{{"-f", "31", "h"}, "cannot be larger than -m"},
        BadCase{{"-P", "0", "h"}, "-P (--port)"}, BadCase{{"-P", "65536", "h"}, "-P"},
        BadCase{{"-L", "1023", "h"}, "-L (--localport)"}, BadCase{{"-Q", "256", "h"}, "-Q (--tos)"},
        BadCase{{"-Q", "-1", "h"}, "-Q"}, BadCase{{"-B", "256", "h"}, "-B (--bitpattern)"},
        BadCase{{"-M", "4294967296", "h"}, "-M (--mark)"}, BadCase{{"-U", "0", "h"}, "-U"},
        BadCase{{"-a", "not-an-ip", "h"}, "-a (--address)"},
        BadCase{{"-I", "", "h"}, "-I (--interface)"},
        BadCase{{"-I", "a-very-long-interface-name", "h"}, "-I"},
        BadCase{{"-u", "-T", "h"}, "-u (UDP) and -T (TCP)"},
        BadCase{{"-T", "-u", "h"}, "-u (UDP) and -T (TCP)"},
        BadCase{{"-4", "-6", "h"}, "-4 and -6"},
        BadCase{{"-4", "-a", "2001:db8::1", "h"}, "IPv6 address but -4"},
        BadCase{{"-a", "198.51.100.1", "-6", "h"}, "IPv4 address but -6"}));

TEST(TraceUsageTest, ListsEveryMtrLetter) {
  const std::string usage = TraceUsage();
  for (const char* opt :
       {"-r, --report", "-w, --report-wide", "-c, --report-cycles", "-i, --interval", "-s, --psize",
        "-n, --no-dns", "-a, --address", "-I, --interface", "-4,", "-6,", "-m, --max-ttl",
        "-f, --first-ttl", "-u, --udp", "-T, --tcp", "-P, --port", "-L, --localport", "-Q, --tos",
        "-B, --bitpattern", "-Z, --timeout", "-G, --gracetime", "-j, --json", "-M, --mark",
        "-U, --max-unknown", "--help", "--version",
        // every other option of mtr 0.95's --help, and pathpair's own
        "-F, --filename FILE", "-S, --sctp", "-t, --curses", "--displaymode MODE",
        "-y, --ipinfo NUMBER", "-z, --aslookup", "-e, --mpls", "-x, --xml", "-C, --csv",
        "-l, --raw", "-p, --split", "-b, --show-ips", "-o, --order", "-h, --help", "-v, --version",
        "--no-diagnosis", "--no-dest-check"}) {
    EXPECT_THAT(usage, HasSubstr(opt));
  }
}

}  // namespace
}  // namespace pathpair::cli

// The output flags wired in with the formats, the exports and the diagnosis.
namespace pathpair::cli {
namespace {

TEST(TraceOutputOptionsTest, NoFormatFlagLeavesTheChoiceToTheTerminal) {
  absl::StatusOr<TraceCommandLine> cmd = Parse({"-n", "h"});
  ASSERT_TRUE(cmd.ok());
  EXPECT_FALSE(cmd->output.format_given);
  EXPECT_FALSE(cmd->count_given);
  EXPECT_TRUE(Parse({"-c", "3", "h"})->count_given);
}

TEST(TraceOutputOptionsTest, EachFormatFlagAndTheLastOneWins) {
  const std::pair<const char*, OutputFormat> cases[] = {
      {"-C", OutputFormat::kCsv},    {"--csv", OutputFormat::kCsv},
      {"-x", OutputFormat::kXml},    {"--xml", OutputFormat::kXml},
      {"-l", OutputFormat::kRaw},    {"--raw", OutputFormat::kRaw},
      {"-p", OutputFormat::kSplit},  {"--split", OutputFormat::kSplit},
      {"-j", OutputFormat::kJson},   {"-r", OutputFormat::kReport},
      {"-w", OutputFormat::kReport},
  };
  for (const auto& [flag, format] : cases) {
    absl::StatusOr<TraceCommandLine> cmd = Parse({flag, "h"});
    ASSERT_TRUE(cmd.ok()) << flag;
    EXPECT_EQ(cmd->output.format, format) << flag;
    EXPECT_TRUE(cmd->output.format_given) << flag;
  }
  EXPECT_EQ(Parse({"-C", "-x", "h"})->output.format, OutputFormat::kXml);
  EXPECT_EQ(Parse({"-x", "-l", "-j", "h"})->output.format, OutputFormat::kJson);
  EXPECT_EQ(Parse({"-j", "-p", "h"})->output.format, OutputFormat::kSplit);
}

TEST(TraceOutputOptionsTest, DisplayFlagsFieldsExportsAndDatabase) {
  absl::StatusOr<TraceCommandLine> cmd =
      Parse({"-bze", "-o", "LDRS NBAWVGJMXI", "--export-text", "t.txt", "--export-html=t.html",
             "--asn-db", "as.mmdb", "--geo-db", "city.mmdb", "--diagnose-exit", "h"});
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_TRUE(cmd->output.show_ips);
  EXPECT_TRUE(cmd->output.show_as);
  EXPECT_TRUE(cmd->output.show_mpls);
  EXPECT_EQ(cmd->output.fields, "LDRS NBAWVGJMXI");
  EXPECT_EQ(cmd->output.export_text, "t.txt");
  EXPECT_EQ(cmd->output.export_html, "t.html");
  EXPECT_EQ(cmd->output.asn_db, "as.mmdb");
  EXPECT_EQ(cmd->output.geo_db, "city.mmdb");
  EXPECT_TRUE(cmd->output.diagnose_exit);
  EXPECT_FALSE(cmd->output.format_given);  // none of these is a format
  EXPECT_EQ(Parse({"--fields", "LSD", "h"})->output.fields, "LSD");
  EXPECT_EQ(Parse({"--order=NBAW", "h"})->output.fields, "NBAW");
}

TEST(TraceOptionsTest, FlowsDefaultToOneAndAreCarriedInProbeOptions) {
  absl::StatusOr<TraceCommandLine> cmd = Parse({"h"});
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_EQ(cmd->probe.flows(), 0);  // 0 = one flow, today's Paris behaviour
  cmd = Parse({"-u", "--flows", "8", "h"});
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_EQ(cmd->probe.flows(), 8);
  cmd = Parse({"--flows=16", "h"});
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_EQ(cmd->probe.flows(), 16);
  cmd = Parse({"--flows=1", "h"});
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_EQ(cmd->probe.flows(), 1);
}

TEST(TraceOutputOptionsTest, BadValuesNameTheOption) {
  const std::pair<std::vector<std::string>, const char*> cases[] = {
      {{"-o", "LQ", "h"}, "-o (--order): "},
      {{"--fields", "LQ", "h"}, "--fields: "},
      {{"--fields=", "h"}, "--fields: "},
      {{"-o", std::string(21, 'L'), "h"}, "-o (--order): "},
      {{"--export-text=", "h"}, "--export-text must be a file name"},
      {{"--export-html", "a\tb", "h"}, "--export-html must be a file name"},
      {{"--asn-db", "", "h"}, "--asn-db must be a file name"},
      {{"h", "--asn-db"}, "option --asn-db needs a value"},
      {{"--geo-db=", "h"}, "--geo-db must be a file name"},
      {{"h", "--geo-db"}, "option --geo-db needs a value"},
      {{"--diagnose-exit=1", "h"}, "option --diagnose-exit takes no value"},
      {{"--flows", "0", "h"}, "--flows must be an integer from 1 to 16, got '0'"},
      {{"--flows=17", "h"}, "--flows must be an integer from 1 to 16"},
      {{"--flows", "two", "h"}, "--flows must be"},
      {{"h", "--flows"}, "option --flows needs a value"},
  };
  for (const auto& [args, message] : cases) {
    absl::StatusOr<TraceCommandLine> cmd = Parse(args);
    ASSERT_FALSE(cmd.ok()) << args[0];
    EXPECT_TRUE(absl::IsInvalidArgument(cmd.status()));
    EXPECT_THAT(cmd.status().message(), HasSubstr(message)) << args[0];
    EXPECT_EQ(cmd.status().message().find('\n'), absl::string_view::npos);
  }
}

TEST(TraceOutputOptionsTest, HelpListsTheNewFlags) {
  const std::string usage = TraceUsage();
  for (const char* line :
       {" -C, --csv", " -x, --xml", " -l, --raw", " -p, --split", " -b, --show-ips",
        " -z, --aslookup", " -e, --mpls", " -o, --order FIELDS", "     --fields FIELDS",
        "     --export-text FILE", "     --export-html FILE", "     --asn-db PATH",
        "     --geo-db PATH", "     --diagnose-exit", "     --flows N"}) {
    EXPECT_THAT(usage, HasSubstr(line));
  }
}

TEST(TraceOptionsTest, MtrsRemainingOptions) {
  absl::StatusOr<TraceCommandLine> cmd = Parse(
      {"-F", "hosts.txt", "-y", "3", "--displaymode", "2", "--no-diagnosis", "--no-dest-check"});
  ASSERT_TRUE(cmd.ok()) << cmd.status();
  EXPECT_EQ(cmd->hosts_file, "hosts.txt");
  EXPECT_EQ(cmd->probe.target(), "");  // -F needs no HOST
  EXPECT_TRUE(cmd->output.show_as);
  EXPECT_EQ(cmd->output.ip_info_field, 3);
  EXPECT_EQ(cmd->output.display_mode, 2);
  EXPECT_FALSE(cmd->output.diagnosis);
  EXPECT_FALSE(cmd->output.destination_check);
  EXPECT_EQ(Parse({"--filename=-", "h"})->hosts_file, "-");
  EXPECT_EQ(Parse({"-y", "3", "-z", "h"})->output.ip_info_field, 0);  // -z is -y 0
  EXPECT_EQ(Parse({"-t", "h"})->output.format, OutputFormat::kScreen);
  EXPECT_EQ(Parse({"-r", "--curses", "h"})->output.format, OutputFormat::kScreen);
  EXPECT_EQ(Parse({"-t", "-r", "h"})->output.format, OutputFormat::kReport);
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{"-S", "h"},
                                             {"--sctp", "h"},
                                             {"-y", "5", "h"},
                                             {"-y", "-1", "h"},
                                             {"--displaymode", "3", "h"},
                                             {"-F", "", "h"}}) {
    absl::StatusOr<TraceCommandLine> refused = Parse(bad);
    ASSERT_FALSE(refused.ok()) << bad[0];
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(refused.status().message()).find('\n'), std::string::npos);
  }
  EXPECT_THAT(std::string(Parse({"-S", "h"}).status().message()), HasSubstr("use -T (TCP)"));
}

TEST(TraceOptionsTest, HostsFileLinesAsMtrReadsThem) {
  EXPECT_EQ(ParseHostsFile("a.example\n\n  198.51.100.9 \r\n\tb.example\n   \n"),
            (std::vector<std::string>{"a.example", "198.51.100.9", "b.example"}));
  EXPECT_TRUE(ParseHostsFile("").empty());
  EXPECT_TRUE(CheckHost("a.example").ok());
  EXPECT_FALSE(CheckHost("bad host").ok());
  EXPECT_FALSE(CheckHost(std::string("a\x01b")).ok());
}

TEST(TraceOptionsTest, DestinationCheckOnlyWhereAVerdictIsWanted) {
  TraceOutputOptions output;
  EXPECT_TRUE(WantsDestinationCheck(output));  // the report, with its diagnosis
  output.format = OutputFormat::kJson;
  EXPECT_TRUE(WantsDestinationCheck(output));
  for (OutputFormat pure : {OutputFormat::kCsv, OutputFormat::kXml, OutputFormat::kRaw,
                            OutputFormat::kSplit, OutputFormat::kScreen}) {
    output.format = pure;
    output.diagnose_exit = true;
    EXPECT_FALSE(WantsDestinationCheck(output));
  }
  output = TraceOutputOptions();
  output.destination_check = false;
  EXPECT_FALSE(WantsDestinationCheck(output));
  output = TraceOutputOptions();
  output.diagnosis = false;
  EXPECT_FALSE(WantsDestinationCheck(output));
  output.diagnose_exit = true;
  EXPECT_TRUE(WantsDestinationCheck(output));
}

}  // namespace
}  // namespace pathpair::cli
