// Figures for the engine's per-probe cost, which bounds how many concurrent traces one prober
// thread can drive: statistics per reply, routing a reply among many live traces, and a whole
// probe's life in the engine (Poll, OnSent, OnReply). Run:
//   /work/build-<you>/tests/agent/engine/pathpair_engine_benchmark
#include <cstdint>
#include <vector>

#include "agent/engine/probe_matcher.h"
#include "agent/engine/rtt_stats.h"
#include "agent/engine/trace_engine.h"
#include "benchmark/benchmark.h"
#include "tests/agent/engine/fake_network.h"

namespace pathpair::engine {
namespace {

void BM_RttAccumulatorAdd(benchmark::State& state) {
  RttAccumulator acc;
  int64_t i = 0;
  for (auto _ : state) {
    acc.Add(absl::Microseconds(1000 + (i++ % 5000)));
  }
  benchmark::DoNotOptimize(acc.Summary());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RttAccumulatorAdd);

void BM_RouteReplyAmongTraces(benchmark::State& state) {
  TraceRegistry registry;
  const IpAddress source = *IpAddress::Parse("198.51.100.1");
  std::vector<TraceRegistry::Registration> traces;
  for (int64_t i = 0; i < state.range(0); ++i) {
    traces.push_back(*registry.Register({.protocol = packet::ProbeProtocol::kUdp,
                                         .target = IpAddress::V4(0xcb007100u + (i % 250)),
                                         .destination_port = 33434}));
  }
  std::vector<packet::ParsedReply> replies;
  for (const auto& t : traces) {
    testing::FakePath path(t.identity, source, {});
    replies.push_back(path.TimeExceededFrom(source, Sequence(7), Ttl(1)));
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(registry.RouteReply(replies[i++ % replies.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteReplyAmongTraces)->Arg(1)->Arg(100)->Arg(10000);

// One round of 30 TTLs, each probe sent and answered, per iteration: the target answers at TTL
// 30, so after round 0 (a sweep, one TTL per Poll here) every round sends its 30 probes at once.
void BM_EngineRoundOf30(benchmark::State& state) {
  TraceConfig config;
  config.count = 0;
  config.interval = absl::Milliseconds(10);
  const IpAddress target = *IpAddress::Parse("203.0.113.9");
  const IpAddress router = *IpAddress::Parse("198.51.100.254");
  ProbeIdentity identity{.protocol = packet::ProbeProtocol::kIcmp, .target = target, .icmp_id = 1};
  TraceEngine engine(config, identity, MonoTime());
  testing::FakePath path(identity, router, {});
  MonoTime now;
  int64_t probes = 0;
  for (auto _ : state) {
    for (const ProbeRequest& p : engine.Poll(now)) {
      engine.OnSent(p.sequence, now);
      engine.OnReply(p.sequence,
                     p.ttl == Ttl(30) ? path.TargetReply(p.sequence)
                                      : path.TimeExceededFrom(router, p.sequence, p.ttl),
                     now + absl::Microseconds(500));
      ++probes;
    }
    now += config.interval;
  }
  state.SetItemsProcessed(probes);
  state.SetLabel("items = probes");
}
BENCHMARK(BM_EngineRoundOf30);

// `pathpair trace -c 1000 -i 0.001` on a 4-hop path, as tests/bench measures it: one round of 4
// probes per interval (the argument, in µs), each answered 100 µs later, while the rounds of
// the last second are kept (a probe is overdue after 1 s at the earliest). What the engine costs
// per probe when many rounds are alive at once.
void BM_EngineRoundOf4(benchmark::State& state) {
  TraceConfig config;
  config.count = 0;
  config.interval = absl::Microseconds(state.range(0));
  const IpAddress target = *IpAddress::Parse("203.0.113.9");
  const IpAddress router = *IpAddress::Parse("198.51.100.254");
  ProbeIdentity identity{.protocol = packet::ProbeProtocol::kIcmp, .target = target, .icmp_id = 1};
  TraceEngine engine(config, identity, MonoTime());
  testing::FakePath path(identity, router, {});
  MonoTime now;
  std::vector<ProbeRequest> due;
  int64_t probes = 0;
  for (auto _ : state) {
    due.clear();
    engine.Poll(now, due);
    for (const ProbeRequest& p : due) {
      engine.OnSent(p.sequence, now);
      engine.OnReply(p.sequence,
                     p.ttl == Ttl(4) ? path.TargetReply(p.sequence)
                                     : path.TimeExceededFrom(router, p.sequence, p.ttl),
                     now + absl::Microseconds(100));
      benchmark::DoNotOptimize(engine.NextWakeup());
      ++probes;
    }
    now += config.interval;
  }
  state.SetItemsProcessed(probes);
  state.SetLabel("items = probes");
}
BENCHMARK(BM_EngineRoundOf4)->Arg(1000)->Arg(10000);

}  // namespace
}  // namespace pathpair::engine

BENCHMARK_MAIN();
