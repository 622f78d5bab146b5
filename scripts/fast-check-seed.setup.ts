import fc from "fast-check";

/**
 * Every fast-check property draws from MMX_FC_SEED when it is set (CI sets it, so that a run is reproducible and a
 * red run can be replayed exactly); unset, each run draws new cases, which is how the suites keep finding new bugs
 * on developers' machines. A failing property prints its own seed and path either way.
 */
const raw = process.env["MMX_FC_SEED"];
if (raw !== undefined && raw !== "") {
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`MMX_FC_SEED must be an integer, got '${raw}'`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
