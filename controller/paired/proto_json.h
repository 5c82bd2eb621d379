// A protobuf message as a nlohmann JSON value and back, through protobuf's own JSON mapping
// (keys are the fields' json_name, enums by name), made complete for reports: every field is
// printed (unset message fields too, as their defaults), and 64-bit integers are JSON numbers,
// not the strings the mapping writes (a packet count is a number to every reader). Used where
// the paired report prints a proto part as it is, and to read such parts back.
//
//   nlohmann::ordered_json j = ProtoToJson(measurement.stats());  // {"sent": 300, ...}
//   v1::OneWayDirection again;
//   PATHPAIR_RETURN_IF_ERROR(ProtoFromJson(j, again));
#ifndef PATHPAIR_CONTROLLER_PAIRED_PROTO_JSON_H_
#define PATHPAIR_CONTROLLER_PAIRED_PROTO_JSON_H_

#include <google/protobuf/message.h>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"

namespace pathpair::paired {

nlohmann::ordered_json ProtoToJson(const google::protobuf::Message& message);

// Fills `message` from `json` (json_name or field-name keys; numbers or strings for 64-bit
// integers). Unknown keys are skipped when `ignore_unknown` is set, else an error.
// InvalidArgument naming what did not fit.
absl::Status ProtoFromJson(const nlohmann::json& json, google::protobuf::Message& message,
                           bool ignore_unknown);

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_PROTO_JSON_H_
