// net::DropPrivileges (agent/net/privileges.h) in forked children of a root test process: what
// is left after the drop, the refusal once a second thread runs, and the CAP_NET_RAW-only start
// of a systemd service. Root only (label `root`).
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "agent/net/privileges.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pathpair::net {
namespace {

using ::testing::HasSubstr;

// Runs `body` in a forked child (a drop cannot be undone) and returns what it wrote.
std::string InChild(const std::function<std::string()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const std::string result = body();
    (void)!write(fds[1], result.data(), result.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buffer[512];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof(buffer))) > 0) out.append(buffer, n);
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return out;
}

// "uid gid caps=<text> nnp=<0|1> raw=<0|1> bound_net_raw=<0|1> ambient=<0|1>" of this process.
std::string Describe() {
  cap_t caps = cap_get_proc();
  char* text = cap_to_text(caps, nullptr);
  const std::string caps_text = text;
  cap_free(text);
  cap_free(caps);
  const int raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (raw >= 0) close(raw);
  return absl::StrCat(getuid(), " ", getgid(), " caps=", caps_text,
                      " nnp=", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), " raw=", raw >= 0 ? 1 : 0,
                      " bound_net_raw=", cap_get_bound(CAP_NET_RAW),
                      " ambient=", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0));
}

passwd DefaultUser() { return *getpwnam(DefaultUnprivilegedUser().c_str()); }

TEST(DropPrivilegesTest, RootBecomesTheDefaultUserWithNothingLeft) {
  const passwd user = DefaultUser();
  const std::string out = InChild([] {
    absl::StatusOr<DroppedPrivileges> dropped = DropPrivileges();
    if (!dropped.ok()) return std::string(dropped.status().message());
    const std::string back_to_root = setuid(0) == 0 ? " regained root" : "";
    return absl::StrCat(dropped->user, " ", dropped->switched_user, " ", Describe(), back_to_root);
  });
  EXPECT_EQ(out, absl::StrCat(user.pw_name, " 1 ", user.pw_uid, " ", user.pw_gid,
                              " caps== nnp=1 raw=0 bound_net_raw=0 ambient=0"));
}

TEST(DropPrivilegesTest, SudoNamesTheUserUnlessOneIsGiven) {
  EXPECT_EQ(InChild([] {
              absl::StatusOr<DroppedPrivileges> dropped =
                  DropPrivileges({.fallback_uid = "4242", .fallback_gid = "4343"});
              return dropped.ok() ? Describe() : std::string(dropped.status().message());
            }),
            "4242 4343 caps== nnp=1 raw=0 bound_net_raw=0 ambient=0");
  const passwd daemon = *getpwnam("daemon");
  EXPECT_THAT(InChild([] {
                absl::StatusOr<DroppedPrivileges> dropped = DropPrivileges(
                    {.user = "daemon", .fallback_uid = "4242", .fallback_gid = "4343"});
                return dropped.ok() ? Describe() : std::string(dropped.status().message());
              }),
              HasSubstr(absl::StrCat(daemon.pw_uid, " ", daemon.pw_gid, " caps== nnp=1")));
}

TEST(DropPrivilegesTest, RefusedOnceASecondThreadRuns) {
  const std::string out = InChild([] {
    absl::Notification stop;
    std::thread other([&stop] { stop.WaitForNotification(); });
    absl::StatusOr<DroppedPrivileges> dropped = DropPrivileges();
    stop.Notify();
    other.join();
    return absl::StrCat(absl::StatusCodeToString(dropped.status().code()), " ",
                        dropped.status().message(), " uid=", getuid());
  });
  EXPECT_THAT(out, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(out, HasSubstr("2 threads"));
  EXPECT_THAT(out, HasSubstr("uid=0"));
}

TEST(DropPrivilegesTest, RefusesUsersItCannotBecome) {
  for (const char* user : {"no-such-user-pathpair", "root"}) {
    const std::string out = InChild([user] {
      absl::StatusOr<DroppedPrivileges> dropped = DropPrivileges({.user = user});
      return absl::StrCat(absl::StatusCodeToString(dropped.status().code()), " uid=", getuid());
    });
    EXPECT_THAT(out,
                ::testing::AnyOf(HasSubstr("NOT_FOUND uid=0"), HasSubstr("INVALID_ARGUMENT uid=0")))
        << user;
  }
}

// The start systemd gives with User=nobody and AmbientCapabilities=CAP_NET_RAW: not root, only
// CAP_NET_RAW (effective, permitted, inheritable, ambient). The user stays; the capability goes.
bool BecomeNobodyWithOnlyNetRaw() {
  const passwd nobody = *getpwnam("nobody");
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return false;
  if (setgroups(0, nullptr) != 0 || setresgid(nobody.pw_gid, nobody.pw_gid, nobody.pw_gid) != 0 ||
      setresuid(nobody.pw_uid, nobody.pw_uid, nobody.pw_uid) != 0) {
    return false;
  }
  cap_t caps = cap_init();
  const cap_value_t net_raw[] = {CAP_NET_RAW};
  for (cap_flag_t flag : {CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE}) {
    cap_set_flag(caps, flag, 1, net_raw, CAP_SET);
  }
  const bool set = cap_set_proc(caps) == 0;
  cap_free(caps);
  return set && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) == 0;
}

TEST(DropPrivilegesTest, NonRootWithOnlyNetRawKeepsItsUserAndLosesTheCapability) {
  const passwd nobody = *getpwnam("nobody");
  const std::string out = InChild([] {
    if (!BecomeNobodyWithOnlyNetRaw()) return std::string("setup failed");
    const std::string before = Describe();
    absl::StatusOr<DroppedPrivileges> dropped = DropPrivileges();
    if (!dropped.ok()) return std::string(dropped.status().message());
    return absl::StrCat(before, " | ", dropped->switched_user, " ", Describe());
  });
  EXPECT_EQ(out, absl::StrCat(nobody.pw_uid, " ", nobody.pw_gid,
                              " caps=cap_net_raw=eip nnp=0 raw=1 bound_net_raw=1 ambient=1 | 0 ",
                              nobody.pw_uid, " ", nobody.pw_gid,
                              " caps== nnp=1 raw=0 bound_net_raw=1 ambient=0"));
  // Naming another user is an error without root; naming itself is fine.
  EXPECT_THAT(InChild([] {
                if (!BecomeNobodyWithOnlyNetRaw()) return std::string("setup failed");
                return std::string(DropPrivileges({.user = "daemon"}).status().message());
              }),
              HasSubstr("not root"));
  EXPECT_EQ(InChild([] {
              if (!BecomeNobodyWithOnlyNetRaw()) return std::string("setup failed");
              return DropPrivileges({.user = "nobody"}).ok() ? std::string("ok") : "failed";
            }),
            "ok");
}

}  // namespace
}  // namespace pathpair::net
