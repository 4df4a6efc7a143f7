"""Operators → work the simulator can cost: GEMMs for the array, element counts for the host core.

- CONV_2D: im2col GEMM with M = OH·OW (output pixels), K = KH·KW·IC (window), N = OC.
- FULLY_CONNECTED: GEMM with M = batch rows, K = inputs, N = outputs.
- DEPTHWISE_CONV_2D: one GEMM per channel (M = OH·OW, K = KH·KW, N = 1). A plain systolic
  array shares each input row across its columns, and a depthwise output channel needs its
  own input channel, so channels cannot share a fold; this is also SCALE-Sim's mapping of
  depthwise (`DP`) layers. Expect low utilisation: it is why NPUs add depthwise units.
- Everything else runs on the host core at `cycles_per_element` per output element (pooling
  also pays for its window); an operator with no declared cost uses the documented default.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinybench.workloads.tflite_graph import ModelGraph, OperatorInfo


@dataclass(frozen=True)
class Gemm:
    m: int
    k: int
    n: int
    repeats: int = 1  # identical GEMMs in a row (depthwise channels)

    @property
    def macs(self) -> int:
        return self.m * self.k * self.n * self.repeats


@dataclass(frozen=True)
class Layer:
    index: int
    op_type: str
    shape: str  # e.g. "49x10x1 → 25x5x64, 10x4 s2"
    gemm: Gemm | None  # None: host core
    input_bytes: int
    weight_bytes: int
    output_bytes: int
    output_elements: int
    window: int = 1  # pooling window size (host cost per output element)
    scalesim: dict | None = None  # the layer in SCALE-Sim's terms (for cross-checks)


def _dims(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in (shape[1:] if len(shape) > 1 and shape[0] == 1 else shape))


def _bytes(tensor) -> int:  # noqa: ANN001
    return tensor.elements * {"int8": 1, "uint8": 1, "int16": 2, "int32": 4, "float32": 4}.get(tensor.dtype, 4)


def map_operator(op: OperatorInfo, array_ops: tuple[str, ...]) -> Layer:
    out = op.outputs[0]
    activations = [t for t in op.inputs if not t.is_constant]
    constants = [t for t in op.inputs if t.is_constant]
    input_bytes = sum(_bytes(t) for t in activations)
    weight_bytes = sum(_bytes(t) for t in constants)
    shape = f"{' + '.join(_dims(t.shape) for t in activations)} → {_dims(out.shape)}"
    gemm = scalesim = None
    window = 1
    if op.op_type in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        _, oh, ow, oc = out.shape
        w = op.inputs[1].shape
        kh, kw = w[1], w[2]
        sh, sw = op.options.get("strideH", 1), op.options.get("strideW", 1)
        shape += f", {kh}x{kw} s{sh}" + (f"x{sw}" if sw != sh else "")
        padded = ((oh - 1) * sh + kh, (ow - 1) * sw + kw)  # SCALE-Sim takes no padding: the padded input
        if op.op_type == "CONV_2D":
            ic = w[3]
            gemm = Gemm(oh * ow, kh * kw * ic, oc)
            scalesim = {"kind": "conv", "ifmap": padded, "filter": (kh, kw), "channels": ic, "filters": oc,
                        "stride": sh}
        else:
            gemm = Gemm(oh * ow, kh * kw, 1, repeats=oc)
            scalesim = {"kind": "dw", "ifmap": padded, "filter": (kh, kw), "channels": oc, "filters": 1,
                        "stride": sh}
    elif op.op_type == "FULLY_CONNECTED":
        w = op.inputs[1].shape
        rows = out.elements // w[0]
        gemm = Gemm(rows, w[1], w[0])
        scalesim = {"kind": "gemm", "m": rows, "n": w[0], "k": w[1]}
    elif op.op_type in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        window = op.options.get("filterHeight", 1) * op.options.get("filterWidth", 1)
    if gemm is not None and op.op_type not in array_ops:
        gemm = None  # configured to run on the host core
    return Layer(op.index, op.op_type, shape, gemm, input_bytes, weight_bytes, _bytes(out), out.elements, window,
                 scalesim)


def map_graph(graph: ModelGraph, array_ops: tuple[str, ...]) -> list[Layer]:
    return [map_operator(op, array_ops) for op in graph.operators]
