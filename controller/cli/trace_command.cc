#include "controller/cli/trace_command.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/status_macros.h"
#include "controller/cli/trace_screen.h"
#include "controller/destcheck/destination_check.h"
#include "controller/diagnosis/diagnose.h"
#include "controller/diagnosis/exit_status.h"
#include "controller/diagnosis/render.h"
#include "controller/geo/mmdb_geo_lookup.h"
#include "controller/report/trace/json_writer.h"
#include "controller/report/trace/report_writer.h"
#include "controller/report/trace/winmtr_export.h"

#ifndef PATHPAIR_VERSION
#define PATHPAIR_VERSION "0.0.0"
#endif

namespace pathpair::cli {
namespace {

constexpr char kPrefix[] = "pathpair trace: ";
constexpr int64_t kMinUnprivilegedIntervalUs = 1'000'000;
constexpr int kMinIpv6PacketSize = 48;          // 40-byte IPv6 header + 8-byte ICMPv6/UDP header
constexpr size_t kMaxHostsFileBytes = 1 << 20;  // a -F file is a list of names, not data

int Family(const IpAddress& a) { return a.is_v4() ? 4 : 6; }

// Every responder address of a result that parses.
template <typename Visit>
void ForEachResponder(const v1::TraceResult& result, Visit visit) {
  for (const v1::HopResult& hop : result.hops()) {
    for (const v1::Responder& r : hop.responders()) {
      absl::StatusOr<IpAddress> address = IpAddress::Parse(r.address());
      if (address.ok()) visit(*address);
    }
  }
}

std::optional<asn::IpInfo> PeekInfo(const asn::CymruAsLookup* dns, const std::string& text) {
  if (dns == nullptr) return std::nullopt;
  absl::StatusOr<IpAddress> address = IpAddress::Parse(text);
  if (!address.ok()) return std::nullopt;
  // Peek starts a lookup, which changes the cache: the sources are const for their users only.
  return const_cast<asn::CymruAsLookup*>(dns)->Peek(*address);
}

}  // namespace

std::string VersionLine() { return absl::StrCat("pathpair ", PATHPAIR_VERSION); }

asn::AsLookup* AsInfoSources::for_diagnosis() const {
  if (database != nullptr) return database.get();
  return dns.get();
}

void AsInfoSources::Start(const v1::TraceResult& result) const {
  if (dns == nullptr) return;
  ForEachResponder(result, [this](const IpAddress& a) { dns->Peek(a); });
}

void AsInfoSources::WaitIdle(absl::Duration timeout) const {
  if (dns != nullptr) dns->WaitIdle(timeout);
}

formats::AsNumberOf AsInfoSources::AsNumber() const {
  if (database == nullptr && dns == nullptr) return nullptr;
  return [this](const std::string& text) -> uint32_t {
    if (database != nullptr) {
      absl::StatusOr<IpAddress> address = IpAddress::Parse(text);
      if (!address.ok()) return 0;
      absl::StatusOr<asn::AsInfo> as = database->Lookup(*address);
      return as.ok() ? as->number : 0;
    }
    std::optional<asn::IpInfo> info = PeekInfo(dns.get(), text);
    return info.has_value() ? info->as.number : 0;
  };
}

formats::IpInfoOf AsInfoSources::InfoField(int field) const {
  if (dns == nullptr) return nullptr;
  return [this, field](const std::string& text) -> std::string {
    std::optional<asn::IpInfo> info = PeekInfo(dns.get(), text);
    return info.has_value() ? asn::IpInfoField(*info, field) : std::string();
  };
}

absl::Status CheckPrivileges(const v1::ProbeOptions& probe, bool privileged) {
  if (!privileged && probe.interval_us() < kMinUnprivilegedIntervalUs) {
    return absl::InvalidArgumentError(
        "-i (--interval) below 1 second needs root, as in mtr (it floods the path)");
  }
  return absl::OkStatus();
}

absl::StatusOr<ResolvedTrace> ResolveTrace(TraceCommandLine command, HostResolver& resolver,
                                           bool privileged) {
  ResolvedTrace resolved;
  const v1::ProbeOptions& p = command.probe;
  PATHPAIR_RETURN_IF_ERROR(CheckPrivileges(p, privileged));
  // With -a and no -4/-6, the source address decides the family, as a socket bound to it would.
  int version = p.ip_version();
  absl::StatusOr<IpAddress> source = IpAddress::Parse(p.source_address());
  if (version == 0 && !p.source_address().empty() && source.ok()) version = Family(*source);

  absl::StatusOr<IpAddress> target = resolver.Resolve(p.target(), version);
  if (!target.ok()) {
    if (version != 0 && resolver.Resolve(p.target(), 0).ok()) {
      return absl::NotFoundError(absl::StrFormat("'%s' has no IPv%d address%s", p.target(), version,
                                                 p.ip_version() == 0 ? " (the family of -a)" : ""));
    }
    return absl::NotFoundError(target.status().message());
  }
  if (source.ok() && !p.source_address().empty() && Family(*source) != Family(*target)) {
    return absl::InvalidArgumentError(absl::StrFormat("-a %s is IPv%d but %s is IPv%d",
                                                      p.source_address(), Family(*source),
                                                      target->ToString(), Family(*target)));
  }
  if (target->is_v6() && p.packet_size() < kMinIpv6PacketSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "-s (--psize) must be at least %d for IPv6, got %d", kMinIpv6PacketSize, p.packet_size()));
  }
  resolved.command = std::move(command);
  resolved.command.probe.set_ip_version(Family(*target));
  resolved.target = *target;
  return resolved;
}

absl::StatusOr<ResolvedTrace> PrepareTrace(const std::vector<std::string>& args,
                                           HostResolver& resolver, bool privileged) {
  PATHPAIR_ASSIGN_OR_RETURN(TraceCommandLine command, ParseTraceCommandLine(args));
  if (command.show_help || command.show_version) {
    ResolvedTrace resolved;
    resolved.command = std::move(command);
    return resolved;
  }
  return ResolveTrace(std::move(command), resolver, privileged);
}

void CompleteResult(v1::TraceResult& result, const ResolvedTrace& trace,
                    const TraceCommandDeps& deps, int64_t started_unix_us) {
  if (result.options().target().empty()) *result.mutable_options() = trace.command.probe;
  if (result.source_hostname().empty()) result.set_source_hostname(deps.local_hostname);
  if (result.target_address().empty()) result.set_target_address(trace.target.ToString());
  if (result.start_unix_us() == 0) result.set_start_unix_us(started_unix_us);
  if (result.end_unix_us() == 0 && deps.now_unix_us) result.set_end_unix_us(deps.now_unix_us());
}

formats::MtrFormatOptions MtrFormatOptionsFor(const TraceOutputOptions& output,
                                              const AsInfoSources* as_info) {
  formats::MtrFormatOptions options;
  if (!output.fields.empty()) {
    absl::StatusOr<formats::FieldList> fields = formats::ParseFieldSpec(output.fields);
    if (fields.ok()) options.fields = *fields;  // checked by the parser already
  }
  options.label = formats::LabelOptions{.use_names = output.dns, .show_ips = output.show_ips};
  options.wide = output.wide;
  // mtr's CSV and JSON carry the AS only for the AS field (-z, -y 0).
  options.show_as = output.show_as && output.ip_info_field == 0;
  options.show_mpls = output.show_mpls;
  if (as_info != nullptr) options.as_number = as_info->AsNumber();
  return options;
}

std::string RenderTrace(const v1::TraceResult& result, const v1::Diagnosis* diagnosis,
                        const TraceOutputOptions& output, const AsInfoSources* as_info) {
  const formats::MtrFormatOptions mtr = MtrFormatOptionsFor(output, as_info);
  switch (output.format) {
    case OutputFormat::kJson: {
      nlohmann::ordered_json json =
          output::TraceToJson(result, output::JsonOptions{.use_names = output.dns});
      if (diagnosis != nullptr) {
        diagnosis::WriteDiagnosisJson(*diagnosis, json["report"]);
      } else {
        json["report"].erase("diagnosis");  // the writer's empty placeholder
      }
      return output::DumpJson(json);
    }
    case OutputFormat::kCsv:
      return formats::FormatCsv(result, mtr);
    case OutputFormat::kXml:
      return formats::FormatXml(result, mtr);
    case OutputFormat::kRaw:
    case OutputFormat::kSplit:
      return "";
    case OutputFormat::kReport:
    case OutputFormat::kScreen:
      break;
  }
  output::ReportOptions report;
  report.wide = output.wide;
  report.use_names = output.dns;
  report.field_order = formats::FieldSpecOf(formats::EffectiveFields(mtr));
  report.show_ips = output.show_ips;
  report.show_as = output.show_as;
  report.as_number = mtr.as_number;
  report.ip_info_field = output.ip_info_field;
  if (as_info != nullptr) report.ip_info = as_info->InfoField(output.ip_info_field);
  report.show_mpls = output.show_mpls;
  // mtr's report first, unchanged, so that tools reading mtr reports still can.
  std::string text = output::FormatReport(result, report);
  if (diagnosis != nullptr) {
    absl::StrAppend(&text, "\n", diagnosis::RenderDiagnosisText(*diagnosis));
  }
  return text;
}

absl::Status WriteExports(const v1::TraceResult& result, const TraceOutputOptions& output) {
  const formats::LabelOptions label{.use_names = output.dns, .show_ips = output.show_ips};
  if (!output.export_text.empty()) {
    PATHPAIR_RETURN_IF_ERROR(
        html::WriteTextFile(output.export_text, html::FormatWinMtrText(result, label)));
  }
  if (!output.export_html.empty()) {
    PATHPAIR_RETURN_IF_ERROR(
        html::WriteTextFile(output.export_html, html::FormatWinMtrHtml(result, label)));
  }
  return absl::OkStatus();
}

namespace {

// The trace was ended by Ctrl-C (or SIGTERM): the hosts after it are not traced, as mtr exits.
bool WasInterrupted(const v1::TraceResult& result) {
  return absl::StrContains(result.error(), "cancel") ||
         absl::StrContains(result.error(), "interrupt");
}

// Everything a report-style run (every mode but the screen) prints while and after probing.
// `interrupted` is set when Ctrl-C (or SIGTERM) ended the trace.
int RunToCompletion(const ResolvedTrace& prepared, TraceCommandDeps& deps,
                    const AsInfoSources& as_info, geo::GeoLookup* geo_lookup, std::ostream& out,
                    std::ostream& err, bool& interrupted) {
  const TraceOutputOptions& output = prepared.command.output;
  dns::ReverseDnsCache* names = output.dns ? deps.names : nullptr;
  const formats::MtrFormatOptions mtr = MtrFormatOptionsFor(output, &as_info);
  const int64_t started = deps.now_unix_us ? deps.now_unix_us() : 0;

  std::optional<formats::RawWriter> raw;
  if (output.format == OutputFormat::kRaw) {
    formats::RawWriter::NameOf name_of;
    if (names != nullptr) name_of = [names](const IpAddress& a) { return names->Peek(a); };
    raw.emplace(out, mtr, std::move(name_of));
  }
  formats::SplitWriter split(mtr);
  TraceHooks hooks;
  hooks.probe_events = raw.has_value() ? &*raw : nullptr;
  // Snapshots only when something uses them while probing: each is a copy of every hop's
  // statistics (percentiles included) per round, converted to the protobuf, which a plain
  // `-n -r` would throw away.
  const bool wants_snapshots =
      as_info.dns != nullptr || names != nullptr || output.format == OutputFormat::kSplit;
  if (wants_snapshots) {
    hooks.on_snapshot = [&](const v1::TraceResult& snapshot) {
      as_info.Start(snapshot);  // AS lookups while probing, as names
      if (names == nullptr && output.format != OutputFormat::kSplit) return;
      v1::TraceResult live = snapshot;
      CompleteResult(live, prepared, deps, started);
      if (names != nullptr) names->Annotate(live);  // starts lookups while probing
      if (output.format == OutputFormat::kSplit) out << split.Update(live) << std::flush;
    };
  }

  absl::StatusOr<v1::TraceResult> ran =
      deps.runner ? deps.runner(prepared.command.probe, prepared.target, hooks)
                  : absl::UnimplementedError("no trace runner");
  if (!ran.ok()) {
    err << kPrefix << ran.status().message() << "\n";
    // The runner's own option checks (e.g. -I naming no interface) are bad input too.
    return absl::IsInvalidArgument(ran.status()) ? kExitBadInput : kExitRuntimeError;
  }
  v1::TraceResult result = *std::move(ran);
  CompleteResult(result, prepared, deps, started);
  interrupted = WasInterrupted(result);
  // The last lookups get one bounded wait, names and AS information at the same time.
  as_info.Start(result);
  if (names != nullptr) names->Annotate(result);
  const absl::Time deadline = absl::Now() + deps.dns_wait;
  if (names != nullptr) {
    names->WaitIdle(deps.dns_wait);
    names->Annotate(result);
  }
  as_info.WaitIdle(std::max(absl::ZeroDuration(), deadline - absl::Now()));

  // A verdict only when it is printed or decides the exit status.
  std::optional<v1::Diagnosis> diagnosis;
  if (output.diagnosis || output.diagnose_exit) {
    diagnosis::DiagnoseOptions diagnose;
    diagnose.as_lookup = as_info.for_diagnosis();
    diagnose.geo_lookup = geo_lookup;
    v1::DiagnosisInput input;
    *input.mutable_forward() = result;
    // An ICMP trace that never reached its target: a few TCP/UDP probes tell a destination that
    // drops ICMP from a path that is cut. A UDP/TCP trace whose destination loses probes: a few
    // echo requests tell a destination rationing its ICMP from a lossy path. Never in mtr's own
    // formats, never when refused.
    if (WantsDestinationCheck(output)) {
      const destcheck::CheckRunner check_runner = [&deps](const v1::ProbeOptions& o,
                                                          const IpAddress& t) {
        return deps.runner(o, t, TraceHooks{});
      };
      input.set_forward_destination_check(
          destcheck::CheckDestination(result, prepared.target, check_runner));
      if (std::optional<v1::DestinationCrossCheck> cross_check =
              destcheck::CrossCheckDestination(result, prepared.target, check_runner)) {
        *input.mutable_forward_destination_cross_check() = *std::move(cross_check);
      }
    }
    diagnosis = diagnosis::Diagnose(input, diagnose);
  }

  out << (output.format == OutputFormat::kSplit
              ? split.Update(result)
              : RenderTrace(result,
                            output.diagnosis && diagnosis.has_value() ? &*diagnosis : nullptr,
                            output, &as_info));
  out.flush();
  int status = output.diagnose_exit && diagnosis.has_value()
                   ? diagnosis::ExitStatusFor(diagnosis->verdict())
                   : kExitOk;
  if (absl::Status exported = WriteExports(result, output); !exported.ok()) {
    err << kPrefix << exported.message() << "\n";
    status = kExitRuntimeError;
  }
  if (result.interrupted() && !result.error().empty()) {
    status = kExitInterrupted;  // Ctrl-C: what was measured is printed, and says so
  } else if (!result.error().empty()) {
    err << kPrefix << result.error() << "\n";
    status = kExitRuntimeError;  // no verdict
  }
  return status;
}

// The AS sources -z / -y need: --asn-db for the AS number when given, Team Cymru's DNS for the
// AS number otherwise and for every other -y field.
absl::StatusOr<AsInfoSources> OpenAsInfoSources(const TraceOutputOptions& output,
                                                TraceCommandDeps& deps) {
  AsInfoSources sources;
  if (!output.asn_db.empty()) {
    absl::StatusOr<std::unique_ptr<asn::AsLookup>> opened =
        deps.open_as_database ? deps.open_as_database(output.asn_db)
                              : absl::UnimplementedError("AS databases are not supported");
    if (!opened.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--asn-db ", output.asn_db, ": ", opened.status().message()));
    }
    sources.database = *std::move(opened);
  }
  const bool dns_needed =
      output.show_as && (output.ip_info_field != 0 || sources.database == nullptr);
  if (dns_needed) {
    asn::CymruAsLookup::Options options = deps.cymru;
    options.lookup_wait = absl::ZeroDuration();  // the screen and the diagnosis never wait
    absl::StatusOr<std::unique_ptr<asn::CymruAsLookup>> dns = asn::CymruAsLookup::Create(options);
    // Without a resolver the column shows "AS???", as mtr's does when DNS fails.
    if (dns.ok()) sources.dns = *std::move(dns);
  }
  return sources;
}

absl::StatusOr<std::string> ReadHostsFile(const std::string& path, TraceCommandDeps& deps) {
  if (deps.read_hosts_file) return deps.read_hosts_file(path);
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return absl::NotFoundError("cannot open it");
    in = &file;
  }
  std::string text(kMaxHostsFileBytes + 1, '\0');
  in->read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in->bad()) return absl::DataLossError("cannot read it");
  text.resize(static_cast<size_t>(in->gcount()));
  if (text.size() > kMaxHostsFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("longer than ", kMaxHostsFileBytes, " bytes: not a list of hosts"));
  }
  return text;
}

// The hosts to trace: -F FILE's, then HOST's (mtr's order). Errors are bad input.
absl::StatusOr<std::vector<std::string>> HostsToTrace(const TraceCommandLine& command,
                                                      TraceCommandDeps& deps) {
  std::vector<std::string> hosts;
  if (!command.hosts_file.empty()) {
    absl::StatusOr<std::string> text = ReadHostsFile(command.hosts_file, deps);
    if (!text.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("-F (--filename) ", command.hosts_file, ": ", text.status().message()));
    }
    hosts = ParseHostsFile(*text);
  }
  if (!command.probe.target().empty()) hosts.push_back(command.probe.target());
  if (hosts.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("-F (--filename) ", command.hosts_file, " names no host"));
  }
  return hosts;
}

}  // namespace

int RunTraceCommand(const std::vector<std::string>& args, TraceCommandDeps& deps, std::ostream& out,
                    std::ostream& err) {
  absl::StatusOr<TraceCommandLine> parsed = ParseTraceCommandLine(args);
  if (!parsed.ok()) {
    err << kPrefix << parsed.status().message() << "\n";
    return kExitBadInput;
  }
  const TraceCommandLine& command = *parsed;
  if (command.show_help) {
    out << TraceUsage();
    return kExitOk;
  }
  if (command.show_version) {
    out << VersionLine() << "\n";
    return kExitOk;
  }
  absl::StatusOr<std::vector<std::string>> hosts = HostsToTrace(command, deps);
  if (!hosts.ok()) {
    err << kPrefix << hosts.status().message() << "\n";
    return kExitBadInput;
  }
  // A single host: every problem with it is bad input before anything runs (one line, nothing
  // on stdout). Several (-F): as mtr, a bad one is reported and the others are still traced.
  const bool several = hosts->size() > 1;
  if (absl::Status allowed = CheckPrivileges(command.probe, deps.privileged); !allowed.ok()) {
    err << kPrefix << allowed.message() << "\n";
    return kExitBadInput;
  }
  absl::StatusOr<AsInfoSources> as_info = OpenAsInfoSources(command.output, deps);
  if (!as_info.ok()) {
    err << kPrefix << as_info.status().message() << "\n";
    return kExitBadInput;
  }
  std::unique_ptr<geo::GeoLookup> geo_lookup;
  if (!command.output.geo_db.empty()) {
    absl::StatusOr<std::unique_ptr<geo::MmdbGeoLookup>> opened =
        geo::MmdbGeoLookup::Open(command.output.geo_db);
    if (!opened.ok()) {
      err << kPrefix << "--geo-db " << command.output.geo_db << ": " << opened.status().message()
          << "\n";
      return kExitBadInput;
    }
    geo_lookup = *std::move(opened);
  }
  const bool screen = command.output.format == OutputFormat::kScreen ||
                      (deps.interactive && !command.output.format_given);
  int worst = kExitOk;
  for (const std::string& host : *hosts) {
    TraceCommandLine one = command;
    one.probe.set_target(host);
    absl::Status checked = CheckHost(host);
    absl::StatusOr<ResolvedTrace> prepared =
        checked.ok() ? ResolveTrace(std::move(one), *deps.resolver, deps.privileged)
                     : absl::StatusOr<ResolvedTrace>(checked);
    if (!prepared.ok()) {
      err << kPrefix << prepared.status().message() << "\n";
      if (!several) return kExitBadInput;
      worst = std::max(worst, kExitBadInput);
      continue;
    }
    // As mtr's display, the screen traces the first host only.
    if (screen) return std::max(worst, RunTraceScreen(*prepared, deps, *as_info, err));
    bool interrupted = false;
    worst = std::max(
        worst, RunToCompletion(*prepared, deps, *as_info, geo_lookup.get(), out, err, interrupted));
    if (interrupted) break;
  }
  return worst;
}

}  // namespace pathpair::cli
