#include "controller/history/postgres_connection.h"

#include <exception>
#include <pqxx/pqxx>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace pathpair::history {
namespace {

// A parameter as libpqxx passes it: text, or null. Blobs go as bytea's text form (\x + hex),
// which PostgreSQL reads into a BYTEA column.
struct PgParam {
  const SqlValue* value;
};

}  // namespace
}  // namespace pathpair::history

namespace pqxx {
template <>
struct string_traits<pathpair::history::PgParam> {
  static constexpr const char* name() noexcept { return "pathpair::history::PgParam"; }
  static constexpr bool has_null() noexcept { return true; }
  static bool is_null(const pathpair::history::PgParam& param) {
    return param.value->type == pathpair::history::SqlValue::Type::kNull;
  }
  static pathpair::history::PgParam null() { return {nullptr}; }
  static void from_string(const char[], pathpair::history::PgParam&) {
    throw pqxx::usage_error("PgParam is write-only");
  }
  static std::string to_string(const pathpair::history::PgParam& param) {
    using Type = pathpair::history::SqlValue::Type;
    switch (param.value->type) {
      case Type::kInteger:
        return absl::StrCat(param.value->integer);
      case Type::kBlob:
        return absl::StrCat("\\x", absl::BytesToHexString(param.value->bytes));
      default:
        return param.value->bytes;
    }
  }
};
}  // namespace pqxx

namespace pathpair::history {
namespace {

constexpr unsigned kByteaOid = 17;
// Any constant: the key of the advisory lock that serializes migrations.
constexpr int64_t kMigrationLockKey = 0x70617468706169;  // "pathpai"

// The SQLSTATE classes a caller should simply retry.
bool IsTransient(const std::string& sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01" || absl::StartsWith(sqlstate, "08") ||
         sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

class PostgresConnection : public SqlConnection {
 public:
  PostgresConnection(std::string url, std::string display)
      : url_(std::move(url)), display_(std::move(display)) {}

  absl::Status Connect() {
    try {
      connection_ = std::make_unique<pqxx::connection>(url_);
      return absl::OkStatus();
    } catch (const std::exception& e) {
      connection_.reset();
      return ConnectError(e.what());
    }
  }

  const Dialect& dialect() const override { return dialect_; }
  const std::string& display() const override { return display_; }

  absl::StatusOr<SqlResult> Execute(absl::string_view sql,
                                    const std::vector<SqlValue>& params) override {
    const std::string rendered = dialect_.Render(sql);
    std::vector<PgParam> pg_params;
    pg_params.reserve(params.size());
    for (const SqlValue& value : params) pg_params.push_back({&value});
    return Guarded([&]() -> SqlResult {
      pqxx::result result;
      if (transaction_ != nullptr) {
        result = transaction_->exec_params(rendered, pqxx::prepare::make_dynamic_params(pg_params));
      } else {
        pqxx::nontransaction autocommit(*connection_);
        result = autocommit.exec_params(rendered, pqxx::prepare::make_dynamic_params(pg_params));
      }
      SqlResult out;
      out.affected_rows = result.affected_rows();
      for (const pqxx::row& row : result) {
        SqlRow cells(row.size());
        for (pqxx::row::size_type c = 0; c < row.size(); ++c) {
          const pqxx::field field = row[c];
          if (field.is_null()) continue;
          if (field.type() == kByteaOid) {
            pqxx::binarystring bytes(field);
            cells[c] = bytes.str();
          } else {
            cells[c] = std::string(field.c_str(), field.size());
          }
        }
        out.rows.push_back(std::move(cells));
      }
      return out;
    });
  }

  absl::Status Begin() override {
    absl::StatusOr<bool> begun = Guarded([&] {
      transaction_ = std::make_unique<pqxx::work>(*connection_);
      return true;
    });
    return begun.status();
  }
  absl::Status Commit() override {
    if (transaction_ == nullptr) return absl::InternalError("commit without a transaction");
    absl::StatusOr<bool> committed = Guarded([&] {
      transaction_->commit();
      transaction_.reset();
      return true;
    });
    transaction_.reset();
    return committed.status();
  }
  void Rollback() override {
    if (transaction_ == nullptr) return;
    try {
      transaction_->abort();
    } catch (const std::exception&) {
      // The connection is gone; the server rolls the transaction back.
    }
    transaction_.reset();
  }

  absl::StatusOr<int> RecordedVersion() override {
    PATHPAIR_ASSIGN_OR_RETURN(bool exists, TableExists("schema_migrations"));
    if (!exists) return 0;
    PATHPAIR_ASSIGN_OR_RETURN(
        SqlResult version, Execute("SELECT coalesce(max(version), 0) FROM schema_migrations", {}));
    return std::stoi(version.rows.at(0).at(0).value_or("0"));
  }
  absl::StatusOr<bool> HoldsForeignTables() override {
    // A PostgreSQL database is often shared: only a table of ours without our records counts.
    return TableExists("runs");
  }
  absl::Status RecordVersion(int /*version*/) override { return absl::OkStatus(); }
  absl::Status LockForMigration() override {
    return Execute("SELECT pg_advisory_xact_lock($1)", {SqlValue::Integer(kMigrationLockKey)})
        .status();
  }
  void AfterMigrations(bool /*created*/) override {}

 private:
  // Read from pg_tables with the statement's own snapshot: to_regclass() goes through the
  // backend's catalog cache, which need not yet show a table that another session committed
  // while this one waited on the (non-relation) migration lock.
  absl::StatusOr<bool> TableExists(absl::string_view table) {
    PATHPAIR_ASSIGN_OR_RETURN(
        SqlResult result,
        Execute("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
                "AND tablename = $1",
                {SqlValue::Text(table)}));
    return !result.rows.empty() && result.rows[0][0] != "0";
  }

  // Runs `body` on a live connection (reconnecting first when the last one was lost) and turns
  // libpqxx's exceptions into statuses.
  template <typename Body>
  auto Guarded(Body body) -> absl::StatusOr<decltype(body())> {
    if (connection_ == nullptr || !connection_->is_open()) {
      if (transaction_ != nullptr) {
        transaction_.reset();
        return absl::UnavailableError(
            absl::StrCat("history database ", display_, ": connection lost in a transaction"));
      }
      PATHPAIR_RETURN_IF_ERROR(Connect());
    }
    try {
      return body();
    } catch (const pqxx::broken_connection& e) {
      Lost();
      return absl::UnavailableError(
          absl::StrCat("history database ", display_, ": connection lost: ", e.what()));
    } catch (const pqxx::unique_violation& e) {
      return absl::AlreadyExistsError(absl::StrCat("history database ", display_, ": ", e.what()));
    } catch (const pqxx::sql_error& e) {
      const std::string message = absl::StrCat("history database ", display_, ": ", e.what());
      if (IsTransient(e.sqlstate())) {
        if (absl::StartsWith(e.sqlstate(), "08") || absl::StartsWith(e.sqlstate(), "57")) Lost();
        return absl::UnavailableError(message);
      }
      if (e.sqlstate() == "42501") return absl::PermissionDeniedError(message);
      return absl::InternalError(message);
    } catch (const pqxx::in_doubt_error& e) {
      Lost();
      return absl::UnavailableError(absl::StrCat(
          "history database ", display_, ": commit in doubt (connection lost): ", e.what()));
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("history database ", display_, ": ", e.what()));
    }
  }

  // Drops the connection so that the next call reconnects.
  void Lost() {
    transaction_.reset();
    connection_.reset();
  }

  absl::Status ConnectError(absl::string_view what) {
    const std::string message =
        absl::StrCat("cannot connect to history database ", display_, ": ", what);
    if (absl::StrContains(what, "authentication failed") ||
        absl::StrContains(what, "no password supplied") ||
        absl::StrContains(what, "permission denied")) {
      return absl::PermissionDeniedError(message);
    }
    return absl::UnavailableError(message);
  }

  std::string url_;
  std::string display_;
  Dialect dialect_{Dialect::Kind::kPostgres};
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<pqxx::work> transaction_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqlConnection>> OpenPostgresConnection(const std::string& url,
                                                                      const std::string& display) {
  auto connection = std::make_unique<PostgresConnection>(url, display);
  PATHPAIR_RETURN_IF_ERROR(connection->Connect());
  return std::unique_ptr<SqlConnection>(std::move(connection));
}

}  // namespace pathpair::history
