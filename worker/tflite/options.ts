/**
 * The builtin options table of each op kind (`Operator.builtin_options`, a union: the type
 * id goes in `builtin_options_type`), slots and enum values from schema.ts.
 */
import type { Builder } from "flatbuffers";
import { table, type Offset } from "./flatbuffer.ts";
import type { IrOptions } from "./ir.ts";
import { Activation, BuiltinOptions, Padding, Slot } from "./schema.ts";
import type { FlatOp } from "./variants.ts";

/** The builtin options union (type id and table) of one op. */
export function builtinOptions(b: Builder, o: FlatOp): [number, Offset | undefined] {
  const act = Activation[o.activation];
  const opt: IrOptions = o.options;
  switch (opt.kind) {
    case "conv": {
      const C = Slot.Conv2DOptions;
      return [
        BuiltinOptions.Conv2DOptions,
        table(b, C.count, [
          { slot: C.padding, int8: Padding[opt.padding] },
          { slot: C.stride_w, int32: opt.strideW },
          { slot: C.stride_h, int32: opt.strideH },
          { slot: C.fused_activation_function, int8: act },
          { slot: C.dilation_w_factor, int32: opt.dilationW },
          { slot: C.dilation_h_factor, int32: opt.dilationH },
        ]),
      ];
    }
    case "depthwise": {
      const C = Slot.DepthwiseConv2DOptions;
      return [
        BuiltinOptions.DepthwiseConv2DOptions,
        table(b, C.count, [
          { slot: C.padding, int8: Padding[opt.padding] },
          { slot: C.stride_w, int32: opt.strideW },
          { slot: C.stride_h, int32: opt.strideH },
          { slot: C.depth_multiplier, int32: opt.depthMultiplier },
          { slot: C.fused_activation_function, int8: act },
          { slot: C.dilation_w_factor, int32: opt.dilationW },
          { slot: C.dilation_h_factor, int32: opt.dilationH },
        ]),
      ];
    }
    case "fullyConnected": {
      const C = Slot.FullyConnectedOptions;
      return [
        BuiltinOptions.FullyConnectedOptions,
        table(b, C.count, [
          { slot: C.fused_activation_function, int8: act },
          { slot: C.weights_format, int8: 0 },
          { slot: C.keep_num_dims, bool: false },
          opt.asymmetricQuantizeInputs
            ? { slot: C.asymmetric_quantize_inputs, bool: true }
            : undefined,
        ]),
      ];
    }
    case "add":
      return [
        BuiltinOptions.AddOptions,
        table(b, Slot.AddOptions.count, [
          { slot: Slot.AddOptions.fused_activation_function, int8: act },
        ]),
      ];
    case "mean":
      return [
        BuiltinOptions.ReducerOptions,
        table(b, Slot.ReducerOptions.count, [
          { slot: Slot.ReducerOptions.keep_dims, bool: opt.keepDims },
        ]),
      ];
    case "softmax":
      return [
        BuiltinOptions.SoftmaxOptions,
        table(b, Slot.SoftmaxOptions.count, [
          { slot: Slot.SoftmaxOptions.beta, float32: opt.beta },
        ]),
      ];
    case "none":
      return [BuiltinOptions.NONE, undefined];
  }
}
