// Asynchronous DNS queries for the controller: PTR lookups (reverse names) and TXT queries
// (Team Cymru's AS records), behind two small interfaces so that caches and tests need no
// network, and one c-ares implementation running on its own thread. Nothing here blocks the
// caller: a query is queued and its callback runs later, on the resolver's thread.
//
//   absl::StatusOr<std::unique_ptr<AresResolver>> dns = AresResolver::Create({});
//   (*dns)->Lookup(address, [](absl::StatusOr<std::string> name) { ... });       // PTR
//   (*dns)->QueryTxt("7.100.51.198.origin.asn.cymru.com",
//                    [](absl::StatusOr<std::string> txt) { ... });               // TXT
#ifndef PATHPAIR_CONTROLLER_DNS_ARES_RESOLVER_H_
#define PATHPAIR_CONTROLLER_DNS_ARES_RESOLVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/net/ip_address.h"

namespace pathpair::dns {

// Asynchronous PTR lookups. `done` runs exactly once, on any thread, with the name or an error
// (NotFound for NXDOMAIN / no PTR record). Lookup itself must not block.
class PtrResolver {
 public:
  using Done = std::function<void(absl::StatusOr<std::string>)>;
  virtual ~PtrResolver() = default;
  virtual void Lookup(const IpAddress& address, Done done) = 0;
};

// Asynchronous TXT queries. `done` runs exactly once, on any thread, with the first string of
// the answer or an error (NotFound for NXDOMAIN / no TXT record). QueryTxt must not block.
class TxtResolver {
 public:
  using Done = std::function<void(absl::StatusOr<std::string>)>;
  virtual ~TxtResolver() = default;
  virtual void QueryTxt(const std::string& name, Done done) = 0;
};

// c-ares on its own thread, serving both kinds of query at once. Pending queries are answered
// with Cancelled at destruction.
class AresResolver : public PtrResolver, public TxtResolver {
 public:
  struct Options {
    // "host:port,host:port" (c-ares CSV). Empty: the system's resolv.conf.
    std::string servers;
    absl::Duration timeout = absl::Seconds(2);  // per try
    int tries = 2;
  };
  static absl::StatusOr<std::unique_ptr<AresResolver>> Create(const Options& options);
  ~AresResolver() override;
  AresResolver(const AresResolver&) = delete;
  AresResolver& operator=(const AresResolver&) = delete;

  void Lookup(const IpAddress& address, PtrResolver::Done done) override;
  void QueryTxt(const std::string& name, TxtResolver::Done done) override;

 private:
  struct State;
  struct Job;
  explicit AresResolver(std::unique_ptr<State> state);
  void Enqueue(Job job);
  void Run();
  std::unique_ptr<State> state_;
  std::thread thread_;
};

// The name controller/main knows it by (it used to do PTR lookups only).
using AresPtrResolver = AresResolver;

}  // namespace pathpair::dns

#endif  // PATHPAIR_CONTROLLER_DNS_ARES_RESOLVER_H_
