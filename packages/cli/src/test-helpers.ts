import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliIo } from "./commands.js";
import type { TrainConfig } from "./config.js";
import { main } from "./main.js";

/** Runs `mmx` in-process and collects what it writes. */
export async function run(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: { write: (t: string) => void (stderr += t), isTTY: false } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export function tempDir(prefix = "mmx-cli-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A small spirals run of the spiral net with manifold mixup at every boundary, on wasm: what the tests train, with their changes. */
export function spiralsConfig(changes: Partial<TrainConfig> = {}): TrainConfig {
  return {
    dataset: "spirals",
    spiralsTrain: 192,
    spiralsTest: 64,
    spiralsNoise: 0.05,
    dataSeed: 0,
    model: "spiral-net",
    hidden: [16],
    method: "manifold",
    alpha: 2,
    layers: [0, 1, 2, 3],
    layerNames: ["input", "hidden1", "hidden2", "bottleneck"],
    loss: "bce",
    epochs: 2,
    batch: 32,
    lr: 0.1,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 1e-4,
    schedule: "cosine",
    milestones: [],
    seed: 3,
    backend: "wasm",
    ...changes,
  };
}
