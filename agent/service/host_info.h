// What an agent reports about its host in Info: the clock's synchronisation state (adjtimex),
// the interface addresses, the host name; and target name resolution for traces. Read-only
// system queries that need no privilege.
//
//   v1::ClockStatus clock = ReadClockStatus(SystemClock::Get());
//   std::vector<v1::InterfaceAddress> addresses = ListInterfaceAddresses();
#ifndef PATHPAIR_AGENT_SERVICE_HOST_INFO_H_
#define PATHPAIR_AGENT_SERVICE_HOST_INFO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net/ip_address.h"
#include "common/time/clock.h"
#include "pathpair/v1/agent.pb.h"

namespace pathpair::agent {

// adjtimex(2) with modes 0 (a query): synchronized is false when the kernel reports
// TIME_ERROR or STA_UNSYNC. unix_time_us comes from `clock`.
v1::ClockStatus ReadClockStatus(const Clock& clock);

// Every address of every interface that is up, loopback last.
std::vector<v1::InterfaceAddress> ListInterfaceAddresses();

std::string LocalHostname();

// Resolves a trace target: an address literal as is, otherwise getaddrinfo restricted to
// ip_version (4, 6, or 0 for the first answer).
absl::StatusOr<IpAddress> ResolveTarget(absl::string_view target, int ip_version);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_HOST_INFO_H_
