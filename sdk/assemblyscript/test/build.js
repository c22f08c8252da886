// build compiles an AssemblyScript plugin with the SDK's pinned compiler and
// the flags every socklet plugin uses (see README.md, "Build flags").

import asc from "assemblyscript/asc";
import { fileURLToPath } from "node:url";
import { dirname, join, relative } from "node:path";
import { mkdirSync } from "node:fs";

export const sdkDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** flags are the asc options of a socklet plugin (runtime chosen by the caller). */
export const flags = [
  "-O3",
  "--exportStart", "_initialize",
  "--use", "abort=~lib/@socklet/sdk/assembly/abort/sockletAbort",
  "--path", join(sdkDir, "node_modules"),
];

/**
 * build compiles entry (a path) to out with the given runtime and extra asc
 * options, and throws with asc's output when compilation fails.
 */
export async function build(entry, out, runtime = "incremental", extra = []) {
  mkdirSync(dirname(out), { recursive: true });
  let log = "";
  const sink = { write(s) { log += s; return true; } };
  const cwd = dirname(entry);
  const argv = [relative(cwd, entry), ...flags, "--runtime", runtime, "-o", relative(cwd, out), ...extra];
  const prev = process.cwd();
  process.chdir(cwd);
  try {
    const { error } = await asc.main(argv, { stdout: sink, stderr: sink });
    if (error) throw new Error(`asc ${argv.join(" ")}: ${error.message}\n${log}`);
  } finally {
    process.chdir(prev);
  }
  return out;
}
