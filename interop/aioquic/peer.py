#!/usr/bin/env python3
"""An aioquic peer for cloaktls's QUIC interop tests (loopback only).

    peer.py server --cert C --key K [--alpn echo] [--retry] [--conns N]
        Echoes every bidirectional stream back, FIN included; keeps session
        tickets in memory (resumption, 0-RTT).  Prints one JSON object per
        line: {"event": "listening", "port": P} first, then one per
        handshake and per closed connection.  Exits after N connections.

    peer.py client --port P --cafile CA [--alpn echo] [--size BYTES]
        [--ticket FILE] [--zero-rtt] [--quic-version 1|2]
        Sends SIZE bytes on one stream, reads the echo to its end, and prints
        one JSON object: what was negotiated, whether the echo matched, and
        how the connection closed (its QUIC error code).  --ticket loads a
        ticket from FILE if it exists and saves the newest one there;
        --zero-rtt sends the data in the first flight.
"""
import argparse
import asyncio
import json
import os
import pickle
import sys

from aioquic.asyncio import QuicConnectionProtocol, connect, serve
from aioquic.quic import events
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.packet import QuicProtocolVersion


def out(**kw):
    print(json.dumps(kw), flush=True)


def closed(ev):
    return None if ev is None else {"error_code": ev.error_code, "reason": ev.reason_phrase}


class Echo(QuicConnectionProtocol):
    """The server's side of a connection: streams echoed at the QUIC layer
    (so that data arriving in 0-RTT is echoed too)."""

    done = None

    def quic_event_received(self, event):
        q = self._quic
        if isinstance(event, events.HandshakeCompleted):
            out(event="handshake", alpn=event.alpn_protocol, version=q._version,
                resumed=event.session_resumed, early_data=event.early_data_accepted)
        elif isinstance(event, events.StreamDataReceived):
            q.send_stream_data(event.stream_id, event.data, end_stream=event.end_stream)
            self.transmit()
            # Not to the base class, whose stream objects would close the
            # stream (FIN) when they are collected.
            return
        elif isinstance(event, events.ConnectionTerminated):
            out(event="closed", error_code=event.error_code, reason=event.reason_phrase)
            Echo.done()
        super().quic_event_received(event)


async def server(args):
    config = QuicConfiguration(is_client=False, alpn_protocols=[args.alpn],
                               max_data=8 << 20, max_stream_data=8 << 20, idle_timeout=20)
    config.load_cert_chain(args.cert, args.key)
    tickets = {}
    finished = asyncio.Event()
    count = [0]

    def done():
        count[0] += 1
        if count[0] >= args.conns:
            finished.set()

    Echo.done = done
    srv = await serve("127.0.0.1", 0, configuration=config, create_protocol=Echo,
                      session_ticket_fetcher=lambda label: tickets.pop(label, None),
                      session_ticket_handler=lambda t: tickets.__setitem__(t.ticket, t),
                      retry=args.retry)
    out(event="listening", port=srv._transport.get_extra_info("sockname")[1])
    try:
        await asyncio.wait_for(finished.wait(), timeout=args.timeout)
        await asyncio.sleep(0.2)
    finally:
        srv.close()


class Client(QuicConnectionProtocol):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.handshake = None
        self.handshake_done = asyncio.Event()
        self.terminated = None

    def quic_event_received(self, event):
        if isinstance(event, events.HandshakeCompleted):
            self.handshake = event
            self.handshake_done.set()
        elif isinstance(event, events.ConnectionTerminated):
            self.terminated = event
        super().quic_event_received(event)


async def client(args):
    config = QuicConfiguration(is_client=True, alpn_protocols=[args.alpn],
                               server_name="localhost", max_data=8 << 20,
                               max_stream_data=8 << 20, idle_timeout=10)
    version = {"1": QuicProtocolVersion.VERSION_1, "2": QuicProtocolVersion.VERSION_2}
    config.supported_versions = [version[args.quic_version]]
    config.load_verify_locations(cafile=args.cafile)
    if args.ticket and os.path.exists(args.ticket):
        with open(args.ticket, "rb") as f:
            config.session_ticket = pickle.load(f)

    def keep(ticket):
        if args.ticket:
            with open(args.ticket, "wb") as f:
                pickle.dump(ticket, f)

    holder = {}

    def make(*a, **kw):
        holder["p"] = Client(*a, **kw)
        return holder["p"]

    data = bytes((i * 31 + i // 251) & 0xff for i in range(args.size))
    result = {}
    try:
        async with connect("127.0.0.1", args.port, configuration=config, create_protocol=make,
                           session_ticket_handler=keep,
                           wait_connected=not args.zero_rtt) as proto:
            reader, writer = await proto.create_stream()
            writer.write(data)
            writer.write_eof()
            echoed = await asyncio.wait_for(reader.read(), timeout=args.timeout)
            await asyncio.wait_for(proto.handshake_done.wait(), timeout=args.timeout)
            hs = proto.handshake
            result.update(echo_ok=echoed == data, received=len(echoed), alpn=hs.alpn_protocol,
                          resumed=hs.session_resumed, early_data=hs.early_data_accepted,
                          version=proto._quic._version)
            await asyncio.sleep(0.3)  # the tickets
            proto.close(error_code=0, reason_phrase="done")
            await proto.wait_closed()
    except (ConnectionError, asyncio.TimeoutError) as e:
        result["exception"] = repr(e)
    if "p" in holder:
        result["closed"] = closed(holder["p"].terminated)
    out(**result)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="role", required=True)
    s = sub.add_parser("server")
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--alpn", default="echo")
    s.add_argument("--retry", action="store_true")
    s.add_argument("--conns", type=int, default=1)
    s.add_argument("--timeout", type=float, default=60)
    c = sub.add_parser("client")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--cafile", required=True)
    c.add_argument("--alpn", default="echo")
    c.add_argument("--size", type=int, default=1 << 20)
    c.add_argument("--ticket")
    c.add_argument("--zero-rtt", action="store_true")
    c.add_argument("--quic-version", choices=["1", "2"], default="1")
    c.add_argument("--timeout", type=float, default=20)
    args = p.parse_args()
    asyncio.run(server(args) if args.role == "server" else client(args))


if __name__ == "__main__":
    sys.exit(main())
