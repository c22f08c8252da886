// Tests of chat.wasm (the committed build) on the socklet emulator.
// Run: node --test examples/assemblyscript/chat/

import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Emulator } from "../../../sdk/assemblyscript/emulator/index.js";

const wasm = fileURLToPath(new URL("chat.wasm", import.meta.url));
const text = (data) => ({ kind: "text", data, topic: "chat" });

test("open joins the room with the default nick and sends nothing", async () => {
  const host = await Emulator.load(wasm);
  const a = host.open();
  const b = host.open();
  assert.deepEqual(host.subscriptions(a), ["chat"]);
  assert.deepEqual(host.subscriptions(b), ["chat"]);
  assert.equal(host.attachmentText(a), `anon-${a.id}`);
  assert.deepEqual(host.sent, []);
});

test("messages go to everyone else with the nick", async () => {
  const host = await Emulator.load(wasm);
  const [a, b, c] = [host.open(), host.open(), host.open()];
  host.text(a, "hello");
  assert.deepEqual(host.outbox(a), [], "the sender gets nothing back");
  assert.deepEqual(host.outbox(b), [text(`anon-${a.id}: hello`)]);
  assert.deepEqual(host.outbox(c), [text(`anon-${a.id}: hello`)]);
  assert.deepEqual(host.published.map((p) => [p.topic, p.except, p.receivers]), [["chat", a.id, 2]]);
});

test("/nick renames and answers the sender only", async () => {
  const host = await Emulator.load(wasm);
  const [a, b] = [host.open(), host.open()];
  host.text(a, "/nick alice");
  assert.deepEqual(host.outbox(a), [{ kind: "text", data: "nick alice" }]);
  assert.deepEqual(host.outbox(b), []);
  assert.equal(host.attachmentText(a), "alice");
  host.clear();
  host.text(a, "hi: there /nick x");
  host.text(a, "/nickname");
  host.text(a, "/nick ");
  host.text(a, "back to default");
  assert.deepEqual(host.outbox(b), [
    text("alice: hi: there /nick x"),
    text("alice: /nickname"),
    text(`anon-${a.id}: back to default`),
  ]);
  assert.deepEqual(host.outbox(a), [{ kind: "text", data: "nick " }]);
});

test("the nick survives a reload because it lives in the host", async () => {
  const host = await Emulator.load(wasm);
  const [a, b] = [host.open(), host.open()];
  host.text(a, "/nick ünïcode ☃");
  await host.reload();
  host.clear();
  host.text(a, "still me");
  assert.deepEqual(host.outbox(b), [text("ünïcode ☃: still me")]);
});

test("binary is ignored and close leaves the room", async () => {
  const host = await Emulator.load(wasm);
  const [a, b] = [host.open(), host.open()];
  host.binary(a, [1, 2, 3]);
  assert.deepEqual(host.sent, []);
  host.close(a, 1001, "going away");
  assert.ok(host.calls.includes(`unsubscribe(conn=${a.id}, topic=chat) -> 0`), host.calls.join("\n"));
  host.text(b, "alone");
  assert.deepEqual(host.published.at(-1).receivers, 0);
  assert.deepEqual(host.logs, []);
});
