// The heart of pathpair-netsim: carries IP packets hop by hop along a scenario's forward path
// (client -> server) and reverse path (server -> client), applying link delays and losses,
// router TTL handling (ICMP Time Exceeded with rate limit, slow path and MPLS labels, from the
// interface the router's icmp_source says), loops, blackholes and destination filters. Packets
// sent to a router's own address reach that router, which answers echo requests with echo
// replies and UDP with port unreachable. Pure and single-threaded: the caller feeds packets with
// their receive time and runs the engine up to "now"; packets leave through a PacketSink at their
// scheduled time. The real-time runner (runner.h) and the tests (with made-up times) both use it.
//
// Routes to a router's address A (on its interface toward neighbour P, if A is an interface's):
// along the sender's own path until the router, or until P, which is attached to A's link and
// crosses it; failing both, along the other path backwards (the route a router that is only on
// the way back is reached by). The answer returns as an error from that router would.
//
//   PathEngine engine(scenario, start, &sink);
//   engine.Receive(Side::kClient, bytes, now);
//   while (engine.NextEventTime() <= now) engine.RunUntil(now);   // sink.Deliver(...) calls
#ifndef PATHPAIR_TESTS_NETSIM_PATH_ENGINE_H_
#define PATHPAIR_TESTS_NETSIM_PATH_ENGINE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "absl/time/time.h"
#include "common/net/ip_address.h"
#include "common/time/clock.h"
#include "tests/netsim/link_model.h"
#include "tests/netsim/netsim.pb.h"
#include "tests/netsim/router_model.h"
#include "tests/netsim/token_bucket.h"

namespace pathpair::netsim {

enum class Side : uint8_t { kClient, kServer };
const char* SideName(Side side);

// What happened to a packet at one point of its journey (for the event log).
struct HopEvent {
  int hop = 0;         // the router's position along the path it sits on (1 = first router)
  std::string router;  // router name; empty for an endpoint
  MonoTime at;         // emulated time of the event
  std::string what;    // "forwarded", "link_loss", "router_loss", "blackholed", "ttl_expired",
                       // "icmp_generated", "icmp_rate_limited", "icmp_disabled", "loop_back",
                       // "to_router", "no_answer", "slow_path"
};

// One packet's journey, from the emulator's receive (or generation) to its delivery or drop.
struct PacketRecord {
  uint64_t id = 0;
  uint64_t cause_id = 0;  // for emulator-generated ICMP errors: the packet that expired
  std::string origin;     // "client", "server", or the router that generated it
  std::string route;      // "forward", "reverse", "to_router", "icmp_return", "none"
  IpAddress source;
  IpAddress destination;
  uint8_t protocol = 0;
  uint8_t ttl = 0;  // as received
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  int icmp_type = -1;  // -1: not ICMP
  int icmp_code = -1;
  int icmp_id = -1;  // echo request/reply only
  int icmp_seq = -1;
  size_t length = 0;
  MonoTime received;  // when the emulator read it from a TUN (or generated it)
  std::vector<HopEvent> hops;
  std::string fate;    // "delivered" or why it ended: "link_loss", "router_loss", "blackholed",
                       // "ttl_expired", "dest_icmp_dropped", "dest_rate_limited", "no_route",
                       // "no_address", "malformed", "to_router" (reached the router it was
                       // addressed to, which answered or not: see hops)
  MonoTime scheduled;  // the emulated delivery time (delivered only)
};

// Where packets leave the engine.
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  // The packet reaches endpoint `to` at record.scheduled. The sink may note the real time.
  virtual void Deliver(Side to, std::span<const uint8_t> packet, PacketRecord& record) = 0;
  // The journey ended without delivery.
  virtual void Dropped(const PacketRecord& record) = 0;
};

class PathEngine {
 public:
  // The scenario must have passed ValidateScenario. Timed changes count from `start`.
  PathEngine(const v1::Scenario& scenario, MonoTime start, PacketSink* sink);
  ~PathEngine();
  PathEngine(const PathEngine&) = delete;
  PathEngine& operator=(const PathEngine&) = delete;

  // A packet written by an endpoint's kernel, read at `now`.
  void Receive(Side from, std::span<const uint8_t> packet, MonoTime now);

  // Runs every event due at or before `now`, in time order.
  void RunUntil(MonoTime now);

  // What an ideal tracer sees from `from` for each TTL 1..max_ttl (computed from the models'
  // properties at start, not by sending packets): who answers, the base and mean RTT, the loss.
  struct HopTruth {
    int ttl = 0;
    std::string responder;             // "router", "destination", or "none" (nothing can answer)
    std::string router;                // router name when responder == "router"
    std::vector<IpAddress> addresses;  // possible responders (several with ECMP)
    double base_rtt_ms = 0;            // without jitter or slow path jitter
    double mean_rtt_ms = 0;            // with mean jitter and slow path
    double jitter_ms = 0;              // sum of jitter means along the round trip
    double loss = 0;                   // probability that no reply comes back, rate limits excluded
    double path_loss = 0;  // the same for a probe the responder does not filter (links and routers)
    bool silent = false;   // the router never sends Time Exceeded
    bool rate_limited = false;  // a token bucket (router ICMP or destination echo) may drop more
    bool icmp_echo_dropped = false;  // the destination drops ICMP echo requests
    bool time_varying = false;       // a timed change on the way may alter all of this
  };
  std::vector<HopTruth> GroundTruth(Side from, IpFamily family, int max_ttl);

  // What a prober at `from` gets back from each router address of the family (properties at
  // start, rate limits and losses aside): who owns it, how many hops away it is, and the source
  // of the port unreachable (UDP to it) and of the echo reply.
  struct AddressTruth {
    IpAddress address;
    std::string router;
    std::string peer;  // the interface's neighbour; empty for a router-wide address
    int hops = 0;      // the TTL a packet needs to reach it (the router is that many hops away)
    std::vector<IpAddress> port_unreachable_from;  // several with ECMP
    IpAddress echo_reply_from;
    double base_rtt_ms = 0;
  };
  std::vector<AddressTruth> RouterAddressTruth(Side from, IpFamily family);

  // The time of the next event; MonoTime::Infinite() when idle.
  MonoTime NextEventTime() const;
  size_t pending_events() const { return queue_.size(); }

 private:
  // One link crossing of a route.
  struct Step {
    LinkModel* link = nullptr;      // the link crossed
    LinkModel* back = nullptr;      // the same link crossed the other way
    RouterModel* from = nullptr;    // null: the endpoint the route starts at
    RouterModel* router = nullptr;  // reached; null: the endpoint at the end of the route
    int position = 0;               // router's position along its own path
  };
  using Route = std::vector<Step>;
  enum class PathId : uint8_t { kForward, kReverse };
  struct CompiledPath {
    std::vector<RouterModel*> routers;  // from the origin endpoint on
    std::vector<LinkModel*> links;      // links[i] leads into routers[i]; the last into the far end
    std::vector<LinkModel*> mirror;     // mirror[i]: links[i] crossed backwards
    std::shared_ptr<const Route> main;
    // Index in routers (first occurrence); -1 when absent.
    int IndexOf(const RouterModel* router) const;
  };
  // The way back of an ICMP message from a router to the endpoint a packet came from.
  struct Return {
    std::shared_ptr<const Route> route;
    std::string egress_peer;  // the neighbour it leaves toward (the interface it leaves by)
  };
  struct Flight;
  struct Event {
    MonoTime at;
    uint64_t order;
    std::unique_ptr<Flight> flight;
  };

  void CompilePaths(const v1::Scenario& scenario);
  LinkModel* NewLink(const v1::Link& link, const std::string& label);
  const CompiledPath& PathOf(PathId path) const;
  // The path that starts at `side` (forward for the client) and the one that ends there.
  const CompiledPath& PathFrom(Side side) const;
  const CompiledPath& PathTo(Side side) const;
  // The way back to `prober` of a message from came[upto].router, which `came` (a route from
  // `prober`) reached, as icmp_return says.
  Return ReturnOver(const std::shared_ptr<const Route>& came, size_t upto, Side prober);
  // An error about a packet on `path`'s main route (or looping on it) that expired at `position`.
  Return ReturnRoute(PathId path, int position);
  std::shared_ptr<const Route> BounceRoute(PathId path, int position);
  // The route from `from` to the router that owns `address`; null when no path leads there.
  std::shared_ptr<const Route> RouteToRouter(Side from, RouterModel* router,
                                             const IpAddress& address);
  RouterModel* OwnerOf(const IpAddress& address) const;
  // The name of a route's node for interface lookups: the router's, or the endpoint's.
  static std::string PeerName(const RouterModel* node, Side endpoint);
  void Schedule(MonoTime at, std::unique_ptr<Flight> flight);
  void Process(MonoTime at, std::unique_ptr<Flight> flight);
  void Depart(MonoTime at, std::unique_ptr<Flight> flight);
  void Arrive(MonoTime at, std::unique_ptr<Flight> flight);
  void ArriveAtEndpoint(MonoTime at, std::unique_ptr<Flight> flight);
  void ArriveAtAddressedRouter(MonoTime at, std::unique_ptr<Flight> flight);
  void TimeExceeded(MonoTime at, const Step& step, Flight& flight);
  // Sends `bytes` (an ICMP message `router` generated about `cause`) back along `back`.
  void SendFromRouter(MonoTime at, RouterModel& router, const Step& step, Flight& cause,
                      std::vector<uint8_t> bytes, const Return& back, absl::Duration delay);
  void Drop(std::unique_ptr<Flight> flight, const char* fate);

  const v1::Scenario scenario_;
  const MonoTime start_;
  PacketSink* const sink_;
  uint64_t next_packet_id_ = 1;
  uint64_t next_order_ = 0;
  std::vector<std::unique_ptr<LinkModel>> links_;
  std::vector<std::unique_ptr<RouterModel>> routers_;
  CompiledPath forward_;
  CompiledPath reverse_;
  // Every link between two routers by its ends, for the last step of a route to a router address.
  std::map<std::pair<const RouterModel*, const RouterModel*>, LinkModel*> links_between_;
  std::map<IpAddress, RouterModel*> owners_;  // every router address
  std::map<std::tuple<const Route*, size_t, int>, Return> returns_;
  std::map<std::pair<int, int>, std::shared_ptr<const Route>> bounce_routes_;
  std::map<std::pair<int, IpAddress>, std::shared_ptr<const Route>> router_routes_;
  std::vector<IpAddress> client_addresses_;
  std::vector<IpAddress> server_addresses_;
  TokenBucket echo_bucket_;
  std::vector<Event> queue_;  // a min-heap on (at, order)
};

}  // namespace pathpair::netsim

#endif  // PATHPAIR_TESTS_NETSIM_PATH_ENGINE_H_
