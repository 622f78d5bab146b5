import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../test-helpers.js";
import { freePort, TINY_GRID } from "./test-helpers.js";

// Real components: Debian's redis-server, started here on a free loopback port with a temporary
// folder and stopped after; `mmx worker` and `mmx sweep` as the built command, in their own processes.
const REDIS = "redis-server";
const hasRedis = spawnSync(REDIS, ["--version"], { stdio: "ignore" }).status === 0;
if (!hasRedis) console.log("skipping mmx sweep --queue tests: redis-server is not installed (Debian: apt-get install redis-server)");

const packageDir = resolve(import.meta.dirname, "../..");
// Built into a folder of its own: another test builds dist/ at the same time, and a process must not start on half-written files.
const builtDir = join(packageDir, ".cache/sweep-queue-test");
const bin = join(builtDir, "bin.js");

/** A process the tests started: its output so far, and a bounded wait for a line. */
class Proc {
  out = "";
  err = "";
  code: number | null | undefined;
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess, readonly name: string) {
    child.stdout?.on("data", (d: Buffer) => (this.out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((r) => child.once("exit", (code) => r((this.code = code))));
  }
  async waitFor(pattern: RegExp, seconds: number): Promise<RegExpMatchArray> {
    for (let waited = 0; waited < seconds * 1000; waited += 50) {
      const hit = this.err.match(pattern) ?? this.out.match(pattern);
      if (hit) return hit;
      if (this.code !== undefined) break;
      await sleep(50);
    }
    throw new Error(`${this.name}: no ${pattern} within ${seconds} s (exit ${this.code}); stderr:\n${this.err}\nstdout:\n${this.out}`);
  }
  /** Waits for the exit, at most `seconds`; then it is killed and the test fails. */
  async exit(seconds: number): Promise<number | null> {
    const timer = sleep(seconds * 1000).then(() => "timeout" as const);
    const r = await Promise.race([this.exited, timer]);
    if (r === "timeout") {
      this.child.kill("SIGKILL");
      throw new Error(`${this.name} did not exit within ${seconds} s; stderr:\n${this.err}`);
    }
    return r;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `test` every 50 ms for at most `seconds`. */
async function until(test: () => boolean, seconds: number, what: string): Promise<void> {
  for (let waited = 0; waited < seconds * 1000; waited += 50) {
    if (test()) return;
    await sleep(50);
  }
  throw new Error(`no ${what} within ${seconds} s`);
}
const live: Proc[] = [];

function start(command: string, args: string[], name: string, env: Record<string, string> = {}): Proc {
  const p = new Proc(spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } }), name);
  live.push(p);
  return p;
}

/** Every process started is stopped: SIGTERM, then SIGKILL after 5 s. */
async function stopAll(): Promise<void> {
  await Promise.all(
    live.splice(0).map(async (p) => {
      if (p.code !== undefined) return;
      p.child.kill("SIGTERM");
      if ((await Promise.race([p.exited.then(() => true), sleep(5000).then(() => false)])) === false) {
        p.child.kill("SIGKILL");
        await p.exited;
      }
    }),
  );
}

interface RedisServer {
  port: number;
  url: string;
  dir: string;
  proc?: Proc;
}

async function startRedis(server: RedisServer): Promise<void> {
  // Loopback only; the append-only file keeps the queue across a restart.
  server.proc = start(REDIS, ["--port", String(server.port), "--bind", "127.0.0.1", "--dir", server.dir, "--appendonly", "yes", "--save", "", "--protected-mode", "yes"], "redis-server");
  for (let i = 0; i < 100; i++) {
    const c = new Redis(server.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on("error", () => {});
    try {
      await c.connect();
      await c.ping();
      return;
    } catch {
      await sleep(100);
    } finally {
      c.disconnect();
    }
  }
  throw new Error(`redis-server did not answer on ${server.url} within 10 s: ${server.proc.err}${server.proc.out}`);
}

async function stopRedis(server: RedisServer): Promise<void> {
  const p = server.proc!;
  p.child.kill("SIGTERM");
  await p.exit(10);
  live.splice(live.indexOf(p), 1);
}

async function flush(url: string): Promise<void> {
  const c = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await c.flushall();
  } finally {
    c.disconnect();
  }
}

const mmx = (args: string[], name: string, tmp: string) => start(process.execPath, [bin, ...args], name, { TMPDIR: tmp });
/** A worker; a short lock lets the tests see a dead worker's cell handed out again within seconds. */
const worker = (redis: RedisServer, name: string, tmp: string, lockSeconds = 10) => mmx(["worker", "--queue", redis.url, "--lock-seconds", String(lockSeconds)], name, tmp);

/** Each cell's results, without timings: equal on every run of the same backend. */
function results(out: string): Record<string, unknown> {
  const manifest = JSON.parse(readFileSync(join(out, "sweep.json"), "utf8")) as { cells: { id: string; label: string }[] };
  return Object.fromEntries(
    manifest.cells.map((c) => {
      const r = JSON.parse(readFileSync(join(out, "cells", c.id, "cell.json"), "utf8"));
      const untimed = (e: Record<string, number>) => ({ ...e, seconds: 0, examplesPerSecond: 0 });
      return [c.label, { id: r.id, final: untimed(r.final), curve: r.curve.map(untimed), fgsm: r.fgsm }];
    }),
  );
}

/** How often each cell's result line ("[k/N] label: test error ...") appears in a sweep's log. */
function resultLines(stderr: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of stderr.matchAll(/^\[\d+\/\d+\] (.*): test error /gm)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  return counts;
}

describe.skipIf(!hasRedis)("mmx sweep --queue redis://… with mmx worker processes", () => {
  const tmp = tempDir("mmx-sweep-queue-");
  const redis: RedisServer = { port: 0, url: "", dir: join(tmp, "redis") };
  let reference: Record<string, unknown>;

  beforeAll(async () => {
    // Workers are separate processes running the built command: build this package (its
    // dependencies are built by `npm test`'s typecheck step).
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    execFileSync(process.execPath, [tsc, "-p", join(packageDir, "tsconfig.build.json"), "--outDir", builtDir, "--declaration", "false", "--declarationMap", "false", "--sourceMap", "false"], { stdio: "pipe" });
    mkdirSync(redis.dir);
    redis.port = await freePort();
    redis.url = `redis://127.0.0.1:${redis.port}`;
    await startRedis(redis);
    // The embedded default, in worker threads: the reference results.
    const embedded = mmx(["sweep", ...TINY_GRID, "--jobs", "2", "--out", join(tmp, "embedded")], "embedded sweep", tmp);
    expect(await embedded.exit(120), embedded.err).toBe(0);
    expect(embedded.err).toMatch(/^training 2 cells at a time, each in a worker thread$/m);
    reference = results(join(tmp, "embedded"));
    expect(Object.keys(reference)).toHaveLength(6);
  }, 240_000);

  afterEach(async () => {
    // Keep Redis; stop the rest.
    const server = redis.proc;
    const others = live.filter((p) => p !== server);
    live.splice(0, live.length, ...(server ? [server] : []));
    await Promise.all(others.map((p) => (p.code === undefined ? (p.child.kill("SIGKILL"), p.exited) : undefined)));
    if (server?.code === undefined) await flush(redis.url);
  });
  afterAll(stopAll);

  it("two workers give the embedded sweep's per-cell results; a second sweep reuses them all", async () => {
    const a = worker(redis, "worker a", tmp);
    const b = worker(redis, "worker b", tmp);
    await a.waitFor(/taking cells from BullMQ queue/, 30);
    await b.waitFor(/taking cells from BullMQ queue/, 30);
    const out = join(tmp, "two-workers");
    const sweep = mmx(["sweep", ...TINY_GRID, "--queue", redis.url, "--out", out], "queued sweep", tmp);
    expect(await sweep.exit(180), sweep.err).toBe(0);
    expect(results(out)).toEqual(reference);
    expect([...resultLines(sweep.err).values()]).toEqual(new Array(6).fill(1));
    const finished = (p: Proc) => [...p.err.matchAll(/finished ([0-9a-f]{16}) /g)].map((m) => m[1]);
    expect(finished(a).length + finished(b).length).toBe(6);
    expect(new Set([...finished(a), ...finished(b)]).size).toBe(6);
    expect(JSON.parse(readFileSync(join(out, "status.json"), "utf8"))).toMatchObject({ total: 6, done: 6, failed: 0, running: 0, pending: 0 });
    expect(sweep.out).toMatch(/6 of 6 cells done \(0 reused, 6 new/);

    const again = mmx(["sweep", ...TINY_GRID, "--queue", redis.url, "--out", out], "sweep again", tmp);
    expect(await again.exit(60), again.err).toBe(0);
    expect(again.out).toMatch(/6 of 6 cells done \(6 reused, 0 new/);

    // SIGTERM: a worker finishes its current cells and exits cleanly.
    a.child.kill("SIGTERM");
    b.child.kill("SIGTERM");
    expect(await a.exit(15)).toBe(0);
    expect(await b.exit(15)).toBe(0);
  }, 240_000);

  it("a worker killed with SIGKILL mid-cell: the cell is retried by another worker and finished once", async () => {
    const a = worker(redis, "worker a", tmp, 2);
    await a.waitFor(/taking cells from BullMQ queue/, 30);
    const out = join(tmp, "killed");
    const sweep = mmx(["sweep", ...TINY_GRID, "--queue", redis.url, "--out", out], "queued sweep", tmp);
    const [, id, label] = await a.waitFor(/started ([0-9a-f]{16}) (.*) \(attempt 1\)/, 60);
    a.child.kill("SIGKILL");
    expect(await a.exit(10)).toBe(null);
    expect(a.err).not.toMatch(new RegExp(`finished ${id}`));
    const b = worker(redis, "worker b", tmp, 2);
    expect(await sweep.exit(180), sweep.err).toBe(0);
    // The lock of the killed worker lapsed; the stall check handed its cell to worker b.
    expect(b.err).toMatch(new RegExp(`started ${id} `));
    expect(b.err).toMatch(new RegExp(`finished ${id} `));
    const lines = resultLines(sweep.err);
    expect(lines.get(label!)).toBe(1);
    expect([...lines.values()]).toEqual(new Array(6).fill(1));
    expect(results(out)).toEqual(reference);
    expect(JSON.parse(readFileSync(join(out, "status.json"), "utf8"))).toMatchObject({ total: 6, done: 6, failed: 0 });
  }, 240_000);

  it("the sweep process killed after enqueueing: the workers go on, and the same sweep run again collects every cell", async () => {
    const out = join(tmp, "interrupted");
    const first = mmx(["sweep", ...TINY_GRID, "--queue", redis.url, "--out", out], "queued sweep", tmp);
    await first.waitFor(/^enqueued 6 cells in BullMQ queue/m, 60);
    first.child.kill("SIGKILL");
    await first.exit(10);
    const a = worker(redis, "worker a", tmp);
    await a.waitFor(/(finished [0-9a-f]{16} [^]*){6}/, 120);
    const second = mmx(["sweep", ...TINY_GRID, "--queue", redis.url, "--out", out], "queued sweep again", tmp);
    expect(await second.exit(60), second.err).toBe(0);
    expect(second.out).toMatch(/6 of 6 cells done \(0 reused, 6 new/);
    expect(results(out)).toEqual(reference);
    expect(a.err.match(/started [0-9a-f]{16} /g)).toHaveLength(6);
  }, 240_000);

  it("a cell that fails on the worker is tried --attempts times, then the sweep says which and why, exit 1", async () => {
    const a = worker(redis, "worker a", tmp);
    await a.waitFor(/taking cells from BullMQ queue/, 30);
    const out = join(tmp, "failing");
    // A backend no worker has: the sweep does not check it (the workers' machines may differ from this one).
    const grid = ["--methods", "none", "--seeds", "0", "--models", "mlp", "--train-sizes", "64", "--test-size", "64", "--epochs", "1", "--backend", "nosuch"];
    const sweep = mmx(["sweep", ...grid, "--queue", redis.url, "--attempts", "2", "--out", out], "failing sweep", tmp);
    expect(await sweep.exit(120)).toBe(1);
    expect(sweep.err.trim().split("\n").pop()).toMatch(/^mmx sweep: 1 of 1 cells failed \(see .*status\.json; running the same sweep again retries them\): spirals mlp n64 e1 none s0: unknown backend 'nosuch'.* \(after 2 attempts\)$/);
    expect(a.err.match(/started [0-9a-f]{16} .*\(attempt \d\)/g)).toEqual([expect.stringMatching(/\(attempt 1\)$/), expect.stringMatching(/\(attempt 2\)$/)]);
    expect(JSON.parse(readFileSync(join(out, "status.json"), "utf8"))).toMatchObject({ total: 1, done: 0, failed: 1 });
  }, 120_000);

  it("Redis stopped and started again mid-sweep: workers and the sweep reconnect, nothing is lost or doubled", async () => {
    const a = worker(redis, "worker a", tmp);
    const b = worker(redis, "worker b", tmp);
    await a.waitFor(/taking cells from BullMQ queue/, 30);
    await b.waitFor(/taking cells from BullMQ queue/, 30);
    const out = join(tmp, "restart");
    const sweep = mmx(["sweep", ...TINY_GRID, "--queue", redis.url, "--out", out], "queued sweep", tmp);
    // Mid-cell: the workers train on through the outage and report when Redis is back.
    await until(() => /started [0-9a-f]{16} /.test(a.err + b.err), 120, "a worker starting a cell");
    await stopRedis(redis);
    await sleep(1500);
    await startRedis(redis);
    expect(await sweep.exit(180), sweep.err).toBe(0);
    expect(sweep.err).toMatch(/sweep: the queue connection failed .*; retrying/);
    expect(sweep.err).toMatch(/sweep: the queue connection is back/);
    for (const w of [a, b]) expect(w.err).toMatch(/worker: the queue connection is back/);
    expect([...resultLines(sweep.err).values()]).toEqual(new Array(6).fill(1));
    expect(results(out)).toEqual(reference);
    expect(JSON.parse(readFileSync(join(out, "status.json"), "utf8"))).toMatchObject({ total: 6, done: 6, failed: 0 });
  }, 240_000);
});
