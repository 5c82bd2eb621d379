// The PostgreSQL side of SqlConnection (sql_connection.h), through libpqxx. One connection;
// when it is lost, the failing call answers Unavailable and the next call reconnects.
//
//   PATHPAIR_ASSIGN_OR_RETURN(std::unique_ptr<SqlConnection> db,
//       OpenPostgresConnection("postgresql:///pathpair?host=/run/postgresql",
//                              "postgresql:///pathpair?host=/run/postgresql"));
#ifndef PATHPAIR_CONTROLLER_HISTORY_POSTGRES_CONNECTION_H_
#define PATHPAIR_CONTROLLER_HISTORY_POSTGRES_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "controller/history/sql_connection.h"

namespace pathpair::history {

// Connects to the libpq URL `url`; `display` names it in messages (the URL without password).
// Unavailable when the server cannot be reached, PermissionDenied when the login is refused.
absl::StatusOr<std::unique_ptr<SqlConnection>> OpenPostgresConnection(const std::string& url,
                                                                      const std::string& display);

}  // namespace pathpair::history

#endif  // PATHPAIR_CONTROLLER_HISTORY_POSTGRES_CONNECTION_H_
