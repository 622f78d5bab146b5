/**
 * The `tensorflow` backend: tfjs-node's native libtensorflow, on CUDA with `@tensorflow/tfjs-node-gpu`, on the CPU
 * with `@tensorflow/tfjs-node`. Both are optional peer dependencies, imported dynamically and never needed to
 * install or test mmx. Their install scripts download libtensorflow (about 300 MB for the GPU build) and the GPU
 * build needs CUDA 11.2 and cuDNN 8.1 exactly; WebGPU (the `webgpu` backend) is the GPU path that needs neither.
 * Both packages register a tfjs backend named 'tensorflow'; the GPU one is preferred when both are installed.
 */
import * as tf from "@tensorflow/tfjs-core";

export const TFJS_NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

export class TensorflowUnavailableError extends Error {
  override readonly name = "TensorflowUnavailableError";
}

const INSTALL_HINT =
  "install '@tensorflow/tfjs-node-gpu' (CUDA 11.2 + cuDNN 8.1) or '@tensorflow/tfjs-node' (CPU); their install " +
  "downloads libtensorflow. For a GPU without CUDA, use the webgpu backend (Vulkan), which needs neither";

let loaded: Promise<string> | undefined;

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n", 1)[0] ?? "";
}

async function load(): Promise<string> {
  const failures: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      // A non-literal specifier: TypeScript and bundlers leave the optional package alone.
      const specifier: string = pkg;
      await import(specifier);
    } catch (e) {
      failures.push(`${pkg}: ${firstLine(e)}`);
      continue;
    }
    if (tf.findBackendFactory("tensorflow") === null) {
      failures.push(`${pkg} was imported but registered no 'tensorflow' backend (a second copy of @tensorflow/tfjs-core?)`);
      continue;
    }
    return pkg;
  }
  throw new TensorflowUnavailableError(`tensorflow backend: cannot load libtensorflow (${failures.join("; ")}); ${INSTALL_HINT}`);
}

/** Imports tfjs-node-gpu or tfjs-node (once per process) and returns which one registered 'tensorflow'. */
export function loadTensorflowBackend(): Promise<string> {
  if (loaded === undefined) {
    const p = load();
    loaded = p;
    p.catch(() => {
      if (loaded === p) loaded = undefined;
    });
  }
  return loaded;
}

export function describeTensorflowPackage(pkg: string): string {
  return pkg.endsWith("-gpu") ? `libtensorflow with CUDA (${pkg})` : `libtensorflow on the CPU (${pkg})`;
}
