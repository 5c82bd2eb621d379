#include "controller/history/sql_connection.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"

namespace pathpair::history {

std::string Dialect::Render(absl::string_view sql) const {
  std::string rendered =
      absl::StrReplaceAll(sql, {{"{blob}", kind == Kind::kPostgres ? "BYTEA" : "BLOB"}});
  if (kind == Kind::kPostgres) return rendered;
  // SQLite numbers its parameters ?N. The store's statements hold no '$' in literals.
  for (size_t i = 0; i + 1 < rendered.size(); ++i) {
    if (rendered[i] == '$' && absl::ascii_isdigit(static_cast<unsigned char>(rendered[i + 1]))) {
      rendered[i] = '?';
    }
  }
  return rendered;
}

}  // namespace pathpair::history
