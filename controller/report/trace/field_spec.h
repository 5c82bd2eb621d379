// mtr's -o field letters (pathpair's --fields) turned into the columns of a hop line: a small
// parser that rejects what mtr rejects, and formatters for the title row and a hop's cells in
// mtr's fixed-width layout, so the report writer, the screen and the CSV/XML writers all show
// the same columns in the same order.
//
//   absl::StatusOr<FieldList> fields = ParseFieldSpec("LSD NBAW");   // --fields LSD NBAW
//   if (!fields.ok()) { std::cerr << fields.status().message(); return 2; }
//   std::string titles = FormatFieldTitles(*fields);   // "  Loss%   Snt Drop   Last ..."
//   std::string cells = FormatFieldCells(*fields, hop);
#ifndef PATHPAIR_CONTROLLER_REPORT_TRACE_FIELD_SPEC_H_
#define PATHPAIR_CONTROLLER_REPORT_TRACE_FIELD_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "controller/report/trace/hop_fields.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::formats {

using FieldList = std::vector<const output::HopField*>;

// mtr's two column sets, toggled by the screen's `j` key (latency: mtr's default order).
inline constexpr const char* kLatencyFields = output::kMtrDefaultFieldOrder;
inline constexpr char kJitterFields[] = "DR AGJMXI";
// mtr's limit on the number of letters (MAXFLD).
inline constexpr size_t kMaxFields = 20;

// Letters from L D R S N B A W V G J M X I and ' ' (a one-column gap), at most kMaxFields of
// them; repeats are allowed as in mtr. Anything else is InvalidArgument naming the letter.
// An empty spec is InvalidArgument too (mtr would print a report without statistics).
absl::StatusOr<FieldList> ParseFieldSpec(absl::string_view spec);

// The letters back, e.g. for a JSON echo of the options.
std::string FieldSpecOf(const FieldList& fields);

// The titles, each right-aligned in its column width (mtr's report header after the name).
std::string FormatFieldTitles(const FieldList& fields);

// One cell in mtr's printf format (leading space included; the blank column is " "). A cell
// wider than its column is returned whole; FormatFieldCells lets the next one overwrite it,
// as mtr does.
std::string FormatFieldCell(const output::HopField& field, const v1::HopResult& hop);

// Every cell at mtr's fixed offsets: each starts `width` after the previous one.
std::string FormatFieldCells(const FieldList& fields, const v1::HopResult& hop);

// Total width of the columns (the sum of the widths).
int FieldsWidth(const FieldList& fields);

}  // namespace pathpair::formats

#endif  // PATHPAIR_CONTROLLER_REPORT_TRACE_FIELD_SPEC_H_
