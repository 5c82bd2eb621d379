#include "controller/paired/proto_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace pathpair::paired {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void CompleteScalar(const FieldDescriptor& field, nlohmann::ordered_json& value) {
  if (!value.is_string()) return;
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
    int64_t number = 0;
    if (absl::SimpleAtoi(value.get<std::string>(), &number)) value = number;
  } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_UINT64) {
    uint64_t number = 0;
    if (absl::SimpleAtoi(value.get<std::string>(), &number)) value = number;
  }
}

// What the mapping leaves out or quotes, made whole: int64/uint64 written as strings
// (JavaScript numbers lose precision beyond 2^53) become numbers again, and message fields
// that are not set (which always_print_primitive_fields skips) are printed with their
// defaults, so that a reader always finds every key. Keys follow the fields' order.
void Complete(const Message& message, nlohmann::ordered_json& json) {
  if (!json.is_object()) return;
  const Reflection& reflection = *message.GetReflection();
  const google::protobuf::Descriptor& descriptor = *message.GetDescriptor();
  nlohmann::ordered_json complete = nlohmann::ordered_json::object();
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor& field = *descriptor.field(i);
    const std::string& key = field.json_name();
    const bool is_message = field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    const auto it = json.find(key);
    if (it == json.end()) {
      if (is_message && !field.is_repeated() && field.real_containing_oneof() == nullptr) {
        complete[key] = ProtoToJson(reflection.GetMessage(message, &field));
      }
      continue;
    }
    nlohmann::ordered_json& value = complete[key] = std::move(*it);
    if (field.is_map()) continue;
    if (!field.is_repeated()) {
      if (is_message) {
        Complete(reflection.GetMessage(message, &field), value);
      } else {
        CompleteScalar(field, value);
      }
      continue;
    }
    if (!value.is_array()) continue;
    for (size_t j = 0; j < value.size(); ++j) {
      if (is_message) {
        Complete(reflection.GetRepeatedMessage(message, &field, static_cast<int>(j)), value[j]);
      } else {
        CompleteScalar(field, value[j]);
      }
    }
  }
  json = std::move(complete);
}

}  // namespace

nlohmann::ordered_json ProtoToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(message, &text, options).ok()) {
    return nlohmann::ordered_json::object();  // only for messages the mapping cannot express
  }
  nlohmann::ordered_json json = nlohmann::ordered_json::parse(text, nullptr, false);
  if (json.is_discarded()) return nlohmann::ordered_json::object();
  Complete(message, json);
  return json;
}

absl::Status ProtoFromJson(const nlohmann::json& json, google::protobuf::Message& message,
                           bool ignore_unknown) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = ignore_unknown;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), &message, options);
  if (parsed.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("not a valid ", message.GetDescriptor()->name(), ": ",
                   absl::string_view(parsed.message().data(), parsed.message().size())));
}

}  // namespace pathpair::paired
