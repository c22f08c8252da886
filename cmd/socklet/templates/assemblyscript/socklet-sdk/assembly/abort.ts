// abort: where AssemblyScript's runtime errors go (internal).
//
// asc imports abort from module "env" unless told otherwise; a socklet plugin
// may import only from "socklet", so builds pass
//     --use abort=~lib/@socklet/sdk/assembly/abort/sockletAbort
// (the SDK's asconfig.json and every build.sh do). The message goes to the
// plugin's log at error level, then the instance traps and the host rebuilds it.

import * as env from "./env";

let aborting = false;

export function sockletAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  if (!aborting) {
    // An abort while reporting one (e.g. out of memory) just traps.
    aborting = true;
    let m = "abort: " + (message === null ? "" : message) + " at " +
      (fileName === null ? "?" : fileName) + ":" + line.toString() + ":" + column.toString();
    let buf = String.UTF8.encode(m);
    env.log(3, changetype<usize>(buf), buf.byteLength);
  }
  unreachable();
}
