// Unit tests of __NAME__.wasm on socklet's host emulator: node --test
// (run ./build.sh first).

import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Emulator } from "@socklet/sdk/emulator";

const wasm = fileURLToPath(new URL("__NAME__.wasm", import.meta.url));

test("text is echoed with the configured prefix, binary as is", async () => {
  const host = await Emulator.load(wasm, { config: { prefix: "> " } });
  const c = host.open({ remoteAddr: "127.0.0.1:5555" });
  assert.deepEqual(host.logs, [{ level: 1, message: "__NAME__: hello 127.0.0.1:5555" }]);
  host.text(c, "hi");
  host.binary(c, [1, 2, 3]);
  assert.deepEqual(host.outbox(c), [
    { kind: "text", data: "> hi" },
    { kind: "binary", data: new Uint8Array([1, 2, 3]) },
  ]);
});
