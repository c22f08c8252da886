// @socklet/sdk: write socklet WebSocket plugins in AssemblyScript.
//
//     import { Conn, Handler, register } from "@socklet/sdk/assembly";
//
//     class Echo extends Handler {
//       onText(conn: Conn, text: string): void { conn.sendText(text); }
//     }
//     register(new Echo());
//     export * from "@socklet/sdk/assembly/exports";
//
// See README.md for the build command and the runtime to use.

export { Handler, register } from "./handler";
export { Conn } from "./conn";
export { publish, publishBinary, log, config, configOr, configInt, setTimer, cancelTimer, now } from "./host";
export { Status, statusText, Result, Info, LogLevel, Limits, Open } from "./status";
