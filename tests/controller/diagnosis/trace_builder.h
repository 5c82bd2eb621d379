// TraceBuilder: compact construction of v1::TraceResult tables for the diagnosis tests, one
// call per hop in TTL order, like reading an mtr report top to bottom. OneWay: a one-way result.
//
//   v1::TraceResult t = TraceBuilder("203.0.113.10")
//                           .Hop("192.168.1.1", 10, 10, 1.0)
//                           .Silent(10)
//                           .Hop("203.0.113.10", 10, 10, 20.0).Reached()
//                           .Build();
#ifndef PATHPAIR_TESTS_CONTROLLER_DIAGNOSIS_TRACE_BUILDER_H_
#define PATHPAIR_TESTS_CONTROLLER_DIAGNOSIS_TRACE_BUILDER_H_

#include <string>
#include <vector>

#include "pathpair/v1/diagnosis.pb.h"
#include "pathpair/v1/trace.pb.h"

namespace pathpair::diagnosis::testing {

class TraceBuilder {
 public:
  explicit TraceBuilder(std::string target = "203.0.113.10") {
    trace_.set_target_address(target);
    trace_.mutable_options()->set_target(target);
    trace_.mutable_options()->set_protocol(v1::PROTOCOL_ICMP);
    trace_.set_final(true);
  }

  // A hop that answered `received` of `sent` probes. best/worst default to +-10% of avg and
  // stdev to 3% of avg: a steady hop.
  TraceBuilder& Hop(const std::string& address, int sent, int received, double avg,
                    double best = -1, double worst = -1, double stdev = -1) {
    v1::HopResult* hop = trace_.add_hops();
    hop->set_ttl(trace_.hops_size());
    hop->set_sent(sent);
    hop->set_received(received);
    if (received > 0) {
      v1::RttStats* rtt = hop->mutable_rtt();
      rtt->set_count(received);
      rtt->set_avg_ms(avg);
      rtt->set_last_ms(avg);
      rtt->set_best_ms(best >= 0 ? best : avg * 0.9);
      rtt->set_worst_ms(worst >= 0 ? worst : avg * 1.1);
      rtt->set_stdev_ms(stdev >= 0 ? stdev : avg * 0.03);
      v1::Responder* responder = hop->add_responders();
      responder->set_address(address);
      responder->set_received(received);
    }
    return *this;
  }
  // A hop that never answered (mtr's "???").
  TraceBuilder& Silent(int sent) { return Hop("", sent, 0, 0); }
  // More responders at the last hop (ECMP).
  TraceBuilder& AlsoAnswered(const std::string& address) {
    trace_.mutable_hops(trace_.hops_size() - 1)->add_responders()->set_address(address);
    return *this;
  }
  // The last hop is the destination.
  TraceBuilder& Reached() {
    trace_.mutable_hops(trace_.hops_size() - 1)->set_termination(v1::HOP_TERMINATION_DESTINATION);
    trace_.set_reached(true);
    return *this;
  }
  TraceBuilder& Unreachable(int code) {
    v1::HopResult* hop = trace_.mutable_hops(trace_.hops_size() - 1);
    hop->set_termination(v1::HOP_TERMINATION_UNREACHABLE);
    hop->set_unreachable_code(code);
    return *this;
  }
  TraceBuilder& Protocol(v1::Protocol protocol) {
    trace_.mutable_options()->set_protocol(protocol);
    return *this;
  }
  v1::TraceResult Build() const { return trace_; }

 private:
  v1::TraceResult trace_;
};

// One direction of a one-way measurement: `received` of `sent`, delays from min_ms to twice
// avg_ms, a clock offset error of 0.5 ms.
inline v1::OneWayResult OneWay(int sent, int received, double min_ms = 2, double avg_ms = 2.5) {
  v1::OneWayResult r;
  r.set_sent(sent);
  r.set_received(received);
  r.set_loss_pct(100.0 * (sent - received) / sent);
  r.set_delay_min_ms(min_ms);
  r.set_delay_avg_ms(avg_ms);
  r.set_delay_max_ms(avg_ms * 2);
  r.set_offset_error_ms(0.5);
  return r;
}

}  // namespace pathpair::diagnosis::testing

#endif  // PATHPAIR_TESTS_CONTROLLER_DIAGNOSIS_TRACE_BUILDER_H_
