import { availableBackends, setBackend } from "@mmx/core";
import "@mmx/onnx";
import { benchWorkloads, parseSizes } from "./workloads.js";

/** The benchmark's steps in Node, on onnxruntime-node and tfjs wasm: printed as one JSON line. */
const args = process.argv.slice(2);
const sizes = parseSizes((n) => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? args[i + 1]! : null;
});
const infos = await availableBackends();
const rows = [];
for (const name of ["onnx", "wasm"] as const) {
  const info = infos.find((b) => b.name === name)!;
  if (!info.available) {
    rows.push({ target: `node ${name}`, skipped: info.detail });
    continue;
  }
  await setBackend(name);
  rows.push({ target: `node ${name}`, detail: info.detail, times: await benchWorkloads(sizes) });
}
console.log(JSON.stringify({ rows }));
