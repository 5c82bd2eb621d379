#include "controller/cli/trace_command.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
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
constexpr int kMinIpv6PacketSize = 48;  // 40-byte IPv6 header + 8-byte ICMPv6/UDP header

int Family(const IpAddress& a) { return a.is_v4() ? 4 : 6; }

}  // namespace

std::string VersionLine() { return absl::StrCat("pathpair ", PATHPAIR_VERSION); }

absl::StatusOr<ResolvedTrace> PrepareTrace(const std::vector<std::string>& args,
                                           HostResolver& resolver, bool privileged) {
  PATHPAIR_ASSIGN_OR_RETURN(TraceCommandLine command, ParseTraceCommandLine(args));
  ResolvedTrace resolved;
  if (command.show_help || command.show_version) {
    resolved.command = std::move(command);
    return resolved;
  }
  const v1::ProbeOptions& p = command.probe;
  if (!privileged && p.interval_us() < kMinUnprivilegedIntervalUs) {
    return absl::InvalidArgumentError(
        "-i (--interval) below 1 second needs root, as in mtr (it floods the path)");
  }
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

void CompleteResult(v1::TraceResult& result, const ResolvedTrace& trace,
                    const TraceCommandDeps& deps, int64_t started_unix_us) {
  if (result.options().target().empty()) *result.mutable_options() = trace.command.probe;
  if (result.source_hostname().empty()) result.set_source_hostname(deps.local_hostname);
  if (result.target_address().empty()) result.set_target_address(trace.target.ToString());
  if (result.start_unix_us() == 0) result.set_start_unix_us(started_unix_us);
  if (result.end_unix_us() == 0 && deps.now_unix_us) result.set_end_unix_us(deps.now_unix_us());
}

formats::MtrFormatOptions MtrFormatOptionsFor(const TraceOutputOptions& output,
                                              asn::AsLookup* as_lookup) {
  formats::MtrFormatOptions options;
  if (!output.fields.empty()) {
    absl::StatusOr<formats::FieldList> fields = formats::ParseFieldSpec(output.fields);
    if (fields.ok()) options.fields = *fields;  // checked by the parser already
  }
  options.label = formats::LabelOptions{.use_names = output.dns, .show_ips = output.show_ips};
  options.wide = output.wide;
  options.show_as = output.show_as;
  options.show_mpls = output.show_mpls;
  if (as_lookup != nullptr) {
    options.as_number = [as_lookup](const std::string& text) -> uint32_t {
      absl::StatusOr<IpAddress> address = IpAddress::Parse(text);
      if (!address.ok()) return 0;
      absl::StatusOr<asn::AsInfo> as = as_lookup->Lookup(*address);
      return as.ok() ? as->number : 0;
    };
  }
  return options;
}

std::string RenderTrace(const v1::TraceResult& result, const v1::Diagnosis& diagnosis,
                        const TraceOutputOptions& output, asn::AsLookup* as_lookup) {
  const formats::MtrFormatOptions mtr = MtrFormatOptionsFor(output, as_lookup);
  switch (output.format) {
    case OutputFormat::kJson: {
      nlohmann::ordered_json json =
          output::TraceToJson(result, output::JsonOptions{.use_names = output.dns});
      diagnosis::WriteDiagnosisJson(diagnosis, json["report"]);
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
      break;
  }
  output::ReportOptions report;
  report.wide = output.wide;
  report.use_names = output.dns;
  report.field_order = formats::FieldSpecOf(formats::EffectiveFields(mtr));
  report.show_ips = output.show_ips;
  report.show_as = output.show_as;
  report.as_number = mtr.as_number;
  report.show_mpls = output.show_mpls;
  // mtr's report first, unchanged, so that tools reading mtr reports still can.
  return absl::StrCat(output::FormatReport(result, report), "\n",
                      diagnosis::RenderDiagnosisText(diagnosis));
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

// Everything a report-style run (every mode but the screen) prints while and after probing.
int RunToCompletion(const ResolvedTrace& prepared, TraceCommandDeps& deps, asn::AsLookup* as_lookup,
                    geo::GeoLookup* geo_lookup, std::ostream& out, std::ostream& err) {
  const TraceOutputOptions& output = prepared.command.output;
  dns::ReverseDnsCache* names = output.dns ? deps.names : nullptr;
  const formats::MtrFormatOptions mtr = MtrFormatOptionsFor(output, as_lookup);
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
  hooks.on_snapshot = [&](const v1::TraceResult& snapshot) {
    if (names == nullptr && output.format != OutputFormat::kSplit) return;
    v1::TraceResult live = snapshot;
    CompleteResult(live, prepared, deps, started);
    if (names != nullptr) names->Annotate(live);  // starts lookups while probing
    if (output.format == OutputFormat::kSplit) out << split.Update(live) << std::flush;
  };

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
  if (names != nullptr) {
    names->Annotate(result);
    names->WaitIdle(deps.dns_wait);
    names->Annotate(result);
  }
  diagnosis::DiagnoseOptions diagnose;
  diagnose.as_lookup = as_lookup;
  diagnose.geo_lookup = geo_lookup;
  // An ICMP trace that never reached its target: a few TCP/UDP probes tell a destination that
  // drops ICMP from a path that is cut (the diagnosis needs both to name the right one).
  v1::DiagnosisInput input;
  *input.mutable_forward() = result;
  input.set_forward_destination_check(destcheck::CheckDestination(
      result, prepared.target, [&deps](const v1::ProbeOptions& o, const IpAddress& t) {
        return deps.runner(o, t, TraceHooks{});
      }));
  const v1::Diagnosis diagnosis = diagnosis::Diagnose(input, diagnose);

  out << (output.format == OutputFormat::kSplit
              ? split.Update(result)
              : RenderTrace(result, diagnosis, output, as_lookup));
  out.flush();
  int status = output.diagnose_exit ? diagnosis::ExitStatusFor(diagnosis.verdict()) : kExitOk;
  if (absl::Status exported = WriteExports(result, output); !exported.ok()) {
    err << kPrefix << exported.message() << "\n";
    status = kExitRuntimeError;
  }
  if (!result.error().empty()) {
    err << kPrefix << result.error() << "\n";
    status = kExitRuntimeError;  // no verdict
  }
  return status;
}

}  // namespace

int RunTraceCommand(const std::vector<std::string>& args, TraceCommandDeps& deps, std::ostream& out,
                    std::ostream& err) {
  absl::StatusOr<ResolvedTrace> prepared = PrepareTrace(args, *deps.resolver, deps.privileged);
  if (!prepared.ok()) {
    err << kPrefix << prepared.status().message() << "\n";
    return kExitBadInput;
  }
  const TraceCommandLine& command = prepared->command;
  if (command.show_help) {
    out << TraceUsage();
    return kExitOk;
  }
  if (command.show_version) {
    out << VersionLine() << "\n";
    return kExitOk;
  }
  std::unique_ptr<asn::AsLookup> as_lookup;
  if (!command.output.asn_db.empty()) {
    absl::StatusOr<std::unique_ptr<asn::AsLookup>> opened =
        deps.open_as_database ? deps.open_as_database(command.output.asn_db)
                              : absl::UnimplementedError("AS databases are not supported");
    if (!opened.ok()) {
      err << kPrefix << "--asn-db " << command.output.asn_db << ": " << opened.status().message()
          << "\n";
      return kExitBadInput;
    }
    as_lookup = *std::move(opened);
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
  if (deps.interactive && !command.output.format_given) {
    return RunTraceScreen(*prepared, deps, err);
  }
  return RunToCompletion(*prepared, deps, as_lookup.get(), geo_lookup.get(), out, err);
}

}  // namespace pathpair::cli
