import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

const here = import.meta.dirname;
const REGISTER = resolve(here, "register.mjs");
const BIN = resolve(here, "../bin.ts");

/** Starts `mmx ...` as a separate process, from the TypeScript sources (no build needed). */
export function spawnMmx(argv: readonly string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ["--import", REGISTER, BIN, ...argv], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_NO_WARNINGS: "1" } });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((ok) => child.on("close", (code, signal) => ok({ code, signal, stdout, stderr })));
  return { child, done };
}
