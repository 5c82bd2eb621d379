#include "controller/cli/trace_options.h"

#include <getopt.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/net/ip_address.h"
#include "common/status/status_macros.h"
#include "controller/report/trace/field_spec.h"

namespace pathpair::cli {
namespace {

// mtr's limits (ui/mtr.h): probe packets are 28..4470 bytes, TTLs below 256, local ports from 1024.
constexpr int kMinPacketSize = 28;
constexpr int kMaxPacketSize = 4470;
constexpr int kMaxTtl = 255;
constexpr int kMinLocalPort = 1024;
constexpr int kMaxPort = 65535;
constexpr double kMaxSeconds = 86400;    // a day: anything longer is a typo
constexpr int kMaxInterfaceName = 15;    // IFNAMSIZ - 1
constexpr size_t kMaxPathLength = 4095;  // PATH_MAX - 1
constexpr int64_t kMaxFlows = 16;        // engine::TraceRegistry::kMaxFlows

// getopt values of the options that have no letter (above any char).
enum LongOnly : int {
  kFieldsOption = 256,
  kExportTextOption,
  kExportHtmlOption,
  kAsnDbOption,
  kDiagnoseExitOption,
  kFlowsOption,
  kDisplayModeOption,
  kNoDestCheckOption,
  kNoDiagnosisOption,
  kGeoDbOption,
};

// mtr's ranges for -y and --displaymode.
constexpr int kMaxIpInfoField = 4;
constexpr int kMaxDisplayMode = 2;

// Facts the per-option handlers record so that conflicts can be checked after the last option.
struct ParseState {
  TraceCommandLine cmd;
  bool saw_udp = false;
  bool saw_tcp = false;
  bool saw_v4 = false;
  bool saw_v6 = false;
  bool saw_port = false;
  bool saw_first_ttl = false;
  bool saw_max_ttl = false;
};

using Handler = absl::Status (*)(absl::string_view arg, ParseState& state);

struct OptionSpec {
  int letter;  // the short letter, or a LongOnly value
  const char* long_name;
  const char* arg_name;  // nullptr: the option takes no value
  const char* help;
  Handler apply;
};

// "-c (--report-cycles)" or, for an option without a letter, "--fields".
std::string OptionName(int letter, const char* long_name) {
  if (letter >= kFieldsOption) return absl::StrCat("--", long_name);
  return absl::StrFormat("-%c (--%s)", letter, long_name);
}

absl::Status BadValue(int letter, const char* long_name, absl::string_view expectation,
                      absl::string_view arg) {
  return absl::InvalidArgumentError(
      absl::StrFormat("%s must be %s, got '%s'", OptionName(letter, long_name), expectation, arg));
}

// Picks an output format; mtr lets the last format flag win.
absl::Status SetFormat(ParseState& s, OutputFormat format) {
  s.cmd.output.format = format;
  s.cmd.output.format_given = true;
  return absl::OkStatus();
}

absl::Status SetFields(int letter, const char* long_name, absl::string_view arg, ParseState& s) {
  absl::StatusOr<formats::FieldList> fields = formats::ParseFieldSpec(arg);
  if (!fields.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(OptionName(letter, long_name), ": ", fields.status().message()));
  }
  s.cmd.output.fields = std::string(arg);
  return absl::OkStatus();
}

// A file name for an export or a database: non-empty, printable, not absurdly long.
absl::StatusOr<std::string> ParsePath(int letter, const char* long_name, absl::string_view arg) {
  bool bad = arg.empty() || arg.size() > kMaxPathLength;
  for (char c : arg) bad = bad || !absl::ascii_isprint(c);
  if (bad) return BadValue(letter, long_name, "a file name", arg);
  return std::string(arg);
}

// Strict decimal integer: optional '-', digits, nothing else (no spaces, no '+', no hex).
absl::StatusOr<int64_t> ParseInteger(absl::string_view arg, int letter, const char* long_name,
                                     int64_t min, int64_t max) {
  const std::string expectation = absl::StrCat("an integer from ", min, " to ", max);
  int64_t value = 0;
  const char* begin = arg.data();
  const char* end = arg.data() + arg.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (arg.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    return BadValue(letter, long_name, expectation, arg);
  }
  return value;
}

// Seconds as a decimal number (0.2, 5, 1e-1), strictly above zero, converted to microseconds.
absl::StatusOr<int64_t> ParseSecondsAsMicros(absl::string_view arg, char letter,
                                             const char* long_name) {
  const std::string expectation =
      absl::StrCat("a number of seconds above 0 and at most ", kMaxSeconds);
  double seconds = 0;
  const char* end = arg.data() + arg.size();
  auto [ptr, ec] = std::from_chars(arg.data(), end, seconds);
  if (arg.empty() || ec != std::errc() || ptr != end || !std::isfinite(seconds) || seconds <= 0 ||
      seconds > kMaxSeconds) {
    return BadValue(letter, long_name, expectation, arg);
  }
  const int64_t micros = std::llround(seconds * 1e6);
  if (micros < 1) return BadValue(letter, long_name, "at least 0.000001 seconds", arg);
  return micros;
}

// The option table: the parser, the getopt strings and --help all come from it. Order = --help
// order, which follows mtr's.
const OptionSpec kOptions[] = {
    {'4', "inet", nullptr, "use IPv4 only",
     [](absl::string_view, ParseState& s) {
       s.saw_v4 = true;
       s.cmd.probe.set_ip_version(4);
       return absl::OkStatus();
     }},
    {'6', "inet6", nullptr, "use IPv6 only",
     [](absl::string_view, ParseState& s) {
       s.saw_v6 = true;
       s.cmd.probe.set_ip_version(6);
       return absl::OkStatus();
     }},
    {'F', "filename", "FILE", "trace each host named in FILE in turn (one a line; - is stdin)",
     [](absl::string_view arg, ParseState& s) {
       if (arg != "-") PATHPAIR_RETURN_IF_ERROR(ParsePath('F', "filename", arg).status());
       s.cmd.hosts_file = std::string(arg);
       return absl::OkStatus();
     }},
    {'u', "udp", nullptr, "probe with UDP datagrams instead of ICMP echo",
     [](absl::string_view, ParseState& s) {
       s.saw_udp = true;
       s.cmd.probe.set_protocol(v1::PROTOCOL_UDP);
       return absl::OkStatus();
     }},
    {'T', "tcp", nullptr, "probe with TCP SYN instead of ICMP echo",
     [](absl::string_view, ParseState& s) {
       s.saw_tcp = true;
       s.cmd.probe.set_protocol(v1::PROTOCOL_TCP);
       return absl::OkStatus();
     }},
    {'S', "sctp", nullptr, "SCTP probes: not supported (exits 2); use -T or -u",
     [](absl::string_view, ParseState&) {
       return absl::InvalidArgumentError(
           "-S (--sctp): pathpair cannot send SCTP probes; use -T (TCP) or -u (UDP)");
     }},
    {'I', "interface", "NAME", "send probes through this network interface",
     [](absl::string_view arg, ParseState& s) {
       bool bad = arg.empty() || arg.size() > kMaxInterfaceName;
       for (char c : arg)
         bad = bad || c == '/' || absl::ascii_isspace(c) || !absl::ascii_isprint(c);
       if (bad) {
         return BadValue('I', "interface", "an interface name of 1 to 15 characters", arg);
       }
       s.cmd.probe.set_interface(std::string(arg));
       return absl::OkStatus();
     }},
    {'a', "address", "ADDRESS", "send probes from this local IP address",
     [](absl::string_view arg, ParseState& s) {
       if (!IpAddress::Parse(arg).ok()) {
         return BadValue('a', "address", "an IPv4 or IPv6 address", arg);
       }
       s.cmd.probe.set_source_address(std::string(arg));
       return absl::OkStatus();
     }},
    {'f', "first-ttl", "NUMBER", "TTL of the first hop to probe (default 1)",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t v, ParseInteger(arg, 'f', "first-ttl", 1, kMaxTtl));
       s.saw_first_ttl = true;
       s.cmd.probe.set_first_ttl(static_cast<int32_t>(v));
       return absl::OkStatus();
     }},
    {'m', "max-ttl", "NUMBER", "largest TTL to probe (default 30)",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t v, ParseInteger(arg, 'm', "max-ttl", 1, kMaxTtl));
       s.saw_max_ttl = true;
       s.cmd.probe.set_max_ttl(static_cast<int32_t>(v));
       return absl::OkStatus();
     }},
    {'U', "max-unknown", "NUMBER", "unanswered hops in a row before giving up (default 12)",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t v, ParseInteger(arg, 'U', "max-unknown", 1, kMaxTtl));
       s.cmd.probe.set_max_unknown(static_cast<int32_t>(v));
       return absl::OkStatus();
     }},
    {kFlowsOption, "flows", "N",
     "probe with N flows, 1..16 (default 1): round r uses flow r mod N; shows ECMP branches",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t v, ParseInteger(arg, kFlowsOption, "flows", 1, kMaxFlows));
       s.cmd.probe.set_flows(static_cast<int32_t>(v));
       return absl::OkStatus();
     }},
    {'P', "port", "PORT", "destination port for UDP and TCP (TCP default 80)",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t v, ParseInteger(arg, 'P', "port", 1, kMaxPort));
       s.saw_port = true;
       s.cmd.probe.set_port(static_cast<int32_t>(v));
       return absl::OkStatus();
     }},
    {'L', "localport", "LOCALPORT", "source port for UDP and TCP",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t v,
                                 ParseInteger(arg, 'L', "localport", kMinLocalPort, kMaxPort));
       s.cmd.probe.set_local_port(static_cast<int32_t>(v));
       return absl::OkStatus();
     }},
    {'s', "psize", "PACKETSIZE", "whole IP packet size in bytes (default 64)",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t v,
                                 ParseInteger(arg, 's', "psize", kMinPacketSize, kMaxPacketSize));
       s.cmd.probe.set_packet_size(static_cast<int32_t>(v));
       return absl::OkStatus();
     }},
    {'B', "bitpattern", "NUMBER", "payload fill byte, 0 to 255 (default 0)",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t v, ParseInteger(arg, 'B', "bitpattern", 0, 255));
       s.cmd.probe.set_bit_pattern(static_cast<int32_t>(v));
       return absl::OkStatus();
     }},
    {'i', "interval", "SECONDS", "time between rounds (default 1)",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t us, ParseSecondsAsMicros(arg, 'i', "interval"));
       s.cmd.probe.set_interval_us(us);
       return absl::OkStatus();
     }},
    {'G', "gracetime", "SECONDS", "wait for late replies after the last round (default 5)",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t us, ParseSecondsAsMicros(arg, 'G', "gracetime"));
       s.cmd.probe.set_grace_us(us);
       return absl::OkStatus();
     }},
    {'Q', "tos", "NUMBER", "IPv4 TOS / IPv6 traffic class, 0 to 255 (default 0)",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t v, ParseInteger(arg, 'Q', "tos", 0, 255));
       s.cmd.probe.set_tos(static_cast<int32_t>(v));
       return absl::OkStatus();
     }},
    {'Z', "timeout", "SECONDS", "how long a probe waits for its reply (default 10)",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t us, ParseSecondsAsMicros(arg, 'Z', "timeout"));
       s.cmd.probe.set_probe_timeout_us(us);
       return absl::OkStatus();
     }},
    {'M', "mark", "MARK", "set this firewall mark (SO_MARK) on every probe",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(
           int64_t v, ParseInteger(arg, 'M', "mark", 0, std::numeric_limits<uint32_t>::max()));
       s.cmd.probe.set_fwmark(static_cast<uint32_t>(v));
       return absl::OkStatus();
     }},
    {'r', "report", nullptr, "print a report after the last round",
     [](absl::string_view, ParseState& s) { return SetFormat(s, OutputFormat::kReport); }},
    {'w', "report-wide", nullptr, "print a report without cutting host names",
     [](absl::string_view, ParseState& s) {
       s.cmd.output.wide = true;
       return SetFormat(s, OutputFormat::kReport);
     }},
    {'c', "report-cycles", "COUNT", "number of rounds to probe (default 10)",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t v, ParseInteger(arg, 'c', "report-cycles", 1,
                                                         std::numeric_limits<int32_t>::max()));
       s.cmd.probe.set_count(static_cast<int32_t>(v));
       s.cmd.count_given = true;
       return absl::OkStatus();
     }},
    {'j', "json", nullptr, "print mtr's JSON with pathpair's extension keys",
     [](absl::string_view, ParseState& s) { return SetFormat(s, OutputFormat::kJson); }},
    {'C', "csv", nullptr, "print mtr's CSV after the last round",
     [](absl::string_view, ParseState& s) { return SetFormat(s, OutputFormat::kCsv); }},
    {'x', "xml", nullptr, "print mtr's XML after the last round",
     [](absl::string_view, ParseState& s) { return SetFormat(s, OutputFormat::kXml); }},
    {'l', "raw", nullptr, "print mtr's raw format: one line per probe and reply",
     [](absl::string_view, ParseState& s) { return SetFormat(s, OutputFormat::kRaw); }},
    {'p', "split", nullptr, "print mtr's split format: changed hop lines every round",
     [](absl::string_view, ParseState& s) { return SetFormat(s, OutputFormat::kSplit); }},
    {'t', "curses", nullptr, "use the interactive screen (the default on a terminal)",
     [](absl::string_view, ParseState& s) { return SetFormat(s, OutputFormat::kScreen); }},
    {kDisplayModeOption, "displaymode", "MODE",
     "screen's first view: 0 statistics, 1 stripchart, 2 with latency",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(
           int64_t v, ParseInteger(arg, kDisplayModeOption, "displaymode", 0, kMaxDisplayMode));
       s.cmd.output.display_mode = static_cast<int>(v);
       return absl::OkStatus();
     }},
    {'b', "show-ips", nullptr, "show both host names and IP addresses",
     [](absl::string_view, ParseState& s) {
       s.cmd.output.show_ips = true;
       return absl::OkStatus();
     }},
    {'y', "ipinfo", "NUMBER",
     "IP info column: 0 origin AS, 1 prefix, 2 country, 3 registry, 4 allocated",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(int64_t v, ParseInteger(arg, 'y', "ipinfo", 0, kMaxIpInfoField));
       s.cmd.output.show_as = true;
       s.cmd.output.ip_info_field = static_cast<int>(v);
       return absl::OkStatus();
     }},
    {'z', "aslookup", nullptr, "show AS numbers (--asn-db, else Team Cymru's DNS; -y 0)",
     [](absl::string_view, ParseState& s) {
       s.cmd.output.show_as = true;
       s.cmd.output.ip_info_field = 0;
       return absl::OkStatus();
     }},
    {'e', "mpls", nullptr, "show MPLS labels from ICMP extensions",
     [](absl::string_view, ParseState& s) {
       s.cmd.output.show_mpls = true;
       return absl::OkStatus();
     }},
    {'o', "order", "FIELDS", "columns, as mtr's letters (default \"LS NABWV\")",
     [](absl::string_view arg, ParseState& s) { return SetFields('o', "order", arg, s); }},
    {kFieldsOption, "fields", "FIELDS", "the same as -o",
     [](absl::string_view arg, ParseState& s) {
       return SetFields(kFieldsOption, "fields", arg, s);
     }},
    {kExportTextOption, "export-text", "FILE", "also write WinMTR's text table to FILE",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(s.cmd.output.export_text,
                                 ParsePath(kExportTextOption, "export-text", arg));
       return absl::OkStatus();
     }},
    {kExportHtmlOption, "export-html", "FILE", "also write WinMTR's HTML table to FILE",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(s.cmd.output.export_html,
                                 ParsePath(kExportHtmlOption, "export-html", arg));
       return absl::OkStatus();
     }},
    {kAsnDbOption, "asn-db", "PATH", "MaxMind-format AS database (-z, diagnosis areas)",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(s.cmd.output.asn_db, ParsePath(kAsnDbOption, "asn-db", arg));
       return absl::OkStatus();
     }},
    {kGeoDbOption, "geo-db", "PATH",
     "MaxMind-format city database (diagnosis: long links against distance)",
     [](absl::string_view arg, ParseState& s) {
       PATHPAIR_ASSIGN_OR_RETURN(s.cmd.output.geo_db, ParsePath(kGeoDbOption, "geo-db", arg));
       return absl::OkStatus();
     }},
    {kDiagnoseExitOption, "diagnose-exit", nullptr,
     "exit with the verdict: 0 healthy, 3 degraded, 4 broken",
     [](absl::string_view, ParseState& s) {
       s.cmd.output.diagnose_exit = true;
       return absl::OkStatus();
     }},
    {kNoDiagnosisOption, "no-diagnosis", nullptr,
     "print mtr's report (or JSON) alone, no diagnosis",
     [](absl::string_view, ParseState& s) {
       s.cmd.output.diagnosis = false;
       return absl::OkStatus();
     }},
    {kNoDestCheckOption, "no-dest-check", nullptr,
     "never send the destination checks' probes (below)",
     [](absl::string_view, ParseState& s) {
       s.cmd.output.destination_check = false;
       return absl::OkStatus();
     }},
    {'n', "no-dns", nullptr, "show numeric addresses, do not look up host names",
     [](absl::string_view, ParseState& s) {
       s.cmd.output.dns = false;
       return absl::OkStatus();
     }},
    {'h', "help", nullptr, "print this help and exit",
     [](absl::string_view, ParseState& s) {
       s.cmd.show_help = true;
       return absl::OkStatus();
     }},
    {'v', "version", nullptr, "print the version and exit",
     [](absl::string_view, ParseState& s) {
       s.cmd.show_version = true;
       return absl::OkStatus();
     }},
};

const OptionSpec* FindByLetter(int letter) {
  for (const OptionSpec& spec : kOptions) {
    if (spec.letter == letter) return &spec;
  }
  return nullptr;
}

}  // namespace

absl::Status CheckHost(absl::string_view host) {
  if (host.empty()) return absl::InvalidArgumentError("the HOST is empty");
  for (char c : host) {
    if (absl::ascii_isspace(c)) {
      return absl::InvalidArgumentError(absl::StrCat("host name '", host, "' contains whitespace"));
    }
    if (!absl::ascii_isprint(c)) {
      return absl::InvalidArgumentError("host name contains a control character");
    }
  }
  if (host.size() > 253 && !IpAddress::Parse(host).ok()) {
    return absl::InvalidArgumentError("host name is longer than 253 characters");
  }
  return absl::OkStatus();
}

std::vector<std::string> ParseHostsFile(absl::string_view text) {
  std::vector<std::string> hosts;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) hosts.emplace_back(line);
  }
  return hosts;
}

bool IsPureMtrFormat(OutputFormat format) {
  return format == OutputFormat::kCsv || format == OutputFormat::kXml ||
         format == OutputFormat::kRaw || format == OutputFormat::kSplit;
}

bool WantsDestinationCheck(const TraceOutputOptions& output) {
  return output.destination_check && !IsPureMtrFormat(output.format) &&
         output.format != OutputFormat::kScreen && (output.diagnosis || output.diagnose_exit);
}

namespace {

// Conflicts that only show once every option is known (any order on the command line).
absl::Status CheckCombination(const ParseState& s) {
  if (s.saw_udp && s.saw_tcp) {
    return absl::InvalidArgumentError("-u (UDP) and -T (TCP) cannot be used together");
  }
  if (s.saw_v4 && s.saw_v6) {
    return absl::InvalidArgumentError("-4 and -6 cannot be used together");
  }
  const v1::ProbeOptions& p = s.cmd.probe;
  if (p.first_ttl() > p.max_ttl()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "-f (first TTL %d) cannot be larger than -m (max TTL %d)", p.first_ttl(), p.max_ttl()));
  }
  if (!p.source_address().empty() && p.ip_version() != 0) {
    absl::StatusOr<IpAddress> source = IpAddress::Parse(p.source_address());
    const int family = source->is_v4() ? 4 : 6;
    if (family != p.ip_version()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("-a %s is an IPv%d address but -%d asks for IPv%d", p.source_address(),
                          family, p.ip_version(), p.ip_version()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

v1::ProbeOptions DefaultProbeOptions() {
  v1::ProbeOptions p;
  p.set_protocol(v1::PROTOCOL_ICMP);
  p.set_ip_version(0);
  p.set_count(10);
  p.set_interval_us(1'000'000);
  p.set_first_ttl(1);
  p.set_max_ttl(30);
  p.set_packet_size(64);
  p.set_bit_pattern(0);
  p.set_tos(0);
  p.set_probe_timeout_us(10'000'000);
  p.set_grace_us(5'000'000);
  p.set_max_unknown(12);
  return p;
}

absl::StatusOr<TraceCommandLine> ParseTraceCommandLine(const std::vector<std::string>& args) {
  // getopt_long wants a mutable argv with a program name in front.
  std::vector<std::string> storage;
  storage.reserve(args.size() + 1);
  storage.push_back("pathpair-trace");
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int argc = static_cast<int>(storage.size());

  // Leading ':' makes a missing value return ':' instead of '?', and no message is printed.
  std::string short_options = ":";
  std::vector<option> long_options;
  for (const OptionSpec& spec : kOptions) {
    if (spec.letter < kFieldsOption) {
      short_options += static_cast<char>(spec.letter);
      if (spec.arg_name != nullptr) short_options += ':';
    }
    long_options.push_back(option{spec.long_name,
                                  spec.arg_name != nullptr ? required_argument : no_argument,
                                  nullptr, spec.letter});
  }
  long_options.push_back(option{nullptr, 0, nullptr, 0});

  ParseState state;
  state.cmd.probe = DefaultProbeOptions();

  optind = 0;  // GNU: 0 re-initialises getopt completely, so every call parses from scratch
  opterr = 0;
  while (true) {
    const int c =
        getopt_long(argc, argv.data(), short_options.c_str(), long_options.data(), nullptr);
    if (c == -1) break;
    if (c == '?' || c == ':') {
      // After a long option getopt has stepped past it, so it is argv[optind - 1]; a short
      // option is named by optopt (it may sit inside a cluster such as -rx).
      const OptionSpec* known = FindByLetter(optopt);
      const absl::string_view word =
          optind >= 1 && optind <= argc ? absl::string_view(argv[optind - 1]) : "";
      const absl::string_view word_name = word.substr(0, word.find('='));
      const bool long_form =
          absl::StartsWith(word, "--") &&
          (optopt == 0 || (known != nullptr && word_name.substr(2) == known->long_name));
      const std::string shown =
          long_form || optopt == 0 ? std::string(word_name) : absl::StrFormat("-%c", optopt);
      if (c == ':') {
        return absl::InvalidArgumentError(absl::StrCat("option ", shown, " needs a value"));
      }
      if (long_form && known != nullptr && known->arg_name == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("option ", shown, " takes no value"));
      }
      if (optopt == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown or ambiguous option '", shown, "' (see pathpair trace --help)"));
      }
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option '", shown, "' (see pathpair trace --help)"));
    }
    const OptionSpec* spec = FindByLetter(c);
    if (spec == nullptr) return absl::InternalError("option table and getopt disagree");
    PATHPAIR_RETURN_IF_ERROR(spec->apply(optarg != nullptr ? optarg : "", state));
    if (state.cmd.show_help || state.cmd.show_version) return state.cmd;
  }

  std::vector<absl::string_view> hosts;
  for (int i = optind; i < argc; ++i) hosts.push_back(argv[i]);
  if (hosts.empty() && state.cmd.hosts_file.empty()) {
    return absl::InvalidArgumentError("missing HOST (usage: pathpair trace [options] HOST)");
  }
  if (hosts.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat("expected one HOST, got ", hosts.size(), ": ",
                                                   absl::StrJoin(hosts, " "),
                                                   " (several hosts: -F FILE)"));
  }
  if (!hosts.empty()) {
    PATHPAIR_RETURN_IF_ERROR(CheckHost(hosts[0]));
    state.cmd.probe.set_target(std::string(hosts[0]));
  }

  PATHPAIR_RETURN_IF_ERROR(CheckCombination(state));
  if (state.saw_tcp && !state.saw_port) state.cmd.probe.set_port(80);  // as mtr
  return state.cmd;
}

std::string TraceUsage() {
  std::string text =
      "Usage: pathpair trace [options] HOST\n"
      "       pathpair trace [options] -F FILE [HOST]\n"
      "\n"
      "Probes every hop on the path to HOST and prints loss and round-trip statistics,\n"
      "then pathpair's diagnosis. Options follow mtr's letters and meanings.\n"
      "\n";
  for (const OptionSpec& spec : kOptions) {
    std::string left = spec.letter < kFieldsOption
                           ? absl::StrFormat(" -%c, --%s", spec.letter, spec.long_name)
                           : absl::StrFormat("     --%s", spec.long_name);
    if (spec.arg_name != nullptr) absl::StrAppend(&left, " ", spec.arg_name);
    absl::StrAppendFormat(&text, "%-28s %s\n", left, spec.help);
  }
  absl::StrAppend(
      &text,
      "\nWithout -r -w -j -C -x -l -p, a terminal gets the interactive screen (? lists its "
      "keys).\n"
      "\n"
      "Destination check: when an ICMP trace does not reach its target, pathpair also sends\n"
      "the target 3 TCP SYNs to port 80, 3 to port 443 and 3 UDP datagrams (at the full TTL),\n"
      "to tell a host that only drops ICMP from a path that is cut; the diagnosis says which.\n"
      "When a UDP or TCP trace's destination loses probes, it sends the target 20 ICMP echo\n"
      "requests, to tell a host that rations its ICMP replies (a kernel rate limit) from a\n"
      "path that loses packets.\n"
      "mtr never does this. It only runs when a diagnosis is printed (-r, -w, -j) or used\n"
      "(--diagnose-exit); never with -C -x -l -p, --no-diagnosis alone, or --no-dest-check.\n"
      "\n"
      "-z uses --asn-db when given, else Team Cymru's DNS (origin.asn.cymru.com) as mtr does;\n"
      "-y 1..4 always ask Team Cymru. Lookups never hold up probing or the screen; a report\n"
      "waits at most 2 s for the last answers and shows AS??? / ??? for the others.\n"
      "\n"
      "Exit status: 0 on success, 1 when the trace could not run, 2 on bad input\n"
      "(with --diagnose-exit, a completed trace: 0 healthy, 3 degraded, 4 broken).\n"
      "With -F, each host in turn as mtr (a host that cannot be resolved is reported and\n"
      "skipped); the exit status is then the highest of the hosts'.\n");
  return text;
}

}  // namespace pathpair::cli
