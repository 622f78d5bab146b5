import * as tf from "@tensorflow/tfjs-core";
import type { Params } from "../primitives.js";
import { explicitPadding, type TfLowering } from "./tfjs.js";

/**
 * Feature-grouped convolutions on tfjs, which has none (its conv2d takes one group): the channels split
 * into the groups, each convolved by the ungrouped lowering, the results concatenated; a forward conv
 * with one input channel per group is tfjs's depthwise convolution instead, one kernel. All three
 * convolution primitives keep their channels last in every operand and in the result, so one split
 * serves them all.
 */

type ConvFamily = "conv" | "conv_transpose" | "conv_filter_grad";

/** Every operand's last axis in `groups` equal runs, `run` on each run, the results joined along their last axis. */
export function byChannelGroups(groups: number, operands: readonly tf.Tensor[], run: (parts: tf.Tensor[]) => tf.Tensor): tf.Tensor {
  if (groups === 1) return run([...operands]);
  const parts = operands.map((t) => tf.split(t, groups, t.rank - 1));
  const outs = parts[0]!.map((_, g) => run(parts.map((p) => p[g]!)));
  return tf.concat(outs, outs[0]!.rank - 1);
}

const lastDividedBy = (shape: readonly number[], groups: number) => [...shape.slice(0, -1), shape[shape.length - 1]! / groups];

/** One group's parameters: an ordinary convolution over its share of the channels. */
const oneGroup: { [P in ConvFamily]: (p: Params<P>) => Params<P> } = {
  conv: (p) => ({ ...p, groups: 1 }),
  conv_transpose: (p) => ({ ...p, groups: 1, inputShape: lastDividedBy(p.inputShape, p.groups) }),
  conv_filter_grad: (p) => ({ ...p, groups: 1, filterShape: lastDividedBy(p.filterShape, p.groups) }),
};

/** `ungrouped` (a lowering for groups = 1) extended to any groups by splitting the channels. */
export function grouped<P extends ConvFamily>(primitive: P, ungrouped: TfLowering<P>): TfLowering<P> {
  return (inputs, params) => {
    if (params.groups === 1) return ungrouped(inputs, params);
    const one = (oneGroup[primitive] as (p: Params<P>) => Params<P>)(params);
    return byChannelGroups(params.groups, inputs, (parts) => ungrouped(parts, one));
  };
}

/**
 * The forward conv: depthwise where each group reads one input channel (w [KH,KW,1,Co] is then tfjs's depthwise
 * filter [KH,KW,Ci,Co/Ci], the same values in the same order), else by groups.
 */
export function groupedConv(ungrouped: TfLowering<"conv">): TfLowering<"conv"> {
  const byGroups = grouped("conv", ungrouped);
  return (inputs, p) => {
    const [x, w] = inputs as [tf.Tensor4D, tf.Tensor4D];
    const channels = x.shape[3];
    if (p.groups === 1 || p.groups !== channels) return byGroups(inputs, p);
    const [kh, kw, , co] = w.shape;
    const filter = tf.reshape(w, [kh, kw, channels, co / channels]) as tf.Tensor4D;
    return tf.depthwiseConv2d(x, filter, p.strides as [number, number], explicitPadding(p.padding) as never, "NHWC", p.dilation as [number, number]);
  };
}
