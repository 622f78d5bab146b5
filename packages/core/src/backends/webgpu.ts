/**
 * The tfjs WebGPU backend in Node, on Dawn (a browser's is ./webgpu-browser.ts): the `webgpu` npm package ships `dawn.node`, Chromium's WebGPU
 * implementation as a Node addon, and `@tensorflow/tfjs-backend-webgpu` runs on it once `navigator.gpu` and the
 * WebGPU globals (`GPUBufferUsage`, `GPUMapMode`, ...) exist. Both packages are optional: they are imported
 * dynamically, so this module loads (and `webgpuAvailable()` answers) without them.
 *
 * Without a GPU, Dawn's Vulkan backend runs on Mesa's lavapipe (llvmpipe compiled to Vulkan, on the CPU). Dawn needs
 * a recent one: Debian bookworm's own Mesa 22.3 lavapipe is rejected, the Mesa 25 of bookworm-backports works.
 * `bash .ci/setup-webgpu.sh` installs it (libvulkan1 + mesa-vulkan-drivers from bookworm-backports) and prints the
 * ICD json to use.
 *
 * Environment (read by the Vulkan loader, libvulkan.so.1, when Dawn first enumerates adapters in this process; set it
 * before that, or pass `{ icdPath }`, which sets both variables below):
 *   VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.json   use only these ICD jsons (':'-separated); loader >= 1.3.207
 *   VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.json  the older name of the same (bookworm's loader, 1.3.239,
 *                                                           reads both; VK_DRIVER_FILES wins when both are set)
 *   LP_NUM_THREADS=n                                       lavapipe's worker threads (default: one per CPU)
 *   MESA_SHADER_CACHE_DIR=dir                              where lavapipe caches compiled shaders (default
 *                                                           ~/.cache/mesa_shader_cache_db). Compiling is most of a
 *                                                           cold run: webgpu.test.ts takes 6.6 s cold, 1.6 s warm;
 *                                                           CI can cache this directory.
 * Unset, the loader tries every installed ICD (Mesa also installs radeon/intel/virtio/... ones, which fail without
 * their hardware): that works too, and picks a real GPU where there is one, but costs ~0.15 s more per process.
 *
 * dawn.node flags (`create([...])`, passed here as `{ flags }`; none are needed for lavapipe):
 *   backend=vulkan            restrict Dawn to one backend ('null', 'vulkan', 'opengl', 'opengles', 'd3d12', 'metal',
 *                             ...; an unknown name throws and lists them). Never 'null' for compute: it computes nothing.
 *   adapter=llvmpipe          pick the adapter whose name contains this (an unknown name lists the adapters)
 *   enable-dawn-features=a,b  Dawn toggles, e.g. disable_robustness,skip_validation (no measurable gain on lavapipe)
 *   disable-dawn-features=a,b
 *   verbose=1                 log the chosen adapter
 * Dawn prints two harmless warnings on stderr at device creation on lavapipe ("maxDynamicUniformBuffersPerPipeline-
 * Layout artificially reduced from 1000000 to 16 ...").
 *
 * Once registered, tfjs gives 'webgpu' priority 3 (above wasm 2 and cpu 1), as in browsers: a program that never
 * calls `tf.setBackend` and awaits `tf.ready()` gets webgpu. Read results with `await t.data()`: in Node there is
 * no synchronous read at all (tfjs-webgpu's goes through OffscreenCanvas), and mmx's `dataSync()`/`item()` say so.
 *
 * On lavapipe (Mesa 25.0.7, LLVM 15), 107 forward and gradient cases of tfjs 4.22's webgpu kernels (elementwise,
 * reductions, softmax, matMul incl. transposed and fused, conv2d/transpose/depthwise and their gradients, pools and
 * their gradients, gather/gatherND/scatterND/unsortedSegmentSum, cumsum, topk, batchNorm, resizeBilinear, int32 ops)
 * match the cpu backend within float32 tolerance. mmx's primitive suite, with the host shortcut for small inputs
 * (WEBGPU_CPU_FORWARD) off, found four gaps, lowered around in ../lowering/webgpu.ts: Cast int32/bool -> float32
 * only relabels the buffer (Transpose of the result then fails to compile), ArgMax of a 1-d input has shape [1],
 * Tile of rank >= 5 reads on the host, MaxPoolWithArgmax keeps the last of tied maxima.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import {
  ensureWebgpuFactory,
  firstLine,
  hookDevices,
  isObject,
  messageOf,
  probeAdapter,
  TFJS_WEBGPU_PACKAGE,
  WebgpuUnavailableError,
  type GpuLike,
  type WebgpuAvailability,
} from "./webgpu-common.js";

export { setWebgpuCpuForward, takeWebgpuErrors, WebgpuUnavailableError, type WebgpuAvailability } from "./webgpu-common.js";

export interface WebgpuOptions {
  /**
   * A Vulkan ICD json, e.g. lavapipe's `/usr/share/vulkan/icd.d/lvp_icd.json` (the path `.ci/setup-webgpu.sh`
   * prints). Sets `VK_DRIVER_FILES` and `VK_ICD_FILENAMES`; only effective before Dawn's first adapter request in
   * this process.
   */
  icdPath?: string;
  /** Extra dawn.node flags, e.g. `["backend=vulkan"]` (see the module comment). */
  flags?: readonly string[];
}

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

const DAWN_PACKAGE = "webgpu";
const INSTALL_HINT =
  "Without a GPU, install Mesa's lavapipe software Vulkan: on Debian bookworm run `bash .ci/setup-webgpu.sh` " +
  "(installs libvulkan1 and mesa-vulkan-drivers, Mesa >= 25, from bookworm-backports; bookworm's own Mesa 22 " +
  "lavapipe is rejected by Dawn); with a GPU, install libvulkan1 and its Vulkan driver. Then point the Vulkan " +
  "loader at the driver's ICD json with VK_DRIVER_FILES (older loaders: VK_ICD_FILENAMES), e.g. " +
  "VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.json, or pass registerWebgpuBackend({ icdPath }).";

async function importOptional(specifier: string): Promise<unknown> {
  try {
    // A non-literal specifier: TypeScript does not need the package to exist, and bundlers leave it alone.
    return (await import(specifier)) as unknown;
  } catch (e) {
    throw new WebgpuUnavailableError(
      `WebGPU: cannot import the npm package '${specifier}' (${firstLine(e)}). ` +
        `Install '${DAWN_PACKAGE}' and '${TFJS_WEBGPU_PACKAGE}' to use the webgpu backend.`,
    );
  }
}

async function loadDawn(): Promise<DawnModule> {
  const mod = await importOptional(DAWN_PACKAGE);
  if (!isObject(mod) || typeof mod["create"] !== "function" || !isObject(mod["globals"])) {
    throw new WebgpuUnavailableError(`WebGPU: '${DAWN_PACKAGE}' does not export create() and globals.`);
  }
  return mod as unknown as DawnModule;
}

function applyIcdPath(icdPath: string | undefined): void {
  if (icdPath === undefined) return;
  if (!existsSync(icdPath)) {
    throw new WebgpuUnavailableError(`WebGPU: the Vulkan ICD json '${icdPath}' does not exist. ${INSTALL_HINT}`);
  }
  process.env["VK_DRIVER_FILES"] = icdPath;
  process.env["VK_ICD_FILENAMES"] = icdPath;
}

function noAdapterReason(): string {
  const icd = icdInEffect();
  const missing = icd
    ?.split(":")
    .filter((f) => f && !existsSync(f))
    .join(", ");
  const env = icd === undefined ? "VK_DRIVER_FILES/VK_ICD_FILENAMES unset" : `VK_DRIVER_FILES/VK_ICD_FILENAMES=${icd}`;
  return (
    `WebGPU: Dawn found no adapter (${env}${missing ? `; missing: ${missing}` : ""}). ` +
    `Dawn prints why on stderr, e.g. "Couldn't load Vulkan: libvulkan.so.1". ${INSTALL_HINT}`
  );
}

// ---- one Dawn instance and one adapter probe per process ----

interface Probe {
  dawn: DawnModule;
  gpu: GpuLike;
  adapter: string;
}
let probe: Promise<Probe> | undefined;
let registered: Promise<void> | undefined;

async function doProbe(options: WebgpuOptions): Promise<Probe> {
  applyIcdPath(options.icdPath);
  const dawn = await loadDawn();
  // Check the tfjs backend is installed without importing it: it registers itself only if navigator.gpu is already
  // set when it is first imported.
  try {
    createRequire(import.meta.url).resolve(TFJS_WEBGPU_PACKAGE);
  } catch (e) {
    throw new WebgpuUnavailableError(
      `WebGPU: cannot resolve '${TFJS_WEBGPU_PACKAGE}' (${firstLine(e)}); install it to use the webgpu backend.`,
    );
  }
  const gpu = dawn.create([...(options.flags ?? [])]);
  return { dawn, gpu, adapter: await probeAdapter(gpu, noAdapterReason) };
}

function icdInEffect(): string | undefined {
  return process.env["VK_DRIVER_FILES"] ?? process.env["VK_ICD_FILENAMES"];
}

function getProbe(options: WebgpuOptions): Promise<Probe> {
  if (probe === undefined) {
    const p = doProbe(options);
    probe = p;
    // A failed probe may succeed later (e.g. after the ICD env var is fixed): do not cache failures.
    p.catch(() => {
      if (probe === p) probe = undefined;
    });
  }
  return probe;
}

/**
 * Whether the tfjs webgpu backend can run here: imports `webgpu`, checks `@tensorflow/tfjs-backend-webgpu` is
 * installed, asks Dawn for an adapter and a device. Never throws. Sets no globals (the Dawn instance it creates is
 * reused by `registerWebgpuBackend`); `options` apply to the first probe of the process only.
 */
export async function webgpuAvailable(options: WebgpuOptions = {}): Promise<WebgpuAvailability> {
  try {
    const { adapter } = await getProbe(options);
    return { ok: true, adapter };
  } catch (e) {
    return { ok: false, reason: messageOf(e) };
  }
}

function installGlobals(dawn: DawnModule, gpu: GpuLike): void {
  hookDevices(gpu);
  const g = globalThis as unknown as Record<string, unknown>;
  // GPUBufferUsage, GPUMapMode, GPUTextureUsage, GPUBuffer, ...: tfjs-backend-webgpu reads them as globals.
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in g)) Object.defineProperty(g, name, { value, writable: true, configurable: true });
  }
  const current: unknown = g["navigator"];
  if (isObject(current)) {
    if (current["gpu"] === gpu) return;
    // Keep the existing navigator (Node >= 21 has one, with getters on its prototype): add gpu to it if we can...
    try {
      Object.defineProperty(current, "gpu", { value: gpu, writable: true, configurable: true, enumerable: true });
      if (current["gpu"] === gpu) return;
    } catch {
      // frozen or non-configurable gpu: fall through
    }
    // ...else replace it by a plain copy of its fields plus gpu.
    const copy: Record<string, unknown> = {};
    for (const key in current) {
      try {
        copy[key] = current[key];
      } catch {
        // a getter that throws: leave that field out
      }
    }
    copy["gpu"] = gpu;
    Object.defineProperty(g, "navigator", { value: copy, writable: true, configurable: true, enumerable: true });
  } else {
    Object.defineProperty(g, "navigator", { value: { gpu }, writable: true, configurable: true, enumerable: true });
  }
}

async function doRegister(options: WebgpuOptions): Promise<void> {
  const { dawn, gpu } = await getProbe(options);
  installGlobals(dawn, gpu);
  // Registers 'webgpu' with tfjs-core on its first import, now that navigator.gpu exists.
  ensureWebgpuFactory(await importOptional(TFJS_WEBGPU_PACKAGE), gpu, noAdapterReason);
}

/**
 * Makes `tf.setBackend('webgpu')` work in Node: loads Dawn, sets `globalThis.navigator.gpu` (keeping any other
 * navigator fields) and the WebGPU globals, checks that an adapter exists, and registers tfjs's 'webgpu' backend.
 * Throws a `WebgpuUnavailableError` saying what to install when there is no adapter. Idempotent: later calls return
 * the first successful registration (their options are then ignored); a failed one can be retried.
 */
export async function registerWebgpuBackend(options: WebgpuOptions = {}): Promise<void> {
  if (registered === undefined) {
    const p = doRegister(options);
    registered = p;
    p.catch(() => {
      if (registered === p) registered = undefined;
    });
  }
  return registered;
}
