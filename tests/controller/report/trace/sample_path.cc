#include "tests/controller/report/trace/sample_path.h"

#include "absl/strings/str_cat.h"

namespace pathpair::html::testing {

v1::TraceResult SampleTrace(bool reverse) {
  v1::TraceResult r;
  r.mutable_options()->set_target(reverse ? "branch-gw.example.net" : "hq-app.example.com");
  r.mutable_options()->set_count(100);
  r.set_source_hostname(reverse ? "hq-app" : "branch-gw");
  r.set_start_unix_us(1'795'780'000'000'000);
  r.set_rounds(100);
  r.set_reached(true);
  r.set_final(true);
  // Rows in forward orientation (branch side first), as `pathpair test` hands them over: the
  // reverse trace's TTL 9 (its target) is row 0.
  const char* fwd_names[] = {"gw.branch.lan",         "",
                             "bras1.isp.example.net", "core2.isp.example.net",
                             "edge1.isp.example.net", "ix-peer.transit.example",
                             "core5.transit.example", "dc-edge.hq.example.com",
                             "hq-app.example.com"};
  const char* rev_names[] = {"branch-gw.example.net",       "",
                             "bras1.isp.example.net",       "core2.isp.example.net",
                             "edge3.isp.example.net",       "pe2.other-transit.example",
                             "core1.other-transit.example", "dc-edge.hq.example.com",
                             "dc-gw.hq.example.com"};
  const double fwd_base[] = {0.4, 0, 6.1, 7.0, 8.2, 15.3, 18.9, 21.0, 21.4};
  for (int i = 0; i < 9; ++i) {
    v1::HopResult* hop = r.add_hops();
    hop->set_ttl(reverse ? 9 - i : i + 1);
    hop->set_sent(100);
    const char* name = reverse ? rev_names[i] : fwd_names[i];
    int64_t received = 100;
    if (name[0] == '\0') received = 0;      // a hop that never answers
    if (!reverse && i >= 5) received = 88;  // forwarding loss from hop 6 on
    if (reverse && i == 5) received = 61;   // ICMP rate limiting only
    hop->set_received(received);
    if (received > 0) {
      v1::RttStats* s = hop->mutable_rtt();
      // The reverse trace's RTT grows toward row 0, its far end.
      const double b =
          reverse ? fwd_base[8] - fwd_base[i] + 0.5 + (i < 5 ? 2.5 : 0.0) : fwd_base[i];
      s->set_count(received);
      s->set_best_ms(b);
      s->set_avg_ms(b * 1.15 + 0.3);
      s->set_worst_ms(b * 1.6 + 2.0 + (i == 6 ? 25.0 : 0.0));
      s->set_last_ms(b * 1.1);
      s->set_stdev_ms(0.2 + b * 0.05);
      s->set_jitter_ms(0.1 + b * 0.02);
      v1::Responder* resp = hop->add_responders();
      resp->set_address(absl::StrCat(reverse ? "203.0.113." : "198.51.100.", 2 + 4 * i));
      resp->set_hostname(name);
      resp->set_received(received);
      if (!reverse && i == 4) {
        v1::Responder* other = hop->add_responders();
        other->set_address("198.51.100.200");
        other->set_hostname("edge2.isp.example.net");
        other->set_received(20);
      }
    }
    if ((reverse && i == 0) || (!reverse && i == 8)) {
      hop->set_termination(v1::HOP_TERMINATION_DESTINATION);
    }
  }
  return r;
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace pathpair::html::testing
