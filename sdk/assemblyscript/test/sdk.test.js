// Tests of the AssemblyScript SDK: test/probe.ts is compiled with each
// supported runtime and driven through the emulator. Run: node --test test/

import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, sdkDir } from "./build.js";
import { Emulator, Status } from "../emulator/index.js";

const out = join(sdkDir, "test", "build");
const text = (data) => ({ kind: "text", data });
const last = (host, c) => host.outbox(c).at(-1);

for (const runtime of ["incremental", "minimal"]) {
  describe(`probe (--runtime ${runtime})`, () => {
    let mod;
    before(async () => {
      const wasm = await build(join(sdkDir, "test", "probe.ts"), join(out, `probe-${runtime}.wasm`), runtime);
      mod = new WebAssembly.Module(readFileSync(wasm));
    });
    const load = (opts) => Emulator.load(mod, opts);
    const ask = (host, c, cmd) => {
      host.text(c, cmd);
      return last(host, c).data;
    };

    test("imports only from socklet and exports the whole ABI", () => {
      for (const imp of WebAssembly.Module.imports(mod)) assert.equal(imp.module, "socklet", imp.name);
      const names = WebAssembly.Module.exports(mod).map((e) => e.name).sort();
      assert.deepEqual(names, [
        "_initialize", "memory", "socklet_abi_v1", "socklet_alloc", "socklet_on_binary", "socklet_on_close",
        "socklet_on_open", "socklet_on_pong", "socklet_on_resume", "socklet_on_text", "socklet_on_timer",
      ]);
    });

    test("top-level code runs once in _initialize and may use config and log", async () => {
      const host = await load({ config: { greeting: "hey" } });
      assert.deepEqual(host.logs, [{ level: 0, message: "probe: started, greeting=hey" }]);
      host.open();
      assert.equal(host.logs.length, 1);
    });

    test("open accepts, or rejects with the status onOpen returns", async () => {
      const host = await load();
      assert.ok(host.open({ path: "/x" }).id > 0);
      assert.deepEqual(host.open({ path: "/reject" }), { rejected: 403 });
      assert.deepEqual(host.open({ path: "/bad" }), { rejected: 500 });
    });

    test("text, empty text, and the trace of send_text", async () => {
      const host = await load();
      const c = host.open();
      host.text(c, "héllo ☃");
      host.text(c, "");
      assert.deepEqual(host.outbox(c), [text("héllo ☃"), text("")]);
      assert.ok(host.calls.includes(`send_text(conn=${c.id}, len=10) -> 0`), host.calls.join("\n"));
      assert.ok(host.calls.includes(`send_text(conn=${c.id}, len=0) -> 0`), host.calls.join("\n"));
    });

    test("binary of 0 bytes, of 1 MiB, and every kind of binary argument", async () => {
      const host = await load();
      const c = host.open();
      host.binary(c, []);
      const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 255);
      host.binary(c, big);
      const [empty, echoed] = host.outbox(c);
      assert.deepEqual(empty, { kind: "binary", data: new Uint8Array(0) });
      assert.equal(echoed.kind, "binary");
      assert.ok(Buffer.from(echoed.data).equals(Buffer.from(big)));
      host.clear();
      host.text(c, "binKinds");
      assert.deepEqual(host.outbox(c).map((m) => [...m.data]), [[97, 98], [99, 100], [1, 2], []]);
    });

    test("a 1 MiB text message is echoed whole", async () => {
      const host = await load();
      const c = host.open();
      const s = "ab€".repeat(350000);
      host.text(c, s);
      assert.equal(last(host, c).data, s);
      assert.equal(ask(host, c, "big 100000").length, 100000);
    });

    test("a lone surrogate is sent as U+FFFD", async () => {
      const host = await load();
      const c = host.open();
      assert.equal(ask(host, c, "surrogate"), "\uFFFD");
    });

    test("info and headers, with output buffers grown on demand", async () => {
      const host = await load();
      const c = host.open({
        path: "/room", query: "a=1", remoteAddr: "[::1]:5000", subprotocol: "chat.v1", origin: "http://x.test",
        headers: { "X-Long": "v".repeat(5000), "User-Agent": ["a", "b"] },
      });
      assert.equal(ask(host, c, "info"), "/room|a=1|[::1]:5000|chat.v1|http://x.test|err:invalid argument");
      assert.equal(ask(host, c, "header user-agent"), "a, b");
      assert.equal(ask(host, c, "header X-Missing"), "err:not found");
      assert.equal(ask(host, c, "bigHeader x-long"), "5000");
      assert.ok(host.calls.some((l) => /^conn_header\(.*cap=5000\) -> 5000$/.test(l)), host.calls.join("\n"));
    });

    test("config and configInt", async () => {
      const host = await load({ config: { greeting: "hi there", n: 250, bad: "12x", neg: "-7" } });
      const c = host.open();
      assert.equal(ask(host, c, "config greeting"), "hi there");
      assert.equal(ask(host, c, "config nope"), "err:not found");
      assert.equal(ask(host, c, "configInt n"), "250");
      assert.equal(ask(host, c, "configInt neg"), "-7");
      assert.equal(ask(host, c, "configInt bad"), "-1");
      assert.equal(ask(host, c, "configInt nope"), "-1");
    });

    test("attachments live in the host and survive a reload", async () => {
      const host = await load();
      const c = host.open();
      assert.equal(ask(host, c, "attachment"), "");
      assert.equal(ask(host, c, "attach nick ünï"), "ok");
      assert.equal(ask(host, c, "attachment"), "nick ünï");
      assert.equal(host.attachmentText(c), "nick ünï");
      assert.equal(ask(host, c, "attach " + "z".repeat(70000)), "err:too large");
      await host.reload();
      assert.equal(last(host, c).data, "resumed nick ünï");
      assert.equal(ask(host, c, "attachBytes"), "ok");
      assert.deepEqual([...host.attachments.get(c.id)], [1, 2, 255]);
      assert.equal(ask(host, c, "attachmentLen"), "3");
    });

    test("subscribe, unsubscribe and publish", async () => {
      const host = await load();
      const [a, b, d] = [host.open(), host.open(), host.open()];
      assert.equal(ask(host, a, "sub room"), "true");
      assert.equal(ask(host, a, "sub room"), "false");
      assert.equal(ask(host, b, "sub room"), "true");
      assert.equal(ask(host, a, "sub "), "err:invalid argument");
      assert.equal(ask(host, a, "sub " + "t".repeat(300)), "err:too large");
      host.clear();
      assert.equal(ask(host, a, "pub room hello all"), "n=1");
      assert.deepEqual(host.outbox(b), [{ kind: "text", data: "hello all", topic: "room" }]);
      assert.deepEqual(host.outbox(d), []);
      assert.deepEqual(host.published, [{ topic: "room", kind: "text", data: "hello all", except: a.id, receivers: 1 }]);
      assert.equal(ask(host, d, "pubAll  to everyone"), "n=3");
      assert.equal(ask(host, a, "pubBin room xyz"), "n=1");
      assert.deepEqual([...last(host, b).data], [120, 121, 122]);
      assert.equal(ask(host, b, "unsub room"), "true");
      assert.equal(ask(host, b, "unsub room"), "false");
      assert.equal(ask(host, a, "pub room nobody"), "n=0");
    });

    test("ping, pong and close", async () => {
      const host = await load();
      const [a, b] = [host.open(), host.open()];
      assert.equal(ask(host, a, "ping 3"), "ok");
      assert.deepEqual(host.outbox(a).at(-2), { kind: "ping", data: new Uint8Array(3) });
      assert.equal(ask(host, a, "ping 126"), "err:too large");
      host.pong(a, [1, 2]);
      assert.equal(last(host, a).data, "pong 2");
      assert.equal(ask(host, a, "close 1005"), "err:invalid argument");
      host.text(a, "close 4000 bye now");
      assert.deepEqual(last(host, a), { kind: "close", code: 4000, reason: "bye now" });
      assert.equal(ask(host, b, `sendTo ${a.id}`), "err:closed");
      host.close(a, 4000, "bye now");
      assert.deepEqual(host.logs.at(-1), { level: 1, message: `closed ${a.id} 4000 bye now` });
      assert.equal(ask(host, b, `sendTo ${a.id}`), "err:bad handle");
      assert.equal(ask(host, b, "sendTo 999"), "err:bad handle");
      host.close(b, 1006);
      assert.deepEqual(host.logs.at(-1), { level: 1, message: `closed ${b.id} 1006 ` });
    });

    test("timers, clock and log", async () => {
      const host = await load({ now: 5000 });
      const c = host.open();
      assert.equal(ask(host, c, "now"), "5000");
      assert.equal(ask(host, c, "timer 100 7"), "ok");
      assert.equal(ask(host, c, "timer -1 8"), "err:invalid argument");
      assert.deepEqual(host.advance(99), []);
      assert.deepEqual(host.advance(1), [7]);
      assert.equal(last(host, c).data, "timer 7");
      assert.equal(ask(host, c, "now"), "5100");
      assert.equal(ask(host, c, "cancel 7"), "err:not found");
      assert.equal(ask(host, c, "timer 10 9"), "ok");
      assert.equal(ask(host, c, "cancel 9"), "ok");
      assert.deepEqual(host.advance(1000), []);
      assert.equal(ask(host, c, "log careful"), "ok");
      assert.deepEqual(host.logs.at(-1), { level: 2, message: "careful" });
    });

    test("garbage is collected between events and live objects are kept", async () => {
      const host = await load();
      const c = host.open();
      const chunk = "y".repeat(100_000);
      for (let i = 0; i < 1000; i++) host.text(c, chunk); // about 300 MB allocated in total
      const bytes = host.exports.memory.buffer.byteLength;
      assert.ok(bytes < 32 << 20, `memory grew to ${bytes} bytes`);
      let total = 0;
      for (let i = 0; i < 300; i++) {
        const s = `k${i}-` + "q".repeat(i);
        total += s.length;
        host.text(c, "keep " + s);
        host.text(c, chunk);
      }
      host.text(c, "keep ");
      assert.equal(last(host, c).data, String(total));
    });

    test("an abort is logged, traps, and a reload recovers", async () => {
      const host = await load();
      const c = host.open();
      assert.throws(() => host.text(c, "abort"), WebAssembly.RuntimeError);
      assert.match(host.logs.at(-1).message, /^abort: Index out of range at ~lib\/array\.ts:\d+:\d+$/);
      assert.equal(host.logs.at(-1).level, 3);
      await host.reload();
      assert.equal(ask(host, c, "still here"), "still here");
    });
  });
}

test("socklet_alloc returns 0 when memory cannot grow, and the plugin goes on", async () => {
  const wasm = await build(join(sdkDir, "test", "probe.ts"), join(out, "probe-small.wasm"), "incremental", ["--maximumMemory", "64"]);
  const host = await Emulator.load(wasm);
  const c = host.open();
  const ex = host.exports;
  assert.equal(ex.socklet_alloc(-1), 0);
  assert.equal(ex.socklet_alloc(8 << 20), 0);
  const p1 = ex.socklet_alloc(256 << 10);
  assert.notEqual(p1, 0);
  assert.equal(ex.socklet_alloc(1 << 20), p1, "the buffer at the end of memory grows in place");
  host.binary(c, new Uint8Array(1 << 20).fill(3));
  assert.equal(last(host, c).data.length, 1 << 20);
  assert.equal(ex.socklet_alloc(16 << 20), 0);
  assert.equal(ask0(host, c, "after"), "after");
});

function ask0(host, c, cmd) {
  host.text(c, cmd);
  return last(host, c).data;
}

test("a plugin that never calls register rejects with 500 and says why once", async () => {
  const src = join(out, "noregister.ts");
  writeFileSync(src, 'export * from "@socklet/sdk/assembly/exports";\n');
  const host = await Emulator.load(await build(src, join(out, "noregister.wasm")));
  assert.deepEqual(host.open(), { rejected: 500 });
  assert.deepEqual(host.open(), { rejected: 500 });
  assert.equal(host.logs.length, 1);
  assert.match(host.logs[0].message, /no handler/);
});

test("the stub runtime is refused at compile time", async () => {
  await assert.rejects(build(join(sdkDir, "test", "probe.ts"), join(out, "probe-stub.wasm"), "stub"), /not stub/);
});

test("Status of the emulator matches the SDK's enum", () => {
  const src = readFileSync(join(sdkDir, "assembly", "status.ts"), "utf8");
  for (const [name, code] of Object.entries(Status)) {
    assert.match(src, new RegExp(`\\b${name} = ${code},`), name);
  }
});
