import { registerLowerings } from "./tfjs.js";

/**
 * tfjs-webgpu (on Dawn): it has the conv filter and gather gradients that wasm lacks, so the
 * defaults serve; departures measured on it go here.
 */
registerLowerings("webgpu", {});
