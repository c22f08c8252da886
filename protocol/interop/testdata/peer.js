// peer.js: one WebSocket connection made with npm ws (client or server),
// driven by the Go tests of protocol/interop over stdin/stdout.
//
//   node peer.js '{"mode":"client","url":"ws://127.0.0.1:N/","deflate":{...}|null,"maxSize":N}'
//   node peer.js '{"mode":"server","deflate":...,"maxSize":N}'   prints {"ev":"listening","port":N}
//
// Commands (one JSON object a line on stdin) and events (one a line on stdout)
// are described in peer_test.go. Only 127.0.0.1 is ever used.
"use strict";
const crypto = require("crypto");
const readline = require("readline");
const WebSocket = require("ws");

const cfg = JSON.parse(process.argv[2]);
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

// gen must match gen in peer_test.go: a 64 KiB block from a 31-bit LCG,
// repeated to n bytes; printable ASCII for text.
function gen(kind, n, seed) {
  const block = Buffer.alloc(Math.min(n, 65536));
  let x = seed >>> 0;
  for (let i = 0; i < block.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    const b = (x >>> 16) & 0xff;
    block[i] = kind === "text" ? 0x20 + (b % 95) : b;
  }
  const out = Buffer.alloc(n);
  for (let off = 0; off < n; off += block.length) block.copy(out, off, 0, Math.min(block.length, n - off));
  return out;
}

function payload(cmd) {
  if (cmd.gen) return gen(cmd.type, cmd.gen.len, cmd.gen.seed);
  return Buffer.from(cmd.b64 || "", "base64");
}

function deflateOptions() {
  if (!cfg.deflate) return false;
  const d = cfg.deflate;
  const o = { threshold: 0 };
  if (d.serverNoContextTakeover) o.serverNoContextTakeover = true;
  if (d.clientNoContextTakeover) o.clientNoContextTakeover = true;
  if (d.serverMaxWindowBits) o.serverMaxWindowBits = d.serverMaxWindowBits;
  if (d.clientMaxWindowBits) o.clientMaxWindowBits = d.clientMaxWindowBits;
  return o;
}

function run(ws, extensions) {
  ws.on("message", (data, isBinary) => {
    const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data);
    const ev = { ev: "message", type: isBinary ? "binary" : "text", len: buf.length,
      sha256: crypto.createHash("sha256").update(buf).digest("hex") };
    if (buf.length <= 4096) ev.b64 = buf.toString("base64");
    emit(ev);
  });
  ws.on("ping", (data) => emit({ ev: "ping", b64: data.toString("base64") }));
  ws.on("pong", (data) => emit({ ev: "pong", b64: data.toString("base64") }));
  // ws fails a connection by sending the close code its error carries (under
  // a symbol) and stops reading, so "close" then reports 1006: the code it
  // sent is reported as "sent", as peer.py does.
  let sent = 0;
  ws.on("error", (err) => {
    const sym = Object.getOwnPropertySymbols(err).find((s) => s.description === "status-code");
    if (sym && err[sym]) sent = err[sym];
    emit({ ev: "error", message: String(err && err.message) });
  });
  ws.on("close", (code, reason) => {
    emit({ ev: "close", code, reason: reason.toString(), sent });
    setTimeout(() => process.exit(0), 50);
  });
  emit({ ev: "open", extensions: extensions || "", protocol: ws.protocol || "" });

  const rl = readline.createInterface({ input: process.stdin });
  rl.on("close", () => process.exit(0));
  rl.on("line", (line) => {
    const cmd = JSON.parse(line);
    const done = (err) => emit({ ev: "done", op: cmd.op, error: err ? String(err.message) : "" });
    switch (cmd.op) {
      case "send":
        ws.send(payload(cmd), { binary: cmd.type === "binary", compress: cmd.compress !== false }, done);
        break;
      case "fragments": {
        // Each part is one frame; a ping may be sent after part pingAfter.
        const parts = cmd.parts.map((p) => Buffer.from(p, "base64"));
        parts.forEach((p, i) => {
          const fin = i === parts.length - 1;
          ws.send(p, { binary: cmd.type === "binary", fin, compress: cmd.compress !== false }, fin ? done : undefined);
          if (cmd.pingAfter === i) ws.ping(Buffer.from("mid"));
        });
        break;
      }
      case "ping":
        ws.ping(Buffer.from(cmd.b64 || "", "base64"), undefined, done);
        break;
      case "pong":
        ws.pong(Buffer.from(cmd.b64 || "", "base64"), undefined, done);
        break;
      case "close":
        if (cmd.code) ws.close(cmd.code, cmd.reason || ""); else ws.close();
        done();
        break;
      case "abort":
        ws._socket.destroy();
        done();
        break;
      case "raw":
        ws._socket.write(Buffer.from(cmd.b64, "base64"), done);
        break;
      default:
        emit({ ev: "error", message: "unknown op " + cmd.op });
    }
  });
}

const common = { perMessageDeflate: deflateOptions(), maxPayload: cfg.maxSize || 64 << 20 };
if (cfg.mode === "client") {
  let extensions = "";
  const opts = { ...common };
  if (cfg.origin) opts.origin = cfg.origin;
  const ws = new WebSocket(cfg.url, cfg.subprotocols || [], opts);
  const fail = (ev) => { emit(ev); setTimeout(() => process.exit(1), 100); };
  ws.on("upgrade", (res) => { extensions = res.headers["sec-websocket-extensions"] || ""; });
  ws.on("open", () => run(ws, extensions));
  ws.on("unexpected-response", (req, res) => fail({ ev: "error", message: "status " + res.statusCode, status: res.statusCode }));
  ws.once("error", (err) => { if (ws.readyState === WebSocket.CONNECTING) fail({ ev: "error", message: String(err.message) }); });
} else {
  // The server selects its first supported subprotocol the client offers.
  const handleProtocols = (offered) => (cfg.subprotocols || []).find((p) => offered.has(p)) || false;
  const wss = new WebSocket.Server({ host: "127.0.0.1", port: 0, handleProtocols, ...common });
  let extensions = "";
  wss.on("headers", (headers) => {
    for (const h of headers) if (/^sec-websocket-extensions:/i.test(h)) extensions = h.replace(/^[^:]*:\s*/, "");
  });
  wss.on("listening", () => emit({ ev: "listening", port: wss.address().port }));
  wss.once("connection", (ws) => { wss.close(); run(ws, extensions); });
}
