import type { TypedArray } from "@mmx/core";
import type { Tensor as OrtTensor } from "onnxruntime-node";
import { onnxDevice, sessionOptions } from "./device.js";
import { ortRuntime, SyncSession } from "./ort-sync.js";
import type { HostTensor, OnnxRuntimeBinding, OnnxSession } from "./runtime.js";

function wrap(session: SyncSession): OnnxSession {
  const Tensor = ortRuntime().Tensor;
  const toOrt = (feeds: Readonly<Record<string, HostTensor>>) => {
    const out: Record<string, OrtTensor> = {};
    for (const [name, t] of Object.entries(feeds)) out[name] = new Tensor(t.type, t.data as never, t.dims as number[]);
    return out;
  };
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    runInto: (feeds, outputs) => void session.run(toOrt(feeds), toOrt(outputs)),
    run: async (feeds) => {
      const outs = session.run(toOrt(feeds));
      return Object.fromEntries(session.outputNames.map((n) => [n, outs[n]!.data as unknown as TypedArray]));
    },
    dispose: () => session.dispose(),
  };
}

/** onnxruntime-node through its native binding: sessions load and run synchronously, on the device options pick. */
export function nodeBinding(): OnnxRuntimeBinding {
  const createSessionSync = (model: Uint8Array) => wrap(new SyncSession(model, sessionOptions()));
  return {
    name: `onnxruntime-node ${ortRuntime().version} (${onnxDevice().provider})`,
    createSessionSync,
    createSession: async (model) => createSessionSync(model),
  };
}
