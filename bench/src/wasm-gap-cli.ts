import { measureWasmGap, renderWasmGap } from "./wasm-gap.js";
import { WORKLOADS, type WorkloadName } from "./workloads.js";

/**
 * `npm run wasm-gap -w @mmx/bench -- [--workload mlp] [--backend wasm] [--rounds N]`: where the
 * plain step's time goes against the matmul peak (see wasm-gap.ts). Markdown on stdout.
 */
function parse(argv: string[]): { workload: WorkloadName; backend: string; rounds: number } {
  const opts = { workload: "mlp" as WorkloadName, backend: "wasm", rounds: 20 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag}: needs a value`);
    if (flag === "--workload") {
      if (!(value in WORKLOADS)) throw new Error(`--workload: unknown workload "${value}" (one of ${Object.keys(WORKLOADS).join(", ")})`);
      opts.workload = value as WorkloadName;
    } else if (flag === "--backend") opts.backend = value;
    else if (flag === "--rounds") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--rounds: expected a positive integer, got "${value}"`);
      opts.rounds = n;
    } else throw new Error(`unknown option ${flag} (options: --workload, --backend, --rounds)`);
  }
  return opts;
}

let opts: ReturnType<typeof parse>;
try {
  opts = parse(process.argv.slice(2));
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const report = await measureWasmGap({ ...opts, log: (l) => process.stderr.write(`${l}\n`) });
console.log(renderWasmGap(report));
