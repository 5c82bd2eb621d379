// Escaping text for XML and HTML element content and attribute values: & < > " always, and on
// request the apostrophe (for single-quoted HTML attributes) and control characters (invalid in
// HTML, and possible in hostile DNS answers). One function for the HTML report and mtr's -x XML.
//
//   out += "<td title=\"" + EscapeMarkup(name, kHtmlEscaping) + "\">";
//   out += EscapeMarkup(host, {});   // mtr's XML: only & < > "
#ifndef PATHPAIR_COMMON_TEXT_MARKUP_ESCAPE_H_
#define PATHPAIR_COMMON_TEXT_MARKUP_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace pathpair {

struct MarkupEscapeOptions {
  bool apostrophe = false;        // ' as &#39;
  bool replace_controls = false;  // control characters but tab and newline as &#xFFFD;
};

// Everything HTML needs in both contexts (element content, quoted attributes).
inline constexpr MarkupEscapeOptions kHtmlEscaping{.apostrophe = true, .replace_controls = true};

std::string EscapeMarkup(absl::string_view text, MarkupEscapeOptions options);

}  // namespace pathpair

#endif  // PATHPAIR_COMMON_TEXT_MARKUP_ESCAPE_H_
