// Prober throughput over the fake network: how long one loop turn takes with N concurrent
// traces, i.e. whether one thread can serve 1,000 traces at mtr's pace with room to spare.
// Prints figures; nothing here asserts a speed.
//
//   ./prober_benchmark --benchmark_filter=Rounds
#include <memory>
#include <vector>

#include "agent/prober/prober.h"
#include "benchmark/benchmark.h"
#include "tests/agent/prober/fake_transport.h"

namespace pathpair::prober {
namespace {

IpAddress Addr(const char* text) { return *IpAddress::Parse(text); }

// Runs `traces` concurrent 5-hop ICMP/UDP/TCP traces of 5 rounds each to completion.
void BM_ConcurrentTraces(benchmark::State& state) {
  const int traces = static_cast<int>(state.range(0));
  int64_t probes = 0;
  for (auto _ : state) {
    FakeClock clock;
    FakeTransport net(clock);
    net.AddPath(Addr("203.0.113.9"), {Addr("198.51.100.1"), Addr("198.51.100.2"),
                                      Addr("198.51.100.3"), Addr("198.51.100.4")});
    Prober prober(net, clock);
    const v1::Protocol protocols[] = {v1::PROTOCOL_ICMP, v1::PROTOCOL_UDP, v1::PROTOCOL_TCP};
    int finished = 0;
    for (int i = 0; i < traces; ++i) {
      TraceRequest request;
      request.options.set_protocol(protocols[i % 3]);
      request.options.set_count(5);
      request.options.set_interval_us(1'000'000);
      request.options.set_max_ttl(10);
      request.target = Addr("203.0.113.9");
      request.source = Addr("198.51.100.100");
      TraceCallbacks callbacks;
      callbacks.on_finished = [&finished](const engine::TraceResult&) { ++finished; };
      if (!prober.AddTrace(request, std::move(callbacks)).ok()) {
        state.SkipWithError("AddTrace failed");
        return;
      }
    }
    while (prober.active_traces() > 0) {
      const MonoTime next = std::min(prober.Step(), net.NextArrival());
      if (next > clock.Now() && next != MonoTime::Infinite()) clock.Set(next);
    }
    if (finished != traces) state.SkipWithError("not every trace finished");
    probes += static_cast<int64_t>(net.sent().size());
  }
  state.counters["probes/s"] =
      benchmark::Counter(static_cast<double>(probes), benchmark::Counter::kIsRate);
  state.counters["traces"] = traces;
}
BENCHMARK(BM_ConcurrentTraces)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pathpair::prober

BENCHMARK_MAIN();
