#!/usr/bin/env python3
"""Shows that the Linux kernel accepts the golden packets of packet_test.cc (which the codec
reproduces byte for byte): probes are delivered or answered, ICMP errors reach the sockets
they are about. Needs root; runs in a private network namespace of its own:

    unshare -n python3 tests/common/packet/kernel_check.py

Only documentation addresses on the namespace's loopback are used.
"""

import os
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_packets as g  # noqa: E402

IP_RECVERR, IPV6_RECVERR = 11, 25
failures = []


def check(name, condition):
    print(("PASS " if condition else "FAIL ") + name)
    if not condition:
        failures.append(name)


def receive_matching(sock, predicate, timeout=1.0):
    """Reads from `sock` until predicate(packet) or the timeout."""
    sock.settimeout(0.2)
    end = time.time() + timeout
    while time.time() < end:
        try:
            if predicate(sock.recv(4096)):
                return True
        except socket.timeout:
            pass
    return False


def error_queue(sock, level, option):
    """The (origin, type, code) of the first error queued on `sock`, or None."""
    time.sleep(0.2)
    try:
        _, ancillary, _, _ = sock.recvmsg(2048, 1024, socket.MSG_ERRQUEUE)
    except BlockingIOError:
        return None
    for cmsg_level, cmsg_type, data in ancillary:
        if cmsg_level == level and cmsg_type == option:
            return struct.unpack("=IBBB", data[:7])[1:]
    return None


def main():
    if os.geteuid() != 0:
        print("needs root (run under unshare -n as root)")
        return 1
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for address in (g.US4, g.TARGET4):
        subprocess.run(["ip", "addr", "add", address + "/32", "dev", "lo"], check=True)
    for address in (g.US6, g.TARGET6):
        subprocess.run(["ip", "-6", "addr", "add", address + "/128", "dev", "lo", "nodad"],
                       check=True)
    p = g.PACKETS
    raw4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)  # header included
    raw6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)

    # UDP probes reach a bound socket only if the Paris-steered checksum is right.
    udp4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp4.bind((g.TARGET4, 33434))
    raw4.sendto(p["kUdp4Probe"], (g.TARGET4, 0))
    check("UDPv4 probe delivered", receive_matching(udp4, lambda d: d == p["kUdp4Probe"][28:]))
    corrupt = bytearray(p["kUdp4Probe"])
    corrupt[-1] ^= 1
    raw4.sendto(bytes(corrupt), (g.TARGET4, 0))
    check("corrupted UDPv4 probe dropped (control)", not receive_matching(udp4, lambda d: True))
    udp6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    udp6.bind((g.TARGET6, 33435))
    raw6.sendto(p["kUdp6Probe"], (g.TARGET6, 0))
    check("UDPv6 probe delivered", receive_matching(udp6, lambda d: d == p["kUdp6Probe"][48:]))

    # Echo requests are answered.
    icmp4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    raw4.sendto(p["kIcmp4Probe"], (g.TARGET4, 0))
    check("ICMP echo answered",
          receive_matching(icmp4, lambda d: d[20] == 0 and d[24:28] == b"\xbe\xef\x00\x07"))
    icmp6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    raw6.sendto(p["kIcmp6Probe"], (g.TARGET6, 0))
    check("ICMPv6 echo answered",
          receive_matching(icmp6, lambda d: d[0] == 129 and d[4:8] == b"\x11\x11\x00\x02"))

    # SYNs to a listening socket get a SYN-ACK acknowledging sequence + 1.
    listen4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listen4.bind((g.TARGET4, 80))
    listen4.listen()
    tcp4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    raw4.sendto(p["kTcp4Probe"], (g.TARGET4, 0))
    check("TCPv4 SYN answered", receive_matching(
        tcp4, lambda d: d[33] & 0x12 == 0x12 and d[28:32] == b"\xab\xcd\x00\x06"))
    listen6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    listen6.bind((g.TARGET6, 443))
    listen6.listen()
    tcp6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_TCP)
    raw6.sendto(p["kTcp6Probe"], (g.TARGET6, 0))
    check("TCPv6 SYN answered", receive_matching(
        tcp6, lambda d: d[13] & 0x12 == 0x12 and d[8:12] == b"\x00\x01\x00\x0a"))

    # ICMP errors pass the kernel's checksum and quote checks and reach the probing socket.
    sender4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender4.bind((g.US4, 33000))
    sender4.connect((g.TARGET4, 33434))
    sender4.setsockopt(socket.SOL_IP, IP_RECVERR, 1)
    raw4.sendto(p["kTimeExceeded4Mpls"], (g.US4, 0))
    check("Time Exceeded (with MPLS) reaches the UDPv4 socket",
          error_queue(sender4, socket.SOL_IP, IP_RECVERR) == (2, 11, 0))
    sender6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sender6.bind((g.US6, 33001))
    sender6.connect((g.TARGET6, 33435))
    sender6.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
    raw6.sendto(p["kPortUnreachable6"], (g.US6, 0))
    check("Port Unreachable reaches the UDPv6 socket",
          error_queue(sender6, socket.IPPROTO_IPV6, IPV6_RECVERR) == (3, 1, 4))

    print("FAILED: %s" % failures if failures else "all accepted")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
