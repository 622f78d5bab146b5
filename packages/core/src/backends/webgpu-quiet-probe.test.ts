import { describe, expect, it } from "vitest";
import { DEFAULT_TEST_BACKENDS, parseBackendList } from "./plan.js";
import { webgpuAvailable } from "./webgpu.js";
import { webgpuAvailableQuietly } from "./webgpu-quiet-probe.js";

describe("webgpuAvailableQuietly: the webgpu probe that keeps Dawn's stderr in a child process", () => {
  it("reports a driver list with no driver as unavailable, naming the setting and what Dawn said", async () => {
    const env = { ...process.env, VK_DRIVER_FILES: "/nonexistent/icd.json", VK_ICD_FILENAMES: "/nonexistent/icd.json" };
    const a = await webgpuAvailableQuietly(env);
    expect(a.ok).toBe(false);
    if (a.ok) return;
    expect(a.reason).toMatch(/^WebGPU: Dawn found no adapter \(VK_DRIVER_FILES\/VK_ICD_FILENAMES=\/nonexistent\/icd\.json\)(; Dawn says: [^\n]+)?; see the README's WebGPU section/);
    // One child per driver setting: asking again answers from the same probe.
    expect(webgpuAvailableQuietly(env)).toBe(webgpuAvailableQuietly({ ...env }));
  }, 60_000);

  // Starting Dawn in this process prints its warnings, so the two probes are compared only where webgpu is under test.
  const wanted = (parseBackendList(process.env["MMX_BACKENDS"]) ?? DEFAULT_TEST_BACKENDS).includes("webgpu");
  it.skipIf(!wanted)("agrees with the in-process probe (run when MMX_BACKENDS lists webgpu)", async () => {
    const [quiet, here] = [await webgpuAvailableQuietly(), await webgpuAvailable()];
    expect(quiet.ok).toBe(here.ok);
    if (quiet.ok && here.ok) expect(quiet.adapter).toBe(here.adapter);
  }, 60_000);
});
