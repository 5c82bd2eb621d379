#include "controller/history/sqlite_connection.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace pathpair::history {
namespace {

constexpr int kBusyTimeoutMs = 10000;

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
  if (code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE) {
    return absl::AlreadyExistsError(message);
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

class SqliteConnection : public SqlConnection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override { sqlite3_close_v2(db_); }

  const Dialect& dialect() const override { return dialect_; }
  const std::string& display() const override { return path_; }

  absl::StatusOr<SqlResult> Execute(absl::string_view sql,
                                    const std::vector<SqlValue>& params) override {
    const std::string rendered = dialect_.Render(sql);
    Statement stmt;
    int rc = sqlite3_prepare_v2(db_, rendered.c_str(), -1, stmt.out(), nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, path_, "preparing a statement");
    for (size_t i = 0; i < params.size(); ++i) {
      const SqlValue& value = params[i];
      const int index = static_cast<int>(i) + 1;
      switch (value.type) {
        case SqlValue::Type::kNull:
          rc = sqlite3_bind_null(stmt.get(), index);
          break;
        case SqlValue::Type::kInteger:
          rc = sqlite3_bind_int64(stmt.get(), index, value.integer);
          break;
        case SqlValue::Type::kText:
          rc = sqlite3_bind_text64(stmt.get(), index, value.bytes.data(), value.bytes.size(),
                                   SQLITE_TRANSIENT, SQLITE_UTF8);
          break;
        case SqlValue::Type::kBlob:
          rc = sqlite3_bind_blob64(stmt.get(), index, value.bytes.data(), value.bytes.size(),
                                   SQLITE_TRANSIENT);
          break;
      }
      if (rc != SQLITE_OK) return SqliteError(db_, rc, path_, "binding a value");
    }
    SqlResult result;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      const int columns = sqlite3_column_count(stmt.get());
      SqlRow row(columns);
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(stmt.get(), c) == SQLITE_NULL) continue;
        // Integers come back in decimal (SQLite's INTEGER -> TEXT/BLOB conversion).
        const void* bytes = sqlite3_column_blob(stmt.get(), c);
        const int size = sqlite3_column_bytes(stmt.get(), c);
        row[c] =
            bytes == nullptr ? std::string() : std::string(static_cast<const char*>(bytes), size);
      }
      result.rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return SqliteError(db_, rc, path_, "running a statement");
    result.affected_rows = sqlite3_changes(db_);
    return result;
  }

  absl::Status Begin() override { return Simple("BEGIN IMMEDIATE"); }
  absl::Status Commit() override { return Simple("COMMIT"); }
  void Rollback() override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

  absl::StatusOr<int> RecordedVersion() override {
    PATHPAIR_ASSIGN_OR_RETURN(SqlResult result, Execute("PRAGMA user_version", {}));
    return IntegerOf(result);
  }
  absl::StatusOr<bool> HoldsForeignTables() override {
    PATHPAIR_ASSIGN_OR_RETURN(SqlResult result, Execute("SELECT count(*) FROM sqlite_master", {}));
    PATHPAIR_ASSIGN_OR_RETURN(int tables, IntegerOf(result));
    return tables != 0;
  }
  absl::Status RecordVersion(int version) override {
    return Simple(absl::StrCat("PRAGMA user_version = ", version));
  }
  absl::Status LockForMigration() override { return absl::OkStatus(); }
  void AfterMigrations(bool /*created*/) override {
    // WAL lets readers and a writer work at once; the mode is kept in the file, so whoever made
    // the schema sets it. SQLite answers "locked" without waiting when another connection is
    // open at that moment: the file then stays in rollback-journal mode, which loses nothing.
    sqlite3_exec(db_, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
  }

 private:
  absl::Status Simple(const std::string& sql) {
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, path_, sql);
    return absl::OkStatus();
  }
  absl::StatusOr<int> IntegerOf(const SqlResult& result) {
    if (result.rows.empty() || result.rows[0].empty() || !result.rows[0][0]) {
      return absl::InternalError(absl::StrCat("history database ", path_, ": no value"));
    }
    return std::atoi(result.rows[0][0]->c_str());
  }

  sqlite3* db_;
  std::string path_;
  Dialect dialect_{Dialect::Kind::kSqlite};
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqlConnection>> OpenSqliteConnection(const std::string& path) {
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
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX;
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
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  return std::unique_ptr<SqlConnection>(new SqliteConnection(db, path));
}

}  // namespace pathpair::history
