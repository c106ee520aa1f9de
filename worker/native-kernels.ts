/**
 * The binding under the native ops (native-ops.ts): TensorFlow kernels called by name on
 * tfjs-node's native backend.
 *
 * tfjs-node binds libtensorflow's eager C API and exposes `executeMultipleOutputs(name,
 * attrs, inputs, n)`: any registered TensorFlow kernel, with oneDNN where TF has it. This
 * class finds that binding (or says plainly that the active backend has none), runs a
 * kernel by name and counts the launches.
 *
 * Attribute lists are built once per distinct setting and reused: each call then costs the
 * kernel plus ~7 µs of binding overhead.
 */
import type * as tfn from "@tensorflow/tfjs";
/** The tfjs API both native builds share. */
export type TF = typeof import("@tensorflow/tfjs");

export type Tensor = tfn.Tensor;

/** The attribute shape tfjs-node's binding reads. */
export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

export interface Binding {
  TF_FLOAT: number;
  TF_INT32: number;
  TF_ATTR_STRING: number;
  TF_ATTR_INT: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_SHAPE: number;
  isUsingGpuDevice(): boolean;
}

interface NativeBackend {
  binding: Binding;
  executeMultipleOutputs(
    name: string,
    attrs: OpAttr[],
    inputs: Tensor[],
    numOutputs: number,
  ): Tensor[];
}

/** Runs TensorFlow kernels by name on the native backend, with cached attribute lists. */
export class NativeKernels {
  private readonly backend: NativeBackend;
  protected readonly b: Binding;
  private readonly cache = new Map<string, OpAttr[]>();
  protected readonly tf: TF;
  /** Kernels launched since construction (or the last `resetCount`). */
  kernels = 0;

  constructor(tf: TF) {
    const backend = tf.backend() as unknown as Partial<NativeBackend>;
    if (typeof backend.executeMultipleOutputs !== "function" || !backend.binding) {
      throw new Error(
        `the fused training step needs the native "tensorflow" backend; the active backend is "${tf.getBackend()}"`,
      );
    }
    this.tf = tf;
    this.backend = backend as NativeBackend;
    this.b = this.backend.binding;
  }

  /** Whether libtensorflow placed kernels on a GPU. */
  get usingGpu(): boolean {
    return this.b.isUsingGpuDevice();
  }

  protected attrs(key: string, make: () => OpAttr[]): OpAttr[] {
    let a = this.cache.get(key);
    if (!a) this.cache.set(key, (a = make()));
    return a;
  }

  protected run(name: string, attrs: OpAttr[], inputs: Tensor[], outputs: number): Tensor[] {
    this.kernels++;
    return this.backend.executeMultipleOutputs(name, attrs, inputs, outputs);
  }

  protected one(name: string, attrs: OpAttr[], inputs: Tensor[]): Tensor {
    return this.run(name, attrs, inputs, 1)[0] as Tensor;
  }

  protected get T(): OpAttr {
    return { name: "T", type: this.b.TF_ATTR_TYPE, value: this.b.TF_FLOAT };
  }
}
