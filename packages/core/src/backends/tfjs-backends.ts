import * as tf from "@tensorflow/tfjs-core";
import "./tfjs-engine.js";
import { registerBackendProvider, type BackendProvider } from "../backend.js";
import { registerExecutor } from "../executor.js";
import { tfjsExecutor } from "../tfjs-executor.js";

/**
 * The tfjs side of backend selection: each tfjs backend is a provider whose `activate` switches tfjs's engine (the
 * only call of `tf.setBackend` outside probes, so tfjs follows core's one backend state), and runs jitted programs
 * on the tfjs executor. `cpu` is registered here; the platform's providers (providers.ts, providers.browser.ts)
 * register the others.
 */
export interface TfjsBackendOptions {
  /** Loads the backend's packages (registering its tfjs factory), or throws an error that says what to install. */
  load?: () => Promise<void>;
  probe: BackendProvider["probe"];
}

export function registerTfjsBackend(name: string, opts: TfjsBackendOptions): void {
  registerBackendProvider(name, {
    activate: async () => {
      await opts.load?.();
      if (!tf.findBackendFactory(name)) throw new Error(`backend '${name}' is not installed here (tfjs has no '${name}' backend registered)`);
      if (!(await tf.setBackend(name))) {
        const probe = await opts.probe();
        throw new Error(`backend '${name}' failed to initialise${probe.ok ? "" : `: ${probe.reason}`}`);
      }
    },
    probe: opts.probe,
  });
  registerExecutor(name, tfjsExecutor);
}

/** A backend the platform cannot run (webgl in Node, for one): listed, with the reason, and refused by setBackend. */
export function registerUnavailableBackend(name: string, reason: string): void {
  registerBackendProvider(name, {
    activate: async () => {
      throw new Error(`backend '${name}' cannot run here: ${reason}`);
    },
    probe: async () => ({ ok: false, reason }),
  });
}

registerTfjsBackend("cpu", { probe: async () => ({ ok: true, detail: "tfjs cpu (plain JavaScript)" }) });
