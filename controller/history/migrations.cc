#include "controller/history/migrations.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/status/status_macros.h"
#include "controller/history/history_store.h"

namespace pathpair::history {
namespace {

// Step 1 is the schema of pathpair before migrations (SQLite, PRAGMA user_version = 1), kept
// word for word apart from BIGINT (SQLite gives it the same INTEGER affinity; PostgreSQL's
// INTEGER would be 32 bits).
constexpr const char* kStep1 = R"sql(
CREATE TABLE runs (
  run_id         TEXT PRIMARY KEY NOT NULL,
  start_unix_us  BIGINT NOT NULL,
  end_unix_us    BIGINT NOT NULL,
  client         TEXT NOT NULL,
  server         TEXT NOT NULL,
  target         TEXT NOT NULL,
  verdict        TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('complete', 'partial')),
  payload_format TEXT NOT NULL,
  payload        {blob} NOT NULL
);
CREATE INDEX runs_newest_first ON runs (start_unix_us DESC, run_id DESC);
)sql";

// Step 2, fleet mode (issue 12): both agents by name, the 'failed' status, schedule slots,
// replica heartbeats and agent presence. The runs table is rebuilt (neither dialect can widen
// a CHECK in place); every run is copied, its endpoints becoming its agents' names.
constexpr const char* kStep2 = R"sql(
CREATE TABLE runs_v2 (
  run_id         TEXT PRIMARY KEY NOT NULL,
  start_unix_us  BIGINT NOT NULL,
  end_unix_us    BIGINT NOT NULL,
  client         TEXT NOT NULL,
  server         TEXT NOT NULL,
  target         TEXT NOT NULL,
  client_name    TEXT NOT NULL,
  server_name    TEXT NOT NULL,
  verdict        TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('complete', 'partial', 'failed')),
  payload_format TEXT NOT NULL,
  payload        {blob} NOT NULL
);
INSERT INTO runs_v2 (run_id, start_unix_us, end_unix_us, client, server, target, client_name,
                     server_name, verdict, status, payload_format, payload)
  SELECT run_id, start_unix_us, end_unix_us, client, server, target, client, server, verdict,
         status, payload_format, payload FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v2 RENAME TO runs;
CREATE INDEX runs_newest_first ON runs (start_unix_us DESC, run_id DESC);
CREATE INDEX runs_by_pair ON runs (client_name, server_name, start_unix_us DESC, run_id DESC);
CREATE TABLE slots (
  test_key           TEXT NOT NULL,
  slot_start_unix_us BIGINT NOT NULL,
  replica            TEXT NOT NULL,
  lease_until_unix_us BIGINT NOT NULL,
  attempts           BIGINT NOT NULL,
  finished_unix_us   BIGINT,
  run_id             TEXT,
  failure            TEXT,
  PRIMARY KEY (test_key, slot_start_unix_us)
);
CREATE TABLE replicas (
  replica                TEXT PRIMARY KEY NOT NULL,
  last_heartbeat_unix_us BIGINT NOT NULL,
  info                   TEXT NOT NULL
);
CREATE TABLE agents (
  agent             TEXT PRIMARY KEY NOT NULL,
  replica           TEXT NOT NULL,
  connected         BIGINT NOT NULL,
  last_seen_unix_us BIGINT NOT NULL
);
)sql";

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY NOT NULL, "
    "description TEXT NOT NULL, applied_unix_us BIGINT NOT NULL)";

absl::Status NewerSchemaError(const SqlConnection& connection, int version) {
  return absl::FailedPreconditionError(absl::StrCat(
      "history database ", connection.display(), " has schema version ", version,
      ", newer than this pathpair understands (", kSchemaVersion, "); upgrade pathpair"));
}

// Applies `step` if the database is still below it. Under the write lock, so that two
// processes opening a database at once cannot see each other's half-made schema.
absl::Status ApplyLocked(SqlConnection& connection, const MigrationStep& step, bool* applied) {
  PATHPAIR_RETURN_IF_ERROR(connection.LockForMigration());
  PATHPAIR_ASSIGN_OR_RETURN(int version, connection.RecordedVersion());
  if (version > kSchemaVersion) return NewerSchemaError(connection, version);
  if (version >= step.version) return absl::OkStatus();
  if (version == 0) {
    PATHPAIR_ASSIGN_OR_RETURN(bool foreign, connection.HoldsForeignTables());
    if (foreign) {
      return absl::FailedPreconditionError(absl::StrCat(
          "history database ", connection.display(),
          " already holds tables of another program (schema version 0); it was left untouched"));
    }
  }
  for (absl::string_view statement : absl::StrSplit(step.sql, ";\n")) {
    statement = absl::StripAsciiWhitespace(statement);
    if (statement.empty()) continue;
    PATHPAIR_RETURN_IF_ERROR(connection.Execute(statement, {}).status());
  }
  PATHPAIR_RETURN_IF_ERROR(connection.Execute(kCreateMigrationsTable, {}).status());
  PATHPAIR_RETURN_IF_ERROR(
      connection
          .Execute("INSERT INTO schema_migrations (version, description, applied_unix_us) "
                   "VALUES ($1, $2, $3)",
                   {SqlValue::Integer(step.version), SqlValue::Text(step.description),
                    SqlValue::Integer(absl::ToUnixMicros(absl::Now()))})
          .status());
  PATHPAIR_RETURN_IF_ERROR(connection.RecordVersion(step.version));
  *applied = true;
  return absl::OkStatus();
}

}  // namespace

const std::vector<MigrationStep>& MigrationSteps() {
  static const std::vector<MigrationStep>* const steps = new std::vector<MigrationStep>{
      {1, "runs", kStep1},
      {2, "fleet: agent names, failed runs, slots, replicas, agents", kStep2},
  };
  return *steps;
}

absl::StatusOr<bool> Migrate(SqlConnection& connection) {
  // Reading the version is the first access to the contents: a file that is not SQLite fails
  // here (DataLoss) before anything is written.
  PATHPAIR_ASSIGN_OR_RETURN(const int initial, connection.RecordedVersion());
  if (initial > kSchemaVersion) return NewerSchemaError(connection, initial);
  bool any_applied = false;
  for (const MigrationStep& step : MigrationSteps()) {
    if (step.version <= initial) continue;
    PATHPAIR_RETURN_IF_ERROR(connection.Begin());
    bool applied = false;
    if (absl::Status status = ApplyLocked(connection, step, &applied); !status.ok()) {
      connection.Rollback();  // leaves the database as it was before this step
      return status;
    }
    PATHPAIR_RETURN_IF_ERROR(connection.Commit());
    any_applied = any_applied || applied;
  }
  if (any_applied) connection.AfterMigrations(initial == 0);
  return initial == 0 && any_applied;
}

}  // namespace pathpair::history
