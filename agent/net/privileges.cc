#include "agent/net/privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace pathpair::net {
namespace {

std::string ErrnoMessage(int err) { return std::strerror(err); }

struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

std::optional<Account> LookUpUser(const std::string& name) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return std::nullopt;
  }
  return Account{found->pw_name, found->pw_uid, found->pw_gid};
}

std::string NameOfUid(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
    return found->pw_name;
  }
  return absl::StrCat("uid ", uid);
}

// The account to become as root: the named user, else sudo's invoker, else the default.
absl::StatusOr<Account> TargetAccount(const DropOptions& options) {
  if (options.user.empty()) {
    uint32_t uid = 0;
    uint32_t gid = 0;
    if (absl::SimpleAtoi(options.fallback_uid, &uid) &&
        absl::SimpleAtoi(options.fallback_gid, &gid) && uid != 0 && gid != 0) {
      return Account{NameOfUid(uid), uid, gid};
    }
  }
  const std::string name = options.user.empty() ? DefaultUnprivilegedUser() : options.user;
  std::optional<Account> account = LookUpUser(name);
  if (!account.has_value()) return absl::NotFoundError(absl::StrCat("no such user '", name, "'"));
  if (account->uid == 0 || account->gid == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("user '", name, "' is root (uid or gid 0): not a user to drop privileges to"));
  }
  return *account;
}

// While root still holds CAP_SETPCAP: empties the bounding set too, so that not even a
// program executed later could regain a capability (no_new_privs forbids that as well).
absl::Status EmptyBoundingSet() {
  for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (CAP_IS_SUPPORTED(cap) && cap_drop_bound(cap) != 0) {
      return absl::InternalError(absl::StrCat("cap_drop_bound(", cap, "): ", ErrnoMessage(errno)));
    }
  }
  return absl::OkStatus();
}

absl::Status SwitchUser(const Account& account) {
  // Supplementary groups first (root's would otherwise stay), then the group, then the user:
  // once the uid is not 0 the other two calls are no longer allowed.
  const gid_t groups[] = {account.gid};
  if (setgroups(1, groups) != 0) {
    return absl::InternalError(absl::StrCat("setgroups: ", ErrnoMessage(errno)));
  }
  if (setresgid(account.gid, account.gid, account.gid) != 0) {
    return absl::InternalError(absl::StrCat("setresgid(", account.gid, "): ", ErrnoMessage(errno)));
  }
  if (setresuid(account.uid, account.uid, account.uid) != 0) {
    return absl::InternalError(absl::StrCat("setresuid(", account.uid, "): ", ErrnoMessage(errno)));
  }
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0 ||
      ruid != account.uid || euid != account.uid || suid != account.uid || rgid != account.gid ||
      egid != account.gid || sgid != account.gid) {
    return absl::InternalError("the user switch did not take effect");
  }
  return absl::OkStatus();
}

absl::Status ClearCapabilities() {
  // Ambient first: it must stay a subset of permitted and inheritable anyway, and clearing it
  // explicitly also covers kernels that would keep it across the other changes.
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return absl::InternalError(absl::StrCat("PR_CAP_AMBIENT_CLEAR_ALL: ", ErrnoMessage(errno)));
  }
  cap_t empty = cap_init();  // effective, permitted and inheritable all clear
  if (empty == nullptr) return absl::InternalError("cap_init failed");
  const int rc = cap_set_proc(empty);
  const int err = errno;
  cap_free(empty);
  if (rc != 0) return absl::InternalError(absl::StrCat("cap_set_proc: ", ErrnoMessage(err)));
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return absl::InternalError(absl::StrCat("PR_SET_NO_NEW_PRIVS: ", ErrnoMessage(errno)));
  }
  // Verify rather than trust: a capability left anywhere is a failure.
  cap_t now = cap_get_proc();
  cap_t none = cap_init();
  const bool all_clear = now != nullptr && none != nullptr && cap_compare(now, none) == 0;
  cap_free(now);
  cap_free(none);
  if (!all_clear) return absl::InternalError("capabilities remain after clearing them");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0) == 1) {
    return absl::InternalError("the ambient capability set is not empty");
  }
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
    return absl::InternalError("no_new_privs is not set");
  }
  return absl::OkStatus();
}

}  // namespace

std::string DefaultUnprivilegedUser() {
  return LookUpUser("pathpair").has_value() ? "pathpair" : "nobody";
}

int CountThreads() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "Threads:")) {
      int threads = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &threads)) return threads;
    }
  }
  return -1;
}

absl::StatusOr<DroppedPrivileges> DropPrivileges(const DropOptions& options) {
  const int threads = CountThreads();
  if (threads != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "privileges must be dropped before a second thread starts (", threads, " threads run)"));
  }
  DroppedPrivileges dropped;
  if (geteuid() == 0) {
    absl::StatusOr<Account> account = TargetAccount(options);
    if (!account.ok()) return account.status();
    if (absl::Status bounded = EmptyBoundingSet(); !bounded.ok()) return bounded;
    if (absl::Status switched = SwitchUser(*account); !switched.ok()) return switched;
    dropped.user = account->name;
    dropped.uid = account->uid;
    dropped.gid = account->gid;
    dropped.switched_user = true;
  } else {
    dropped.uid = geteuid();
    dropped.gid = getegid();
    dropped.user = NameOfUid(dropped.uid);
    if (!options.user.empty()) {
      std::optional<Account> wanted = LookUpUser(options.user);
      if (!wanted.has_value()) {
        return absl::NotFoundError(absl::StrCat("no such user '", options.user, "'"));
      }
      if (wanted->uid != dropped.uid) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot become user '", options.user, "': running as '", dropped.user,
                         "', not root (start as root, or as that user)"));
      }
    }
  }
  if (absl::Status cleared = ClearCapabilities(); !cleared.ok()) return cleared;
  return dropped;
}

DropOptions SudoAwareDropOptions() {
  const char* sudo_uid = std::getenv("SUDO_UID");
  const char* sudo_gid = std::getenv("SUDO_GID");
  return {.fallback_uid = sudo_uid == nullptr ? "" : sudo_uid,
          .fallback_gid = sudo_gid == nullptr ? "" : sudo_gid};
}

}  // namespace pathpair::net
