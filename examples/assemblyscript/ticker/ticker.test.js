// Tests of ticker.wasm (the committed build) on the socklet emulator, with
// virtual time. Run: node --test examples/assemblyscript/ticker/

import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Emulator } from "../../../sdk/assemblyscript/emulator/index.js";

const wasm = fileURLToPath(new URL("ticker.wasm", import.meta.url));
const T0 = 1_700_000_000_000;
const tick = (n, now) => ({ kind: "text", data: `{"tick":${n},"now_ms":${now}}`, topic: "ticks" });

test("ticks every interval_ms to every subscriber", async () => {
  const host = await Emulator.load(wasm, { config: { interval_ms: 250 }, now: T0 });
  assert.deepEqual(host.pendingTimers(), []);
  const a = host.open();
  assert.deepEqual(host.pendingTimers(), [1]);
  const b = host.open();
  assert.deepEqual(host.subscriptions(b), ["ticks"]);
  assert.deepEqual(host.advance(249), []);
  assert.deepEqual(host.advance(251), [1, 1]);
  assert.deepEqual(host.outbox(a), [tick(1, T0 + 250), tick(2, T0 + 500)]);
  assert.deepEqual(host.outbox(b), host.outbox(a));
});

test("the interval defaults to 1000 ms", async () => {
  const host = await Emulator.load(wasm, { now: T0 });
  const a = host.open();
  host.advance(3500);
  assert.deepEqual(host.outbox(a), [tick(1, T0 + 1000), tick(2, T0 + 2000), tick(3, T0 + 3000)]);
});

test("/stop and /start; the timer stops when nobody listens", async () => {
  const host = await Emulator.load(wasm, { config: { interval_ms: 100 }, now: T0 });
  const [a, b] = [host.open(), host.open()];
  host.text(a, "/stop");
  assert.deepEqual(host.outbox(a), [{ kind: "text", data: "stopped" }]);
  assert.deepEqual(host.subscriptions(a), []);
  host.advance(100);
  assert.deepEqual(host.outbox(a).length, 1);
  assert.deepEqual(host.outbox(b), [tick(1, T0 + 100)]);
  host.text(b, "/stop");
  assert.deepEqual(host.pendingTimers(), [], "no subscriber: timer cancelled");
  host.advance(1000);
  assert.equal(host.published.length, 1);
  host.clear();
  host.text(a, "/start");
  assert.deepEqual(host.outbox(a), [{ kind: "text", data: "started" }]);
  assert.deepEqual(host.pendingTimers(), [1]);
  host.advance(100);
  assert.deepEqual(host.outbox(a).at(-1), tick(2, T0 + 1200));
  assert.deepEqual(host.outbox(b), []);
  host.text(a, "what?");
  assert.deepEqual(host.outbox(a).at(-1), { kind: "text", data: "commands: /start /stop" });
});

test("closing the last subscriber cancels the timer", async () => {
  const host = await Emulator.load(wasm, { config: { interval_ms: 100 } });
  const [a, b] = [host.open(), host.open()];
  host.close(a);
  assert.deepEqual(host.pendingTimers(), [1]);
  host.close(b, 1006);
  assert.deepEqual(host.pendingTimers(), []);
  assert.ok(host.calls.includes("timer_cancel(id=1) -> 0"));
});

test("a reload rebuilds the subscribers from the host and keeps ticking", async () => {
  const host = await Emulator.load(wasm, { config: { interval_ms: 100 }, now: T0 });
  const [a, b] = [host.open(), host.open()];
  host.text(b, "/stop");
  await host.reload();
  host.clear();
  host.advance(100);
  assert.deepEqual(host.outbox(a), [tick(1, T0 + 100)]);
  assert.deepEqual(host.outbox(b), []);
  host.close(a);
  assert.deepEqual(host.pendingTimers(), []);
  assert.deepEqual(host.logs, []);
});
