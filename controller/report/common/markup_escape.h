// Escaping text for XML and HTML element content and attribute values: & < > " always, and on
// request the apostrophe (for single-quoted HTML attributes) and control characters (invalid in
// HTML, and possible in hostile DNS answers). One function for every writer of the report module:
// the HTML pages (EscapeHtml) and mtr's -x XML (EscapeXml).
//
//   out += "<td title=\"" + EscapeHtml(name) + "\">";
//   out += EscapeXml(host);   // mtr's XML: only & < > "
#ifndef PATHPAIR_CONTROLLER_REPORT_COMMON_MARKUP_ESCAPE_H_
#define PATHPAIR_CONTROLLER_REPORT_COMMON_MARKUP_ESCAPE_H_

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

// The two uses: HTML (every special, controls replaced) and XML as mtr writes it (& < > " only).
inline std::string EscapeHtml(absl::string_view text) { return EscapeMarkup(text, kHtmlEscaping); }
inline std::string EscapeXml(absl::string_view text) { return EscapeMarkup(text, {}); }

}  // namespace pathpair

#endif  // PATHPAIR_CONTROLLER_REPORT_COMMON_MARKUP_ESCAPE_H_
