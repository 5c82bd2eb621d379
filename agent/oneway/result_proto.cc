#include "agent/oneway/result_proto.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace pathpair::oneway {

absl::StatusOr<OneWayConfig> ConfigFromRequest(const v1::StartOneWayRequest& request) {
  OneWayConfig config;
  if (request.test_id() == 0) {
    return absl::InvalidArgumentError(
        "test_id must be a random non-zero number shared by both agents");
  }
  config.session_id = request.test_id();
  if (request.session_key().size() != kSessionKeySize) {
    return absl::InvalidArgumentError(absl::StrCat("session_key must be ", kSessionKeySize,
                                                   " random bytes shared by both agents (got ",
                                                   request.session_key().size(), ")"));
  }
  std::copy(request.session_key().begin(), request.session_key().end(), config.key.begin());
  if (request.count() > 0) config.packet_count = request.count();
  if (request.interval_us() > 0) config.interval = absl::Microseconds(request.interval_us());
  if (request.packet_size() > 0) config.packet_size = static_cast<size_t>(request.packet_size());
  if (absl::Status s = ValidateConfig(config); !s.ok()) return s;
  return config;
}

v1::AgentOneWayResult ResultToProto(const OneWayResult& result) {
  v1::AgentOneWayResult out;
  const DirectionReport& in = result.inbound;
  v1::OneWayDirection* inbound = out.mutable_inbound();
  inbound->set_sent(in.sent);
  inbound->set_received(in.received);
  inbound->set_loss_pct(in.loss_pct);
  inbound->set_duplicates(in.duplicates);
  inbound->set_reordered(in.reordered);
  // Raw: the controller puts the delays on one time base (controller/paired/oneway_clock.h).
  v1::DelayStats* raw = inbound->mutable_raw_delay();
  raw->set_min_ms(in.raw_delay.min_ms);
  raw->set_avg_ms(in.raw_delay.avg_ms);
  raw->set_max_ms(in.raw_delay.max_ms);
  raw->set_stdev_ms(in.raw_delay.stdev_ms);
  inbound->set_jitter_ms(in.jitter_ms);
  // Only the count is known here; the peer measures what arrived.
  out.mutable_outbound()->set_sent(result.outbound_sent);
  if (in.offset.has_value()) {
    out.mutable_offset()->set_estimated(true);
    out.mutable_offset()->set_offset_ms(absl::ToDoubleMilliseconds(in.offset->offset));
    out.mutable_offset()->set_error_bound_ms(absl::ToDoubleMilliseconds(in.offset->error_bound));
  }
  out.set_interrupted(result.interrupted);
  if (!in.peer_seen) out.set_error("no packet from the peer arrived");
  return out;
}

}  // namespace pathpair::oneway
