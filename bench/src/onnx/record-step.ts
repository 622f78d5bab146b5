import { registerExecutor, setBackend, type Array as MxArray, type ClosedJaxpr, type Executor, type Program } from "@mmx/core";
import { createOnnxExecutor, type LoweringOptions, type OnnxProgram } from "@mmx/onnx";
import { mmxStep, type Mode } from "../mmx-step.js";
import { WORKLOADS, type WorkloadName } from "../workloads.js";

/** One program of a workload's step as the onnx executor compiled it, with the inputs of its last run. */
export interface RecordedProgram {
  closed: ClosedJaxpr;
  program: OnnxProgram;
  inputs?: { type: string; data: ArrayLike<number>; dims: readonly number[] }[];
}

/**
 * Runs a workload's mmx step once at each of its mixing layers on the onnx backend, through an executor that
 * records every program it compiles and the inputs each was last run with: the profiling tools then load the
 * same graphs, fed the same values, into sessions of their own.
 */
export async function recordStepPrograms(workload: WorkloadName, mode: Mode, lowering?: LoweringOptions): Promise<RecordedProgram[]> {
  const recorded: RecordedProgram[] = [];
  const real = createOnnxExecutor(lowering);
  const recording: Executor = {
    name: "onnx",
    compile(closed: ClosedJaxpr): Program {
      const program = real.compile(closed) as OnnxProgram;
      const entry: RecordedProgram = { closed, program };
      recorded.push(entry);
      return {
        run(inputs: readonly MxArray[]) {
          entry.inputs = inputs.map((x) => ({ type: x.dtype, data: x.dataSync() as ArrayLike<number>, dims: x.shape }));
          return program.run(inputs);
        },
        dispose: () => program.dispose(),
      } as Program;
    },
  };
  registerExecutor("onnx", recording);
  await setBackend("onnx");
  const step = mmxStep(WORKLOADS[workload], mode);
  for (const layer of step.layers) await step.runAt(layer);
  step.dispose();
  return recorded;
}
