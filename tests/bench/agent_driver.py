#!/usr/bin/python3
"""Drives one pathpair-agent with N concurrent endless traces over gRPC (python3-grpcio, one thread per stream; the
messages compiled from proto/ with protoc at run time) and measures it (bench.py uses it):

    agent_driver.py --endpoint 127.0.0.1:8631 --target 198.51.100.14 --traces 1000 \
        --warmup 5 --window 20 --agent-pid PID --proto-root proto

Prints `cpu_percent=… rss_mib=… updates_per_stream_s=…`: the agent's user+sys time over the
window as a share of one core (/proc/PID/stat), its RSS at the end (/proc/PID/status), and the
updates each stream received per second during the window.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

import grpc


def compile_messages(proto_root, out_dir):
    sources = [os.path.join("pathpair", "v1", name)
               for name in os.listdir(os.path.join(proto_root, "pathpair", "v1"))
               if name.endswith(".proto")]
    subprocess.run(["protoc", "-I", proto_root, "--python_out", out_dir] + sources, check=True)
    sys.path.insert(0, out_dir)
    from pathpair.v1 import agent_pb2  # noqa: E402
    return agent_pb2


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def drive(args, pb):
    """One thread per stream on the synchronous API: grpc.aio deadlocks in this grpcio (1.51)
    once ~1,000 streams deliver at once (its poller blocks writing to the event loop's socket)."""
    counts = [0] * args.traces
    sessions = {}
    errors = []
    stop = threading.Event()
    channel = grpc.insecure_channel(args.endpoint)
    start = channel.unary_stream(
        "/pathpair.v1.Agent/StartTrace", request_serializer=pb.StartTraceRequest.SerializeToString,
        response_deserializer=pb.TraceUpdate.FromString)
    renew = channel.unary_unary(
        "/pathpair.v1.Agent/Renew", request_serializer=pb.RenewRequest.SerializeToString,
        response_deserializer=pb.RenewResponse.FromString)
    request = pb.StartTraceRequest(lease_ms=60000)
    request.options.target = args.target
    request.options.count = 0
    request.options.interval_us = 1000000
    request.options.max_ttl = 8
    calls = []

    def follow(index, call):
        try:
            for update in call:
                sessions[index] = update.session_id
                counts[index] += 1
        except grpc.RpcError as error:
            if not stop.is_set():
                errors.append(error)

    threads = []
    for index in range(args.traces):
        call = start(request, timeout=3600)
        calls.append(call)
        thread = threading.Thread(target=follow, args=(index, call), daemon=True)
        thread.start()
        threads.append(thread)

    def renewer():
        while not stop.wait(10):
            if sessions:
                renew(pb.RenewRequest(session_ids=list(sessions.values())), timeout=30)

    threading.Thread(target=renewer, daemon=True).start()
    time.sleep(args.warmup)
    if errors:
        raise errors[0]
    before_counts = list(counts)
    before_cpu = cpu_seconds(args.agent_pid)
    began = time.monotonic()
    time.sleep(args.window)
    elapsed = time.monotonic() - began
    used = cpu_seconds(args.agent_pid) - before_cpu
    after_counts = list(counts)
    rss = rss_mib(args.agent_pid)
    if errors:
        raise errors[0]
    stop.set()
    updates = sum(a - b for a, b in zip(after_counts, before_counts))
    print("cpu_percent=%.2f rss_mib=%.2f updates_per_stream_s=%.3f" % (
        100.0 * used / elapsed, rss, updates / args.traces / elapsed), flush=True)
    for call in calls:
        call.cancel()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--traces", type=int, required=True)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--window", type=float, default=20)
    parser.add_argument("--agent-pid", type=int, required=True)
    parser.add_argument("--proto-root", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out_dir:
        pb = compile_messages(args.proto_root, out_dir)
        drive(args, pb)
    # Not a clean interpreter exit: 1,000 cancelled streams' threads would only slow it down.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
