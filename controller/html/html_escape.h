// Escaping text for HTML element content and attribute values (both contexts: & < > " ').
//
//   out += "<td title=\"" + EscapeHtml(name) + "\">" + EscapeHtml(name) + "</td>";
#ifndef PATHPAIR_CONTROLLER_HTML_HTML_ESCAPE_H_
#define PATHPAIR_CONTROLLER_HTML_HTML_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace pathpair::html {

std::string EscapeHtml(absl::string_view text);

}  // namespace pathpair::html

#endif  // PATHPAIR_CONTROLLER_HTML_HTML_ESCAPE_H_
