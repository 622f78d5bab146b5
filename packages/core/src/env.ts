/**
 * An environment variable where the platform has them (Node), else undefined: library code reads settings through
 * this, never through `process` directly, so that it also runs in a browser.
 */
export function envVar(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name];
}

/** Every environment variable (empty where the platform has none). */
export function envVars(): Readonly<Record<string, string | undefined>> {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
}
