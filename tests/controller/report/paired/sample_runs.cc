#include "tests/controller/report/paired/sample_runs.h"

#include <string>
#include <vector>

#include "controller/paired/oneway_clock.h"

namespace pathpair::html::testing {
namespace {

constexpr char kClient[] = "10.1.0.2";
constexpr char kServer[] = "203.0.113.10";
constexpr int kProbes = 100;

struct Hop {
  std::string address;
  int received;
  double avg_ms;
};

v1::TraceResult Trace(const std::string& source, const std::string& target,
                      const std::vector<Hop>& hops) {
  v1::TraceResult trace;
  trace.mutable_options()->set_target(target);
  trace.mutable_options()->set_count(kProbes);
  trace.set_source_address(source);
  trace.set_target_address(target);
  trace.set_start_unix_us(1'800'000'000'000'000);
  trace.set_rounds(kProbes);
  trace.set_reached(true);
  trace.set_final(true);
  for (size_t i = 0; i < hops.size(); ++i) {
    v1::HopResult* hop = trace.add_hops();
    hop->set_ttl(static_cast<int>(i) + 1);
    hop->set_sent(kProbes);
    hop->set_received(hops[i].received);
    v1::RttStats* rtt = hop->mutable_rtt();
    rtt->set_count(hops[i].received);
    rtt->set_best_ms(hops[i].avg_ms * 0.9);
    rtt->set_avg_ms(hops[i].avg_ms);
    rtt->set_worst_ms(hops[i].avg_ms * 1.3 + 1);
    rtt->set_last_ms(hops[i].avg_ms);
    rtt->set_stdev_ms(0.2);
    v1::Responder* responder = hop->add_responders();
    responder->set_address(hops[i].address);
    responder->set_received(hops[i].received);
    if (i + 1 == hops.size()) hop->set_termination(v1::HOP_TERMINATION_DESTINATION);
  }
  return trace;
}

// received[i]: replies of 100 at forward hop i+1 (r1..r5, server) and reverse hop i+1
// (r5..r1, client).
v1::TraceResult Forward(const std::vector<int>& received) {
  return Trace(kClient, kServer,
               {{kRouters[0], received[0], 0.5},
                {kRouters[1], received[1], 5.0},
                {kRouters[2], received[2], 10.0},
                {kRouters[3], received[3], 15.0},
                {kRouters[4], received[4], 20.0},
                {kServer, received[5], 20.5}});
}

v1::TraceResult Reverse(const std::vector<int>& received) {
  return Trace(kServer, kClient,
               {{kRouters[4], received[0], 0.6},
                {kRouters[3], received[1], 5.5},
                {kRouters[2], received[2], 10.5},
                {kRouters[1], received[3], 15.5},
                {kRouters[0], received[4], 20.0},
                {kClient, received[5], 20.6}});
}

v1::OneWayMeasurement OneWay(int sent, int received, double raw_delay_ms) {
  v1::OneWayMeasurement m;
  v1::OneWayDirection& stats = *m.mutable_stats();
  stats.set_sent(sent);
  stats.set_received(received);
  stats.set_loss_pct(100.0 * (sent - received) / sent);
  stats.mutable_raw_delay()->set_min_ms(raw_delay_ms - 0.2);
  stats.mutable_raw_delay()->set_avg_ms(raw_delay_ms);
  stats.mutable_raw_delay()->set_max_ms(raw_delay_ms + 0.9);
  stats.mutable_raw_delay()->set_stdev_ms(0.15);
  return m;
}

v1::PairedRun Base(const char* run_id) {
  v1::PairedRun run;
  run.set_run_id(run_id);
  run.set_start_unix_us(1'800'000'000'000'000);
  run.set_end_unix_us(run.start_unix_us() + 31'000'000);
  run.set_forward_target(kServer);
  run.set_reverse_target(kClient);
  run.mutable_client()->set_endpoint("local");
  run.mutable_client()->set_hostname("branch-gw");
  run.mutable_server()->set_endpoint("hq-app.example:8620");
  run.mutable_server()->set_hostname("hq-app");
  run.set_oneway_requested(true);
  return run;
}

}  // namespace

v1::PairedRun HealthyRun() {
  v1::PairedRun run = Base("20270115T100000.000Z-healthy0");
  *run.mutable_client()->mutable_trace() = Forward({100, 100, 100, 100, 100, 100});
  *run.mutable_server()->mutable_trace() = Reverse({100, 100, 100, 100, 100, 100});
  run.mutable_client()->mutable_clock()->set_boot_id("boot-one");
  run.mutable_server()->mutable_clock()->set_boot_id("boot-one");
  *run.mutable_oneway_forward() = OneWay(300, 300, 10.1);
  *run.mutable_oneway_reverse() = OneWay(300, 300, 10.4);
  paired::ResolveOneWayClocks(run);
  return run;
}

v1::PairedRun LossyReverseRun() {
  v1::PairedRun run = Base("20270115T101000.000Z-lossyrev");
  *run.mutable_client()->mutable_trace() = Forward({100, 60, 100, 80, 80, 80});
  *run.mutable_server()->mutable_trace() = Reverse({100, 100, 80, 80, 80, 80});
  for (v1::PairedSide* side : {run.mutable_client(), run.mutable_server()}) {
    side->mutable_clock()->set_synchronized(true);
    side->mutable_clock()->set_estimated_error_us(250);
  }
  run.mutable_client()->mutable_clock()->set_boot_id("boot-client");
  run.mutable_server()->mutable_clock()->set_boot_id("boot-server");
  *run.mutable_oneway_forward() = OneWay(300, 300, 10.1);
  *run.mutable_oneway_reverse() = OneWay(300, 240, 10.4);
  paired::ResolveOneWayClocks(run);
  return run;
}

v1::PairedRun PartialRun() {
  v1::PairedRun run = Base("20270115T102000.000Z-partial0");
  run.mutable_client()->set_error("the local trace failed: no permission to open a raw socket");
  *run.mutable_server()->mutable_trace() = Reverse({100, 100, 80, 80, 80, 80});
  run.set_oneway_requested(false);
  return run;
}

}  // namespace pathpair::html::testing
