#include "controller/subcommands/history_commands.h"

#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/status/exit_codes.h"
#include "controller/asn/mmdb_as_lookup.h"
#include "controller/history/history_store.h"
#include "controller/merge/path_merge.h"
#include "controller/merge/paths_json.h"
#include "controller/mtrjson/mtr_json.h"
#include "controller/paired/paired_diagnosis.h"
#include "controller/paired/paired_json.h"
#include "controller/report/common/time_format.h"
#include "controller/report/paired/paired_text_report.h"
#include "controller/report/trace/json_writer.h"
#include "controller/report/trace/report_writer.h"

namespace pathpair::subcommands {
namespace {

struct CommonFlags {
  bool json = false;
  bool numeric = false;
  int limit = 20;
  std::string history_db;
  std::string asn_db;
  std::vector<std::string> positional;
};

// Flags shared by the three commands; `allowed` lists which of them this command takes.
absl::StatusOr<CommonFlags> ParseCommon(const std::vector<std::string>& args, bool takes_limit,
                                        bool takes_short_json) {
  CommonFlags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--json" || (takes_short_json && arg == "-j")) {
      flags.json = true;
    } else if (arg == "-n" || arg == "--no-dns") {
      flags.numeric = true;
    } else if (arg == "--history-db" || arg.rfind("--history-db=", 0) == 0) {
      if (arg == "--history-db") {
        if (i + 1 >= args.size()) return absl::InvalidArgumentError("--history-db needs a path");
        flags.history_db = args[++i];
      } else {
        flags.history_db = arg.substr(13);
      }
      if (flags.history_db.empty()) return absl::InvalidArgumentError("--history-db is empty");
    } else if (!takes_limit && (arg == "--asn-db" || arg.rfind("--asn-db=", 0) == 0)) {
      if (arg == "--asn-db") {
        if (i + 1 >= args.size()) return absl::InvalidArgumentError("--asn-db needs a file");
        flags.asn_db = args[++i];
      } else {
        flags.asn_db = arg.substr(9);
      }
      if (flags.asn_db.empty()) return absl::InvalidArgumentError("--asn-db is empty");
    } else if (takes_limit && (arg == "--limit" || arg.rfind("--limit=", 0) == 0)) {
      std::string text;
      if (arg == "--limit") {
        if (i + 1 >= args.size()) return absl::InvalidArgumentError("--limit needs a number");
        text = args[++i];
      } else {
        text = arg.substr(8);
      }
      if (!absl::SimpleAtoi(text, &flags.limit) || flags.limit < 1 || flags.limit > 100000) {
        return absl::InvalidArgumentError(
            absl::StrCat("--limit must be a number from 1 to 100000, not '", text, "'"));
      }
    } else if (arg.size() > 1 && arg[0] == '-') {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '", arg, "'"));
    } else {
      flags.positional.push_back(arg);
    }
  }
  return flags;
}

absl::StatusOr<std::unique_ptr<history::HistoryStore>> OpenStore(const CommonFlags& flags,
                                                                 const HistoryDeps& deps) {
  std::string path = flags.history_db;
  if (path.empty()) {
    absl::StatusOr<std::string> default_path = deps.default_history_path();
    if (!default_path.ok()) return default_path.status();
    path = *default_path;
  }
  return history::HistoryStore::Open(path);
}

// A stored run, ready to print. Bad input (malformed/unknown id, foreign payload) is
// InvalidArgument/NotFound; a database that cannot be opened is anything else.

absl::StatusOr<paired::PairedRun> LoadRun(const std::string& run_id, const CommonFlags& flags,
                                          const HistoryDeps& deps, bool* bad_input) {
  *bad_input = true;
  if (!history::IsWellFormedRunId(run_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", run_id,
                     "' is not a run id (they look like 20261127T112540.123Z-3f9a1c0b; see "
                     "pathpair history)"));
  }
  absl::StatusOr<std::unique_ptr<history::HistoryStore>> store = OpenStore(flags, deps);
  if (!store.ok()) {
    *bad_input = false;
    return store.status();
  }
  absl::StatusOr<history::RunRecord> record = (*store)->Load(run_id);
  if (!record.ok()) {
    if (absl::IsNotFound(record.status())) {
      return absl::NotFoundError(absl::StrCat("no run '", run_id, "' in ", (*store)->path()));
    }
    if (absl::IsInvalidArgument(record.status())) return record.status();
    *bad_input = false;
    return record.status();
  }
  if (record->payload_format != paired::kRunPayloadFormat) {
    return absl::InvalidArgumentError(absl::StrCat("run '", run_id, "' is stored as '",
                                                   record->payload_format,
                                                   "', which this version cannot read"));
  }
  return paired::DeserializeRun(record->payload);
}

// The --asn-db database, or null without one. InvalidArgument/NotFound for a bad file.
absl::StatusOr<std::unique_ptr<asn::AsLookup>> OpenAsLookup(const CommonFlags& flags) {
  if (flags.asn_db.empty()) return std::unique_ptr<asn::AsLookup>();
  absl::StatusOr<std::unique_ptr<asn::MmdbAsLookup>> db = asn::MmdbAsLookup::Open(flags.asn_db);
  if (!db.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--asn-db: ", db.status().message()));
  }
  return std::unique_ptr<asn::AsLookup>(*std::move(db));
}

void PrintRun(const paired::PairedRun& run, bool json, bool numeric, asn::AsLookup* as_lookup,
              std::ostream& out) {
  std::optional<merge::MergedPaths> merged;
  if (run.client.trace.has_value() && run.server.trace.has_value()) {
    merged = merge::MergePaths(*run.client.trace, *run.server.trace, as_lookup);
  }
  const paired::DiagnosisOutput diagnosis = paired::DiagnosePairedRun(run, as_lookup);
  if (json) {
    const nlohmann::json paths =
        merged.has_value() ? merge::PathsToJson(*merged) : nlohmann::json();
    out << output::DumpJson(paired::PairedRunToJson(run, paths, diagnosis.json, !numeric));
  } else {
    out << paired::FormatPairedRunText(run, merged.has_value() ? &*merged : nullptr, diagnosis,
                                       {.use_names = !numeric});
  }
}

// A `pathpair test --json` / `show --json` report read back into a run (traces through the mtr
// JSON reader, one-way figures as printed). nullopt when `json` is not a paired report.
std::optional<absl::StatusOr<paired::PairedRun>> PairedRunFromReport(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("run_id") || !json.contains("forward") ||
      !json.contains("reverse")) {
    return std::nullopt;
  }
  paired::PairedRun run;
  run.run_id = json["run_id"].is_string() ? json["run_id"].get<std::string>() : "";
  for (const auto& [key, side] :
       {std::pair<const char*, paired::SideResult*>{"forward", &run.client},
        {"reverse", &run.server}}) {
    if (json[key].is_null()) continue;
    absl::StatusOr<v1::TraceResult> trace = mtrjson::ParseMtrJson(json[key].dump());
    if (!trace.ok()) {
      return absl::StatusOr<paired::PairedRun>(absl::InvalidArgumentError(
          absl::StrCat("\"", key, "\" of the paired report: ", trace.status().message())));
    }
    side->trace = *std::move(trace);
  }
  const char* roles[] = {"client", "server"};
  for (const char* role : roles) {
    const nlohmann::json& side = json.value(role, nlohmann::json());
    if (!side.is_object()) continue;
    paired::SideResult& into = std::string(role) == "client" ? run.client : run.server;
    if (side.contains("endpoint") && side["endpoint"].is_string()) into.endpoint = side["endpoint"];
    if (side.contains("error") && side["error"].is_string()) into.error = side["error"];
  }
  run.forward_target = run.client.trace.has_value() ? run.client.trace->target_address() : "";
  run.reverse_target = run.server.trace.has_value() ? run.server.trace->target_address() : "";
  const nlohmann::json& oneway = json.value("oneway", nlohmann::json());
  run.oneway_requested = oneway.is_object();
  auto stats = [](const nlohmann::json& j) -> std::optional<paired::OneWayStats> {
    if (!j.is_object()) return std::nullopt;
    paired::OneWayStats s;
    auto number = [&j](const char* k) {
      return j.contains(k) && j[k].is_number() ? j[k].get<double>() : 0.0;
    };
    s.sent = static_cast<int64_t>(number("sent"));
    s.received = static_cast<int64_t>(number("received"));
    s.loss_pct = number("loss_pct");
    const nlohmann::json& d = j.value("delay_ms", nlohmann::json());
    if (d.is_object()) {
      auto dn = [&d](const char* k) {
        return d.contains(k) && d[k].is_number() ? d[k].get<double>() : 0.0;
      };
      s.delay_min_ms = dn("min");
      s.delay_avg_ms = dn("avg");
      s.delay_max_ms = dn("max");
      s.delay_stdev_ms = dn("stdev");
    }
    if (j.contains("offset_error_ms") && j["offset_error_ms"].is_number()) {
      s.offset_error_ms = j["offset_error_ms"].get<double>();
    }
    if (j.contains("error") && j["error"].is_string()) s.error = j["error"];
    return s;
  };
  if (oneway.is_object()) {
    run.oneway_forward = stats(oneway.value("forward", nlohmann::json()));
    run.oneway_reverse = stats(oneway.value("reverse", nlohmann::json()));
  }
  return absl::StatusOr<paired::PairedRun>(std::move(run));
}

bool IsExistingFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
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
  absl::StatusOr<CommonFlags> flags = ParseCommon(args, /*takes_limit=*/true, false);
  if (flags.ok() && !flags->positional.empty()) {
    flags = absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", flags->positional[0], "'"));
  }
  if (!flags.ok()) {
    err << "pathpair history: " << flags.status().message()
        << "\nUsage: pathpair history [--json] [--limit N] [--history-db PATH]\n";
    return kExitBadInput;
  }
  absl::StatusOr<std::unique_ptr<history::HistoryStore>> store = OpenStore(*flags, deps);
  if (!store.ok()) {
    err << "pathpair history: " << store.status().message() << "\n";
    return kExitRuntimeError;
  }
  absl::StatusOr<std::vector<history::RunSummary>> runs = (*store)->List(flags->limit);
  if (!runs.ok()) {
    err << "pathpair history: " << runs.status().message() << "\n";
    return kExitRuntimeError;
  }
  if (flags->json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const history::RunSummary& r : *runs) {
      list.push_back({{"run_id", r.run_id},
                      {"start", output::FormatIsoUtc(absl::ToUnixMicros(r.start))},
                      {"end", output::FormatIsoUtc(absl::ToUnixMicros(r.end))},
                      {"status", std::string(history::RunStatusName(r.status))},
                      {"client", r.client},
                      {"server", r.server},
                      {"target", r.target},
                      {"verdict", r.verdict}});
    }
    out << output::DumpJson(list);
    return kExitOk;
  }
  out << absl::StrFormat("%-30s %-24s %-8s %-22s %-22s %-16s %s\n", "RUN_ID", "START", "STATUS",
                         "CLIENT", "SERVER", "TARGET", "VERDICT");
  for (const history::RunSummary& r : *runs) {
    out << absl::StrFormat("%-30s %-24s %-8s %-22s %-22s %-16s %s\n", r.run_id,
                           output::FormatMtrLocalTime(absl::ToUnixMicros(r.start)),
                           history::RunStatusName(r.status), r.client, r.server, r.target,
                           r.verdict);
  }
  return kExitOk;
}

int RunShowCommand(const std::vector<std::string>& args, const HistoryDeps& deps, std::ostream& out,
                   std::ostream& err) {
  absl::StatusOr<CommonFlags> flags = ParseCommon(args, false, /*takes_short_json=*/true);
  if (flags.ok() && flags->positional.size() != 1) {
    flags = absl::InvalidArgumentError(flags->positional.empty() ? "missing RUN_ID"
                                                                 : "give exactly one RUN_ID");
  }
  if (!flags.ok()) {
    err << "pathpair show: " << flags.status().message()
        << "\nUsage: pathpair show [--json] [-n] [--history-db PATH] [--asn-db FILE] RUN_ID\n";
    return kExitBadInput;
  }
  absl::StatusOr<std::unique_ptr<asn::AsLookup>> as_lookup = OpenAsLookup(*flags);
  if (!as_lookup.ok()) {
    err << "pathpair show: " << as_lookup.status().message() << "\n";
    return kExitBadInput;
  }
  bool bad_input = false;
  absl::StatusOr<paired::PairedRun> run = LoadRun(flags->positional[0], *flags, deps, &bad_input);
  if (!run.ok()) {
    err << "pathpair show: " << run.status().message() << "\n";
    return bad_input ? kExitBadInput : kExitRuntimeError;
  }
  PrintRun(*run, flags->json, flags->numeric, as_lookup->get(), out);
  return kExitOk;
}

int RunDiagnoseCommand(const std::vector<std::string>& args, const HistoryDeps& deps,
                       std::ostream& out, std::ostream& err) {
  absl::StatusOr<CommonFlags> flags = ParseCommon(args, false, /*takes_short_json=*/true);
  if (flags.ok() && flags->positional.size() != 1) {
    flags = absl::InvalidArgumentError(
        flags->positional.empty() ? "missing FILE or RUN_ID" : "give exactly one FILE or RUN_ID");
  }
  if (!flags.ok()) {
    err << "pathpair diagnose: " << flags.status().message()
        << "\nUsage: pathpair diagnose [-j|--json] [-n] [--history-db PATH] [--asn-db FILE] "
           "FILE|RUN_ID\n";
    return kExitBadInput;
  }
  absl::StatusOr<std::unique_ptr<asn::AsLookup>> as_lookup = OpenAsLookup(*flags);
  if (!as_lookup.ok()) {
    err << "pathpair diagnose: " << as_lookup.status().message() << "\n";
    return kExitBadInput;
  }
  const std::string& what = flags->positional[0];
  if (!IsExistingFile(what) && history::IsWellFormedRunId(what)) {
    bool bad_input = false;
    absl::StatusOr<paired::PairedRun> run = LoadRun(what, *flags, deps, &bad_input);
    if (!run.ok()) {
      err << "pathpair diagnose: " << run.status().message() << "\n";
      return bad_input ? kExitBadInput : kExitRuntimeError;
    }
    PrintRun(*run, flags->json, flags->numeric, as_lookup->get(), out);
    return kExitOk;
  }
  absl::StatusOr<std::string> text = deps.read_file(what);
  if (!text.ok()) {
    err << "pathpair diagnose: " << text.status().message()
        << " (give a pathpair trace -j or mtr -j JSON file, or a run id from pathpair history)\n";
    return kExitBadInput;
  }
  const nlohmann::json parsed = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (std::optional<absl::StatusOr<paired::PairedRun>> run = PairedRunFromReport(parsed)) {
    if (!run->ok()) {
      err << "pathpair diagnose: " << what << ": " << run->status().message() << "\n";
      return kExitBadInput;
    }
    PrintRun(**run, flags->json, flags->numeric, as_lookup->get(), out);
    return kExitOk;
  }
  absl::StatusOr<v1::TraceResult> trace = mtrjson::ParseMtrJson(*text);
  if (!trace.ok()) {
    err << "pathpair diagnose: " << what << ": " << trace.status().message() << "\n";
    return kExitBadInput;
  }
  const paired::DiagnosisOutput diagnosis = paired::DiagnoseOneTrace(*trace, as_lookup->get());
  if (flags->json) {
    nlohmann::ordered_json j =
        output::TraceToJson(*trace, output::JsonOptions{.use_names = !flags->numeric});
    if (diagnosis.json.forward.is_object()) {
      for (const auto& [key, value] : diagnosis.json.forward.items()) j["report"][key] = value;
    }
    out << output::DumpJson(j);
  } else {
    output::ReportOptions options;
    options.use_names = !flags->numeric;
    out << output::FormatReport(*trace, options);
    if (diagnosis.available) {
      out << "\n" << diagnosis.text;
    } else {
      out << "\nDiagnosis: not available in this build\n";
    }
  }
  return kExitOk;
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
