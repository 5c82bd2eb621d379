// Fuzz target: the readers of stored and saved paired runs (controller/paired): DecodeRun on a
// history payload in either format (binary PairedRun, or the version-1 JSON), and
// PairedRunFromJson on a saved `pathpair test --json` report, as `pathpair show` and
// `pathpair diagnose` run them on whatever the database or the file holds. The first input byte
// selects the reader, the rest is the payload. A run that reads is stored again and reads back
// the same.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "controller/paired/paired_json.h"
#include "controller/paired/run_payload.h"
#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/fuzz/fuzz_check.h"

namespace pathpair::paired {
namespace {

void CheckStoresAgain(const v1::PairedRun& run) {
  const RunPayload stored = EncodeRun(run);
  const absl::StatusOr<v1::PairedRun> again = DecodeRun(stored.format, stored.bytes);
  FUZZ_CHECK(again.ok());
  v1::PairedRun expected = run;
  expected.set_schema_version(kRunSchemaVersion);
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);  // a binary payload may carry NaNs
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  FUZZ_CHECK(differencer.Compare(*again, expected));
}

}  // namespace
}  // namespace pathpair::paired

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pathpair::paired;
  if (size == 0) return 0;
  const absl::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      const absl::StatusOr<pathpair::v1::PairedRun> run = DecodeRun(kRunPayloadFormat, payload);
      if (run.ok()) CheckStoresAgain(*run);
      break;
    }
    case 1: {
      const absl::StatusOr<pathpair::v1::PairedRun> run = DecodeRun(kRunPayloadFormatV1, payload);
      if (run.ok()) CheckStoresAgain(*run);
      break;
    }
    default: {
      const nlohmann::json report =
          nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
      const std::optional<absl::StatusOr<pathpair::v1::PairedRun>> run = PairedRunFromJson(report);
      if (run.has_value() && run->ok()) CheckStoresAgain(**run);
      break;
    }
  }
  return 0;
}
