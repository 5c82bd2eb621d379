// The store's ONE schema, as numbered migration steps. A database records the last step
// applied (SqlConnection::RecordedVersion); Migrate applies the missing ones, each in its own
// transaction with its version recorded, so a database of any older pathpair is brought
// forward without losing a run. Step 1 is the schema of pathpair before migrations (SQLite
// files with PRAGMA user_version = 1 start there).
//
//   PATHPAIR_ASSIGN_OR_RETURN(bool created, Migrate(*connection));
#ifndef PATHPAIR_CONTROLLER_HISTORY_MIGRATIONS_H_
#define PATHPAIR_CONTROLLER_HISTORY_MIGRATIONS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "controller/history/sql_connection.h"

namespace pathpair::history {

struct MigrationStep {
  int version;              // 1, 2, ... in order; the last is kSchemaVersion
  const char* description;  // recorded with the version
  const char* sql;          // statements separated by ';' at line ends, in the common SQL
};

// Every step, in order.
const std::vector<MigrationStep>& MigrationSteps();

// Brings the database up to the last step. FailedPrecondition for a database of a newer schema
// or one holding someone else's tables at version 0 (left untouched). Returns whether the schema
// was created from nothing.
absl::StatusOr<bool> Migrate(SqlConnection& connection);

}  // namespace pathpair::history

#endif  // PATHPAIR_CONTROLLER_HISTORY_MIGRATIONS_H_
