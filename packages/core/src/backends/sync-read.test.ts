import { describe, expect, it } from "vitest";
import { canReadSync, grad, np, setBackend, tidy, type Array } from "../index.js";
import { syncReadBlocked, syncReadError } from "./sync-read.js";

describe("synchronous reads", () => {
  it("work on cpu and wasm arrays; not on tracers or disposed arrays", async () => {
    for (const backend of ["cpu", "wasm"] as const) {
      await setBackend(backend);
      const a = np.array([1, 2]);
      expect(canReadSync()).toBe(true);
      expect(canReadSync(a)).toBe(true);
      a.dispose();
      expect(canReadSync(a)).toBe(false);
    }
    await setBackend("cpu");
    let sawTracer = false;
    tidy(() =>
      grad((x: Array) => {
        sawTracer = !canReadSync(x);
        return np.sum(x);
      })(np.array([1, 2])),
    );
    expect(sawTracer).toBe(true);
  });

  it("are blocked for webgpu only where there is no OffscreenCanvas, with an error that says what to do instead", () => {
    expect(syncReadBlocked("cpu")).toBe(false);
    expect(syncReadBlocked("wasm")).toBe(false);
    expect(syncReadBlocked("webgpu")).toBe(typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== "function");
    expect(syncReadError("dataSync()", "f32[2]", "webgpu").message).toBe(
      "dataSync(): this f32[2] array lives on the webgpu backend, which cannot read values synchronously in Node (tfjs-webgpu reads synchronously through OffscreenCanvas, which Node lacks): use `await x.data()` instead",
    );
    expect(syncReadError("item()", "f32[]", "webgpu").message).toMatch(/use `\(await x\.data\(\)\)\[0\]` instead$/);
  });
});
