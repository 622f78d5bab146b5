/**
 * The API of @mmx/core that is the same on every platform; ./index.ts (Node) and ./index.browser.ts add each
 * platform's backend providers and its WebGPU entry points.
 */
import "./eager.js"; // installs the eager (level-0) trace
import "./backends/tfjs-backends.js"; // cpu, and the tfjs executor the platform's tfjs backends run programs on

export { NDArray, Array, Literal, type Operand } from "./array.js";
export { FreedArrayError } from "./freed.js";
export { ShapedArray } from "./aval.js";
export { DeviceArray, canReadSync, isHostResident } from "./device-array.js";
export { SyncReadUnavailableError } from "./backends/sync-read.js";
export { takeHostBuffer, hostBufferStats, setHostBufferLimit, type HostBufferStats } from "./backends/host-buffers.js";
export type { DType, TypedArray } from "./dtype.js";
export { shapeEqual, broadcastShapes, type Shape } from "./shape.js";

export * as np from "./np.js";
export * as lax from "./lax.js";
export { tag } from "./lax.js";
export * as tree from "./tree.js";
export type { PyTree, TreeDef } from "./tree.js";

export { bind, isTracer, isTracing, Tracer, ShapeError, ConcretizationError, EscapedTracerError } from "./trace.js";
export type { Primitive, Params, PrimitiveParams, ConvParams, PoolParams, Padding2D } from "./primitives.js";
export { PRIMITIVE_KINDS, primitivesOfKind, ELEMENTWISE_PRIMITIVES, IDENTITY_PRIMITIVES, type PrimitiveKind, type PrimitiveOfKind } from "./primitives.js";
export { windowCellCounts } from "./pool-windows.js";
export { ClosedJaxpr, Jaxpr, Var, evalJaxpr, printJaxpr, typecheckJaxpr, JaxprTypeError, type Atom, type Eqn, type EqnInterpreter } from "./jaxpr.js";
export { prettyJaxpr, type PrettyJaxprOptions } from "./jaxpr-pretty.js";
export { makeJaxpr } from "./jaxpr-trace.js";
export { dce } from "./passes.js";
export { boundariesOf, tagEquations, resolveBoundary, describeBoundaries, type Boundary, type BoundaryRef } from "./boundaries.js";
export { VarReaders, matchLinearBiasRelu, linearBiasReluGroups, type LinearBiasRelu } from "./fusion-patterns.js";

export { vjp, grad, valueAndGrad, type GradOptions, type Gradient, type Gradients, type GradientOf, type GradFn, type ValueAndGradFn, type AuxOf } from "./autodiff.js";
export { jvp } from "./jvp.js";
export { jacfwd, jacrev, hessian, hvp } from "./jacobians.js";
export { vmap, type VmapOptions, type AxisSpec } from "./vmap.js";
export { jit, type Jitted, type JittedMethods, type JitOptions } from "./jit.js";
export { registerExecutor, AsyncProgramError, type Executor, type Program, type StepTiming } from "./executor.js";


export { setBackend, getBackend, availableBackends, registerBackendProvider, UnknownBackendError, knownBackends, type BackendName, type BackendInfo, type BackendProvider } from "./backend.js";
export { tidy, keep, dispose, memory, type DisposeOptions } from "./memory.js";
export { setWasmPaths } from "./backends/wasm-paths.js";
export { planBackends, describePlan, parseBackendList, propertyRuns, RequestedBackendUnavailableError, DEFAULT_TEST_BACKENDS, EXECUTOR_ONLY_BACKENDS, type BackendPlan, type PlanOptions } from "./backends/plan.js";
export { namedScope, currentScope } from "./scope.js";
export { readTree, type Read } from "./read-tree.js";
