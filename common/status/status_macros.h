// Early-return helpers for absl::Status and absl::StatusOr, which Debian 12's Abseil lacks.
//
//   absl::StatusOr<Config> Load(std::string_view path) {
//     PATHPAIR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     PATHPAIR_RETURN_IF_ERROR(Validate(text));
//     return Parse(text);
//   }
#ifndef PATHPAIR_COMMON_STATUS_STATUS_MACROS_H_
#define PATHPAIR_COMMON_STATUS_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PATHPAIR_RETURN_IF_ERROR(expr)            \
  do {                                            \
    const absl::Status pathpair_status_ = (expr); \
    if (!pathpair_status_.ok()) {                 \
      return pathpair_status_;                    \
    }                                             \
  } while (false)

#define PATHPAIR_STATUS_CONCAT_INNER_(a, b) a##b
#define PATHPAIR_STATUS_CONCAT_(a, b) PATHPAIR_STATUS_CONCAT_INNER_(a, b)

#define PATHPAIR_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) {                                      \
    return std::move(tmp).status();                     \
  }                                                     \
  lhs = std::move(tmp).value()

#define PATHPAIR_ASSIGN_OR_RETURN(lhs, expr) \
  PATHPAIR_ASSIGN_OR_RETURN_IMPL_(PATHPAIR_STATUS_CONCAT_(pathpair_statusor_, __LINE__), lhs, expr)

#endif  // PATHPAIR_COMMON_STATUS_STATUS_MACROS_H_
