// The one place where the store's two databases differ. HistoryStore and the migrations speak
// one SQL through SqlConnection: statements use PostgreSQL's numbered parameters ($1, $2, ...)
// and the few words that differ are written as {tokens} that Dialect::Render replaces:
//   {blob}  BLOB (SQLite) / BYTEA (PostgreSQL)
// Values travel as SqlValue (null, 64-bit integer, text or blob); results come back as text
// cells (integers in decimal, blobs as raw bytes), which is what both libraries hand out.
//
//   PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<SqlConnection> db, OpenSqlite(path));
//   PATHPAIR_RETURN_IF_ERROR(db->Begin());
//   PATHPAIR_ASSIGN_OR_RETURN(SqlResult result,
//                             db->Execute("SELECT count(*) FROM runs WHERE client = $1",
//                                         {SqlValue::Text("office")}));
//   PATHPAIR_RETURN_IF_ERROR(db->Commit());
#ifndef PATHPAIR_CONTROLLER_HISTORY_SQL_CONNECTION_H_
#define PATHPAIR_CONTROLLER_HISTORY_SQL_CONNECTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pathpair::history {

// A statement parameter.
struct SqlValue {
  enum class Type { kNull, kInteger, kText, kBlob };
  Type type = Type::kNull;
  int64_t integer = 0;
  std::string bytes;  // kText, kBlob

  static SqlValue Null() { return SqlValue(); }
  static SqlValue Integer(int64_t value) {
    SqlValue v;
    v.type = Type::kInteger;
    v.integer = value;
    return v;
  }
  static SqlValue Text(absl::string_view value) {
    SqlValue v;
    v.type = Type::kText;
    v.bytes = std::string(value);
    return v;
  }
  static SqlValue Blob(absl::string_view value) {
    SqlValue v;
    v.type = Type::kBlob;
    v.bytes = std::string(value);
    return v;
  }
};

// One result row: each cell as text (nullopt for NULL); integers in decimal, blobs raw.
using SqlRow = std::vector<std::optional<std::string>>;

struct SqlResult {
  std::vector<SqlRow> rows;
  int64_t affected_rows = 0;  // INSERT/UPDATE/DELETE: how many rows changed
};

// What differs between the dialects, as data.
struct Dialect {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  // `sql` with its {tokens} replaced and, for SQLite, $N turned into ?N.
  std::string Render(absl::string_view sql) const;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  virtual const Dialect& dialect() const = 0;

  // Runs one statement (Render()ed here) with `params` bound to $1, $2, ... Errors: AlreadyExists
  // for a unique-key violation, Unavailable for a busy database or a lost connection (the next
  // call reconnects), DataLoss for a corrupt file, others as fits; messages name display().
  virtual absl::StatusOr<SqlResult> Execute(absl::string_view sql,
                                            const std::vector<SqlValue>& params) = 0;

  // A transaction that writes: SQLite BEGIN IMMEDIATE (takes the write lock at once, waiting
  // up to the busy timeout), PostgreSQL BEGIN. Rollback never fails (best effort).
  virtual absl::Status Begin() = 0;
  virtual absl::Status Commit() = 0;
  virtual void Rollback() = 0;

  // The schema version the database records: SQLite PRAGMA user_version; PostgreSQL the
  // highest version in schema_migrations (0 when the table does not exist). For the first
  // migration step's check, whether the database already holds tables of someone else.
  virtual absl::StatusOr<int> RecordedVersion() = 0;
  virtual absl::StatusOr<bool> HoldsForeignTables() = 0;
  // The dialect's own record of `version` after a migration step, inside its transaction, on
  // top of the schema_migrations row (SQLite: PRAGMA user_version; PostgreSQL: nothing).
  virtual absl::Status RecordVersion(int version) = 0;
  // Serializes migrations between processes, inside the transaction (PostgreSQL: a
  // transaction-scoped advisory lock; SQLite: BEGIN IMMEDIATE already did).
  virtual absl::Status LockForMigration() = 0;
  // Called once the schema is current (SQLite: turns on WAL for a new file).
  virtual void AfterMigrations(bool created) = 0;

  // Where it is, for messages (never a password).
  virtual const std::string& display() const = 0;
};

}  // namespace pathpair::history

#endif  // PATHPAIR_CONTROLLER_HISTORY_SQL_CONNECTION_H_
