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

// One round per iteration, `interval` apart, on a path whose target answers at TTL `hops`: each
// probe sent and answered `reply_after` later, NextWakeup asked after each reply (as the prober
// does). After round 0 (a sweep, one TTL per Poll here) every round sends its probes at once.
void RunRounds(benchmark::State& state, int hops, absl::Duration interval,
               absl::Duration reply_after) {
  TraceConfig config;
  config.count = 0;
  config.interval = interval;
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
                     p.ttl == Ttl(hops) ? path.TargetReply(p.sequence)
                                        : path.TimeExceededFrom(router, p.sequence, p.ttl),
                     now + reply_after);
      benchmark::DoNotOptimize(engine.NextWakeup());
      ++probes;
    }
    now += interval;
  }
  state.SetItemsProcessed(probes);
  state.SetLabel("items = probes");
}

// 30 TTLs every 10 ms.
void BM_EngineRoundOf30(benchmark::State& state) {
  RunRounds(state, 30, absl::Milliseconds(10), absl::Microseconds(500));
}
BENCHMARK(BM_EngineRoundOf30);

// `pathpair trace -c 1000 -i 0.001` on a 4-hop path, as tests/bench measures it: a round of 4
// probes per interval (the argument, in µs) while the rounds of the last second are kept (a
// probe is overdue after 1 s at the earliest): the engine's cost when many rounds are alive.
void BM_EngineRoundOf4(benchmark::State& state) {
  RunRounds(state, 4, absl::Microseconds(state.range(0)), absl::Microseconds(100));
}
BENCHMARK(BM_EngineRoundOf4)->Arg(1000)->Arg(10000);

}  // namespace
}  // namespace pathpair::engine

BENCHMARK_MAIN();
