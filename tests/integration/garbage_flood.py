#!/usr/bin/env python3
"""Sends UDP garbage at a fixed rate to one address and port, then prints how many it sent.

    python3 garbage_flood.py 10.213.0.2 8621 --rate 10000 --duration 6

Half the datagrams are random bytes of random length (0..1400); the other half look like one-way
test packets (agent/oneway/wire.h: the "PPOW" magic and version 1) with random kinds, flags,
session ids, sequences and times, so the agent's parser sees both noise and near misses. Stops
early when stdin closes. Stdlib only.
"""

import argparse
import os
import random
import select
import socket
import struct
import sys
import time


def garbage(rng):
    if rng.random() < 0.5:
        return rng.randbytes(rng.randint(0, 1400))
    header = struct.pack("!4sBBH", b"PPOW", 1, rng.randint(0, 4), rng.choice([0, 1, 2, 0xFFFF]))
    fields = struct.pack("!QQQqqq", rng.getrandbits(64), rng.getrandbits(33), rng.getrandbits(33),
                         rng.getrandbits(62), rng.getrandbits(62), rng.getrandbits(62))
    return header + fields + b"\0" * rng.choice([0, 0, 144, 1000])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("address")
    parser.add_argument("port", type=int)
    parser.add_argument("--rate", type=float, default=10000)
    parser.add_argument("--duration", type=float, default=5)
    args = parser.parse_args()
    rng = random.Random(1)
    packets = [garbage(rng) for _ in range(4096)]
    family = socket.AF_INET6 if ":" in args.address else socket.AF_INET
    out = socket.socket(family, socket.SOCK_DGRAM)
    destination = (args.address, args.port)
    sent = errors = 0
    start = time.monotonic()
    print("started", flush=True)
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= args.duration:
            break
        due = int(elapsed * args.rate)
        while sent + errors < due:
            try:
                out.sendto(packets[(sent + errors) % len(packets)], destination)
                sent += 1
            except OSError:  # e.g. ECONNREFUSED from an earlier port unreachable
                errors += 1
        ready, _, _ = select.select([sys.stdin], [], [], 0.001)
        if ready and not os.read(sys.stdin.fileno(), 4096):
            break
    print("sent %d errors %d seconds %.2f" % (sent, errors, time.monotonic() - start), flush=True)


if __name__ == "__main__":
    main()
