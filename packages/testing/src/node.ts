/**
 * Node-only test helpers (`@mmx/testing/node`): a real garbage collection for tests that count live tensors.
 * mmx frees an unreachable array through a FinalizationRegistry, so a leak test must collect first; these helpers do
 * it without `node --expose-gc`. Kept out of the package's main entry, which bundles for browsers.
 */
export { collectGarbage, collectUntil, settledTensorCount, tensorsLeftBy } from "./gc.js";
