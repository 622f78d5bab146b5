import { cutPoint } from "./cut-point.js";
import { lambdaOneIdentity } from "./lambda-one.js";
import { maskKeptArea } from "./mask-kept-area.js";
import { noInPlaceReuse } from "./no-in-place.js";
import { perExampleLambda } from "./per-example-lambda.js";
import { samePermutation } from "./same-permutation.js";
import type { ConformanceCheck } from "./types.js";

/** The suite's checks, in the order they run: one file each; a new check is one entry here. */
export const CONFORMANCE_CHECKS: readonly ConformanceCheck[] = [samePermutation, lambdaOneIdentity, perExampleLambda, noInPlaceReuse, maskKeptArea, cutPoint];
