#!/usr/bin/env python3
"""Floods a tracer with forged ICMP replies that quote its probes, from a host off the path.

    ip netns exec ATTACKER python3 forge_replies.py --sniff-namespace CLIENT_NS \
        --client 198.51.100.1 --target 198.51.100.18 --hops 198.51.100.2,... --duration 8

A helper process in the client's namespace (`--sniff IFACE`) reports every ICMP echo request the
tracer sends (id, sequence, TTL): the test is omniscient, so the forgeries are the near misses a
tracer must tell from real answers, not blind guesses. For each probe seen, and at a steady rate
in between, this process sends from its own namespace (so the forgeries enter the path at a
router, as traffic from elsewhere does) IPv4 packets to the client with spoofed sources:

  - echo replies from the target with the probe's id and a sequence that is not in flight
    (far ahead, far behind);
  - Time Exceeded from the probe's hop address quoting the probe with a wrong sequence;
  - Time Exceeded and echo replies from an off-path address (OFF_PATH) quoting the probe with
    its own sequence but another target, or answering it from the wrong address;
  - truncated ones: the quote cut inside the ICMP header or inside the IP header, a quoted
    header whose length field claims more than is there, an echo reply cut before its sequence.

A tracer that accepted any of them would count a reply nobody sent (Rcv above Snt, or a probe
answered twice), or list OFF_PATH at some hop. --control adds exact answers from OFF_PATH, which
must show. When done it prints one JSON line: how many
probes it saw and how many packets of each kind it sent.

Only IPv4; stdlib only (raw sockets and struct), run with Debian's /usr/bin/python3.
"""

import argparse
import ipaddress
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

OFF_PATH = "203.0.113.66"
WRONG_TARGET = "203.0.113.77"
ETH_P_ALL, ETH_P_IP = 0x0003, 0x0800


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def addr(text):
    return ipaddress.IPv4Address(text).packed


def ipv4(src, dst, payload, ttl=64, protocol=1):
    # (The kernel rewrites an outgoing header's total length, so an outer length lie cannot be
    # sent from here; the quoted header's can.)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), random.getrandbits(16), 0, ttl,
                         protocol, 0, addr(src), addr(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def icmp(kind, code, rest, body):
    message = struct.pack("!BBH4s", kind, code, 0, rest) + body
    return message[:2] + struct.pack("!H", checksum(message)) + message[4:]


def echo(kind, ident, seq, payload=b"\0" * 8):
    return icmp(kind, 0, struct.pack("!HH", ident, seq), payload)


def probe_quote(client, target, ident, seq, ttl=1):
    """Our probe as a router quotes it: its IPv4 header and the echo request."""
    return ipv4(client, target, echo(8, ident, seq, b"\0" * 36), ttl=ttl)


def time_exceeded(src, client, quote):
    return ipv4(src, client, icmp(11, 0, b"\0" * 4, quote))


def forgeries(args, ident, seq, ttl):
    """The forged packets for one probe we saw (id, seq, ttl), by kind."""
    client, target = args.client, args.target
    hop = args.hops[min(ttl, len(args.hops)) - 1]
    far = (seq + 20000) % 65536
    behind = (seq - 30000) % 65536
    quote = probe_quote(client, target, ident, seq)
    return {
        "echo_reply_wrong_sequence": [ipv4(target, client, echo(0, ident, far)),
                                      ipv4(target, client, echo(0, ident, behind))],
        "time_exceeded_wrong_sequence": [
            time_exceeded(hop, client, probe_quote(client, target, ident, far))],
        "time_exceeded_wrong_target": [
            time_exceeded(OFF_PATH, client, probe_quote(client, WRONG_TARGET, ident, seq))],
        # With --control: a Time Exceeded from OFF_PATH quoting the probe exactly, which no
        # tracer can tell from a real answer (the test's proof that its checks can fail).
        "control": [time_exceeded(OFF_PATH, client, quote)] if args.control else [],
        "echo_reply_wrong_source": [ipv4(OFF_PATH, client, echo(0, ident, seq))],
        "truncated": [
            # The quote cut inside its ICMP header (id present, sequence missing).
            time_exceeded(OFF_PATH, client, quote[:20 + 6]),
            # The quote cut inside the quoted IP header.
            time_exceeded(OFF_PATH, client, quote[:12]),
            # A quoted header claiming options (IHL 15) that are not there.
            time_exceeded(OFF_PATH, client, bytes([0x4F]) + quote[1:28]),
            # An echo reply cut before its sequence (the outer length says so too).
            ipv4(target, client, echo(0, ident, seq)[:6]),
        ],
    }


def sniff(interface):
    """Prints "id seq ttl" for every ICMP echo request leaving through interface."""
    # Only ETH_P_ALL taps see outgoing packets.
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    s.bind((interface, ETH_P_ALL))
    print("ready", flush=True)
    while True:
        data, where = s.recvfrom(2048)
        if where[1] != ETH_P_IP or where[2] != socket.PACKET_OUTGOING:
            continue
        if len(data) < 28 or data[9] != 1:
            continue
        ihl = (data[0] & 0x0F) * 4
        if len(data) < ihl + 8 or data[ihl] != 8:
            continue
        ident, seq = struct.unpack("!HH", data[ihl + 4:ihl + 8])
        print("%d %d %d" % (ident, seq, data[8]), flush=True)


def flood(args):
    """Floods until --duration passes or stdin closes; prints the figures at the end."""
    sniffer = subprocess.Popen(
        ["ip", "netns", "exec", args.sniff_namespace, sys.executable, os.path.abspath(__file__),
         "--sniff", args.sniff_interface], stdout=subprocess.PIPE, bufsize=0)
    counts = {}
    seen = 0
    try:
        pending = b""
        while b"\n" not in pending:
            chunk = os.read(sniffer.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError("the sniffer did not start")
            pending += chunk
        pending = pending.split(b"\n", 1)[1]  # "ready"
        print("ready", flush=True)
        out = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        destination = (args.client, 0)
        latest = None  # (id, seq, ttl) of the newest probe seen
        deadline = time.monotonic() + args.duration
        gap = 1.0 / args.rate
        next_spray = time.monotonic()
        watched = [sniffer.stdout.fileno(), sys.stdin.fileno()]
        while time.monotonic() < deadline:
            ready, _, _ = select.select(watched, [], [], gap)
            if sys.stdin.fileno() in ready and not os.read(sys.stdin.fileno(), 4096):
                break  # the test is done
            batch = []
            if sniffer.stdout.fileno() in ready:
                chunk = os.read(sniffer.stdout.fileno(), 65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    latest = tuple(int(x) for x in line.split())
                    seen += 1
                    batch.append(latest)
            if latest is not None and time.monotonic() >= next_spray:
                # The steady flood between probes: the newest probe's id with sequences far from
                # anything in flight.
                ident, seq, ttl = latest
                batch.append((ident, (seq + random.randint(4096, 61440)) % 65536, ttl))
                next_spray = max(next_spray + gap, time.monotonic() - 1)
            for ident, seq, ttl in batch:
                for kind, packets in forgeries(args, ident, seq, ttl).items():
                    for packet in packets:
                        out.sendto(packet, destination)
                        counts[kind] = counts.get(kind, 0) + 1
    finally:
        sniffer.kill()
        sniffer.wait()
        print(json.dumps({"probes_seen": seen, "sent": counts}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sniff", metavar="IFACE", help="(helper) report probes leaving IFACE")
    parser.add_argument("--sniff-namespace")
    parser.add_argument("--sniff-interface", default="r")
    parser.add_argument("--client")
    parser.add_argument("--target")
    parser.add_argument("--hops", type=lambda s: s.split(","))
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--control", action="store_true",
                        help="also forge exact answers from OFF_PATH (these must show)")
    parser.add_argument("--rate", type=float, default=200, help="steady-flood rounds per second")
    args = parser.parse_args()
    if args.sniff:
        sniff(args.sniff)
    else:
        flood(args)


if __name__ == "__main__":
    main()
