#!/usr/bin/env python3
"""The Debian package that `cpack -G DEB` builds (tests/package/CMakeLists.txt makes it first),
and the systemd unit in it.

- PackageTest: the files it must hold; Depends from dpkg-shlibdeps; the conffile; the maintainer
  scripts (user, setcap with its fallback); lintian reports no error.
- UnitTest: the unit's identity, capabilities and sandbox (issue 11 section 2);
  `systemd-analyze verify` passes with the packaged binary and man page in place (an overlay in
  a private mount namespace: nothing lands on the host); `systemd-analyze security
  --offline=true` rates its exposure 2.5 or lower.

Environment: PATHPAIR_DEB_DIR (the directory holding pathpair_*.deb).
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import unittest

DEB_DIR = os.environ.get("PATHPAIR_DEB_DIR", "package")
UNIT = "lib/systemd/system/pathpair-agent.service"


def deb_path():
    debs = sorted(glob.glob(os.path.join(DEB_DIR, "pathpair_*.deb")))
    if len(debs) != 1:
        raise AssertionError("expected one pathpair_*.deb in %s, found %s" % (DEB_DIR, debs))
    return debs[0]


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)


class Extracted:
    """The package's files, unpacked into a temporary directory."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="pathpair-deb-")
        result = run(["dpkg-deb", "-x", deb_path(), self.dir])
        if result.returncode != 0:
            raise AssertionError("dpkg-deb -x: " + result.stderr)
        return self.dir

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)


def unit_settings(text):
    """Key -> list of values of a unit file (systemd allows repeated keys)."""
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        settings.setdefault(key.strip(), []).append(value.strip())
    return settings


class PackageTest(unittest.TestCase):
    def test_holds_the_binaries_unit_config_man_pages_and_completion(self):
        listing = run(["dpkg-deb", "-c", deb_path()]).stdout
        paths = {line.split()[5].lstrip(".") for line in listing.splitlines()}
        for path in ["/usr/bin/pathpair", "/usr/bin/pathpair-agent", "/" + UNIT,
                     "/etc/pathpair/agent.conf", "/usr/share/man/man1/pathpair.1.gz",
                     "/usr/share/man/man8/pathpair-agent.8.gz",
                     "/usr/share/bash-completion/completions/pathpair",
                     "/usr/share/doc/pathpair/copyright"]:
            self.assertIn(path, paths)
        for line in listing.splitlines():
            if line.split()[5] in ("./usr/bin/pathpair", "./usr/bin/pathpair-agent"):
                self.assertTrue(line.startswith("-rwxr-xr-x root/root"), line)

    def test_depends_come_from_shlibdeps(self):
        depends = run(["dpkg-deb", "-f", deb_path(), "Depends"]).stdout
        # Libraries the binaries link, with versions as dpkg-shlibdeps writes them.
        for library in ["libgrpc++1.51", "libprotobuf32", "libabsl20220623", "libc6",
                        "libcpp-httplib0.11", "libstdc++6"]:
            self.assertRegex(depends, re.escape(library) + r" \(>= [^)]+\)")
        self.assertIn("adduser", depends)

    def test_conffile_and_maintainer_scripts(self):
        with tempfile.TemporaryDirectory() as control:
            self.assertEqual(run(["dpkg-deb", "-e", deb_path(), control]).returncode, 0)
            with open(os.path.join(control, "conffiles")) as f:
                self.assertEqual(f.read().split(), ["/etc/pathpair/agent.conf"])
            with open(os.path.join(control, "postinst")) as f:
                postinst = f.read()
            self.assertIn("adduser --system --group", postinst)
            self.assertIn("setcap cap_net_raw+ep /usr/bin/pathpair", postinst)
            self.assertIn("command -v setcap", postinst)  # the fallback without libcap2-bin
            for script in ("postinst", "prerm", "postrm"):
                path = os.path.join(control, script)
                self.assertTrue(os.access(path, os.X_OK), script)
                self.assertEqual(run(["sh", "-n", path]).returncode, 0, script)

    def test_postinst_falls_back_without_setcap(self):
        """The configure step, run against a PATH where setcap does not exist, still succeeds
        (with fakes of everything that would touch this machine)."""
        with tempfile.TemporaryDirectory() as work:
            control = os.path.join(work, "control")
            self.assertEqual(run(["dpkg-deb", "-e", deb_path(), control]).returncode, 0)
            fake_bin = os.path.join(work, "bin")
            os.mkdir(fake_bin)
            for tool in ("getent", "adduser", "dpkg-statoverride", "chown", "chmod"):
                with open(os.path.join(fake_bin, tool), "w") as f:
                    # dpkg-statoverride --list: no override (exit 1); the rest succeed.
                    f.write("#!/bin/sh\n%s\n" % ("exit 1" if tool == "dpkg-statoverride"
                                                 else "exit 0"))
                os.chmod(os.path.join(fake_bin, tool), 0o755)
            for tool in ("sh", "echo", "cat"):
                os.symlink(shutil.which(tool), os.path.join(fake_bin, tool))
            result = run(["/bin/sh", os.path.join(control, "postinst"), "configure"],
                         env={"PATH": fake_bin})
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("could not grant cap_net_raw", result.stderr)

    def test_bash_completion_completes_subcommands_and_options(self):
        """The packaged completion, with the packaged binaries first on PATH."""
        with Extracted() as root:
            script = ('source "$R/usr/share/bash-completion/completions/pathpair"\n'
                      'complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));\n'
                      '  COMPREPLY=(); "$F" "$1"; echo "${COMPREPLY[*]}"; }\n'
                      'F=_pathpair complete_words pathpair tr\n'
                      'F=_pathpair complete_words pathpair trace --repo\n'
                      'F=_pathpair_agent complete_words pathpair-agent --metrics\n')
            result = run(["bash", "-c", script],
                         env=dict(os.environ, R=root,
                                  PATH=os.path.join(root, "usr/bin") + ":" + os.environ["PATH"]))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(), ["trace", "--report --report-cycles --report-wide",
                                                      "--metrics-listen"])

    def test_lintian_reports_no_errors(self):
        result = run(["lintian", "--fail-on", "error", deb_path()])
        errors = [l for l in result.stdout.splitlines() if l.startswith("E:")]
        self.assertEqual(errors, [])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


class UnitTest(unittest.TestCase):
    def unit_text(self):
        with Extracted() as root, open(os.path.join(root, UNIT)) as f:
            return f.read()

    def test_runs_unprivileged_with_only_cap_net_raw_in_a_sandbox(self):
        settings = unit_settings(self.unit_text())
        self.assertEqual(settings["User"], ["pathpair"])
        self.assertEqual(settings["AmbientCapabilities"], ["CAP_NET_RAW"])
        self.assertEqual(settings["CapabilityBoundingSet"], ["CAP_NET_RAW"])
        self.assertNotIn("PrivateUsers", settings)  # it would break raw sockets
        self.assertNotIn("DynamicUser", settings)  # postinst makes the user
        for key, value in [("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                           ("PrivateTmp", "yes"), ("PrivateDevices", "yes"),
                           ("ProtectKernelTunables", "yes"), ("ProtectKernelModules", "yes"),
                           ("ProtectKernelLogs", "yes"), ("ProtectControlGroups", "yes"),
                           ("RestrictNamespaces", "yes"), ("LockPersonality", "yes"),
                           ("MemoryDenyWriteExecute", "yes"), ("NoNewPrivileges", "yes"),
                           ("SystemCallArchitectures", "native"),
                           ("StateDirectory", "pathpair")]:
            self.assertEqual(settings.get(key), [value], key)
        self.assertEqual(settings["RestrictAddressFamilies"],
                         ["AF_INET AF_INET6 AF_UNIX AF_NETLINK"])
        self.assertTrue(settings["SystemCallFilter"][0].startswith("@system-service"))
        # What the agent itself calls stays allowed: adjtimex (clock state, for one-way delay)
        # and capset (it clears its capabilities after opening its sockets, in @privileged).
        self.assertIn("adjtimex", settings["SystemCallFilter"][0].split())
        for denied in settings["SystemCallFilter"][1:]:
            self.assertTrue(denied.startswith("~"), denied)
            self.assertNotIn("@privileged", denied.split())
            self.assertNotIn("@clock", denied.split())
        self.assertNotIn("ProtectClock", settings)  # it would deny adjtimex
        self.assertEqual(settings["EnvironmentFile"], ["/etc/pathpair/agent.conf"])
        self.assertEqual(settings["ExecStart"], ["/usr/bin/pathpair-agent $PATHPAIR_AGENT_OPTS"])

    def test_systemd_analyze_verify_passes(self):
        if os.geteuid() != 0:
            self.skipTest("needs root (a private mount namespace with overlays)")
        with Extracted() as root:
            # The packaged binary and man page appear under /usr only inside this namespace.
            script = ("set -e\n"
                      "mount -t overlay overlay -o lowerdir=$R/usr/bin:/usr/bin /usr/bin\n"
                      "mount -t overlay overlay -o lowerdir=$R/usr/share/man:/usr/share/man "
                      "/usr/share/man\n"
                      "exec systemd-analyze verify $R/" + UNIT + "\n")
            result = run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                         env=dict(os.environ, R=root))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout + result.stderr, "")  # no warning either

    def test_verify_catches_a_broken_unit(self):
        """The same check on a unit with a typo fails, so the test above means something."""
        with tempfile.TemporaryDirectory() as work:
            path = os.path.join(work, "pathpair-agent.service")
            with open(path, "w") as f:
                f.write(self.unit_text().replace("ProtectHome=", "ProtectHomes="))
            result = run(["systemd-analyze", "verify", "--man=no", path])
        self.assertIn("ProtectHomes", result.stdout + result.stderr)

    def test_security_exposure_is_at_most_2_5(self):
        with Extracted() as root:
            result = run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                          os.path.join(root, UNIT)])
        match = re.search(r"Overall exposure level for pathpair-agent\.service: ([0-9.]+)",
                          result.stdout)
        self.assertIsNotNone(match, result.stdout + result.stderr)
        print("exposure:", match.group(1))
        self.assertLessEqual(float(match.group(1)), 2.5)


if __name__ == "__main__":
    unittest.main()
