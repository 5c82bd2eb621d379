// Run history: a local SQLite database of paired test runs, so that `pathpair history`,
// `pathpair show RUN_ID` and `pathpair diagnose RUN_ID` can list and reload past results.
//
// Each run is stored as an opaque payload (the full run, serialized by the caller as JSON or a
// binary proto) plus a few columns for listing. The store never overwrites, truncates or
// "repairs" a file it cannot read: a corrupt or foreign file gives a DataLoss /
// FailedPrecondition error naming the path, and the file is left exactly as it was.
//
//   PATHPAIR_ASSIGN_OR_RETURN(std::string path, history::DefaultHistoryPath());  // or a flag
//   PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<history::HistoryStore> store,
//                             history::HistoryStore::Open(path));
//   history::RunRecord run;
//   run.run_id = history::NewRunId(start);
//   run.start = start; run.end = absl::Now();
//   run.client = "local"; run.server = "agent.example:7443"; run.target = "198.51.100.7";
//   run.verdict = "degraded"; run.status = history::RunStatus::kComplete;
//   run.payload_format = "json"; run.payload = report_json;
//   PATHPAIR_RETURN_IF_ERROR(store->Save(run));
//   PATHPAIR_ASSIGN_OR_RETURN(std::vector<history::RunSummary> newest, store->List(20));
//   PATHPAIR_ASSIGN_OR_RETURN(history::RunRecord again, store->Load(run.run_id));
#ifndef PATHPAIR_CONTROLLER_HISTORY_HISTORY_STORE_H_
#define PATHPAIR_CONTROLLER_HISTORY_HISTORY_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct sqlite3;

namespace pathpair::history {

// The schema version this code reads and writes (PRAGMA user_version).
inline constexpr int kSchemaVersion = 1;

enum class RunStatus { kComplete, kPartial };

// "complete" / "partial", the strings stored in the database and shown in listings.
absl::string_view RunStatusName(RunStatus status);

// What `pathpair history` lists: everything about a run except its payload.
struct RunSummary {
  std::string run_id;
  absl::Time start = absl::UnixEpoch();
  absl::Time end = absl::UnixEpoch();
  std::string client;  // how the client side was described, e.g. "local" or "host:port"
  std::string server;  // the server agent, e.g. "agent.example:7443"
  std::string target;  // the forward target as the user gave it
  // The run's verdict: "healthy", "degraded" or "broken" (diagnosis::VerdictName). Runs stored
  // by older versions hold the most severe finding's code instead; `pathpair history` diagnoses
  // those again. May be empty.
  std::string verdict;
  RunStatus status = RunStatus::kComplete;
};

struct RunRecord : RunSummary {
  // How payload is encoded, e.g. "json" or "proto:pathpair.v1.PairedRun". Free text, <= 64
  // characters, so that readers can refuse a payload they do not understand.
  std::string payload_format;
  std::string payload;  // the full run, opaque to the store
};

// A new run id: the start time in UTC to the millisecond, then 8 random hex digits, e.g.
// "20261127T112540.123Z-3f9a1c0b". Ids sort by start time as plain strings.
std::string NewRunId(absl::Time start);

// Whether `run_id` has the shape NewRunId produces. Load() rejects other ids with
// INVALID_ARGUMENT before touching the database.
bool IsWellFormedRunId(absl::string_view run_id);
// Whether `text` is the beginning of such an id (non-empty, at most a whole id).
bool IsRunIdPrefix(absl::string_view text);

// The database used without --history-db: $PATHPAIR_HISTORY_DB when set and not empty (used as
// given: its directory must exist, as --history-db's must), else
// $XDG_DATA_HOME/pathpair/history.db, else $HOME/.local/share/pathpair/history.db, whose
// directories are created (mode 0700) when missing. Relative or empty XDG_DATA_HOME is ignored,
// as the XDG spec says. FailedPrecondition when none is set or the directory cannot be made.
absl::StatusOr<std::string> DefaultHistoryPath();
// The same choice from explicit values (nullptr = unset), creating nothing; for tests.
absl::StatusOr<std::string> DefaultHistoryPathFrom(const char* history_db,
                                                   const char* xdg_data_home, const char* home);

class HistoryStore {
 public:
  // Opens (creating if absent) the database at `path`, turns on WAL and creates or checks the
  // schema. Its directory must exist: a path in a directory that does not (a typo) is
  // InvalidArgument, never a directory made on the quiet. A new database is private: the file
  // is created 0600. A symbolic link at the path itself is never followed (its directories may
  // be links). Other errors: InvalidArgument for a symbolic link, DataLoss for a file that is not
  // a readable SQLite database, FailedPrecondition for a database of another program or a newer
  // schema version. In every error case an existing file is left untouched.
  static absl::StatusOr<std::unique_ptr<HistoryStore>> Open(const std::string& path);

  ~HistoryStore();
  HistoryStore(const HistoryStore&) = delete;
  HistoryStore& operator=(const HistoryStore&) = delete;

  // Stores a run. InvalidArgument for a malformed run id or payload_format; AlreadyExists if the
  // id is taken (runs are never replaced). Safe with other connections writing at the same time
  // (waits up to the busy timeout for the write lock).
  absl::Status Save(const RunRecord& run);

  // The newest runs first (by start time, then id), at most `limit` (>= 1).
  absl::StatusOr<std::vector<RunSummary>> List(int limit);

  // One run with its payload. InvalidArgument for a malformed id, NotFound for an unknown one.
  absl::StatusOr<RunRecord> Load(absl::string_view run_id);

  // The ids of the runs whose id starts with `prefix` (IsRunIdPrefix), newest first, at most
  // `limit` (>= 1). InvalidArgument for a malformed prefix.
  absl::StatusOr<std::vector<std::string>> FindRunIds(absl::string_view prefix, int limit);

  const std::string& path() const { return path_; }

 private:
  HistoryStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
};

}  // namespace pathpair::history

#endif  // PATHPAIR_CONTROLLER_HISTORY_HISTORY_STORE_H_
