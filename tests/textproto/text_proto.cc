#include "tests/textproto/text_proto.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"

namespace pathpair::textproto {
namespace {

// Keeps the first error, with the file name in front.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit FirstErrorCollector(absl::string_view filename) : filename_(filename) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!first_.empty()) return;
    first_ = absl::StrFormat("%s:%d:%d: %s", filename_, line + 1, column + 1, message);
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string filename_;
  std::string first_;
};

}  // namespace

absl::Status ParseText(absl::string_view text, absl::string_view filename,
                       google::protobuf::Message* out) {
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors(filename);
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), out)) {
    return absl::InvalidArgumentError(
        errors.first().empty() ? absl::StrCat(filename, ": cannot parse") : errors.first());
  }
  return absl::OkStatus();
}

absl::Status ParseJson(absl::string_view text, absl::string_view filename,
                       google::protobuf::Message* out) {
  const auto status = google::protobuf::util::JsonStringToMessage(std::string(text), out);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(filename, ": ", status.message().as_string()));
  }
  return absl::OkStatus();
}

absl::Status ParseTextOrJson(absl::string_view text, absl::string_view filename,
                             google::protobuf::Message* out) {
  if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "{")) {
    return ParseJson(text, filename, out);
  }
  return ParseText(text, filename, out);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::stringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
    return buffer.str();
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace pathpair::textproto
