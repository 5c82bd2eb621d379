#include "controller/cli/trace_command.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/status_macros.h"
#include "controller/output/json_writer.h"
#include "controller/output/report_writer.h"

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

std::string RenderTrace(const v1::TraceResult& result, const TraceOutputOptions& output) {
  switch (output.format) {
    case OutputFormat::kJson:
      return output::FormatJson(result, output::JsonOptions{.use_names = output.dns});
    case OutputFormat::kReport:
      break;
  }
  output::ReportOptions report;
  report.wide = output.wide;
  report.use_names = output.dns;
  return output::FormatReport(result, report);
}

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

  const int64_t started = deps.now_unix_us ? deps.now_unix_us() : 0;
  absl::StatusOr<v1::TraceResult> ran = deps.runner ? deps.runner(command.probe, prepared->target)
                                                    : absl::UnimplementedError("no trace runner");
  if (!ran.ok()) {
    err << kPrefix << ran.status().message() << "\n";
    // The runner's own option checks (e.g. -I naming no interface) are bad input too.
    return absl::IsInvalidArgument(ran.status()) ? kExitBadInput : kExitRuntimeError;
  }
  v1::TraceResult result = *std::move(ran);
  // Fill what the runner leaves to its caller.
  if (result.options().target().empty()) *result.mutable_options() = command.probe;
  if (result.source_hostname().empty()) result.set_source_hostname(deps.local_hostname);
  if (result.target_address().empty()) result.set_target_address(prepared->target.ToString());
  if (result.start_unix_us() == 0) result.set_start_unix_us(started);
  if (result.end_unix_us() == 0 && deps.now_unix_us) result.set_end_unix_us(deps.now_unix_us());
  if (command.output.dns && deps.reverse != nullptr) {
    for (v1::HopResult& hop : *result.mutable_hops()) {
      for (v1::Responder& responder : *hop.mutable_responders()) {
        if (!responder.hostname().empty()) continue;
        absl::StatusOr<IpAddress> address = IpAddress::Parse(responder.address());
        if (!address.ok()) continue;
        if (std::optional<std::string> name = deps.reverse->NameOf(*address)) {
          responder.set_hostname(*name);
        }
      }
    }
  }

  out << RenderTrace(result, command.output);
  out.flush();
  if (!result.error().empty()) {
    err << kPrefix << result.error() << "\n";
    return kExitRuntimeError;
  }
  return kExitOk;
}

}  // namespace pathpair::cli
