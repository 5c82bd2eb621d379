#include "controller/report/common/markup_escape.h"

namespace pathpair {

std::string EscapeMarkup(absl::string_view text, MarkupEscapeOptions options) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += options.apostrophe ? "&#39;" : "'";
        break;
      default:
        if (options.replace_controls && static_cast<unsigned char>(c) < 0x20 && c != '\t' &&
            c != '\n') {
          out += "&#xFFFD;";
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace pathpair
