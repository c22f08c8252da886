"""peer.py: one WebSocket connection made with Debian's python3-websockets
(10.x, legacy asyncio API), client or server, driven by the Go tests of
protocol/interop over stdin/stdout, with the same commands and events as
peer.js (see peer_test.go). Only 127.0.0.1 is ever used.

    /usr/bin/python3 peer.py '{"mode":"client","url":"ws://127.0.0.1:N/",...}'
    /usr/bin/python3 peer.py '{"mode":"server",...}'  prints {"ev":"listening","port":N}
"""
import asyncio
import base64
import hashlib
import json
import sys

import websockets
from websockets.extensions import permessage_deflate

cfg = json.loads(sys.argv[1])


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def gen(kind, n, seed):
    """gen must match gen in peer_test.go."""
    x = seed & 0xFFFFFFFF
    block = bytearray(min(n, 65536))
    for i in range(len(block)):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        b = (x >> 16) & 0xFF
        block[i] = 0x20 + b % 95 if kind == "text" else b
    reps = -(-n // max(len(block), 1)) if n else 0
    return bytes(block) * reps if reps else b""


def payload(cmd):
    if cmd.get("gen"):
        data = gen(cmd["type"], cmd["gen"]["len"], cmd["gen"]["seed"])[: cmd["gen"]["len"]]
    else:
        data = base64.b64decode(cmd.get("b64", ""))
    return data.decode("utf-8") if cmd["type"] == "text" else data


def extensions():
    d = cfg.get("deflate")
    if d is None:
        return None
    kw = dict(
        server_no_context_takeover=bool(d.get("serverNoContextTakeover")),
        client_no_context_takeover=bool(d.get("clientNoContextTakeover")),
        server_max_window_bits=d.get("serverMaxWindowBits") or None,
        client_max_window_bits=d.get("clientMaxWindowBits") or None,
    )
    if cfg["mode"] == "client":
        if kw["client_max_window_bits"] is None:
            kw["client_max_window_bits"] = True
        return [permessage_deflate.ClientPerMessageDeflateFactory(**kw)]
    return [permessage_deflate.ServerPerMessageDeflateFactory(**kw)]


async def read_loop(ws):
    try:
        while True:
            msg = await ws.recv()
            data = msg.encode("utf-8") if isinstance(msg, str) else msg
            ev = {
                "ev": "message",
                "type": "text" if isinstance(msg, str) else "binary",
                "len": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            if len(data) <= 4096:
                ev["b64"] = base64.b64encode(data).decode()
            emit(ev)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    # close_code is the code received (1006 when none was: also when this
    # side failed the connection, as it stops reading); close_sent tells
    # which code this side sent.
    sent = ws.close_sent.code if ws.close_sent else 0
    emit({"ev": "close", "code": ws.close_code, "reason": ws.close_reason or "", "sent": sent})


async def fragments(ws, cmd):
    parts = [base64.b64decode(p) for p in cmd["parts"]]
    if cmd["type"] == "text":
        parts = [p.decode("utf-8") for p in parts]

    async def frames():
        for i, p in enumerate(parts):
            yield p
            if cmd.get("pingAfter") == i:
                await ws.ping(b"mid")

    await ws.send(frames())


async def pong_event(waiter):
    await waiter
    emit({"ev": "pong", "b64": ""})


async def command(ws, cmd):
    op = cmd["op"]
    err = ""
    try:
        if op == "send":
            await ws.send(payload(cmd))
        elif op == "fragments":
            await fragments(ws, cmd)
        elif op == "ping":
            waiter = await ws.ping(base64.b64decode(cmd.get("b64", "")))
            asyncio.ensure_future(pong_event(waiter))
        elif op == "pong":
            await ws.pong(base64.b64decode(cmd.get("b64", "")))
        elif op == "close":
            asyncio.ensure_future(ws.close(cmd.get("code") or 1000, cmd.get("reason", "")))
        elif op == "abort":
            ws.transport.abort()
        elif op == "raw":
            ws.transport.write(base64.b64decode(cmd["b64"]))
        else:
            err = "unknown op " + op
    except Exception as e:  # reported to the Go test, which decides
        err = repr(e)
    emit({"ev": "done", "op": op, "error": err})


async def run(ws):
    hdr = ws.response_headers.get("Sec-WebSocket-Extensions", "")
    emit({"ev": "open", "extensions": hdr, "protocol": ws.subprotocol or ""})
    reader = asyncio.create_task(read_loop(ws))
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader(limit=64 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    pending = []
    while not reader.done():
        line_task = asyncio.ensure_future(stdin.readline())
        done, _ = await asyncio.wait({line_task, reader}, return_when=asyncio.FIRST_COMPLETED)
        if line_task not in done:
            line_task.cancel()
            break
        line = line_task.result()
        if not line:
            break
        pending.append(asyncio.ensure_future(command(ws, json.loads(line))))
    await reader


async def main():
    common = dict(
        extensions=extensions(),
        compression=None,
        max_size=cfg.get("maxSize") or 64 << 20,
        ping_interval=None,
        close_timeout=5,
        read_limit=1 << 20,
        write_limit=1 << 20,
        subprotocols=cfg.get("subprotocols") or None,
    )
    if cfg["mode"] == "client":
        try:
            ws = await websockets.connect(cfg["url"], origin=cfg.get("origin") or None, **common)
        except websockets.InvalidStatusCode as e:
            emit({"ev": "error", "message": "status %d" % e.status_code, "status": e.status_code})
            sys.exit(1)
        try:
            await run(ws)
        finally:
            await ws.close()
        return
    finished = asyncio.get_running_loop().create_future()

    async def handler(ws):
        try:
            await run(ws)
        finally:
            if not finished.done():
                finished.set_result(None)

    async with websockets.serve(handler, "127.0.0.1", 0, **common) as server:
        emit({"ev": "listening", "port": server.sockets[0].getsockname()[1]})
        await finished


asyncio.run(main())
