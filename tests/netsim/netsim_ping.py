#!/usr/bin/env python3
"""A minimal ping for the netsim tests (the image has no iputils-ping): one ICMP or ICMPv6 echo
request over a raw socket (root), exit 0 if a matching reply arrives within the timeout.
`ping()` returns the reply's source address (None without a reply), for router_probe.py.

    netsim_ping.py ADDRESS [TIMEOUT_SECONDS]
"""
import os
import select
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(address, timeout):
    v6 = ":" in address
    family = socket.AF_INET6 if v6 else socket.AF_INET
    proto = socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP
    sock = socket.socket(family, socket.SOCK_RAW, proto)
    ident = os.getpid() & 0xFFFF
    payload = b"netsim-ping"
    request_type, reply_type = (128, 129) if v6 else (8, 0)
    header = struct.pack("!BBHHH", request_type, 0, 0, ident, 1)
    csum = 0 if v6 else checksum(header + payload)  # the kernel fills ICMPv6 checksums
    packet = struct.pack("!BBHHH", request_type, 0, csum, ident, 1) + payload
    with sock:
        try:
            sock.sendto(packet, (address, 0))
        except OSError:
            return None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                return None
            data, source = sock.recvfrom(2048)
            icmp = data if v6 else data[(data[0] & 0x0F) * 4:]
            if len(icmp) >= 8:
                kind, _, _, rid, seq = struct.unpack("!BBHHH", icmp[:8])
                if kind == reply_type and rid == ident and seq == 1:
                    return source[0]


if __name__ == "__main__":
    reply = ping(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 1.0)
    sys.exit(0 if reply is not None else 1)
