import { setBackend } from "@mmx/core";
import { onnxDevice } from "@mmx/onnx";
import { benchWorkloads, parseSizes } from "./workloads.js";

/** The benchmark's steps in Node, on onnxruntime-node and tfjs wasm: printed as one JSON line. */
const args = process.argv.slice(2);
const sizes = parseSizes((n) => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? args[i + 1]! : null;
});
const DETAIL = { onnx: () => onnxDevice().detail, wasm: () => "tfjs wasm (XNNPACK, SIMD, one thread in Node)" } as const;
const rows = [];
for (const name of ["onnx", "wasm"] as const) {
  try {
    await setBackend(name);
  } catch (e) {
    rows.push({ target: `node ${name}`, skipped: (e as Error).message });
    continue;
  }
  const times = await benchWorkloads(sizes, (t) => console.error(`bench:browser: node ${name}: ${t.workload}: ${t.ms.toFixed(2)} ms`));
  rows.push({ target: `node ${name}`, detail: DETAIL[name](), times });
}
console.log(JSON.stringify({ rows }));
