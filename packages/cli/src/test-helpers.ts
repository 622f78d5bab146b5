import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliIo } from "./commands.js";
import { main } from "./main.js";

/** Runs `mmx` in-process and collects what it writes. */
export async function run(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: { write: (t: string) => void (stderr += t), isTTY: false } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export function tempDir(prefix = "mmx-cli-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
