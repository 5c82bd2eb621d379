#include "controller/subcommands/command_line.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status/exit_codes.h"
#include "controller/asn/mmdb_as_lookup.h"
#include "controller/diagnosis/exit_status.h"
#include "controller/geo/mmdb_geo_lookup.h"
#include "controller/paired/paired_run.h"

namespace pathpair::subcommands {

absl::StatusOr<bool> ParseFlags(CLI::App& app, const std::vector<std::string>& args,
                                std::ostream& out) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses from the back
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return false;
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(absl::StrCat(e.what(), " (see ", app.get_name(), " --help)"));
  }
  return true;
}

int ExitCodeFor(const absl::Status& status, std::optional<v1::Verdict> verdict) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return verdict.has_value() ? diagnosis::ExitStatusFor(*verdict) : kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
      return kExitBadInput;
    case absl::StatusCode::kAborted:
      return kExitPartial;
    case absl::StatusCode::kCancelled:
      return kExitInterrupted;
    default:
      return kExitRuntimeError;
  }
}

namespace {

// Opens a MaxMind-format database with `open`; null for an empty path.
template <typename Interface, typename Opener>
absl::StatusOr<std::unique_ptr<Interface>> OpenDatabase(const std::string& path,
                                                        absl::string_view flag, Opener open) {
  if (path.empty()) return std::unique_ptr<Interface>();
  auto db = open(path);
  if (!db.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, ": ", db.status().message()));
  return std::unique_ptr<Interface>(*std::move(db));
}

}  // namespace

absl::StatusOr<std::unique_ptr<history::HistoryStore>> OpenHistoryStore(
    const std::string& flag_path,
    const std::function<absl::StatusOr<std::string>()>& default_path) {
  std::string path = flag_path;
  if (path.empty()) {
    absl::StatusOr<std::string> chosen = default_path();
    if (!chosen.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "no history database: ", chosen.status().message(), " (give --history-db PATH)"));
    }
    path = *std::move(chosen);
  }
  absl::StatusOr<std::unique_ptr<history::HistoryStore>> store = history::HistoryStore::Open(path);
  if (!store.ok() && !absl::IsInvalidArgument(store.status())) {
    return absl::FailedPreconditionError(store.status().message());
  }
  return store;
}

absl::StatusOr<std::unique_ptr<asn::AsLookup>> OpenAsDatabase(const std::string& path) {
  return OpenDatabase<asn::AsLookup>(path, "--asn-db", asn::MmdbAsLookup::Open);
}

absl::StatusOr<std::unique_ptr<geo::GeoLookup>> OpenGeoDatabase(const std::string& path) {
  return OpenDatabase<geo::GeoLookup>(path, "--geo-db", geo::MmdbGeoLookup::Open);
}

absl::Status PairedRunStatus(const v1::PairedRun& run, bool stored) {
  const std::string errors = absl::StrJoin(paired::RunErrors(run), "\n");
  if (run.interrupted() && !stored) return absl::CancelledError(errors);
  switch (paired::RunCompleteness(run)) {
    case paired::Completeness::kComplete:
      return absl::OkStatus();
    case paired::Completeness::kPartial:
      if (stored) {
        return absl::AbortedError(absl::StrCat("the run is partial",
                                               run.interrupted() ? " (interrupted)" : "",
                                               errors.empty() ? "" : ":\n", errors));
      }
      return absl::AbortedError(errors);
    case paired::Completeness::kFailed:
      break;
  }
  return absl::UnavailableError(errors);
}

int FinishCommand(absl::string_view command, const absl::Status& status, std::ostream& err,
                  std::optional<v1::Verdict> verdict) {
  if (!status.ok()) {
    for (absl::string_view line : absl::StrSplit(status.message(), '\n', absl::SkipEmpty())) {
      err << "pathpair " << command << ": " << line << "\n";
    }
  }
  return ExitCodeFor(status, verdict);
}

}  // namespace pathpair::subcommands
