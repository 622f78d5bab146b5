import * as tf from "@tensorflow/tfjs-core";

/**
 * Whether tfjs can initialise the backend `name` (registered already), leaving tfjs's current backend as it was.
 * tfjs reports an initialisation failure on console.warn only: it is caught here, so that the reason is returned.
 */
export async function initialisesTfjs(name: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const before = tf.getBackend();
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(" "));
  };
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    ok = false;
    warnings.push(e instanceof Error ? e.message : String(e));
  } finally {
    console.warn = warn;
    if (before && tf.getBackend() !== before) await tf.setBackend(before);
  }
  if (ok) return { ok: true };
  // tfjs warns "Initialization of backend x failed", then the error's stack: its first line is the message.
  const causes = warnings.filter((w) => !w.startsWith("Initialization of backend")).map((w) => w.split("\n", 1)[0]);
  return { ok: false, reason: `tfjs could not initialise its ${name} backend${causes.length > 0 ? `: ${causes.join("; ")}` : ""}` };
}
