// The SQLite side of SqlConnection (sql_connection.h): a local file, opened safely (never
// through a symbolic link at the path, created 0600, its directory must exist).
//
//   PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<SqlConnection> db,
//                             OpenSqliteConnection("/home/me/.local/share/pathpair/history.db"));
#ifndef PATHPAIR_CONTROLLER_HISTORY_SQLITE_CONNECTION_H_
#define PATHPAIR_CONTROLLER_HISTORY_SQLITE_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "controller/history/sql_connection.h"

namespace pathpair::history {

// Opens (creating if absent, 0600) the SQLite file at `path`. InvalidArgument for a path in a
// missing directory or a symbolic link; FailedPrecondition for something that is not a regular
// file; PermissionDenied when it cannot be created or opened. The contents are not read here.
absl::StatusOr<std::unique_ptr<SqlConnection>> OpenSqliteConnection(const std::string& path);

}  // namespace pathpair::history

#endif  // PATHPAIR_CONTROLLER_HISTORY_SQLITE_CONNECTION_H_
