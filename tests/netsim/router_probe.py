#!/usr/bin/env python3
"""What a router answers when something is sent to one of its own addresses, as an alias
resolver sees it (the Mercator technique): for each ADDRESS, a UDP datagram to an unused port
(the port unreachable's source, read with IP_RECVERR / IPV6_RECVERR) and an ICMP echo request
(the echo reply's source). Run inside a namespace (root, for the raw echo socket). Prints one
JSON object: {ADDRESS: {"udp": SOURCE or null, "udp_type": T, "udp_code": C, "echo": SOURCE or
null}}. Used by the emulator's tests against stock Linux routers (netsim_vs_linux_test.py) and
its scenarios (netsim_scenarios_test.py).

    router_probe.py [--timeout SECONDS] ADDRESS...
"""
import json
import os
import select
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netsim_ping  # noqa: E402

IP_RECVERR = 11
IPV6_RECVERR = 25
UNUSED_PORT = 33499


def port_unreachable_source(address, timeout):
    """(source, type, code) of the ICMP error a UDP datagram to address draws; Nones if none."""
    v6 = ":" in address
    family = socket.AF_INET6 if v6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        if v6:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
        else:
            sock.setsockopt(socket.SOL_IP, IP_RECVERR, 1)
        sock.connect((address, UNUSED_PORT))
        sock.send(b"pathpair-alias")
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            return None, None, None
        try:
            _, ancillary, _, _ = sock.recvmsg(512, 512, socket.MSG_ERRQUEUE)
        except BlockingIOError:
            return None, None, None
        for _, _, data in ancillary:
            # struct sock_extended_err (16 bytes), then the offender's sockaddr.
            _, _, kind, code, _, _, _ = struct.unpack("=IBBBBII", data[:16])
            offender = data[16:]
            if v6:
                source = socket.inet_ntop(socket.AF_INET6, offender[8:24])
            else:
                source = socket.inet_ntop(socket.AF_INET, offender[4:8])
            return source, kind, code
    return None, None, None


def main(argv):
    timeout = 1.0
    if len(argv) > 2 and argv[1] == "--timeout":
        timeout = float(argv[2])
        argv = argv[2:]
    out = {}
    for address in argv[1:]:
        source, kind, code = port_unreachable_source(address, timeout)
        out[address] = {"udp": source, "udp_type": kind, "udp_code": code,
                        "echo": netsim_ping.ping(address, timeout)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
