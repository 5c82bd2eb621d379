"""A tiny DNS server for tests: answers PTR queries on 127.0.0.1 (UDP) from a table given on the
command line; NXDOMAIN for anything else. Prints its port on the first line, then serves until
killed.

    python3 ptr_server.py 198.51.100.2=r1.example 198.51.100.9=slow.example:1.5
    (":1.5" delays that answer by 1.5 s, to show a slow resolver never blocks the caller)
"""

import ipaddress
import socket
import struct
import sys
import threading
import time


def reverse_name(address):
    return ipaddress.ip_address(address).reverse_pointer.lower()


def parse_question(packet):
    """(qname, qtype, end offset) of the first question."""
    offset = 12
    labels = []
    while True:
        length = packet[offset]
        offset += 1
        if length == 0:
            break
        labels.append(packet[offset:offset + length].decode("ascii", "replace"))
        offset += length
    qtype, _qclass = struct.unpack("!HH", packet[offset:offset + 4])
    return ".".join(labels).lower(), qtype, offset + 4


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\x00"


def answer(packet, table):
    query_id, flags = struct.unpack("!HH", packet[:4])
    qname, qtype, end = parse_question(packet)
    question = packet[12:end]
    entry = table.get(qname)
    rd = flags & 0x0100
    if entry is None or qtype != 12:
        header = struct.pack("!HHHHHH", query_id, 0x8000 | rd | 0x0080 | 3, 1, 0, 0, 0)
        return header + question, 0.0
    name, delay = entry
    rdata = encode_name(name)
    record = b"\xc0\x0c" + struct.pack("!HHIH", 12, 1, 300, len(rdata)) + rdata
    header = struct.pack("!HHHHHH", query_id, 0x8000 | rd | 0x0080, 1, 1, 0, 0)
    return header + question + record, delay


def main():
    table = {}
    for arg in sys.argv[1:]:
        address, _, rest = arg.partition("=")
        name, _, delay = rest.partition(":")
        table[reverse_name(address)] = (name, float(delay or 0))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    while True:
        packet, peer = sock.recvfrom(4096)
        try:
            reply, delay = answer(packet, table)
        except (IndexError, struct.error):
            continue
        if delay > 0:
            threading.Timer(delay, sock.sendto, (reply, peer)).start()
        else:
            sock.sendto(reply, peer)


if __name__ == "__main__":
    main()
