// Structured logging: one line per event, with a level and key=value fields (logfmt), so that
// journald and log collectors can read them. pathpair-agent logs each trace, one-way session,
// refused call and error through it; `--log-level` sets the threshold. (Debian's Abseil
// 20220623 has no absl/log; this is the one logger of the project, not per-file fprintf.)
//
//   log::SetLevel(log::Level::kInfo);
//   log::Log(log::Level::kInfo, "trace_start", {{"session", id}, {"target", "203.0.113.7"},
//                                               {"count", 10}});
//   // stderr: ts=2026-12-05T01:14:12.123Z level=info event=trace_start session=... count=10
//
// Values that hold spaces, quotes, '=' or control characters are quoted, with \" \\ \n escapes.
// Thread-safe: lines from many threads never interleave.
#ifndef PATHPAIR_COMMON_LOG_LOG_H_
#define PATHPAIR_COMMON_LOG_LOG_H_

#include <functional>
#include <initializer_list>
#include <string>
#include <type_traits>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace pathpair::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning" (or "warn"), "error"; InvalidArgument naming them otherwise.
absl::StatusOr<Level> ParseLevel(absl::string_view name);
absl::string_view LevelName(Level level);

// Events below `level` are dropped (default kInfo).
void SetLevel(Level level);
bool Enabled(Level level);

// One key=value pair; the value is anything absl::StrCat takes.
struct Field {
  Field(absl::string_view k, const absl::AlphaNum& v) : key(k), value(v.Piece()) {}
  // bool exactly (a template, so that string literals never convert to it).
  template <typename Bool, std::enable_if_t<std::is_same_v<Bool, bool>, int> = 0>
  Field(absl::string_view k, Bool v) : key(k), value(v ? "true" : "false") {}
  absl::string_view key;
  std::string value;
};

// Writes one line for `event` when `level` is enabled.
void Log(Level level, absl::string_view event, std::initializer_list<Field> fields = {});

// The line Log writes (without its newline); pure, for tests.
std::string FormatLine(absl::Time time, Level level, absl::string_view event,
                       absl::Span<const Field> fields);

// Where lines go (one call per line, without the newline); nullptr restores stderr. For tests.
using Sink = std::function<void(absl::string_view line)>;
void SetSinkForTesting(Sink sink);

}  // namespace pathpair::log

#endif  // PATHPAIR_COMMON_LOG_LOG_H_
