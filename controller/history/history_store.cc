#include "controller/history/history_store.h"

#include <libpq-fe.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/status/status_macros.h"
#include "controller/history/migrations.h"
#include "controller/history/postgres_connection.h"
#include "controller/history/sql_connection.h"
#include "controller/history/sqlite_connection.h"

namespace pathpair::history {
namespace {

constexpr size_t kMaxPayloadFormatLength = 64;

// mkdir -p for the parent directories of `path` (mode 0700: the history is private).
absl::Status MakeParentDirectories(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot create directory ", dir, ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

// The run columns every query reads, in ReadSummary's order.
constexpr const char* kSummaryColumns =
    "run_id, start_unix_us, end_unix_us, client, server, target, verdict, status, client_name, "
    "server_name";
constexpr int kSummaryColumnCount = 10;

std::string Cell(const SqlRow& row, size_t column) {
  return column < row.size() && row[column] ? *row[column] : std::string();
}

int64_t IntegerCell(const SqlRow& row, size_t column) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(Cell(row, column), &value)) return 0;
  return value;
}

absl::StatusOr<RunStatus> ParseRunStatus(absl::string_view text, absl::string_view where,
                                         absl::string_view run_id) {
  if (text == "complete") return RunStatus::kComplete;
  if (text == "partial") return RunStatus::kPartial;
  if (text == "failed") return RunStatus::kFailed;
  return absl::DataLossError(absl::StrCat("history database ", where, ": run ", run_id,
                                          " has an unknown status \"", text, "\""));
}

absl::Status ReadSummary(const SqlRow& row, absl::string_view where, RunSummary* out) {
  out->run_id = Cell(row, 0);
  out->start = absl::FromUnixMicros(IntegerCell(row, 1));
  out->end = absl::FromUnixMicros(IntegerCell(row, 2));
  out->client = Cell(row, 3);
  out->server = Cell(row, 4);
  out->target = Cell(row, 5);
  out->verdict = Cell(row, 6);
  PATHPAIR_ASSIGN_OR_RETURN(out->status, ParseRunStatus(Cell(row, 7), where, out->run_id));
  out->client_name = Cell(row, 8);
  out->server_name = Cell(row, 9);
  return absl::OkStatus();
}

absl::Status ReadRecord(const SqlRow& row, absl::string_view where, RunRecord* out) {
  PATHPAIR_RETURN_IF_ERROR(ReadSummary(row, where, out));
  out->payload_format = Cell(row, kSummaryColumnCount);
  out->payload = Cell(row, kSummaryColumnCount + 1);
  return absl::OkStatus();
}

constexpr const char* kSlotColumns =
    "test_key, slot_start_unix_us, replica, lease_until_unix_us, attempts, finished_unix_us, "
    "run_id, failure";

SlotRecord ReadSlot(const SqlRow& row) {
  SlotRecord slot;
  slot.test_key = Cell(row, 0);
  slot.slot_start = absl::FromUnixMicros(IntegerCell(row, 1));
  slot.replica = Cell(row, 2);
  slot.lease_until = absl::FromUnixMicros(IntegerCell(row, 3));
  slot.attempts = static_cast<int>(IntegerCell(row, 4));
  slot.finished = row.size() > 5 && row[5].has_value();
  if (slot.finished) slot.finished_at = absl::FromUnixMicros(IntegerCell(row, 5));
  slot.run_id = Cell(row, 6);
  slot.failure = Cell(row, 7);
  return slot;
}

AgentPresence ReadPresence(const SqlRow& row) {
  AgentPresence presence;
  presence.agent = Cell(row, 0);
  presence.replica = Cell(row, 1);
  presence.connected = IntegerCell(row, 2) != 0;
  presence.last_seen = absl::FromUnixMicros(IntegerCell(row, 3));
  return presence;
}

SqlValue Micros(absl::Time time) { return SqlValue::Integer(absl::ToUnixMicros(time)); }

absl::Status CheckNames(absl::string_view test_key, absl::string_view replica) {
  if (test_key.empty()) return absl::InvalidArgumentError("empty test key");
  if (replica.empty()) return absl::InvalidArgumentError("empty replica name");
  return absl::OkStatus();
}

// Runs `body` in a write transaction on `connection`, rolling back when it fails.
template <typename Body>
auto InTransaction(SqlConnection& connection, Body body) -> decltype(body()) {
  PATHPAIR_RETURN_IF_ERROR(connection.Begin());
  auto result = body();
  if (!result.ok()) {
    connection.Rollback();
    return result;
  }
  if (absl::Status committed = connection.Commit(); !committed.ok()) {
    connection.Rollback();
    return committed;
  }
  return result;
}

}  // namespace

absl::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kPartial:
      return "partial";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kComplete:
      break;
  }
  return "complete";
}

absl::string_view ClaimOutcomeName(ClaimOutcome outcome) {
  switch (outcome) {
    case ClaimOutcome::kClaimed:
      return "claimed";
    case ClaimOutcome::kTakenOver:
      return "taken_over";
    case ClaimOutcome::kHeld:
      return "held";
    case ClaimOutcome::kFinished:
      return "finished";
  }
  return "held";
}

std::string NewRunId(absl::Time start) {
  std::random_device random;
  uint32_t suffix = random();
  return absl::StrCat(absl::FormatTime("%Y%m%dT%H%M%E3SZ", start, absl::UTCTimeZone()), "-",
                      absl::StrFormat("%08x", suffix));
}

namespace {

// "%E3S" prints seconds as "SS.mmm", so NewRunId's ids look like
// "20261127T112540.123Z-3f9a1c0b".
constexpr absl::string_view kRunIdShape = "ddddddddTdddddd.dddZ-hhhhhhhh";

// Whether `text` fits the shape from its first character on (any length up to the shape's).
bool FitsRunIdShape(absl::string_view text) {
  if (text.size() > kRunIdShape.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (kRunIdShape[i]) {
      case 'd':
        if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
        break;
      case 'h':
        if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && !(c >= 'a' && c <= 'f')) {
          return false;
        }
        break;
      default:
        if (c != kRunIdShape[i]) return false;
    }
  }
  return true;
}

}  // namespace

bool IsWellFormedRunId(absl::string_view run_id) {
  return run_id.size() == kRunIdShape.size() && FitsRunIdShape(run_id);
}

bool IsRunIdPrefix(absl::string_view text) { return !text.empty() && FitsRunIdShape(text); }

absl::StatusOr<std::string> DefaultHistoryPathFrom(const char* history_db,
                                                   const char* xdg_data_home, const char* home) {
  if (history_db != nullptr && history_db[0] != '\0') return std::string(history_db);
  if (xdg_data_home != nullptr && xdg_data_home[0] == '/') {
    return absl::StrCat(xdg_data_home, "/pathpair/history.db");
  }
  if (home != nullptr && home[0] != '\0') {
    return absl::StrCat(home, "/.local/share/pathpair/history.db");
  }
  return absl::FailedPreconditionError(
      "cannot place the run history: none of PATHPAIR_HISTORY_DB, XDG_DATA_HOME and HOME is "
      "set; give a path");
}

absl::StatusOr<std::string> DefaultHistoryPath() {
  const char* history_db = std::getenv("PATHPAIR_HISTORY_DB");
  PATHPAIR_ASSIGN_OR_RETURN(
      std::string path,
      DefaultHistoryPathFrom(history_db, std::getenv("XDG_DATA_HOME"), std::getenv("HOME")));
  // The XDG place is ours to make; a path the user gave is used as given.
  if (history_db == nullptr || history_db[0] == '\0') {
    if (absl::Status made = MakeParentDirectories(path); !made.ok()) {
      return absl::FailedPreconditionError(made.message());
    }
  }
  return path;
}

absl::StatusOr<StoreLocation> ParseStoreLocation(absl::string_view text) {
  StoreLocation location;
  if (text.empty()) return absl::InvalidArgumentError("history database: empty location");
  if (absl::StartsWith(text, "postgresql://") || absl::StartsWith(text, "postgres://")) {
    location.kind = StoreLocation::Kind::kPostgres;
    location.postgres_url = std::string(text);
    location.display = RedactPassword(text);
    // libpq's own parser: a malformed URL is bad input, told before any connection attempt.
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(location.postgres_url.c_str(), &error);
    if (options == nullptr) {
      std::string why(error != nullptr ? absl::StripTrailingAsciiWhitespace(error) : "");
      PQfreemem(error);
      // libpq may quote a part of the URL; never one that could hold the password.
      if (why.empty() || RedactPassword(text) != text) why = "malformed";
      return absl::InvalidArgumentError(absl::StrCat("history database URL ", location.display,
                                                     ": ", why,
                                                     " (expected postgresql://[user@]host/db "
                                                     "or postgresql:///db?host=/socket/dir)"));
    }
    PQconninfoFree(options);
    return location;
  }
  absl::string_view path = text;
  if (absl::ConsumePrefix(&path, "sqlite:")) {
    if (absl::StartsWith(path, "//")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "history database ", text, ": write sqlite:PATH (e.g. sqlite:/var/lib/pathpair/h.db)"));
    }
  } else if (const size_t scheme = text.find("://");
             scheme != absl::string_view::npos && text.find('/') > scheme) {
    return absl::InvalidArgumentError(absl::StrCat(
        "history database ", RedactPassword(text), ": unknown kind of database \"",
        text.substr(0, scheme), "\" (give a path, sqlite:PATH or a postgresql:// URL)"));
  }
  if (path.empty()) return absl::InvalidArgumentError("history database path is empty");
  location.kind = StoreLocation::Kind::kSqlite;
  location.sqlite_path = std::string(path);
  location.display = std::string(path);
  return location;
}

std::string RedactPassword(absl::string_view url) {
  std::string redacted(url);
  // userinfo: scheme://user:PASSWORD@host
  if (const size_t scheme = redacted.find("://"); scheme != std::string::npos) {
    const size_t authority = scheme + 3;
    const size_t authority_end = redacted.find_first_of("/?", authority);
    const size_t at = redacted.rfind('@', authority_end);
    if (at != std::string::npos && at >= authority) {
      const size_t colon = redacted.find(':', authority);
      if (colon != std::string::npos && colon < at) {
        redacted.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  // A password=... parameter (URL query or key=value form).
  for (size_t at = redacted.find("password="); at != std::string::npos;
       at = redacted.find("password=", at + 1)) {
    const size_t value = at + 9;
    const size_t end = redacted.find_first_of("& ", value);
    redacted.replace(value, (end == std::string::npos ? redacted.size() : end) - value, "***");
  }
  return redacted;
}

HistoryStore::HistoryStore(std::unique_ptr<SqlConnection> connection, std::string display)
    : is_postgres_(connection->dialect().kind == Dialect::Kind::kPostgres),
      connection_(std::move(connection)),
      display_(std::move(display)) {}

HistoryStore::~HistoryStore() = default;

absl::StatusOr<std::unique_ptr<HistoryStore>> HistoryStore::Open(const std::string& location) {
  PATHPAIR_ASSIGN_OR_RETURN(const StoreLocation where, ParseStoreLocation(location));
  std::unique_ptr<SqlConnection> connection;
  if (where.kind == StoreLocation::Kind::kPostgres) {
    PATHPAIR_ASSIGN_OR_RETURN(connection,
                              OpenPostgresConnection(where.postgres_url, where.display));
  } else {
    PATHPAIR_ASSIGN_OR_RETURN(connection, OpenSqliteConnection(where.sqlite_path));
  }
  PATHPAIR_RETURN_IF_ERROR(Migrate(*connection).status());
  return std::unique_ptr<HistoryStore>(new HistoryStore(std::move(connection), where.display));
}

absl::StatusOr<int> HistoryStore::SchemaVersion() {
  absl::MutexLock lock(&mutex_);
  return connection_->RecordedVersion();
}

absl::Status HistoryStore::Save(const RunRecord& run) {
  if (!IsWellFormedRunId(run.run_id)) {
    return absl::InvalidArgumentError(absl::StrCat("malformed run id \"", run.run_id, "\""));
  }
  if (run.payload_format.empty() || run.payload_format.size() > kMaxPayloadFormatLength) {
    return absl::InvalidArgumentError("payload_format must be 1 to 64 characters");
  }
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<SqlResult> inserted = connection_->Execute(
      "INSERT INTO runs (run_id, start_unix_us, end_unix_us, client, server, target, verdict, "
      "status, client_name, server_name, payload_format, payload) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
      {SqlValue::Text(run.run_id), Micros(run.start), Micros(run.end), SqlValue::Text(run.client),
       SqlValue::Text(run.server), SqlValue::Text(run.target), SqlValue::Text(run.verdict),
       SqlValue::Text(RunStatusName(run.status)),
       SqlValue::Text(run.client_name.empty() ? run.client : run.client_name),
       SqlValue::Text(run.server_name.empty() ? run.server : run.server_name),
       SqlValue::Text(run.payload_format), SqlValue::Blob(run.payload)});
  if (absl::IsAlreadyExists(inserted.status())) {
    return absl::AlreadyExistsError(absl::StrCat("run ", run.run_id, " is already stored"));
  }
  return inserted.status();
}

absl::StatusOr<std::vector<RunSummary>> HistoryStore::List(int limit) {
  if (limit < 1) return absl::InvalidArgumentError("list limit must be at least 1");
  absl::MutexLock lock(&mutex_);
  PATHPAIR_ASSIGN_OR_RETURN(
      SqlResult result,
      connection_->Execute(absl::StrCat("SELECT ", kSummaryColumns,
                                        " FROM runs ORDER BY start_unix_us DESC, run_id DESC "
                                        "LIMIT $1"),
                           {SqlValue::Integer(limit)}));
  std::vector<RunSummary> runs;
  for (const SqlRow& row : result.rows) {
    RunSummary summary;
    PATHPAIR_RETURN_IF_ERROR(ReadSummary(row, display_, &summary));
    runs.push_back(std::move(summary));
  }
  return runs;
}

absl::StatusOr<std::vector<std::string>> HistoryStore::FindRunIds(absl::string_view prefix,
                                                                  int limit) {
  if (!IsRunIdPrefix(prefix)) {
    return absl::InvalidArgumentError(absl::StrCat("'", prefix, "' is not the start of a run id"));
  }
  if (limit < 1) return absl::InvalidArgumentError("limit must be at least 1");
  absl::MutexLock lock(&mutex_);
  // A prefix test both dialects read alike (ids hold no LIKE wildcards, but substr is exact).
  PATHPAIR_ASSIGN_OR_RETURN(
      SqlResult result,
      connection_->Execute(
          "SELECT run_id FROM runs WHERE substr(run_id, 1, $2) = $1 "
          "ORDER BY start_unix_us DESC, run_id DESC LIMIT $3",
          {SqlValue::Text(prefix), SqlValue::Integer(static_cast<int64_t>(prefix.size())),
           SqlValue::Integer(limit)}));
  std::vector<std::string> ids;
  for (const SqlRow& row : result.rows) ids.push_back(Cell(row, 0));
  return ids;
}

absl::StatusOr<RunRecord> HistoryStore::Load(absl::string_view run_id) {
  if (!IsWellFormedRunId(run_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed run id \"", run_id,
                     "\"; ids look like 20261127T112540.123Z-3f9a1c0b (see `pathpair history`)"));
  }
  absl::MutexLock lock(&mutex_);
  PATHPAIR_ASSIGN_OR_RETURN(
      SqlResult result,
      connection_->Execute(absl::StrCat("SELECT ", kSummaryColumns,
                                        ", payload_format, payload FROM runs WHERE run_id = $1"),
                           {SqlValue::Text(run_id)}));
  if (result.rows.empty()) {
    return absl::NotFoundError(absl::StrCat("no run ", run_id, " in the history at ", display_));
  }
  RunRecord run;
  PATHPAIR_RETURN_IF_ERROR(ReadRecord(result.rows[0], display_, &run));
  return run;
}

absl::StatusOr<SlotClaim> HistoryStore::ClaimSlot(absl::string_view test_key, absl::Time slot_start,
                                                  absl::string_view replica, absl::Duration lease,
                                                  absl::Time now) {
  PATHPAIR_RETURN_IF_ERROR(CheckNames(test_key, replica));
  if (lease <= absl::ZeroDuration()) return absl::InvalidArgumentError("lease must be positive");
  absl::MutexLock lock(&mutex_);
  SqlConnection& db = *connection_;
  const std::vector<SqlValue> key = {SqlValue::Text(test_key), Micros(slot_start)};
  return InTransaction(db, [&]() -> absl::StatusOr<SlotClaim> {
    SlotClaim claim;
    // A free slot: the insert wins, exactly once (the primary key).
    PATHPAIR_ASSIGN_OR_RETURN(
        SqlResult inserted,
        db.Execute("INSERT INTO slots (test_key, slot_start_unix_us, replica, "
                   "lease_until_unix_us, attempts) VALUES ($1, $2, $3, $4, 1) "
                   "ON CONFLICT (test_key, slot_start_unix_us) DO NOTHING",
                   {key[0], key[1], SqlValue::Text(replica), Micros(now + lease)}));
    if (inserted.affected_rows == 1) {
      claim.outcome = ClaimOutcome::kClaimed;
    } else {
      // A dead replica's slot: the update's condition is checked on the row it locks, so of
      // several replicas taking over at once only one matches.
      PATHPAIR_ASSIGN_OR_RETURN(
          SqlResult taken,
          db.Execute("UPDATE slots SET replica = $3, lease_until_unix_us = $4, "
                     "attempts = attempts + 1 WHERE test_key = $1 AND slot_start_unix_us = $2 "
                     "AND finished_unix_us IS NULL AND lease_until_unix_us <= $5",
                     {key[0], key[1], SqlValue::Text(replica), Micros(now + lease), Micros(now)}));
      claim.outcome = taken.affected_rows == 1 ? ClaimOutcome::kTakenOver : ClaimOutcome::kHeld;
    }
    PATHPAIR_ASSIGN_OR_RETURN(
        SqlResult row,
        db.Execute(absl::StrCat("SELECT ", kSlotColumns,
                                " FROM slots WHERE test_key = $1 AND slot_start_unix_us = $2"),
                   key));
    if (row.rows.empty()) return absl::InternalError("claimed slot vanished");
    claim.slot = ReadSlot(row.rows[0]);
    if (claim.outcome == ClaimOutcome::kHeld && claim.slot.finished) {
      claim.outcome = ClaimOutcome::kFinished;
    }
    return claim;
  });
}

absl::Status HistoryStore::RenewSlotLease(absl::string_view test_key, absl::Time slot_start,
                                          absl::string_view replica, absl::Duration lease,
                                          absl::Time now) {
  PATHPAIR_RETURN_IF_ERROR(CheckNames(test_key, replica));
  if (lease <= absl::ZeroDuration()) return absl::InvalidArgumentError("lease must be positive");
  absl::MutexLock lock(&mutex_);
  PATHPAIR_ASSIGN_OR_RETURN(
      SqlResult renewed,
      connection_->Execute("UPDATE slots SET lease_until_unix_us = $4 WHERE test_key = $1 AND "
                           "slot_start_unix_us = $2 AND replica = $3 AND finished_unix_us IS NULL",
                           {SqlValue::Text(test_key), Micros(slot_start), SqlValue::Text(replica),
                            Micros(now + lease)}));
  if (renewed.affected_rows != 1) {
    return absl::FailedPreconditionError(absl::StrCat("replica ", replica, " no longer holds slot ",
                                                      test_key, " @ ",
                                                      absl::FormatTime(slot_start)));
  }
  return absl::OkStatus();
}

absl::Status HistoryStore::FinishSlot(absl::string_view test_key, absl::Time slot_start,
                                      absl::string_view replica, absl::string_view run_id,
                                      absl::string_view failure, absl::Time now) {
  PATHPAIR_RETURN_IF_ERROR(CheckNames(test_key, replica));
  if (run_id.empty() == failure.empty()) {
    return absl::InvalidArgumentError("a finished slot has either a run id or a failure reason");
  }
  absl::MutexLock lock(&mutex_);
  PATHPAIR_ASSIGN_OR_RETURN(
      SqlResult finished,
      connection_->Execute(
          "UPDATE slots SET finished_unix_us = $4, run_id = $5, failure = $6 WHERE test_key = $1 "
          "AND slot_start_unix_us = $2 AND replica = $3 AND finished_unix_us IS NULL",
          {SqlValue::Text(test_key), Micros(slot_start), SqlValue::Text(replica), Micros(now),
           run_id.empty() ? SqlValue::Null() : SqlValue::Text(run_id),
           failure.empty() ? SqlValue::Null() : SqlValue::Text(failure)}));
  if (finished.affected_rows != 1) {
    return absl::FailedPreconditionError(absl::StrCat("replica ", replica, " does not hold slot ",
                                                      test_key, " @ ", absl::FormatTime(slot_start),
                                                      " (taken over or already finished)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SlotRecord> HistoryStore::GetSlot(absl::string_view test_key,
                                                 absl::Time slot_start) {
  absl::MutexLock lock(&mutex_);
  PATHPAIR_ASSIGN_OR_RETURN(
      SqlResult result,
      connection_->Execute(
          absl::StrCat("SELECT ", kSlotColumns,
                       " FROM slots WHERE test_key = $1 AND slot_start_unix_us = $2"),
          {SqlValue::Text(test_key), Micros(slot_start)}));
  if (result.rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("slot ", test_key, " @ ", absl::FormatTime(slot_start), " was never claimed"));
  }
  return ReadSlot(result.rows[0]);
}

absl::StatusOr<std::vector<SlotRecord>> HistoryStore::ListSlots(absl::string_view test_key,
                                                                int limit) {
  if (limit < 1) return absl::InvalidArgumentError("limit must be at least 1");
  absl::MutexLock lock(&mutex_);
  PATHPAIR_ASSIGN_OR_RETURN(
      SqlResult result,
      connection_->Execute(absl::StrCat("SELECT ", kSlotColumns,
                                        " FROM slots WHERE $1 = '' OR test_key = $1 "
                                        "ORDER BY slot_start_unix_us DESC, test_key LIMIT $2"),
                           {SqlValue::Text(test_key), SqlValue::Integer(limit)}));
  std::vector<SlotRecord> slots;
  for (const SqlRow& row : result.rows) slots.push_back(ReadSlot(row));
  return slots;
}

absl::Status HistoryStore::Heartbeat(absl::string_view replica, absl::string_view info,
                                     absl::Time now) {
  if (replica.empty()) return absl::InvalidArgumentError("empty replica name");
  absl::MutexLock lock(&mutex_);
  return connection_
      ->Execute(
          "INSERT INTO replicas (replica, last_heartbeat_unix_us, info) VALUES ($1, $2, $3) "
          "ON CONFLICT (replica) DO UPDATE SET last_heartbeat_unix_us = excluded."
          "last_heartbeat_unix_us, info = excluded.info",
          {SqlValue::Text(replica), Micros(now), SqlValue::Text(info)})
      .status();
}

absl::StatusOr<std::vector<ReplicaRecord>> HistoryStore::ListReplicas() {
  absl::MutexLock lock(&mutex_);
  PATHPAIR_ASSIGN_OR_RETURN(
      SqlResult result,
      connection_->Execute(
          "SELECT replica, last_heartbeat_unix_us, info FROM replicas ORDER BY replica", {}));
  std::vector<ReplicaRecord> replicas;
  for (const SqlRow& row : result.rows) {
    replicas.push_back({Cell(row, 0), absl::FromUnixMicros(IntegerCell(row, 1)), Cell(row, 2)});
  }
  return replicas;
}

absl::Status HistoryStore::SetAgentPresence(absl::string_view agent, absl::string_view replica,
                                            bool connected, absl::Time now) {
  PATHPAIR_RETURN_IF_ERROR(CheckNames(agent, replica));
  absl::MutexLock lock(&mutex_);
  if (connected) {
    return connection_
        ->Execute(
            "INSERT INTO agents (agent, replica, connected, last_seen_unix_us) "
            "VALUES ($1, $2, 1, $3) ON CONFLICT (agent) DO UPDATE SET replica = "
            "excluded.replica, connected = 1, last_seen_unix_us = excluded.last_seen_unix_us",
            {SqlValue::Text(agent), SqlValue::Text(replica), Micros(now)})
        .status();
  }
  // Only the replica that holds the agent may say it left: it may have reconnected elsewhere.
  return connection_
      ->Execute(
          "UPDATE agents SET connected = 0, last_seen_unix_us = $3 "
          "WHERE agent = $1 AND replica = $2",
          {SqlValue::Text(agent), SqlValue::Text(replica), Micros(now)})
      .status();
}

absl::StatusOr<AgentPresence> HistoryStore::GetAgentPresence(absl::string_view agent) {
  absl::MutexLock lock(&mutex_);
  PATHPAIR_ASSIGN_OR_RETURN(
      SqlResult result,
      connection_->Execute("SELECT agent, replica, connected, last_seen_unix_us FROM agents "
                           "WHERE agent = $1",
                           {SqlValue::Text(agent)}));
  if (result.rows.empty()) return absl::NotFoundError(absl::StrCat("agent ", agent, " never seen"));
  return ReadPresence(result.rows[0]);
}

absl::StatusOr<std::vector<AgentPresence>> HistoryStore::ListAgentPresence() {
  absl::MutexLock lock(&mutex_);
  PATHPAIR_ASSIGN_OR_RETURN(
      SqlResult result,
      connection_->Execute(
          "SELECT agent, replica, connected, last_seen_unix_us FROM agents ORDER BY agent", {}));
  std::vector<AgentPresence> agents;
  for (const SqlRow& row : result.rows) agents.push_back(ReadPresence(row));
  return agents;
}

absl::StatusOr<std::vector<RunCount>> HistoryStore::CountRuns() {
  absl::MutexLock lock(&mutex_);
  PATHPAIR_ASSIGN_OR_RETURN(
      SqlResult result,
      connection_->Execute("SELECT client_name, server_name, status, count(*) FROM runs "
                           "GROUP BY client_name, server_name, status "
                           "ORDER BY client_name, server_name, status",
                           {}));
  std::vector<RunCount> counts;
  for (const SqlRow& row : result.rows) {
    RunCount count;
    count.client_name = Cell(row, 0);
    count.server_name = Cell(row, 1);
    PATHPAIR_ASSIGN_OR_RETURN(count.status, ParseRunStatus(Cell(row, 2), display_, "(count)"));
    count.count = IntegerCell(row, 3);
    counts.push_back(std::move(count));
  }
  return counts;
}

absl::StatusOr<std::vector<RunRecord>> HistoryStore::LatestRunPerPair() {
  absl::MutexLock lock(&mutex_);
  PATHPAIR_ASSIGN_OR_RETURN(
      SqlResult result,
      connection_->Execute(
          absl::StrCat("SELECT ", kSummaryColumns,
                       ", payload_format, payload FROM (SELECT *, row_number() OVER (PARTITION "
                       "BY client_name, server_name ORDER BY start_unix_us DESC, run_id DESC) "
                       "AS newest FROM runs) AS ranked WHERE newest = 1 "
                       "ORDER BY client_name, server_name"),
          {}));
  std::vector<RunRecord> runs;
  for (const SqlRow& row : result.rows) {
    RunRecord run;
    PATHPAIR_RETURN_IF_ERROR(ReadRecord(row, display_, &run));
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace pathpair::history
