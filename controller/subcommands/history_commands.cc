#include "controller/subcommands/history_commands.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/status/status_macros.h"
#include "controller/diagnosis/finding.h"
#include "controller/history/history_store.h"
#include "controller/merge/path_merge.h"
#include "controller/merge/paths_json.h"
#include "controller/mtrjson/mtr_json.h"
#include "controller/mtrjson/untrusted_json.h"
#include "controller/paired/paired_diagnosis.h"
#include "controller/paired/paired_json.h"
#include "controller/paired/run_payload.h"
#include "controller/report/common/time_format.h"
#include "controller/report/paired/paired_text_report.h"
#include "controller/report/trace/json_writer.h"
#include "controller/report/trace/report_writer.h"
#include "controller/subcommands/command_line.h"

namespace pathpair::subcommands {
namespace {

// The flags `history`, `show` and `diagnose` share (each declares those it takes).
struct ReadFlags {
  bool json = false;
  bool numeric = false;
  int limit = 20;
  std::string history_db;
  std::string asn_db;
  std::string geo_db;
  bool diagnose_exit = false;
  std::string what;  // show: RUN_ID; diagnose: FILE or RUN_ID
};

// The databases --asn-db and --geo-db opened (each null without its flag).
struct Lookups {
  std::unique_ptr<asn::AsLookup> as;
  std::unique_ptr<geo::GeoLookup> geo;
};

void AddHistoryDbFlag(CLI::App& app, ReadFlags& flags) {
  app.add_option("--history-db", flags.history_db, kHistoryDbHelp)->type_name("PATH|URL");
}

// -j/--json, -n/--no-dns, --history-db, --asn-db, --geo-db, --diagnose-exit and one
// positional argument.
void AddReportFlags(CLI::App& app, ReadFlags& flags, const char* diagnose_exit_help,
                    const char* positional, const char* positional_help) {
  app.add_flag("-j,--json", flags.json, "the JSON report instead of text");
  app.add_flag("-n,--no-dns", flags.numeric, "addresses only, no names");
  AddHistoryDbFlag(app, flags);
  app.add_option("--asn-db", flags.asn_db, "MaxMind-format ASN database (AS paths, areas)")
      ->type_name("FILE");
  app.add_option("--geo-db", flags.geo_db,
                 "MaxMind-format city database (checks long links against the distance)")
      ->type_name("FILE");
  app.add_flag("--diagnose-exit", flags.diagnose_exit, diagnose_exit_help);
  app.add_option(positional, flags.what, positional_help)->required();
}

absl::StatusOr<std::unique_ptr<history::HistoryStore>> OpenStore(const ReadFlags& flags,
                                                                 const HistoryDeps& deps) {
  return OpenHistoryStore(flags.history_db, deps.default_history_path);
}

// How `show` and `diagnose` name a stored run: "last", a whole id, or its unique beginning.
bool NamesARun(const std::string& what) { return what == kLastRun || history::IsRunIdPrefix(what); }

// The id `what` (NamesARun) stands for in `store`. NotFound when no run fits; InvalidArgument
// when a prefix fits several (listing them).
absl::StatusOr<std::string> ResolveRunId(const std::string& what, history::HistoryStore& store) {
  constexpr int kCandidatesShown = 10;
  if (what == kLastRun) {
    PATHPAIR_ASSIGN_OR_RETURN(const std::vector<history::RunSummary> newest, store.List(1));
    if (newest.empty()) return absl::NotFoundError(absl::StrCat("no runs in ", store.path()));
    return newest.front().run_id;
  }
  if (history::IsWellFormedRunId(what)) return what;
  PATHPAIR_ASSIGN_OR_RETURN(const std::vector<std::string> ids,
                            store.FindRunIds(what, kCandidatesShown + 1));
  if (ids.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no run whose id starts with '", what, "' in ", store.path()));
  }
  if (ids.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", what, "' is the start of several run ids; give more of it:\n  ",
        absl::StrJoin(ids.begin(), ids.begin() + std::min<size_t>(ids.size(), kCandidatesShown),
                      "\n  "),
        ids.size() > kCandidatesShown ? "\n  ..." : ""));
  }
  return ids.front();
}

// A stored run, ready to print: `what` is "last", a run id or its unique beginning. Bad input
// (a malformed, unknown or ambiguous id, a payload this version cannot read) is
// InvalidArgument/NotFound; a database that cannot be opened or read is anything else
// (command_line.h maps the codes to exit codes).
absl::StatusOr<v1::PairedRun> LoadRun(const std::string& what, const ReadFlags& flags,
                                      const HistoryDeps& deps) {
  if (!NamesARun(what)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", what,
                     "' is not a run id (they look like 20261127T112540.123Z-3f9a1c0b, and any "
                     "unique beginning of one or 'last' will do; see pathpair history)"));
  }
  PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<history::HistoryStore> store, OpenStore(flags, deps));
  PATHPAIR_ASSIGN_OR_RETURN(const std::string run_id, ResolveRunId(what, *store));
  absl::StatusOr<history::RunRecord> record = store->Load(run_id);
  if (absl::IsNotFound(record.status())) {
    return absl::NotFoundError(absl::StrCat("no run '", run_id, "' in ", store->path()));
  }
  if (!record.ok()) return record.status();
  absl::StatusOr<v1::PairedRun> run = paired::DecodeRun(record->payload_format, record->payload);
  if (!run.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("run '", run_id, "': ", run.status().message()));
  }
  return run;
}

// InvalidArgument for a bad file.
absl::StatusOr<Lookups> OpenLookups(const ReadFlags& flags) {
  Lookups lookups;
  PATHPAIR_ASSIGN_OR_RETURN(lookups.as, OpenAsDatabase(flags.asn_db));
  PATHPAIR_ASSIGN_OR_RETURN(lookups.geo, OpenGeoDatabase(flags.geo_db));
  return lookups;
}

// Prints a stored or saved run; returns its verdict.
v1::Verdict PrintRun(const v1::PairedRun& run, const ReadFlags& flags, const Lookups& lookups,
                     std::ostream& out) {
  asn::AsLookup* as_lookup = lookups.as.get();
  const std::optional<merge::MergedPaths> merged = merge::MergeRun(run, as_lookup);
  const paired::DiagnosisOutput diagnosis =
      paired::DiagnosePairedRun(run, as_lookup, lookups.geo.get());
  if (flags.json) {
    const nlohmann::json paths =
        merged.has_value() ? merge::PathsToJson(*merged) : nlohmann::json();
    out << output::DumpJson(paired::PairedRunToJson(run, paths, diagnosis.json, !flags.numeric));
  } else {
    out << paired::FormatPairedRunText(run, merged.has_value() ? &*merged : nullptr, diagnosis,
                                       {.use_names = !flags.numeric});
  }
  return diagnosis.verdict;
}

// One trace (`pathpair trace -j` or mtr -j) with its findings; returns its verdict.
v1::Verdict PrintTrace(const v1::TraceResult& trace, const ReadFlags& flags, const Lookups& lookups,
                       std::ostream& out) {
  const paired::DiagnosisOutput diagnosis =
      paired::DiagnoseOneTrace(trace, lookups.as.get(), lookups.geo.get());
  if (flags.json) {
    nlohmann::ordered_json j =
        output::TraceToJson(trace, output::JsonOptions{.use_names = !flags.numeric});
    if (diagnosis.json.forward.is_object()) {
      for (const auto& [key, value] : diagnosis.json.forward.items()) j["report"][key] = value;
    }
    out << output::DumpJson(j);
  } else {
    output::ReportOptions options;
    options.use_names = !flags.numeric;
    out << output::FormatReport(trace, options);
    if (diagnosis.available) {
      out << "\n" << diagnosis.text;
    } else {
      out << "\nDiagnosis: not available in this build\n";
    }
  }
  return diagnosis.verdict;
}

// A paired run printed by `show` or `diagnose`: its verdict when the run is complete, partial
// (Aborted) when it is not.
absl::Status PrintedRunStatus(const v1::PairedRun& run, v1::Verdict verdict,
                              std::optional<v1::Verdict>& exit_verdict) {
  exit_verdict = verdict;
  return PairedRunStatus(run, /*stored=*/true);
}

constexpr absl::string_view kVerdictNames[] = {"healthy", "degraded", "broken"};

// The verdict `history` lists for a run. Runs stored before the verdict column held the verdict
// (it held the most severe finding's code) are diagnosed again from their payload; "" when that
// fails.
std::string ListedVerdict(const history::RunSummary& summary, history::HistoryStore& store) {
  if (std::find(std::begin(kVerdictNames), std::end(kVerdictNames), summary.verdict) !=
      std::end(kVerdictNames)) {
    return summary.verdict;
  }
  absl::StatusOr<history::RunRecord> record = store.Load(summary.run_id);
  if (!record.ok()) return "";
  absl::StatusOr<v1::PairedRun> run = paired::DecodeRun(record->payload_format, record->payload);
  if (!run.ok()) return "";
  const v1::Verdict verdict = run->verdict() != v1::VERDICT_UNSPECIFIED
                                  ? run->verdict()
                                  : paired::DiagnosePairedRun(*run, nullptr).verdict;
  return verdict == v1::VERDICT_UNSPECIFIED ? "" : diagnosis::VerdictName(verdict);
}

bool IsExistingFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

absl::Status History(const std::vector<std::string>& args, const HistoryDeps& deps,
                     std::ostream& out) {
  CLI::App app("Lists the stored paired test runs, newest first.", "pathpair history");
  ReadFlags flags;
  app.add_flag("--json", flags.json, "a JSON array instead of a table");
  app.add_flag("-n,--no-dns", flags.numeric, "accepted for symmetry (the list has no names)");
  app.add_option("--limit", flags.limit, "at most N runs")
      ->type_name("N")
      ->check(CLI::Range(1, 100000));
  AddHistoryDbFlag(app, flags);
  PATHPAIR_ASSIGN_OR_RETURN(const bool go_on, ParseFlags(app, args, out));
  if (!go_on) return absl::OkStatus();
  PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<history::HistoryStore> store, OpenStore(flags, deps));
  absl::StatusOr<std::vector<history::RunSummary>> runs = store->List(flags.limit);
  if (!runs.ok()) return absl::FailedPreconditionError(runs.status().message());
  for (history::RunSummary& r : *runs) r.verdict = ListedVerdict(r, *store);
  if (flags.json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const history::RunSummary& r : *runs) {
      list.push_back({{"run_id", r.run_id},
                      {"start", output::FormatIsoUtc(absl::ToUnixMicros(r.start))},
                      {"end", output::FormatIsoUtc(absl::ToUnixMicros(r.end))},
                      {"status", std::string(history::RunStatusName(r.status))},
                      {"client", r.client},
                      {"server", r.server},
                      {"target", r.target},
                      {"verdict", r.verdict.empty() ? nlohmann::ordered_json()
                                                    : nlohmann::ordered_json(r.verdict)}});
    }
    out << output::DumpJson(list);
    return absl::OkStatus();
  }
  out << absl::StrFormat("%-30s %-24s %-8s %-22s %-22s %-16s %s\n", "RUN_ID", "START", "STATUS",
                         "CLIENT", "SERVER", "TARGET", "VERDICT");
  for (const history::RunSummary& r : *runs) {
    out << absl::StrFormat("%-30s %-24s %-8s %-22s %-22s %-16s %s\n", r.run_id,
                           output::FormatMtrLocalTime(absl::ToUnixMicros(r.start)),
                           history::RunStatusName(r.status), r.client, r.server, r.target,
                           r.verdict);
  }
  return absl::OkStatus();
}

absl::Status Show(const std::vector<std::string>& args, const HistoryDeps& deps, std::ostream& out,
                  std::optional<v1::Verdict>& exit_verdict) {
  CLI::App app("Prints a stored run as `pathpair test` printed it.", "pathpair show");
  ReadFlags flags;
  AddReportFlags(
      app, flags, "exit with the run's verdict (0 healthy, 3 degraded, 4 broken, 5 partial run)",
      "RUN_ID", "the run, from pathpair history: its id, a unique beginning of it, or 'last'");
  PATHPAIR_ASSIGN_OR_RETURN(const bool go_on, ParseFlags(app, args, out));
  if (!go_on) return absl::OkStatus();
  PATHPAIR_ASSIGN_OR_RETURN(const Lookups lookups, OpenLookups(flags));
  PATHPAIR_ASSIGN_OR_RETURN(const v1::PairedRun run, LoadRun(flags.what, flags, deps));
  const v1::Verdict verdict = PrintRun(run, flags, lookups, out);
  if (!flags.diagnose_exit) return absl::OkStatus();
  return PrintedRunStatus(run, verdict, exit_verdict);
}

absl::Status Diagnose(const std::vector<std::string>& args, const HistoryDeps& deps,
                      std::ostream& out, std::optional<v1::Verdict>& exit_verdict) {
  CLI::App app(
      "Diagnoses a saved trace (pathpair trace -j or mtr -j), a saved pathpair test --json\n"
      "report, or a stored run.",
      "pathpair diagnose");
  ReadFlags flags;
  AddReportFlags(app, flags,
                 "exit with the verdict (the default for diagnose: 0 healthy, 3 degraded, 4 "
                 "broken, 5 partial run)",
                 "FILE|RUN_ID",
                 "a JSON file, or a run from pathpair history (id, unique beginning, 'last')");
  app.footer(
      "Exit: the verdict (0 healthy, 3 degraded, 4 broken), 5 for a partial paired run, 2 bad\n"
      "input (options, files, run ids), 1 when the history cannot be read.");
  PATHPAIR_ASSIGN_OR_RETURN(const bool go_on, ParseFlags(app, args, out));
  if (!go_on) return absl::OkStatus();
  PATHPAIR_ASSIGN_OR_RETURN(const Lookups lookups, OpenLookups(flags));
  const std::string& what = flags.what;
  if (!IsExistingFile(what) && NamesARun(what)) {
    PATHPAIR_ASSIGN_OR_RETURN(const v1::PairedRun run, LoadRun(what, flags, deps));
    return PrintedRunStatus(run, PrintRun(run, flags, lookups, out), exit_verdict);
  }
  absl::StatusOr<std::string> text = deps.read_file(what);
  if (!text.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        text.status().message(),
        " (give a pathpair trace -j or mtr -j JSON file, or a run id from pathpair history)"));
  }
  const nlohmann::json parsed = mtrjson::ParseUntrustedJson(*text);
  if (std::optional<absl::StatusOr<v1::PairedRun>> run = paired::PairedRunFromJson(parsed)) {
    if (!run->ok()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", run->status().message()));
    }
    return PrintedRunStatus(**run, PrintRun(**run, flags, lookups, out), exit_verdict);
  }
  absl::StatusOr<v1::TraceResult> trace = mtrjson::ParseMtrJson(*text);
  if (!trace.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", trace.status().message()));
  }
  exit_verdict = PrintTrace(*trace, flags, lookups, out);
  return absl::OkStatus();
}

}  // namespace

HistoryDeps SystemHistoryDeps() {
  HistoryDeps deps;
  deps.default_history_path = [] { return history::DefaultHistoryPath(); };
  deps.read_file = [](const std::string& path) -> absl::StatusOr<std::string> {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat("no such file '", path, "'"));
    }
    if (!S_ISREG(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat("'", path, "' is not a regular file"));
    }
    if (static_cast<size_t>(st.st_size) > mtrjson::kMaxMtrJsonBytes) {
      return absl::InvalidArgumentError(absl::StrCat("'", path, "' is too large"));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read '", path, "'"));
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  };
  return deps;
}

int RunHistoryCommand(const std::vector<std::string>& args, const HistoryDeps& deps,
                      std::ostream& out, std::ostream& err) {
  return FinishCommand("history", History(args, deps, out), err);
}

int RunShowCommand(const std::vector<std::string>& args, const HistoryDeps& deps, std::ostream& out,
                   std::ostream& err) {
  std::optional<v1::Verdict> verdict;
  const absl::Status status = Show(args, deps, out, verdict);
  return FinishCommand("show", status, err, verdict);
}

int RunDiagnoseCommand(const std::vector<std::string>& args, const HistoryDeps& deps,
                       std::ostream& out, std::ostream& err) {
  std::optional<v1::Verdict> verdict;
  const absl::Status status = Diagnose(args, deps, out, verdict);
  return FinishCommand("diagnose", status, err, verdict);
}

int RunHistoryMain(const std::vector<std::string>& args) {
  return RunHistoryCommand(args, SystemHistoryDeps(), std::cout, std::cerr);
}
int RunShowMain(const std::vector<std::string>& args) {
  return RunShowCommand(args, SystemHistoryDeps(), std::cout, std::cerr);
}
int RunDiagnoseMain(const std::vector<std::string>& args) {
  return RunDiagnoseCommand(args, SystemHistoryDeps(), std::cout, std::cerr);
}

}  // namespace pathpair::subcommands
