// Tests of echo.wasm (the committed build) on the socklet emulator.
// Run: node --test examples/assemblyscript/echo/

import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Emulator } from "../../../sdk/assemblyscript/emulator/index.js";

const wasm = fileURLToPath(new URL("echo.wasm", import.meta.url));

test("text comes back as text, binary as binary", async () => {
  const host = await Emulator.load(wasm);
  const a = host.open();
  const b = host.open();
  host.text(a, "hello ☃");
  host.binary(a, [0, 1, 255]);
  host.text(b, "other");
  assert.deepEqual(host.outbox(a), [
    { kind: "text", data: "hello ☃" },
    { kind: "binary", data: new Uint8Array([0, 1, 255]) },
  ]);
  assert.deepEqual(host.outbox(b), [{ kind: "text", data: "other" }]);
  assert.deepEqual(host.published, []);
});

test("empty messages and 1 MiB messages", async () => {
  const host = await Emulator.load(wasm);
  const c = host.open();
  host.text(c, "");
  host.binary(c, []);
  const big = new Uint8Array(1 << 20).map((_, i) => i % 251);
  host.binary(c, big);
  const text = "é".repeat(1 << 19); // 1 MiB of UTF-8
  host.text(c, text);
  const out = host.outbox(c);
  assert.deepEqual(out.slice(0, 2), [{ kind: "text", data: "" }, { kind: "binary", data: new Uint8Array(0) }]);
  assert.ok(Buffer.from(out[2].data).equals(Buffer.from(big)));
  assert.equal(out[3].data, text);
});

test("accepts every connection and survives a reload", async () => {
  const host = await Emulator.load(wasm);
  const c = host.open({ path: "/echo" });
  await host.reload();
  host.text(c, "after reload");
  assert.deepEqual(host.outbox(c), [{ kind: "text", data: "after reload" }]);
  host.close(c, 1000, "bye");
  assert.deepEqual(host.logs, []);
});
