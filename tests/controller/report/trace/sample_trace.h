// A small hand-made v1::TraceResult for the formats tests: three hops, the second silent, the
// third with two responders (ECMP), names on the first.
#ifndef PATHPAIR_TESTS_CONTROLLER_REPORT_TRACE_SAMPLE_TRACE_H_
#define PATHPAIR_TESTS_CONTROLLER_REPORT_TRACE_SAMPLE_TRACE_H_

#include "pathpair/v1/trace.pb.h"

namespace pathpair::formats::testing {

inline v1::HopResult MakeHop(int ttl, int64_t sent, int64_t received, double best, double avg,
                             double worst) {
  v1::HopResult hop;
  hop.set_ttl(ttl);
  hop.set_sent(sent);
  hop.set_received(received);
  v1::RttStats* rtt = hop.mutable_rtt();
  rtt->set_count(received);
  rtt->set_last_ms(avg);
  rtt->set_best_ms(best);
  rtt->set_avg_ms(avg);
  rtt->set_worst_ms(worst);
  rtt->set_stdev_ms(0.25);
  rtt->set_gmean_ms(avg);
  return hop;
}

inline v1::Responder* AddResponder(v1::HopResult& hop, const char* address, const char* name,
                                   int64_t received) {
  v1::Responder* r = hop.add_responders();
  r->set_address(address);
  r->set_hostname(name);
  r->set_received(received);
  return r;
}

inline v1::TraceResult SampleTrace() {
  v1::TraceResult result;
  result.mutable_options()->set_target("target.example");
  result.mutable_options()->set_count(3);
  result.mutable_options()->set_packet_size(64);
  result.set_source_hostname("vm");
  result.set_target_address("198.51.100.10");
  result.set_start_unix_us(1'795'779'851'000'000);
  result.set_reached(true);
  result.set_rounds(3);
  result.set_final(true);
  v1::HopResult h1 = MakeHop(1, 3, 3, 0.07, 0.08, 0.09);
  AddResponder(h1, "198.51.100.2", "r1.example", 3);
  v1::HopResult h2 = MakeHop(2, 3, 0, 0, 0, 0);
  v1::HopResult h3 = MakeHop(3, 3, 1, 12.5, 12.5, 12.5);
  AddResponder(h3, "198.51.100.10", "", 1);
  AddResponder(h3, "198.51.100.14", "", 0);
  *result.add_hops() = h1;
  *result.add_hops() = h2;
  *result.add_hops() = h3;
  return result;
}

}  // namespace pathpair::formats::testing

#endif  // PATHPAIR_TESTS_CONTROLLER_REPORT_TRACE_SAMPLE_TRACE_H_
