#include "controller/output/report_writer.h"

#include <time.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pathpair::output {
namespace {

// mtr's fixed name column: the hop prefix " NN.|-- " plus the name, cut to 33 characters.
constexpr size_t kNameColumn = 33;

std::string FormatCell(const HopField& field, double value) {
  if (field.key == ' ') return " ";
  if (field.key == 'L') return absl::StrFormat(" %4.1f%%", value);
  if (field.is_integer) {
    return absl::StrFormat(" %*d", field.width - 1, static_cast<int64_t>(value));
  }
  return absl::StrFormat(" %*.1f", field.width - 1, value);
}

// mtr writes each cell at a fixed offset with snprintf(buf + len, ...): a cell wider than its
// column is overwritten by the next one, and the name before the first cell is cut at len.
void AppendCell(std::string& line, size_t& len, const std::string& cell, int width) {
  line.resize(len, ' ');
  line += cell;
  len += static_cast<size_t>(width);
}

}  // namespace

std::string FormatMtrLocalTime(int64_t unix_us) {
  const time_t seconds = static_cast<time_t>(unix_us / 1'000'000);
  tm local{};
  if (localtime_r(&seconds, &local) == nullptr) return "?";
  char text[64];
  if (strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S%z", &local) == 0) return "?";
  return text;
}

std::string FormatReport(const v1::TraceResult& result, const ReportOptions& options) {
  const std::string local_host =
      result.source_hostname().empty() ? "UNKNOWNHOST" : result.source_hostname();

  std::vector<const HopField*> fields;
  for (char key : options.field_order) {
    if (const HopField* f = FindHopField(key)) fields.push_back(f);
  }

  const formats::LabelOptions label{.use_names = options.use_names, .show_ips = options.show_ips};
  size_t name_width = kNameColumn;
  if (options.wide) {
    name_width = local_host.size();
    for (const v1::HopResult& hop : result.hops()) {
      name_width = std::max(name_width, formats::HopHostLabel(hop, label).size());
    }
  }
  const int w = static_cast<int>(name_width);

  std::string out = absl::StrCat("Start: ", FormatMtrLocalTime(result.start_unix_us()), "\n");

  std::string header = absl::StrFormat("HOST: %-*s", w, local_host);
  size_t len = options.wide ? header.size() : name_width;
  for (const HopField* f : fields) {
    AppendCell(header, len, absl::StrFormat("%*s", f->width, f->title), f->width);
  }
  absl::StrAppend(&out, header, "\n");

  auto as_of = [&](const v1::HopResult& hop) -> uint32_t {
    if (!options.show_as || !options.as_number || hop.responders_size() == 0) return 0;
    return options.as_number(hop.responders(0).address());
  };
  auto append_mpls = [&](const v1::Responder& responder) {
    if (!options.show_mpls) return;
    for (const std::string& l : formats::MplsReportLines(responder)) absl::StrAppend(&out, l, "\n");
  };
  for (const v1::HopResult& hop : result.hops()) {
    std::string line =
        absl::StrFormat("%s%-*s", formats::ReportHopPrefix(hop.ttl(), options.show_as, as_of(hop)),
                        w, formats::HopHostLabel(hop, label));
    len = options.wide ? line.size() : name_width;
    for (const HopField* f : fields) AppendCell(line, len, FormatCell(*f, f->value(hop)), f->width);
    absl::StrAppend(&out, line, "\n");
    if (hop.responders_size() > 0) append_mpls(hop.responders(0));

    // Other addresses that answered at this TTL, one per line, as mtr 0.95 lists them.
    for (int i = 1; i < hop.responders_size(); ++i) {
      absl::StrAppendFormat(&out, "        %-*s\n", w,
                            formats::HostLabel(hop.responders(i), label));
      append_mpls(hop.responders(i));
    }
  }
  return out;
}

}  // namespace pathpair::output
