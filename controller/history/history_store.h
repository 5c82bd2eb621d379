// Run history and fleet coordination: ONE store of paired test runs, on SQLite (the embedded
// default, a local file) or PostgreSQL (shared by several `pathpair serve` replicas). `pathpair
// history`, `show`, `diagnose` and `test` read and write runs; `pathpair serve` also claims
// schedule slots, records replica heartbeats and agent presence, and reads the figures behind
// /metrics from here.
//
// Each run is stored as an opaque payload (the full run, serialized by the caller as JSON or a
// binary proto) plus a few columns for listing. The schema is versioned: numbered migration
// steps (controller/history/migrations.h), each applied in a transaction and recorded in the
// database, bring any older database forward. The store never overwrites, truncates or
// "repairs" a file it cannot read: a corrupt or foreign file gives a DataLoss /
// FailedPrecondition error naming the path, and the file is left exactly as it was.
//
// Every method is thread-safe (one connection behind a mutex). A lost PostgreSQL connection
// gives Unavailable; the next call reconnects, so the caller just retries.
//
//   // A path, "sqlite:PATH", "postgresql://..." or "postgres://..." (a libpq URL).
//   PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<history::HistoryStore> store,
//                             history::HistoryStore::Open("postgresql:///pathpair?host=/run/pg"));
//   history::RunRecord run;
//   run.run_id = history::NewRunId(start);
//   run.start = start; run.end = absl::Now();
//   run.client = "local"; run.server = "agent.example:7443"; run.target = "198.51.100.7";
//   run.client_name = "office"; run.server_name = "dc";
//   run.verdict = "degraded"; run.status = history::RunStatus::kComplete;
//   run.payload_format = "json"; run.payload = report_json;
//   PATHPAIR_RETURN_IF_ERROR(store->Save(run));
//   PATHPAIR_ASSIGN_OR_RETURN(std::vector<history::RunSummary> newest, store->List(20));
//   PATHPAIR_ASSIGN_OR_RETURN(history::RunRecord again, store->Load(run.run_id));
//
//   // A replica of `pathpair serve` runs a scheduled slot only when it wins the claim:
//   PATHPAIR_ASSIGN_OR_RETURN(history::SlotClaim claim,
//       store->ClaimSlot("office->dc", slot_start, "replica-a", absl::Seconds(30), now));
//   if (claim.outcome == history::ClaimOutcome::kClaimed ||
//       claim.outcome == history::ClaimOutcome::kTakenOver) {
//     ... run the test, Save() the run ...
//     store->FinishSlot("office->dc", slot_start, "replica-a", run.run_id, "", absl::Now());
//   }
#ifndef PATHPAIR_CONTROLLER_HISTORY_HISTORY_STORE_H_
#define PATHPAIR_CONTROLLER_HISTORY_HISTORY_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pathpair::history {

class SqlConnection;  // sql_connection.h: the one place where SQLite and PostgreSQL differ

// The schema version this code reads and writes: the number of the last migration step
// (migrations.h). SQLite also keeps it in PRAGMA user_version; version 1 is the schema of
// pathpair before migrations (runs only).
inline constexpr int kSchemaVersion = 2;

// complete: both directions measured; partial: one side failed (the other is stored); failed:
// nothing measured (an agent down, say), the reason in the payload or the slot's failure.
enum class RunStatus { kComplete, kPartial, kFailed };

// "complete" / "partial" / "failed", the strings stored in the database and shown in listings.
absl::string_view RunStatusName(RunStatus status);

// What `pathpair history` lists: everything about a run except its payload.
struct RunSummary {
  std::string run_id;
  absl::Time start = absl::UnixEpoch();
  absl::Time end = absl::UnixEpoch();
  std::string client;  // how the client side was described, e.g. "local" or "host:port"
  std::string server;  // the server agent, e.g. "agent.example:7443"
  std::string target;  // the forward target as the user gave it
  // The two agents by name: a fleet agent's configured name, or for `pathpair test` the
  // endpoint text (the same as client/server). Runs stored before schema version 2 get
  // client/server here. /metrics labels come from these.
  std::string client_name;
  std::string server_name;
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

// Where a store lives, parsed from what the user gave (--history-db, PATHPAIR_HISTORY_DB, the
// serve config's `database:`).
struct StoreLocation {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  std::string sqlite_path;   // kSqlite: the file
  std::string postgres_url;  // kPostgres: the libpq URL as given (may hold a password)
  std::string display;       // for messages and logs: the path, or the URL without password
};

// "sqlite:PATH" and a plain path (no "scheme://") are SQLite; "postgresql://..." and
// "postgres://..." are PostgreSQL. Anything else with a scheme ("mysql://", "sqlite://x",
// "http:...") and an empty string are InvalidArgument, with a message that never holds the
// password. Checks the form only; nothing is opened.
absl::StatusOr<StoreLocation> ParseStoreLocation(absl::string_view text);

// `url` with any password replaced by "***" (in the userinfo or a password= parameter).
std::string RedactPassword(absl::string_view url);

// ---- Fleet coordination (pathpair serve) ----

// What ClaimSlot did.
enum class ClaimOutcome {
  kClaimed,    // the slot was free: this replica holds it now
  kTakenOver,  // another replica held it but its lease expired unfinished: this one holds it now
  kHeld,       // a replica (maybe this one: see holder) holds it with a live lease: do not run
  kFinished,   // the slot was already run (or given up) by someone: do not run
};
absl::string_view ClaimOutcomeName(ClaimOutcome outcome);

// One schedule slot of one test: a row per (test_key, slot_start).
struct SlotRecord {
  std::string test_key;                       // the scheduled test, e.g. "office->dc"
  absl::Time slot_start = absl::UnixEpoch();  // stored to the microsecond
  std::string replica;                        // who holds (or held, at the end) the slot
  absl::Time lease_until = absl::UnixEpoch();
  int attempts = 0;  // 1 on the first claim, +1 per takeover
  bool finished = false;
  absl::Time finished_at = absl::UnixEpoch();
  std::string run_id;   // the run recorded for it (when finished with one)
  std::string failure;  // why it has no run (when finished without one)
};

struct SlotClaim {
  ClaimOutcome outcome = ClaimOutcome::kHeld;
  SlotRecord slot;  // the slot as it is after the claim
};

// A replica of `pathpair serve`, from its heartbeats.
struct ReplicaRecord {
  std::string replica;
  absl::Time last_heartbeat = absl::UnixEpoch();
  std::string info;  // free text the replica publishes (address, version); may be empty
};

// Where a dial-in agent is connected: the replica holding its stream routes its commands.
struct AgentPresence {
  std::string agent;
  std::string replica;  // the replica that holds (or last held) its connection
  bool connected = false;
  absl::Time last_seen = absl::UnixEpoch();
};

// pathpair_test_runs_total{client,server,status}.
struct RunCount {
  std::string client_name;
  std::string server_name;
  RunStatus status = RunStatus::kComplete;
  int64_t count = 0;
};

class HistoryStore {
 public:
  // Opens (creating if absent) the store at `location` (ParseStoreLocation's forms) and brings
  // its schema up to kSchemaVersion (migrations.h). Bad form: InvalidArgument. PostgreSQL:
  // Unavailable when the server cannot be reached, PermissionDenied when it refuses the login,
  // FailedPrecondition for a database of a newer schema; messages never hold the password.
  //
  // SQLite: opens (creating if absent) the database at the path and turns on WAL. Its directory
  // must exist: a path in a directory that does not (a typo) is InvalidArgument, never a directory
  // made on the quiet. A new database is private: the file is created 0600. A symbolic link at the
  // path itself is never followed (its directories may be links). Other errors: InvalidArgument for
  // a symbolic link, DataLoss for a file that is not a readable SQLite database, FailedPrecondition
  // for a database of another program or a newer schema version. In every error case an existing
  // file is left untouched.
  static absl::StatusOr<std::unique_ptr<HistoryStore>> Open(const std::string& location);

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

  // ---- Fleet coordination. `now` is injected wherever time decides something. ----

  // Claims slot (test_key, slot_start) for `replica` until now + lease, exactly once across
  // every replica and process sharing the store: a free slot is claimed; an unfinished slot
  // whose lease expired (lease_until <= now) is taken over; otherwise the slot is left alone
  // (kHeld, kFinished). Atomic (one transaction; PostgreSQL: INSERT ... ON CONFLICT DO NOTHING
  // then a conditional UPDATE; SQLite: BEGIN IMMEDIATE). InvalidArgument for an empty key or
  // replica, or a lease <= 0.
  absl::StatusOr<SlotClaim> ClaimSlot(absl::string_view test_key, absl::Time slot_start,
                                      absl::string_view replica, absl::Duration lease,
                                      absl::Time now);

  // Extends the lease of a slot `replica` holds, unfinished, to now + lease. FailedPrecondition
  // when it no longer holds it (taken over, finished) or never did.
  absl::Status RenewSlotLease(absl::string_view test_key, absl::Time slot_start,
                              absl::string_view replica, absl::Duration lease, absl::Time now);

  // Marks the slot finished by `replica`, with the run it recorded (run_id, already Saved) or,
  // with an empty run_id, the reason there is none (`failure`, not empty). FailedPrecondition
  // when `replica` does not hold the slot (another replica took it over, or it is finished).
  absl::Status FinishSlot(absl::string_view test_key, absl::Time slot_start,
                          absl::string_view replica, absl::string_view run_id,
                          absl::string_view failure, absl::Time now);

  // One slot; NotFound when never claimed.
  absl::StatusOr<SlotRecord> GetSlot(absl::string_view test_key, absl::Time slot_start);
  // The slots of `test_key` (every test when empty), newest slot first, at most `limit`.
  absl::StatusOr<std::vector<SlotRecord>> ListSlots(absl::string_view test_key, int limit);

  // Records that `replica` is alive at `now` (insert or update), with free text `info`.
  absl::Status Heartbeat(absl::string_view replica, absl::string_view info, absl::Time now);
  // Every replica that ever sent a heartbeat, by name. The caller decides who is alive
  // (last_heartbeat within its interval).
  absl::StatusOr<std::vector<ReplicaRecord>> ListReplicas();

  // Records that dial-in agent `agent` is (connected) or is no longer (!connected) held by
  // `replica` at `now`. A disconnect from a replica that no longer holds the agent (it
  // reconnected elsewhere meanwhile) changes nothing.
  absl::Status SetAgentPresence(absl::string_view agent, absl::string_view replica, bool connected,
                                absl::Time now);
  // One agent's presence; NotFound when never seen.
  absl::StatusOr<AgentPresence> GetAgentPresence(absl::string_view agent);
  // Every agent ever seen, by name.
  absl::StatusOr<std::vector<AgentPresence>> ListAgentPresence();

  // ---- For /metrics (every replica computes the same figures from here). ----

  // Run counts by (client_name, server_name, status), ordered by those.
  absl::StatusOr<std::vector<RunCount>> CountRuns();
  // The newest run (by start, then id) of every (client_name, server_name) pair, with its
  // payload, ordered by pair.
  absl::StatusOr<std::vector<RunRecord>> LatestRunPerPair();

  // Where the store is, for messages: the SQLite path as given, or the URL without password.
  const std::string& path() const { return display_; }
  // Whether this store is PostgreSQL (false: SQLite).
  bool is_postgres() const { return is_postgres_; }

  // The schema version recorded in the database (kSchemaVersion once opened).
  absl::StatusOr<int> SchemaVersion();

 private:
  HistoryStore(std::unique_ptr<SqlConnection> connection, std::string display);

  const bool is_postgres_;
  absl::Mutex mutex_;
  std::unique_ptr<SqlConnection> connection_ ABSL_GUARDED_BY(mutex_);
  std::string display_;
};

}  // namespace pathpair::history

#endif  // PATHPAIR_CONTROLLER_HISTORY_HISTORY_STORE_H_
