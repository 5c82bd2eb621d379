#include "controller/mtrjson/untrusted_json.h"

namespace pathpair::mtrjson {

nlohmann::json ParseUntrustedJson(absl::string_view text) {
  bool too_deep = false;
  // Returning false for a value nested too deeply drops it while parsing, so the document in
  // memory never grows deep; the flag then discards the whole result.
  const nlohmann::json::parser_callback_t limit_depth =
      [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth <= kMaxUntrustedJsonDepth) return true;
        too_deep = true;
        return false;
      };
  nlohmann::json parsed = nlohmann::json::parse(text.begin(), text.end(), limit_depth,
                                                /*allow_exceptions=*/false);
  if (too_deep) return nlohmann::json(nlohmann::json::value_t::discarded);
  return parsed;
}

}  // namespace pathpair::mtrjson
