#include "controller/history/history_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/status_macros.h"

namespace pathpair::history {
namespace {

constexpr int kBusyTimeoutMs = 10000;
constexpr size_t kMaxPayloadFormatLength = 64;

constexpr const char* kCreateSchema = R"sql(
CREATE TABLE runs (
  run_id         TEXT PRIMARY KEY NOT NULL,
  start_unix_us  INTEGER NOT NULL,
  end_unix_us    INTEGER NOT NULL,
  client         TEXT NOT NULL,
  server         TEXT NOT NULL,
  target         TEXT NOT NULL,
  verdict        TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('complete', 'partial')),
  payload_format TEXT NOT NULL,
  payload        BLOB NOT NULL
);
CREATE INDEX runs_newest_first ON runs (start_unix_us DESC, run_id DESC);
PRAGMA user_version = 1;
)sql";

// Owns a prepared statement.
class Statement {
 public:
  Statement() = default;
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt** out() { return &stmt_; }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

bool IsCorruption(int code) {
  int primary = code & 0xff;
  return primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT;
}

absl::Status SqliteError(sqlite3* db, int code, absl::string_view path, absl::string_view what) {
  std::string message = absl::StrCat("history database ", path, ": ", what, ": ",
                                     db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code));
  if (IsCorruption(code)) {
    return absl::DataLossError(absl::StrCat(
        message,
        ". The file is not a readable SQLite database; it was left untouched. Move it aside to "
        "start a new history."));
  }
  int primary = code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return absl::UnavailableError(message);
  }
  if (primary == SQLITE_CANTOPEN || primary == SQLITE_PERM || primary == SQLITE_READONLY) {
    return absl::PermissionDeniedError(message);
  }
  return absl::InternalError(message);
}

absl::Status Prepare(sqlite3* db, absl::string_view path, const char* sql, Statement* stmt) {
  int rc = sqlite3_prepare_v2(db, sql, -1, stmt->out(), nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc, path, "preparing a statement");
  return absl::OkStatus();
}

// Runs a single-row query returning one integer.
absl::StatusOr<int64_t> QueryInt(sqlite3* db, absl::string_view path, const char* sql) {
  Statement stmt;
  PATHPAIR_RETURN_IF_ERROR(Prepare(db, path, sql, &stmt));
  int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) return SqliteError(db, rc, path, sql);
  return sqlite3_column_int64(stmt.get(), 0);
}

absl::Status Exec(sqlite3* db, absl::string_view path, const char* sql) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc, path, sql);
  return absl::OkStatus();
}

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

// `path` with its directories resolved (realpath) and its last component as it is.
absl::StatusOr<std::string> ResolveDirectories(const std::string& path) {
  const std::filesystem::path as_given(path);
  const std::string dir = as_given.has_parent_path() ? as_given.parent_path().string() : ".";
  char* real = realpath(dir.c_str(), nullptr);
  if (real == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot resolve directory ", dir, ": ", std::strerror(errno)));
  }
  std::string resolved = absl::StrCat(real, "/", as_given.filename().string());
  free(real);
  return resolved;
}

absl::Status NewerSchemaError(const std::string& path, int64_t version) {
  return absl::FailedPreconditionError(absl::StrCat(
      "history database ", path, " has schema version ", version,
      ", newer than this pathpair understands (", kSchemaVersion, "); upgrade pathpair"));
}

// Creates the schema in an empty database, or checks an existing one. Under the write lock, so
// that two processes opening a new file at once cannot see each other's half-made schema.
absl::Status CreateSchemaLocked(sqlite3* db, const std::string& path) {
  PATHPAIR_ASSIGN_OR_RETURN(int64_t version, QueryInt(db, path, "PRAGMA user_version"));
  if (version == kSchemaVersion) return absl::OkStatus();
  if (version > kSchemaVersion) return NewerSchemaError(path, version);
  PATHPAIR_ASSIGN_OR_RETURN(int64_t table_count,
                            QueryInt(db, path, "SELECT count(*) FROM sqlite_master"));
  if (table_count != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "history database ", path,
        " already holds tables of another program (schema version 0); it was left untouched"));
  }
  return Exec(db, path, kCreateSchema);
}

absl::Status CreateOrCheckSchema(sqlite3* db, const std::string& path) {
  // Reading the schema is the first access to the file's contents: a file that is not SQLite
  // fails here with SQLITE_NOTADB before anything is written.
  PATHPAIR_ASSIGN_OR_RETURN(int64_t version, QueryInt(db, path, "PRAGMA user_version"));
  if (version > kSchemaVersion) return NewerSchemaError(path, version);
  if (version < kSchemaVersion) {
    PATHPAIR_RETURN_IF_ERROR(Exec(db, path, "BEGIN IMMEDIATE"));
    const absl::Status created = CreateSchemaLocked(db, path);
    if (!created.ok()) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);  // leaves the file as it was
      return created;
    }
    PATHPAIR_RETURN_IF_ERROR(Exec(db, path, "COMMIT"));
    // WAL lets readers and a writer work at once; the mode is kept in the file, so whoever made
    // the schema sets it. SQLite answers "locked" without waiting when another connection is
    // open at that moment: the file then stays in rollback-journal mode, which loses nothing.
    sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
  }
  return absl::OkStatus();
}

std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  int size = sqlite3_column_bytes(stmt, column);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), size);
}

absl::Status ReadSummary(sqlite3_stmt* stmt, absl::string_view path, RunSummary* out) {
  out->run_id = ColumnText(stmt, 0);
  out->start = absl::FromUnixMicros(sqlite3_column_int64(stmt, 1));
  out->end = absl::FromUnixMicros(sqlite3_column_int64(stmt, 2));
  out->client = ColumnText(stmt, 3);
  out->server = ColumnText(stmt, 4);
  out->target = ColumnText(stmt, 5);
  out->verdict = ColumnText(stmt, 6);
  std::string status = ColumnText(stmt, 7);
  if (status == "complete") {
    out->status = RunStatus::kComplete;
  } else if (status == "partial") {
    out->status = RunStatus::kPartial;
  } else {
    return absl::DataLossError(absl::StrCat("history database ", path, ": run ", out->run_id,
                                            " has an unknown status \"", status, "\""));
  }
  return absl::OkStatus();
}

absl::Status BindText(sqlite3* db, absl::string_view path, sqlite3_stmt* stmt, int index,
                      absl::string_view text) {
  int rc =
      sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) return SqliteError(db, rc, path, "binding a value");
  return absl::OkStatus();
}

}  // namespace

absl::string_view RunStatusName(RunStatus status) {
  return status == RunStatus::kPartial ? "partial" : "complete";
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

absl::StatusOr<std::unique_ptr<HistoryStore>> HistoryStore::Open(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("history database path is empty");
  // Never through a symbolic link at the path itself: one planted there (say by someone who
  // can write to the directory) would make this process write wherever it points. Its
  // directories may be links (a home directory on another disk): they are resolved once, here,
  // and the file is then opened in the resolved directory with O_NOFOLLOW and
  // SQLITE_OPEN_NOFOLLOW, which closes the race between the checks and the open.
  struct stat info;
  bool exists = lstat(path.c_str(), &info) == 0;
  if (!exists) {
    // Its directory must exist: a path in one that does not (a typo) is an error, never a
    // directory made on the quiet (DefaultHistoryPath makes the default place).
    const size_t slash = path.rfind('/');
    const std::string directory = slash == std::string::npos ? "."
                                  : slash == 0               ? "/"
                                                             : path.substr(0, slash);
    if (stat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("history database ", path, ": directory ", directory, " does not exist"));
    }
  }
  PATHPAIR_ASSIGN_OR_RETURN(const std::string resolved, ResolveDirectories(path));
  exists = lstat(resolved.c_str(), &info) == 0;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW;
  if (exists) {
    if (S_ISLNK(info.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("history database ", path, " is a symbolic link; refusing to follow it"));
    }
    if (!S_ISREG(info.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("history database ", path, " is not a regular file"));
    }
  } else {
    // Created here rather than by SQLite, so that it is private (0600) from the first moment;
    // SQLite gives its journal and WAL files the same mode. O_EXCL: never an existing file.
    const int fd =
        open(resolved.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot create history database ", path, ": ", std::strerror(errno)));
    }
    if (fd >= 0) close(fd);
    if (lstat(resolved.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("history database ", path, " is not a regular file"));
    }
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(resolved.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status =
        (rc & 0xff) == SQLITE_CANTOPEN && sqlite3_extended_errcode(db) == SQLITE_CANTOPEN_SYMLINK
            ? absl::InvalidArgumentError(
                  absl::StrCat("history database ", path, " is a symbolic link"))
            : SqliteError(db, rc, path, "cannot open");
    sqlite3_close_v2(db);
    return status;
  }
  std::unique_ptr<HistoryStore> store(new HistoryStore(db, path));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  PATHPAIR_RETURN_IF_ERROR(CreateOrCheckSchema(db, path));
  return store;
}

HistoryStore::~HistoryStore() { sqlite3_close_v2(db_); }

absl::Status HistoryStore::Save(const RunRecord& run) {
  if (!IsWellFormedRunId(run.run_id)) {
    return absl::InvalidArgumentError(absl::StrCat("malformed run id \"", run.run_id, "\""));
  }
  if (run.payload_format.empty() || run.payload_format.size() > kMaxPayloadFormatLength) {
    return absl::InvalidArgumentError("payload_format must be 1 to 64 characters");
  }
  Statement stmt;
  PATHPAIR_RETURN_IF_ERROR(Prepare(db_, path_,
                                   "INSERT INTO runs (run_id, start_unix_us, end_unix_us, client, "
                                   "server, target, verdict, status, payload_format, payload) "
                                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                                   &stmt));
  sqlite3_stmt* s = stmt.get();
  PATHPAIR_RETURN_IF_ERROR(BindText(db_, path_, s, 1, run.run_id));
  sqlite3_bind_int64(s, 2, absl::ToUnixMicros(run.start));
  sqlite3_bind_int64(s, 3, absl::ToUnixMicros(run.end));
  PATHPAIR_RETURN_IF_ERROR(BindText(db_, path_, s, 4, run.client));
  PATHPAIR_RETURN_IF_ERROR(BindText(db_, path_, s, 5, run.server));
  PATHPAIR_RETURN_IF_ERROR(BindText(db_, path_, s, 6, run.target));
  PATHPAIR_RETURN_IF_ERROR(BindText(db_, path_, s, 7, run.verdict));
  PATHPAIR_RETURN_IF_ERROR(BindText(db_, path_, s, 8, RunStatusName(run.status)));
  PATHPAIR_RETURN_IF_ERROR(BindText(db_, path_, s, 9, run.payload_format));
  int rc = sqlite3_bind_blob64(s, 10, run.payload.data(), run.payload.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, path_, "binding the payload");
  rc = sqlite3_step(s);
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
    return absl::AlreadyExistsError(absl::StrCat("run ", run.run_id, " is already stored"));
  }
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, path_, "storing a run");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RunSummary>> HistoryStore::List(int limit) {
  if (limit < 1) return absl::InvalidArgumentError("list limit must be at least 1");
  Statement stmt;
  PATHPAIR_RETURN_IF_ERROR(Prepare(db_, path_,
                                   "SELECT run_id, start_unix_us, end_unix_us, client, server, "
                                   "target, verdict, status FROM runs "
                                   "ORDER BY start_unix_us DESC, run_id DESC LIMIT ?1",
                                   &stmt));
  sqlite3_bind_int(stmt.get(), 1, limit);
  std::vector<RunSummary> runs;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    RunSummary summary;
    PATHPAIR_RETURN_IF_ERROR(ReadSummary(stmt.get(), path_, &summary));
    runs.push_back(std::move(summary));
  }
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, path_, "listing runs");
  return runs;
}

absl::StatusOr<std::vector<std::string>> HistoryStore::FindRunIds(absl::string_view prefix,
                                                                  int limit) {
  if (!IsRunIdPrefix(prefix)) {
    return absl::InvalidArgumentError(absl::StrCat("'", prefix, "' is not the start of a run id"));
  }
  if (limit < 1) return absl::InvalidArgumentError("limit must be at least 1");
  Statement stmt;
  PATHPAIR_RETURN_IF_ERROR(Prepare(db_, path_,
                                   "SELECT run_id FROM runs WHERE substr(run_id, 1, length(?1)) = "
                                   "?1 ORDER BY start_unix_us DESC, run_id DESC LIMIT ?2",
                                   &stmt));
  PATHPAIR_RETURN_IF_ERROR(BindText(db_, path_, stmt.get(), 1, prefix));
  sqlite3_bind_int(stmt.get(), 2, limit);
  std::vector<std::string> ids;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) ids.push_back(ColumnText(stmt.get(), 0));
  if (rc != SQLITE_DONE) return SqliteError(db_, rc, path_, "finding runs");
  return ids;
}

absl::StatusOr<RunRecord> HistoryStore::Load(absl::string_view run_id) {
  if (!IsWellFormedRunId(run_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed run id \"", run_id,
                     "\"; ids look like 20261127T112540.123Z-3f9a1c0b (see `pathpair history`)"));
  }
  Statement stmt;
  PATHPAIR_RETURN_IF_ERROR(Prepare(db_, path_,
                                   "SELECT run_id, start_unix_us, end_unix_us, client, server, "
                                   "target, verdict, status, payload_format, payload FROM runs "
                                   "WHERE run_id = ?1",
                                   &stmt));
  PATHPAIR_RETURN_IF_ERROR(BindText(db_, path_, stmt.get(), 1, run_id));
  int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(absl::StrCat("no run ", run_id, " in the history at ", path_));
  }
  if (rc != SQLITE_ROW) return SqliteError(db_, rc, path_, "loading a run");
  RunRecord run;
  PATHPAIR_RETURN_IF_ERROR(ReadSummary(stmt.get(), path_, &run));
  run.payload_format = ColumnText(stmt.get(), 8);
  const void* blob = sqlite3_column_blob(stmt.get(), 9);
  int size = sqlite3_column_bytes(stmt.get(), 9);
  if (blob != nullptr) run.payload.assign(static_cast<const char*>(blob), size);
  return run;
}

}  // namespace pathpair::history
