#include "controller/report/trace/field_spec.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pathpair::formats {

absl::StatusOr<FieldList> ParseFieldSpec(absl::string_view spec) {
  if (spec.empty()) return absl::InvalidArgumentError("--fields needs at least one field letter");
  if (spec.size() > kMaxFields) {
    return absl::InvalidArgumentError(
        absl::StrFormat("too many fields (%d, at most %d): %s", spec.size(), kMaxFields, spec));
  }
  FieldList fields;
  for (char key : spec) {
    const output::HopField* field = output::FindHopField(key);
    if (field == nullptr) {
      const bool printable = key >= 0x20 && key < 0x7f;
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field letter '",
                       printable ? std::string(1, key) : absl::StrFormat("\\x%02x", key & 0xff),
                       "' (use L D R S N B A W V G J M X I or a space)"));
    }
    fields.push_back(field);
  }
  return fields;
}

std::string FieldSpecOf(const FieldList& fields) {
  std::string spec;
  for (const output::HopField* f : fields) spec.push_back(f->key);
  return spec;
}

std::string FormatFieldTitles(const FieldList& fields) {
  std::string out;
  for (const output::HopField* f : fields) absl::StrAppendFormat(&out, "%*s", f->width, f->title);
  return out;
}

std::string FormatFieldCell(const output::HopField& field, const v1::HopResult& hop) {
  if (field.key == ' ') return " ";
  const double value = field.value(hop);
  if (field.key == 'L') return absl::StrFormat(" %4.1f%%", value);
  if (field.is_integer)
    return absl::StrFormat(" %*d", field.width - 1, static_cast<int64_t>(value));
  return absl::StrFormat(" %*.1f", field.width - 1, value);
}

std::string FormatFieldCells(const FieldList& fields, const v1::HopResult& hop) {
  std::string out;
  size_t offset = 0;
  for (const output::HopField* f : fields) {
    out.resize(offset, ' ');
    out += FormatFieldCell(*f, hop);
    offset += static_cast<size_t>(f->width);
  }
  return out;
}

int FieldsWidth(const FieldList& fields) {
  int width = 0;
  for (const output::HopField* f : fields) width += f->width;
  return width;
}

}  // namespace pathpair::formats
