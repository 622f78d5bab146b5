import "@tensorflow/tfjs"; // registers tfjs's gradients and optimizers, which the tfjs peers need
import { setBackend } from "@mmx/core";
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchMlp, type MlpResult } from "./mlp.js";
import { fmt } from "./timing.js";

/**
 * `npm run bench [-- --workload mlp --backend wasm,cpu --steps 30 --warmup 5]`: runs each workload
 * on each backend, mmx beside its peers in the same process, prints a markdown table and writes
 * bench/results.json.
 */
const WORKLOADS = ["mlp"] as const;
const BACKENDS = ["wasm", "cpu"] as const;

function parseArgs(argv: string[]) {
  const opts = { workloads: [...WORKLOADS] as string[], backends: [...BACKENDS] as string[], steps: 30, warmup: 5 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--workload") opts.workloads = value().split(",");
    else if (arg === "--backend") opts.backends = value().split(",");
    else if (arg === "--steps") opts.steps = Number(value());
    else if (arg === "--warmup") opts.warmup = Number(value());
    else throw new Error(`unknown option ${arg}; options: --workload ${WORKLOADS.join(",")} --backend ${BACKENDS.join(",")} --steps N --warmup N`);
  }
  for (const w of opts.workloads) if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`unknown workload '${w}'; valid: ${WORKLOADS.join(", ")}`);
  if (!(opts.steps >= 1) || !(opts.warmup >= 0)) throw new Error("--steps must be >= 1 and --warmup >= 0");
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const results: MlpResult[] = [];
  for (const backend of opts.backends) {
    await setBackend(backend);
    process.stderr.write(`mlp on ${backend}...\n`);
    results.push(await benchMlp(backend, opts));
  }
  const rows = results.map(
    (r) =>
      `| mlp 784-512-512-10, b128 | ${r.backend} | ${fmt(r.mmx.medianMs)} (${fmt(r.mmx.minMs)}–${fmt(r.mmx.maxMs)}) | ${fmt(r.tfjs.medianMs)} (${fmt(r.tfjs.minMs)}–${fmt(r.tfjs.maxMs)}) | ${r.ratio.toFixed(2)} | ${r.gflopsMmx.toFixed(1)} / ${r.gflopsTfjs.toFixed(1)} | ${fmt(r.traceMs)} (${r.equations} eqns) |`,
  );
  console.log(
    [
      "| workload | backend | mmx jit step ms (min–max) | tfjs variableGrads ms (min–max) | mmx / tfjs | GFLOP/s mmx / tfjs | trace ms |",
      "|---|---|---|---|---|---|---|",
      ...rows,
    ].join("\n"),
  );
  const out = join(dirname(fileURLToPath(import.meta.url)), "..", "results.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), steps: opts.steps, warmup: opts.warmup, results }, null, 2));
  process.stderr.write(`wrote ${out}\n`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
