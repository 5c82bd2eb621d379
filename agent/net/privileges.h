// Least privilege for the programs that open raw sockets (pathpair-agent, `pathpair trace`, the
// in-process client of `pathpair test`): once every socket is open (socket_set.h, the one-way
// socket, the listening ports), DropPrivileges gives up everything else for the rest of the
// process's life. As root it becomes an unprivileged user (setgroups, setresgid, setresuid);
// in every case it clears all four capability sets (effective, permitted, inheritable, ambient)
// and sets no_new_privs (as root it also empties the bounding set). A process that is already
// unprivileged (e.g. a systemd service with User=pathpair and AmbientCapabilities=CAP_NET_RAW)
// keeps its user and only loses the capability.
//
// Capabilities and no_new_privs belong to a thread, not to a process, so DropPrivileges refuses
// to run once a second thread exists: call it before starting gRPC, c-ares or any worker.
//
//   PATHPAIR_ASSIGN_OR_RETURN(net::SocketSet sockets, net::OpenSocketSet(plan));
//   PATHPAIR_ASSIGN_OR_RETURN(net::DroppedPrivileges dropped,
//                             net::DropPrivileges({.user = flags.user}));
//   std::cerr << "running as " << dropped.user << "\n";
#ifndef PATHPAIR_AGENT_NET_PRIVILEGES_H_
#define PATHPAIR_AGENT_NET_PRIVILEGES_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"

namespace pathpair::net {

struct DropOptions {
  // The user to become when running as root; empty: DefaultUnprivilegedUser(). A process that
  // is not root keeps its own user; naming a different one then is an error (it cannot switch).
  std::string user;
  // When the user is empty: become the user whose uid/gid these name (sudo's SUDO_UID and
  // SUDO_GID, so that `sudo pathpair trace` runs as the person who asked), if both are set,
  // numeric and not 0.
  std::string fallback_uid;
  std::string fallback_gid;
};

struct DroppedPrivileges {
  std::string user;  // the user name (or "uid N" when it has none)
  uid_t uid = 0;
  gid_t gid = 0;
  bool switched_user = false;  // false: the process was not root and kept its user
};

// The user a root process becomes by default: "pathpair" where that system user exists (the
// packages create it), else "nobody".
std::string DefaultUnprivilegedUser();

// The options of a command-line program (pathpair trace, pathpair test): the default user, or
// the user sudo ran it for (SUDO_UID and SUDO_GID from the environment) when there is one.
DropOptions SudoAwareDropOptions();

// Drops every privilege of the calling process, as described at the top. Errors:
// FailedPrecondition when more than one thread runs; NotFound for an unknown user;
// InvalidArgument for a user that is root, or a different user without root; Internal when the
// kernel refuses a step (the process must then stop: it may be half-dropped).
absl::StatusOr<DroppedPrivileges> DropPrivileges(const DropOptions& options = {});

// For tests and diagnostics: the number of threads of this process (/proc/self/status).
int CountThreads();

}  // namespace pathpair::net

#endif  // PATHPAIR_AGENT_NET_PRIVILEGES_H_
