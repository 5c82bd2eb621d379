#include "common/log/log.h"

#include <atomic>
#include <cstdio>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace pathpair::log {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};

absl::Mutex sink_mu(absl::kConstInit);
Sink* test_sink ABSL_GUARDED_BY(sink_mu) = nullptr;

bool NeedsQuotes(absl::string_view value) {
  if (value.empty()) return true;
  for (const char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20 ||
        c == 0x7f) {
      return true;
    }
  }
  return false;
}

void AppendValue(std::string& out, absl::string_view value) {
  if (!NeedsQuotes(value)) {
    out.append(value.data(), value.size());
    return;
  }
  out.push_back('"');
  for (const char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          absl::StrAppend(&out, "\\x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

}  // namespace

absl::StatusOr<Level> ParseLevel(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "debug") return Level::kDebug;
  if (lower == "info") return Level::kInfo;
  if (lower == "warning" || lower == "warn") return Level::kWarning;
  if (lower == "error") return Level::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level '", name, "' (debug, info, warning or error)"));
}

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "error";
}

void SetLevel(Level level) { min_level.store(static_cast<int>(level)); }

bool Enabled(Level level) { return static_cast<int>(level) >= min_level.load(); }

std::string FormatLine(absl::Time time, Level level, absl::string_view event,
                       absl::Span<const Field> fields) {
  std::string line =
      absl::StrCat("ts=", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone()),
                   " level=", LevelName(level), " event=");
  AppendValue(line, event);
  for (const Field& field : fields) {
    absl::StrAppend(&line, " ", field.key, "=");
    AppendValue(line, field.value);
  }
  return line;
}

void Log(Level level, absl::string_view event, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string line =
      FormatLine(absl::Now(), level, event, absl::Span<const Field>(fields.begin(), fields.size()));
  absl::MutexLock lock(&sink_mu);
  if (test_sink != nullptr) {
    (*test_sink)(line);
    return;
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void SetSinkForTesting(Sink sink) {
  absl::MutexLock lock(&sink_mu);
  delete test_sink;
  test_sink = sink ? new Sink(std::move(sink)) : nullptr;
}

}  // namespace pathpair::log
