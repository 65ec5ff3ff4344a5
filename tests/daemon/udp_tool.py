#!/usr/bin/python3
"""UDP traffic for keysteerd's data-plane tests (loopback/veth addresses the
test created only; every loop bounded).

  udp_tool.py send DST PORT KEY COUNT PPS     datagrams with a keysteer v1
                                              routing header (flags 0)
  udp_tool.py recv OUT SECS STOPFILE ADDR...  count datagrams per local ADDR
                                              (port 6080, GUE) until STOPFILE
                                              exists or SECS pass; JSON to OUT
"""
import json
import os
import select
import socket
import struct
import sys
import time


def send(dst, port, key, count, pps):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    hdr = struct.pack("!HBBQI", 0x4B53, 1, 0, key, 7)
    gap = 1.0 / pps
    t0 = time.monotonic()
    for i in range(count):
        # Vary the source port's payload only; the 5-tuple stays, which is fine
        # for UDP (every packet is decided afresh).
        s.sendto(hdr + struct.pack("!I", i) + b"x" * 16, (dst, port))
        due = t0 + (i + 1) * gap
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
    print(count)


def recv(out, secs, stopfile, addrs):
    socks = {}
    for a in addrs:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # SO_RCVBUFFORCE (33): root may go past net.core.rmem_max, so a busy
        # machine delaying this reader does not drop datagrams.
        s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)
        s.bind((a, 6080))
        s.setblocking(False)
        socks[s] = a
    counts = {a: 0 for a in addrs}
    end = time.monotonic() + secs
    open(out + ".ready", "w").close()
    while time.monotonic() < end and not os.path.exists(stopfile):
        r, _, _ = select.select(list(socks), [], [], 0.1)
        for s in r:
            while True:
                try:
                    s.recv(2048)
                except BlockingIOError:
                    break
                counts[socks[s]] += 1
    with open(out, "w") as f:
        json.dump(counts, f)


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4], 0), int(sys.argv[5]), float(sys.argv[6]))
    elif sys.argv[1] == "recv":
        recv(sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5:])
    else:
        sys.exit(2)
