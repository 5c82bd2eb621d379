// Reading protobuf messages from text for the test tools (pathpair-netsim's scenarios,
// pathpair-topo's topologies): text format or the JSON mapping, with errors that name the file,
// line and column, and whole files ("-" is standard input).
//
//   pathpair::netsim::v1::Scenario scenario;
//   PATHPAIR_RETURN_IF_ERROR(textproto::ParseText(text, "healthy.textproto", &scenario));
#ifndef PATHPAIR_TESTS_TEXTPROTO_TEXT_PROTO_H_
#define PATHPAIR_TESTS_TEXTPROTO_TEXT_PROTO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace pathpair::textproto {

// Protobuf text format. The first error reads "FILENAME:LINE:COLUMN: what".
absl::Status ParseText(absl::string_view text, absl::string_view filename,
                       google::protobuf::Message* out);

// The protobuf JSON mapping (field names as in the .proto file or in lowerCamelCase).
absl::Status ParseJson(absl::string_view text, absl::string_view filename,
                       google::protobuf::Message* out);

// JSON when the first character that is not white space is '{', text format otherwise.
absl::Status ParseTextOrJson(absl::string_view text, absl::string_view filename,
                             google::protobuf::Message* out);

// The whole file; "-" reads standard input. NotFound names the path.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace pathpair::textproto

#endif  // PATHPAIR_TESTS_TEXTPROTO_TEXT_PROTO_H_
