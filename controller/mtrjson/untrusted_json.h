// Parsing JSON that comes from outside (files given to `pathpair diagnose`, mtr -j output,
// payloads read back from the history database) without letting it crash the process. The
// parser itself is iterative, but a parsed value nested thousands of levels deep makes every
// recursive walk over it (dump, copy, comparison) overflow the stack. ParseUntrustedJson
// refuses such input: anything nested deeper than kMaxUntrustedJsonDepth is "discarded", as
// invalid JSON is. (Sizes are capped where files are read: kMaxMtrJsonBytes.)
//
//   nlohmann::json parsed = mtrjson::ParseUntrustedJson(text);
//   if (parsed.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
#ifndef PATHPAIR_CONTROLLER_MTRJSON_UNTRUSTED_JSON_H_
#define PATHPAIR_CONTROLLER_MTRJSON_UNTRUSTED_JSON_H_

#include <nlohmann/json.hpp>

#include "absl/strings/string_view.h"

namespace pathpair::mtrjson {

// Far deeper than any document pathpair or mtr writes (about 8 levels), far shallower than a
// stack.
inline constexpr int kMaxUntrustedJsonDepth = 64;

// nlohmann::json::parse without exceptions, and discarded beyond kMaxUntrustedJsonDepth levels.
nlohmann::json ParseUntrustedJson(absl::string_view text);

}  // namespace pathpair::mtrjson

#endif  // PATHPAIR_CONTROLLER_MTRJSON_UNTRUSTED_JSON_H_
