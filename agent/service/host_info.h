// What an agent reports about its host in Info: the clock (adjtimex's synchronisation state
// and the kernel's boot id), the interface addresses, the host name; and target name
// resolution for traces. Read-only system queries that need no privilege. The controller's
// in-process client end (controller/paired/local_endpoint.h) reports its host the same way.
//
//   v1::ClockStatus clock = ReadClockStatus(SystemClock::Get());
//   std::vector<v1::InterfaceAddress> addresses = ListInterfaceAddresses();
#ifndef PATHPAIR_AGENT_SERVICE_HOST_INFO_H_
#define PATHPAIR_AGENT_SERVICE_HOST_INFO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net/ip_address.h"
#include "common/time/clock.h"
#include "pathpair/v1/agent.pb.h"

namespace pathpair::agent {

// TEST ONLY. What pathpair-agent's --test-clock-* and --test-boot-id flags make it pretend
// about its clock, so that tests on one host can exercise every one-way clock method
// (same_host, synchronized, estimated: controller/paired/oneway_clock.h). Never set in
// production: a false claim makes the controller trust delays that are off by the offset.
struct TestClockOverrides {
  // Added to the wall clock of every one-way stamp (oneway::RunOptions::test_clock_offset)
  // and to ClockStatus.unix_time_us: this host's clock is "off" by this much.
  absl::Duration offset = absl::ZeroDuration();
  std::optional<bool> synchronized;           // replaces adjtimex's answer
  std::optional<int64_t> estimated_error_us;  // replaces esterror
  std::optional<std::string> boot_id;         // replaces the kernel's boot id
  bool any() const {
    return offset != absl::ZeroDuration() || synchronized.has_value() ||
           estimated_error_us.has_value() || boot_id.has_value();
  }
};

inline constexpr char kBootIdPath[] = "/proc/sys/kernel/random/boot_id";

// The running kernel's boot id (a UUID, shared by every namespace and container of one
// kernel), or "" when the file is unreadable or does not hold one.
std::string ReadBootId(const std::string& path = kBootIdPath);

// adjtimex(2) with modes 0 (a query): synchronized is false when the kernel reports
// TIME_ERROR or STA_UNSYNC; and the boot id. unix_time_us comes from `clock`. `test`
// replaces what it sets, and the source then says "test overrides".
v1::ClockStatus ReadClockStatus(const Clock& clock, const TestClockOverrides& test = {});

// Every address of every interface that is up, loopback last.
std::vector<v1::InterfaceAddress> ListInterfaceAddresses();

std::string LocalHostname();

// Resolves a trace target: an address literal as is, otherwise getaddrinfo restricted to
// ip_version (4, 6, or 0 for the first answer).
absl::StatusOr<IpAddress> ResolveTarget(absl::string_view target, int ip_version);

}  // namespace pathpair::agent

#endif  // PATHPAIR_AGENT_SERVICE_HOST_INFO_H_
