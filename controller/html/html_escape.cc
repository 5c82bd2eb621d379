#include "controller/html/html_escape.h"

#include "common/text/markup_escape.h"

namespace pathpair::html {

std::string EscapeHtml(absl::string_view text) { return EscapeMarkup(text, kHtmlEscaping); }

}  // namespace pathpair::html
