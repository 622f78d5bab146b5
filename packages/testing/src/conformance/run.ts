import { Array, EXECUTOR_ONLY_BACKENDS, getBackend, np, planBackends, tree, type BackendName, type DType } from "@mmx/core";
import { useTestBackend } from "../backends.js";
import type { Tolerance } from "../close.js";
import { CONFORMANCE_CHECKS } from "./checks.js";
import { outOf } from "./read.js";
import type { CheckContext, ConformanceCheck, ConformanceSubject, LayerRef } from "./types.js";

/** One check on one backend at one boundary. */
export interface ConformanceResult {
  readonly check: string;
  readonly backend: BackendName;
  /** The boundary, as given or as `boundaries` named it ("" for a check that was skipped as a whole). */
  readonly layer: string;
  readonly status: "pass" | "fail" | "skip";
  /** What failed, or why the check was skipped; for a pass "" or a note on how it was checked. */
  readonly message: string;
}

export interface ConformanceReport {
  readonly results: readonly ConformanceResult[];
  /** Backends not checked, with the reason (unavailable, not requested, or executor-only). */
  readonly skippedBackends: readonly { name: BackendName; reason: string }[];
  /** True when no result failed and at least one passed. */
  readonly passed: boolean;
}

export interface ConformanceOptions {
  /** The backends to check on; default: `planBackends()` (MMX_BACKENDS, else cpu and wasm) without executor-only ones. */
  backends?: readonly BackendName[];
  /** Only these checks (by name); default: all of `CONFORMANCE_CHECKS`. */
  checks?: readonly string[];
  /** Closeness for float comparisons (default rtol 1e-4, atol 1e-5). */
  tolerance?: Tolerance;
}

/** An array's values on the host, to make again on each backend under test. */
interface HostCopy {
  data: Float32Array | Int32Array | Uint8Array;
  shape: number[];
  dtype: DType;
}

async function hostCopy(a: Array): Promise<HostCopy> {
  return { data: (await a.data()) as HostCopy["data"], shape: [...a.shape], dtype: a.dtype };
}

const remake = (c: HostCopy): Array => np.array(c.data, { shape: c.shape, dtype: c.dtype });

function layersOf(subject: ConformanceSubject): { ref: LayerRef; name: string; shape: readonly number[] | undefined }[] {
  const all = subject.mixup.boundaries?.((p, x) => subject.model(p, x), subject.params, subject.x);
  const shapeOf = (ref: LayerRef) => (ref === 0 || ref === "input" ? subject.x.shape : all?.find((b) => b.index === ref || b.name === ref)?.shape);
  if (subject.layers) return subject.layers.map((ref) => ({ ref, name: String(ref), shape: shapeOf(ref) }));
  if (!all) throw new TypeError("runConformance: the transform has no `boundaries` listing; pass `layers`");
  // A last boundary shaped like the output is the output's tag: mixing there is target mixing only.
  const outShape = outOf(subject.model(subject.params, subject.x)).shape;
  const last = all[all.length - 1];
  const isOutput = all.length > 1 && last !== undefined && last.shape.length === outShape.length && last.shape.every((d, i) => d === outShape[i]);
  const mixable = isOutput ? all.slice(0, -1) : all;
  return mixable.map((b) => ({ ref: b.index, name: `${b.index} ${b.name}`, shape: b.shape }));
}

/** A cyclic shift by one: no example is its own partner, and (for B >= 3) it is not its own inverse. */
const shift = (batch: number) => globalThis.Array.from({ length: batch }, (_, i) => (i + 1) % batch);

function checkSubject(subject: ConformanceSubject): { batch: number } {
  if (!(subject.x instanceof Array) || subject.x.ndim < 1) throw new TypeError("runConformance: x must be an mmx Array with a batch axis");
  const batch = subject.x.shape[0]!;
  if (batch < 3) throw new RangeError(`runConformance: x has a batch of ${batch}; give at least 3 examples (so the pairing is not its own inverse)`);
  if (!(subject.y instanceof Array) || subject.y.dtype !== "int32" || subject.y.ndim !== 1 || subject.y.shape[0] !== batch) {
    throw new TypeError(`runConformance: y must be int32 labels of shape [${batch}], got ${subject.y instanceof Array ? `${subject.y.dtype}[${subject.y.shape.join(",")}]` : typeof subject.y}`);
  }
  return { batch };
}

/**
 * Runs the conformance checks on a model function and a mixup transform, on every backend under test and at
 * every boundary: same permutation for features and labels, λ = 1 identity, per-example λ = the per-example
 * path, no in-place reuse (see `CONFORMANCE_CHECKS`). The subject's arrays are read once and made again on each
 * backend. Returns one result per (check, backend, boundary); the backend in use before the call is restored.
 */
export async function runConformance<P>(subject: ConformanceSubject<P>, opts: ConformanceOptions = {}): Promise<ConformanceReport> {
  const { batch } = checkSubject(subject as ConformanceSubject);
  const checks = selectChecks(opts.checks);
  const tolerance = { rtol: opts.tolerance?.rtol ?? 1e-4, atol: opts.tolerance?.atol ?? 1e-5 };
  const layers = layersOf(subject as ConformanceSubject);
  const [leaves, def] = tree.flatten(subject.params);
  const copies = {
    leaves: await Promise.all(leaves.map(async (l): Promise<{ copy: HostCopy } | { value: unknown }> => (l instanceof Array ? { copy: await hostCopy(l) } : { value: l }))),
    x: await hostCopy(subject.x),
    y: await hostCopy(subject.y),
  };
  let backends: readonly BackendName[];
  let skippedBackends: { name: BackendName; reason: string }[] = [];
  if (opts.backends) backends = opts.backends;
  else {
    const plan = await planBackends(undefined, { exclude: EXECUTOR_ONLY_BACKENDS });
    backends = plan.run;
    skippedBackends = [...plan.skipped];
  }
  const original = getBackend();
  const results: ConformanceResult[] = [];
  try {
    for (const backend of backends) {
      await useTestBackend(backend);
      const params = tree.unflatten(def, copies.leaves.map((l) => ("copy" in l ? remake(l.copy) : l.value))) as P;
      const x = remake(copies.x);
      const y = remake(copies.y);
      const plain = () => outOf(subject.model(params, x));
      const classes = plain().shape.at(-1)!;
      for (const check of checks) {
        const why = check.applies?.(subject);
        if (why !== undefined) {
          results.push({ check: check.name, backend, layer: "", status: "skip", message: why });
          continue;
        }
        for (const layer of layers) {
          const ctx: CheckContext<P> = {
            backend,
            layer: layer.ref,
            subject,
            params,
            x,
            y,
            batch,
            classes,
            perm: shift(batch),
            tolerance,
            plain,
            shape: layer.shape,
            mixed: (how, perm = shift(batch), opts) => (opts ? subject.mixup(layer.ref, how, opts) : subject.mixup(layer.ref, how))(subject.model)(params, x, y, perm),
          };
          try {
            const note = await check.run(ctx);
            results.push({ check: check.name, backend, layer: layer.name, status: "pass", message: note ?? "" });
          } catch (e) {
            const message = e instanceof Error ? `${e.name === "ConformanceFailure" ? "" : `${e.name}: `}${e.message.split("\n")[0]}` : String(e);
            results.push({ check: check.name, backend, layer: layer.name, status: "fail", message });
          }
        }
      }
    }
  } finally {
    await useTestBackend(original);
  }
  const passed = results.some((r) => r.status === "pass") && !results.some((r) => r.status === "fail");
  return { results, skippedBackends, passed };
}

function selectChecks(names: readonly string[] | undefined): readonly ConformanceCheck[] {
  if (!names) return CONFORMANCE_CHECKS;
  return names.map((n) => {
    const hit = CONFORMANCE_CHECKS.find((c) => c.name === n);
    if (!hit) throw new RangeError(`runConformance: unknown check '${n}'; the checks are ${CONFORMANCE_CHECKS.map((c) => c.name).join(", ")}`);
    return hit;
  });
}

/** The report as lines: one per result (check, backend, boundary, status, message), then the skipped backends. */
export function formatConformance(report: ConformanceReport): string {
  const lines = report.results.map((r) => `${r.status.toUpperCase().padEnd(4)}  ${r.check.padEnd(20)}  ${r.backend.padEnd(6)}  ${r.layer}${r.message ? `  ${r.message}` : ""}`);
  for (const s of report.skippedBackends) lines.push(`(backend ${s.name} not checked: ${s.reason})`);
  return lines.join("\n");
}

/**
 * For a test runner (vitest, jest, node:test): runs the suite and throws an Error listing every failure when
 * one fails (or when nothing ran). `await assertConformance({ mixup, model, params, x, y })` inside an `it`.
 */
export async function assertConformance<P>(subject: ConformanceSubject<P>, opts: ConformanceOptions = {}): Promise<ConformanceReport> {
  const report = await runConformance(subject, opts);
  if (!report.passed) {
    const failed = report.results.filter((r) => r.status === "fail");
    const lines = failed.length > 0 ? failed.map((r) => `${r.check} on ${r.backend} at ${r.layer}: ${r.message}`) : ["no check ran (no backend, or every check skipped)"];
    throw new Error(`mixup conformance: ${failed.length} of ${report.results.length} checks failed\n${lines.join("\n")}`);
  }
  return report;
}
