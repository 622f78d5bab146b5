import { Array } from "./array.js";
import { getBackend, onBackendChange } from "./backend.js";
import { canReadSync, DeviceArray } from "./device-array.js";
import { executorFor, type Program, type StepTiming } from "./executor.js";
import { ClosedJaxpr, evalJaxpr } from "./jaxpr.js";
import { dce } from "./passes.js";
import { describeValue, traceFlat } from "./jaxpr-trace.js";
import * as np from "./np.js";
import { isTracing, Tracer } from "./trace.js";
import { flatten, leafPaths, unflatten, type PyTree, type TreeDef } from "./tree.js";

export interface JitOptions {
  /** Positional arguments that are not arrays but part of the program (a layer index, a flag). */
  staticArgnums?: readonly number[];
  /**
   * After each run, throw if a float output holds NaN or Inf (reads the outputs back synchronously: slower). Not
   * available where arrays cannot be read synchronously (webgpu in Node): there it throws; check the values of
   * `await out.data()` instead.
   */
  checkFinite?: boolean;
  /**
   * Positional arguments whose arrays the call may free, as JAX's `donate_argnums`: after the program has run
   * they are freed (their memory goes to the outputs of later calls), and using them again throws an error that
   * says they were donated. Without it nothing passed in is ever freed by the call. For loops like
   * `params = step(params, x, y)` that run without yielding to the event loop, where the garbage collector cannot
   * free the old params in time (see docs/ownership.md).
   */
  donateArgnums?: readonly number[];
}

interface CacheEntry {
  readonly closed: ClosedJaxpr;
  readonly outTree: TreeDef;
  readonly programs: Map<string, Program>;
}

/** A jitted function: f's own type (generics and overloads kept), and the methods below. */
export type Jitted<F extends (...args: any[]) => any> = F & JittedMethods<F>;

export interface JittedMethods<F extends (...args: any[]) => any> {
  /** The staged program for these arguments (traced once and cached, as a call would). */
  lower(...args: Parameters<F>): ClosedJaxpr;
  /**
   * Runs on these arguments and resolves once the program's outputs exist: the call to use where the backend's
   * runtime is asynchronous (a program whose `run` throws an AsyncProgramError); elsewhere it is the plain call.
   * Keep the arguments alive until it settles.
   */
  callAsync(...args: Parameters<F>): Promise<ReturnType<F>>;
  /** Runs once on these arguments with per-equation timings (each step synchronised). */
  profile(...args: Parameters<F>): { outputs: ReturnType<F>; timings: StepTiming[] };
  /** Number of distinct traced signatures. */
  readonly cacheSize: number;
  /** Frees every compiled program and forgets every trace. */
  clearCache(): void;
}

const liveCaches = new Set<Map<string, CacheEntry>>();
/** A jitted function that became unreachable frees its compiled programs and its copies of constants. */
const unreachableJits = new FinalizationRegistry<Map<string, CacheEntry>>((cache) => {
  freeCache(cache);
  liveCaches.delete(cache);
});

function freeCache(cache: Map<string, CacheEntry>): void {
  for (const e of cache.values()) {
    disposePrograms(e);
    // The cache owns its copies of the trace's constants (made when they were all concrete).
    for (const c of e.closed.consts) if (c instanceof DeviceArray) c.dispose();
  }
  cache.clear();
}
onBackendChange(() => {
  // Compiled programs hold tensors of the old backend; keep the traces, drop the programs.
  for (const cache of liveCaches) for (const e of cache.values()) disposePrograms(e);
});

function disposePrograms(e: CacheEntry): void {
  for (const p of e.programs.values()) p.dispose();
  e.programs.clear();
}

function staticKey(value: unknown, index: number): string {
  try {
    return JSON.stringify(value, (_k, v) => {
      if (v instanceof Array) throw new TypeError("array");
      if (typeof v === "function") throw new TypeError("function");
      return v;
    });
  } catch {
    throw new TypeError(`jit: static argument ${index} must be plain data (numbers, strings, booleans, plain objects), got ${describeValue(value)}`);
  }
}

/**
 * `jit(f)`: traces f once per input signature (tree structure, shapes, dtypes, static arguments),
 * caches the program and runs it on the current backend's executor, freeing each intermediate after
 * its last use. Called inside another transformation it inlines its program there.
 */
export function jit<F extends (...args: any[]) => any>(f: F, opts: JitOptions = {}): Jitted<F> {
  const staticNums = new Set(opts.staticArgnums ?? []);
  const donateNums = new Set(opts.donateArgnums ?? []);
  for (const n of donateNums) if (staticNums.has(n)) throw new TypeError(`jit: argument ${n} is both static and donated; a static argument holds no arrays to donate`);
  const donatedTo = `donated to jit(${f.name || "anonymous"})`;
  const cache = new Map<string, CacheEntry>();
  liveCaches.add(cache);

  const prepare = (args: unknown[]) => {
    for (const n of staticNums) {
      if (!Number.isInteger(n) || n < 0 || n >= args.length) throw new RangeError(`jit: staticArgnums ${n} is out of range for ${args.length} argument(s)`);
    }
    for (const n of donateNums) {
      if (!Number.isInteger(n) || n < 0 || n >= args.length) throw new RangeError(`jit: donateArgnums ${n} is out of range for ${args.length} argument(s)`);
    }
    const dynamicArgs = args.map((a, i) => (staticNums.has(i) ? null : a));
    const statics = args.map((a, i) => (staticNums.has(i) ? staticKey(a, i) : "")).join("|");
    const [leaves, inTree] = flatten(dynamicArgs);
    const paths = leafPaths(inTree);
    const arrays = leaves.map((l, i) => {
      if (l instanceof Array) return l;
      if (typeof l === "number") return np.full([], l);
      throw new TypeError(`jit: argument leaf ${paths[i]} is ${describeValue(l)}; mark non-array arguments with staticArgnums`);
    });
    const key = `${statics}#${inTree}#${arrays.map((a) => a.aval.toString()).join(",")}`;
    let entry = cache.get(key);
    if (!entry) {
      const { closed, outTree } = traceFlat((...flat) => {
        const rebuilt = unflatten<unknown[]>(inTree, flat);
        return f(...rebuilt.map((a, i) => (staticNums.has(i) ? args[i] : a)));
      }, arrays.map((a) => a.aval));
      const pruned = dce(closed.jaxpr);
      const concrete = closed.consts.every((c) => c instanceof DeviceArray);
      // Constants created while tracing may belong to a caller's tidy: the cache keeps its own copies.
      const consts = concrete ? closed.consts.map((c) => (c as DeviceArray).share()) : closed.consts;
      const owned = new ClosedJaxpr(pruned, consts, closed.inTree, outTree);
      entry = { closed: owned, outTree, programs: new Map() };
      // A trace that closed over outer tracers is only valid inside that transformation: do not cache it.
      if (concrete) cache.set(key, entry);
    }
    const temporaries = arrays.filter((a, i) => a !== leaves[i]);
    return { entry, arrays, temporaries };
  };

  const programFor = (entry: CacheEntry): Program => {
    const backend = getBackend();
    let program = entry.programs.get(backend);
    if (!program) {
      program = executorFor(backend).compile(entry.closed);
      entry.programs.set(backend, program);
    }
    return program;
  };

  const call = (args: unknown[], timings?: StepTiming[]) => {
    const { entry, arrays, temporaries } = prepare(args);
    let outs: Array[];
    if (isTracing() || arrays.some((a) => a instanceof Tracer)) {
      outs = evalJaxpr(entry.closed, arrays);
    } else {
      const program = programFor(entry);
      try {
        if (timings) {
          const profiled = program.profile(arrays);
          outs = profiled.outputs;
          timings.push(...profiled.timings);
        } else {
          outs = program.run(arrays);
        }
      } finally {
        for (const t of temporaries) t.dispose();
      }
      if (donateNums.size > 0) donate(args, donateNums, donatedTo);
      if (opts.checkFinite) checkFinite(outs, entry.outTree);
    }
    return unflatten(entry.outTree, outs);
  };

  const callAsync = async (args: unknown[]) => {
    const { entry, arrays, temporaries } = prepare(args);
    if (isTracing() || arrays.some((a) => a instanceof Tracer)) {
      for (const t of temporaries) t.dispose();
      throw new TypeError("jit: callAsync runs on concrete arrays; inside a transformation, call the jitted function itself");
    }
    const program = programFor(entry);
    let outs: Array[];
    try {
      outs = program.runAsync ? await program.runAsync(arrays) : program.run(arrays);
    } finally {
      for (const t of temporaries) t.dispose();
    }
    if (donateNums.size > 0) donate(args, donateNums, donatedTo);
    if (opts.checkFinite) await Promise.all(outs.map(async (o, i) => o.dtype === "float32" && assertFinite(await o.data(), o, leafPaths(entry.outTree)[i]!)));
    return unflatten(entry.outTree, outs);
  };

  const jitted = ((...args: unknown[]) => call(args)) as unknown as Jitted<F>;
  jitted.callAsync = (...args) => callAsync(args) as Promise<ReturnType<F>>;
  jitted.lower = (...args) => prepare(args).entry.closed;
  jitted.profile = (...args) => {
    const timings: StepTiming[] = [];
    const outputs = call(args, timings) as ReturnType<F>;
    return { outputs, timings };
  };
  Object.defineProperty(jitted, "cacheSize", { get: () => cache.size });
  jitted.clearCache = () => freeCache(cache);
  unreachableJits.register(jitted, cache);
  return jitted;
}

/** Frees the arrays of the donated arguments, but none that a kept argument also holds. */
function donate(args: readonly unknown[], donateNums: ReadonlySet<number>, by: string): void {
  const kept = new Set(flatten(args.filter((_, i) => !donateNums.has(i)))[0]);
  const site = new Error();
  for (const n of donateNums) {
    for (const leaf of flatten(args[n])[0]) if (leaf instanceof DeviceArray && !kept.has(leaf)) leaf.free(by, site);
  }
}

function checkFinite(outs: readonly Array[], outTree: TreeDef): void {
  const paths = leafPaths(outTree);
  outs.forEach((o, i) => {
    if (o.dtype !== "float32") return;
    if (!canReadSync(o)) {
      throw new Error(`jit: checkFinite reads outputs synchronously, which the ${getBackend()} backend cannot do here; turn it off and check \`await out.data()\` instead`);
    }
    assertFinite(o.dataSync(), o, paths[i]!);
  });
}

function assertFinite(values: ArrayLike<number>, o: Array, path: string): void {
  const bad = globalThis.Array.prototype.findIndex.call(values, (v: number) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`jit: output ${path} (${o.aval}) holds ${values[bad]} at flat index ${bad} (checkFinite is on)`);
}

export type { PyTree };
