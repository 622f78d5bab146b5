import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";

/**
 * tfjs's engine as mmx starts it, for every module that runs tfjs kernels (eager.ts imports it): the cpu and wasm
 * backends registered, and cpu selected, as core's backend state starts.
 */

// Start deterministic: tfjs would otherwise pick by priority among whatever got registered.
void tf.setBackend("cpu");
// tfjs's cpu backend greets Node users with advice to install tfjs-node, which cannot install
// offline; mmx documents its own backends, so that banner is turned off.
const cpuBackend = tf.findBackend("cpu") as { firstUse?: boolean } | null;
if (cpuBackend) cpuBackend.firstUse = false;
