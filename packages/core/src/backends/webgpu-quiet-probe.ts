/**
 * Whether webgpu can run here, asked without a word on this process's stderr. Dawn writes its warnings ("Couldn't
 * load Vulkan: libvulkan.so.1 ...", lavapipe's reduced limits) from native code straight to file descriptor 2,
 * which Node cannot redirect within a process; a program that only lists its backends (`availableBackends()`, a
 * CLI explaining an unknown --backend, a test run deciding what to skip) never asked for webgpu and should not
 * print them. So the adapter is requested in a child process whose stderr is kept: on failure Dawn's first line
 * becomes part of the reason. `setBackend("webgpu")` still starts Dawn in this process, warnings and all.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { WebgpuAvailability } from "./webgpu.js";

/** Runs in the child: one adapter and one device, as the in-process probe does; prints the outcome as JSON. */
const CHILD = `
const { create } = await import(process.argv[1]);
const adapter = await create([]).requestAdapter({ powerPreference: "high-performance" });
let result = { ok: false };
if (adapter !== null) {
  (await adapter.requestDevice()).destroy();
  const info = adapter.info ?? {};
  result = { ok: true, info: { description: info.description, device: info.device, vendor: info.vendor, architecture: info.architecture } };
}
process.stdout.write(JSON.stringify(result));
process.exit(0);
`;

const CHILD_TIMEOUT_MS = 60_000;
const SETUP_HINT = "see the README's WebGPU section (without a GPU, `bash .ci/setup-webgpu.sh` installs Mesa's software Vulkan)";

type AdapterInfo = { description?: string; device?: string; vendor?: string; architecture?: string };

function describeAdapter(info: AdapterInfo): string {
  const name = info.description || info.device || "unknown adapter";
  const kind = [info.vendor, info.architecture].filter(Boolean).join("/");
  return kind ? `${name} (${kind})` : name;
}

/** The Vulkan loader's driver list decides the answer, so answers are kept per value of it. */
const icdOf = (env: NodeJS.ProcessEnv) => env["VK_DRIVER_FILES"] ?? env["VK_ICD_FILENAMES"];
const answers = new Map<string, Promise<WebgpuAvailability>>();

/** `webgpuAvailable()`'s answer without Dawn's output on stderr; one child process per driver setting. */
export function webgpuAvailableQuietly(env: NodeJS.ProcessEnv = process.env): Promise<WebgpuAvailability> {
  const cacheKey = String(icdOf(env));
  let answer = answers.get(cacheKey);
  if (!answer) answers.set(cacheKey, (answer = probeInChild(env)));
  return answer;
}

function probeInChild(env: NodeJS.ProcessEnv): Promise<WebgpuAvailability> {
  const require = createRequire(import.meta.url);
  let dawn: string;
  try {
    dawn = require.resolve("webgpu");
    require.resolve("@tensorflow/tfjs-backend-webgpu");
  } catch (e) {
    const missing = (e as Error).message.split("\n", 1)[0];
    return Promise.resolve({ ok: false, reason: `WebGPU: ${missing}; install 'webgpu' and '@tensorflow/tfjs-backend-webgpu' to use the webgpu backend.` });
  }
  return new Promise((resolve) => {
    execFile(process.execPath, ["--input-type=module", "-e", CHILD, pathToFileURL(dawn).href], { env, timeout: CHILD_TIMEOUT_MS, encoding: "utf8" }, (error, stdout, stderr) => {
      const dawnSaid = stderr.split("\n").find((l) => /^(Warning|Error): /.test(l))?.replace(/^\w+: /, "");
      let result: { ok: boolean; info?: AdapterInfo } | undefined;
      try {
        result = JSON.parse(stdout) as { ok: boolean; info?: AdapterInfo };
      } catch {
        result = undefined;
      }
      if (result?.ok) return resolve({ ok: true, adapter: describeAdapter(result.info ?? {}) });
      const icd = icdOf(env);
      const setting = icd === undefined ? "VK_DRIVER_FILES/VK_ICD_FILENAMES unset" : `VK_DRIVER_FILES/VK_ICD_FILENAMES=${icd}`;
      const thrown = stderr.split("\n").find((l) => /^\w*Error: /.test(l)) ?? (error ? `exit status ${error.code ?? "?"}${error.killed ? ", killed" : ""}` : "no answer");
      const what = result ? "Dawn found no adapter" : `the probe failed (${thrown})`;
      resolve({ ok: false, reason: `WebGPU: ${what} (${setting})${dawnSaid ? `; Dawn says: ${dawnSaid}` : ""}; ${SETUP_HINT}` });
    });
  });
}
