import { expect } from "vitest";
import { run } from "../test-helpers.js";

/** Runs mmx and expects the one-line error `message` (a RegExp over the line) with exit 2: never a trace, never a hang. */
export async function expectRefused(argv: string[], message: RegExp): Promise<void> {
  const r = await run(argv);
  const context = `mmx ${argv.join(" ")}\n${r.stderr}`;
  expect(r.code, context).toBe(2);
  expect(r.stderr.trim().split("\n"), context).toHaveLength(1);
  expect(r.stderr.trim(), context).toMatch(message);
}
