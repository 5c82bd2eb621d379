#include "controller/report/trace/report_writer.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "controller/report/common/time_format.h"
#include "controller/report/trace/field_spec.h"

namespace pathpair::output {
namespace {

// mtr's fixed name column: the hop prefix " NN.|-- " plus the name, cut to 33 characters.
constexpr size_t kNameColumn = 33;

// mtr writes the cells at fixed offsets after the name column with snprintf(buf + len, ...):
// the name before the first cell is cut at the column (narrow report), and the cells overwrite
// each other as FormatFieldCells does. Without cells nothing is written, so nothing is cut.
std::string WithCells(std::string name_part, size_t name_column, const std::string& cells) {
  if (cells.empty()) return name_part;
  name_part.resize(name_column, ' ');
  return name_part + cells;
}

}  // namespace

std::string FormatReport(const v1::TraceResult& result, const ReportOptions& options) {
  const std::string local_host =
      result.source_hostname().empty() ? "UNKNOWNHOST" : result.source_hostname();

  formats::FieldList fields;
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

  const std::string header = absl::StrFormat("HOST: %-*s", w, local_host);
  absl::StrAppend(&out,
                  WithCells(header, options.wide ? header.size() : name_width,
                            formats::FormatFieldTitles(fields)),
                  "\n");

  auto as_of = [&](const v1::HopResult& hop) -> uint32_t {
    if (!options.show_as || !options.as_number || hop.responders_size() == 0) return 0;
    return options.as_number(hop.responders(0).address());
  };
  auto append_mpls = [&](const v1::Responder& responder) {
    if (!options.show_mpls) return;
    for (const std::string& l : formats::MplsReportLines(responder)) absl::StrAppend(&out, l, "\n");
  };
  auto prefix_of = [&](const v1::HopResult& hop) -> std::string {
    if (!options.show_as || options.ip_info_field == 0) {
      return formats::ReportHopPrefix(hop.ttl(), options.show_as, as_of(hop));
    }
    const std::string value = options.ip_info && hop.responders_size() > 0
                                  ? options.ip_info(hop.responders(0).address())
                                  : std::string();
    return absl::StrFormat(" %2d. %s", hop.ttl(),
                           formats::IpInfoColumn(options.ip_info_field, value));
  };
  for (const v1::HopResult& hop : result.hops()) {
    const std::string line =
        absl::StrFormat("%s%-*s", prefix_of(hop), w, formats::HopHostLabel(hop, label));
    absl::StrAppend(&out,
                    WithCells(line, options.wide ? line.size() : name_width,
                              formats::FormatFieldCells(fields, hop)),
                    "\n");
    if (hop.responders_size() > 0) append_mpls(hop.responders(0));

    // Other addresses that answered at this TTL, one per line, as mtr 0.95 lists them.
    for (int i = 1; i < hop.responders_size(); ++i) {
      absl::StrAppendFormat(&out, "        %-*s\n", w,
                            formats::HostLabel(hop.responders(i), label));
      append_mpls(hop.responders(i));
    }
  }
  if (const std::string note = InterruptionNote(result); !note.empty()) {
    absl::StrAppend(&out, note, "\n");
  }
  return out;
}

std::string InterruptionNote(const v1::TraceResult& result) {
  if (!result.interrupted()) return "";
  std::string note = absl::StrCat("Interrupted after ", result.rounds());
  if (result.options().count() > 0) absl::StrAppend(&note, " of ", result.options().count());
  absl::StrAppend(&note, " rounds");
  if (const int left_out = result.rounds_started() - result.rounds(); left_out > 0) {
    absl::StrAppend(&note, "; ", left_out, left_out == 1 ? " more was" : " more were",
                    " under way and left out (their losses were not yet known)");
  }
  return absl::StrCat(note, ".");
}

}  // namespace pathpair::output
