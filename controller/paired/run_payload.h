// How a paired run is stored in the history (controller/history): the v1::PairedRun itself as
// binary protobuf, stamped with the schema version this code writes, under the payload format
// kRunPayloadFormat. Runs stored by older versions as "json:pathpair.paired_run.v1" are still
// read. A run stored by a newer version (a larger schema_version, or another payload format)
// is refused with a clear message, never guessed at.
//
//   RunPayload stored = EncodeRun(run);
//   record.payload_format = stored.format; record.payload = stored.bytes;
//   absl::StatusOr<v1::PairedRun> again = DecodeRun(record.payload_format, record.payload);
#ifndef PATHPAIR_CONTROLLER_PAIRED_RUN_PAYLOAD_H_
#define PATHPAIR_CONTROLLER_PAIRED_RUN_PAYLOAD_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pathpair/v1/paired.pb.h"

namespace pathpair::paired {

// The PairedRun.schema_version this code writes and the largest it reads (paired.proto).
inline constexpr uint32_t kRunSchemaVersion = 2;

// The history payload_format of EncodeRun.
inline constexpr char kRunPayloadFormat[] = "proto:pathpair.v1.PairedRun";
// Schema version 1: hand-written JSON whose keys are PairedRun's field names, except the
// one-way directions (read only).
inline constexpr char kRunPayloadFormatV1[] = "json:pathpair.paired_run.v1";

struct RunPayload {
  std::string format;  // kRunPayloadFormat
  std::string bytes;
};

RunPayload EncodeRun(const v1::PairedRun& run);

// InvalidArgument with a message for the user when the payload is not a run this version can
// read: another format, a newer schema version, or damaged bytes.
absl::StatusOr<v1::PairedRun> DecodeRun(absl::string_view format, absl::string_view payload);

}  // namespace pathpair::paired

#endif  // PATHPAIR_CONTROLLER_PAIRED_RUN_PAYLOAD_H_
