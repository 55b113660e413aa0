/**
 * A minimal builder for the small ONNX graphs the cpu fast kernels run: float32 inputs and outputs with static
 * dimensions, operator nodes from the default domain at opset 17 (or ONNX Runtime's `com.microsoft` contrib domain),
 * and 1-D int64 constants (shapes, axes, slice
 * bounds). Weights are graph inputs, never initialisers, so one cached session serves any weights of its shape.
 *
 * @module
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** The ONNX opset every graph here is built against. */
export const ONNX_OPSET = 17;

/** A float attribute; a bare number is written as an int attribute. */
export interface FloatAttr {
  /** The attribute's value. */
  readonly float: number;
}

/** An attribute value: int, float, list of ints, or string. */
export type AttrValue = number | FloatAttr | readonly number[] | string;

/** One operator node. */
export interface NodeSpec {
  /** ONNX operator type, e.g. "Conv". */
  readonly op: string;
  /** Operator domain: "" (default, opset 17) or "com.microsoft" (ONNX Runtime contrib ops, opset 1). @default {""} */
  readonly domain?: "" | "com.microsoft";
  /** Input value names, in the operator's order; "" for an omitted optional input. */
  readonly inputs: readonly string[];
  /** Output value names. */
  readonly outputs: readonly string[];
  /** Attributes by name. */
  readonly attrs?: Readonly<Record<string, AttrValue>>;
}

/** A whole graph: float32 inputs and outputs with static dims, nodes, and int64 constants. */
export interface GraphSpec {
  /** Graph inputs (float32) and their dimensions, in the order the session lists them. */
  readonly inputs: Readonly<Record<string, readonly number[]>>;
  /** Graph outputs (float32) and their dimensions. */
  readonly outputs: Readonly<Record<string, readonly number[]>>;
  /** Nodes in topological order. */
  readonly nodes: readonly NodeSpec[];
  /** 1-D int64 constants by name (Reshape shapes, Slice bounds, ReduceSum axes). */
  readonly int64?: Readonly<Record<string, readonly number[]>>;
}

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const Type = onnx.AttributeProto.AttributeType;
  if (typeof value === "string") return { name, type: Type.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      throw new TypeError(`Cannot encode ONNX attribute "${name}": ${value} is not an integer: expected { float }`);
    }
    return { name, type: Type.INT, i: value };
  }
  if ("float" in value) return { name, type: Type.FLOAT, f: value.float };
  return { name, type: Type.INTS, ints: [...value] };
}

function valueInfo(name: string, dims: readonly number[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } },
    },
  };
}

/**
 * Serialises a graph as an ONNX `ModelProto` (IR version 8, opset {@linkcode ONNX_OPSET}).
 *
 * @param spec The graph.
 * @returns Model bytes for {@linkcode OrtSyncSession}.
 */
export function encodeModel(spec: GraphSpec): Uint8Array {
  const graph: onnxProto.onnx.IGraphProto = {
    name: "screener_kit_nn",
    input: Object.entries(spec.inputs).map(([name, dims]) => valueInfo(name, dims)),
    output: Object.entries(spec.outputs).map(([name, dims]) => valueInfo(name, dims)),
    node: spec.nodes.map((node, k) => ({
      name: `n${k}_${node.op}`,
      opType: node.op,
      domain: node.domain ?? "",
      input: [...node.inputs],
      output: [...node.outputs],
      attribute: Object.entries(node.attrs ?? {}).map(([name, value]) => attribute(name, value)),
    })),
    initializer: Object.entries(spec.int64 ?? {}).map(([name, values]) => ({
      name,
      dims: [values.length],
      dataType: onnx.TensorProto.DataType.INT64,
      int64Data: [...values],
    })),
  };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "screener-kit",
    opsetImport: [
      { domain: "", version: ONNX_OPSET },
      ...(spec.nodes.some((n) => n.domain === "com.microsoft") ? [{ domain: "com.microsoft", version: 1 }] : []),
    ],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
