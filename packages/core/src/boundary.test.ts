import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The executor boundary, checked on the sources: the tracer, the transforms, jit and backend selection see the
 * Jaxpr and the Executor/Program interface, never tfjs; an executor package (onnx) reaches arrays through
 * core's API, never through their tfjs tensors. A file that needs tfjs belongs to the tfjs runtime listed here.
 */
const coreSrc = dirname(fileURLToPath(import.meta.url));
const onnxSrc = join(coreSrc, "../../onnx/src");

/** The tfjs runtime: the eager interpreter and its arrays, the tfjs executor and its kernels, the tfjs backends. */
const TFJS_RUNTIME: readonly string[] = ["device-array.ts", "eager.ts", "creation.ts", "memory.ts", "fusion.ts", "tfjs-executor.ts", "lowering/", "backends/", "test-util/"];

function sources(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .map((f) => f.split("\\").join("/"))
    .sort();
}

const inRuntime = (file: string) => TFJS_RUNTIME.some((r) => (r.endsWith("/") ? file.startsWith(r) : file === r));
const imports = (text: string) => [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1]!);
/** Code without its comments, so that prose may name what code may not touch. */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

const sealed = sources(coreSrc).filter((f) => !inRuntime(f));

describe("the executor boundary", () => {
  it("checks the files that make up the tracer, the transforms, jit and backend selection", () => {
    for (const f of ["jit.ts", "autodiff.ts", "backend.ts", "executor.ts", "trace.ts", "jaxpr.ts", "vmap.ts", "jvp.ts", "np.ts", "primitives.ts"]) expect(sealed).toContain(f);
    for (const f of TFJS_RUNTIME) expect(sources(coreSrc).some((s) => (f.endsWith("/") ? s.startsWith(f) : s === f)), `${f} is listed but missing`).toBe(true);
  });

  it("no core file outside the tfjs runtime imports tfjs, or reaches into the tfjs executor and kernels", () => {
    const offenders = sealed.flatMap((f) => {
      const text = readFileSync(join(coreSrc, f), "utf8");
      return imports(text)
        .filter((m) => m.startsWith("@tensorflow/") || /(^|\/)(tfjs-executor|fusion)\.js$/.test(m) || /(^|\/)lowering\//.test(m))
        .map((m) => `${f} imports ${m}`);
    });
    expect(offenders).toEqual([]);
  });

  it("no core file outside the tfjs runtime reads an array's tfjs tensor", () => {
    const offenders = sealed.filter((f) => /\.(tensor|liveTensor)\b/.test(code(readFileSync(join(coreSrc, f), "utf8"))));
    expect(offenders).toEqual([]);
  });

  it("backend selection and jit name no package's backend: backend names come from registered providers", () => {
    for (const f of ["backend.ts", "jit.ts", "executor.ts"]) expect(readFileSync(join(coreSrc, f), "utf8"), f).not.toMatch(/onnx/i);
  });

  it("the onnx executor reaches arrays through core's API: no tfjs import, no tensor of an array", () => {
    const files = sources(onnxSrc);
    expect(files).toContain("executor.ts");
    const offenders = files.flatMap((f) => {
      const text = code(readFileSync(join(onnxSrc, f), "utf8"));
      const bad = imports(text).filter((m) => m.startsWith("@tensorflow/")).map((m) => `${f} imports ${m}`);
      if (/\.tensor\.|\.liveTensor\b/.test(text)) bad.push(`${f} reads an array's tensor`);
      return bad;
    });
    expect(offenders).toEqual([]);
  });
});
