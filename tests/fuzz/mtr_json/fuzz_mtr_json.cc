// Fuzz target: the reader of mtr's JSON report (controller/mtrjson), which `pathpair diagnose`
// runs on any file it is given. Whatever the text, both readers return a value or an error;
// a trace that reads has hop numbers 1..255 in increasing order, and no hop with more replies
// than probes.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "controller/mtrjson/mtr_json.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pathpair;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  (void)mtrjson::LooksLikeMtrJson(text);
  const absl::StatusOr<v1::TraceResult> trace = mtrjson::ParseMtrJson(text);
  if (trace.ok()) {
    int previous_ttl = 0;
    for (const v1::HopResult& hop : trace->hops()) {
      FUZZ_CHECK(hop.ttl() > previous_ttl && hop.ttl() <= 255);
      FUZZ_CHECK(hop.received() >= 0 && hop.received() <= std::max<int64_t>(hop.sent(), 0));
      previous_ttl = hop.ttl();
    }
  }
  (void)mtrjson::ParseMtrJsonAsNumbers(text);
  return 0;
}
