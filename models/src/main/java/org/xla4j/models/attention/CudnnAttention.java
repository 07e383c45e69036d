package org.xla4j.models.attention;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.Op;
import org.xla4j.ir.Value;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * {@link Mechanism#CUDNN}: XLA's cuDNN fused (flash) attention, emitted as JAX's cuDNN lowering emits
 * it: {@code stablehlo.custom_call @__cudnn$fmhaSoftmax} (or {@code ...ScaleBiasSoftmax} with a bias),
 * api_version 2, a JSON backend_config, inputs BTNH, output [B, H, Sq, D] with layout {3,1,2,0}
 * (physically BTNH) plus a {@code tensor<0xui8>} workspace; a transpose returns BTNH.
 *
 * <p>What cuDNN takes: bf16/f16, head_dim a multiple of 8 up to 128, equal q/k/v head dims, GQA (kv
 * heads dividing heads), causal (Sq = Sk), a bias. Not taken (error naming VANILLA/BLOCKWISE): bool/integer masks (a float
 * additive mask arrives as bias and is taken), segment ids,
 * soft-capping, dropout, returned weights. Only a CUDA backend has the custom call; XLA CPU fails with
 * "No registered implementation for untyped custom call to __cudnn$fmhaSoftmax for Host".
 */
final class CudnnAttention implements AttentionImpl {
  @Override
  public AttentionResult compute(AttentionProblem p) {
    AttentionOptions o = p.options();
    DType dt = p.q().dtype();
    if (dt != DType.BF16 && dt != DType.F16) reject("bf16 or f16 q/k/v, got " + p.q().type());
    if (p.headDim() % 8 != 0 || p.headDim() > 128 || p.valueDim() != p.headDim()) {
      reject("a head_dim that is a multiple of 8, at most 128, equal for q/k/v; got q " + p.q().type() + ", v "
          + p.v().type());
    }
    if (p.mask() != null) {
      reject("no bool or integer mask tensor (pass an additive float mask, 0 keeps and -1e9 hides, which cuDNN "
          + "takes as a bias)");
    }
    if (p.qSegmentIds() != null) reject("no segment ids");
    if (o.logitSoftCap() > 0) reject("no logit soft-cap");
    if (p.dropoutKey() != null) reject("no dropout with an explicit key");
    if (o.causal() && p.qLength() != p.keyLength()) {
      reject("equal query and key lengths with causal (cuDNN's causal alignment for Sq != Sk is not the top-left "
          + "one the other mechanisms use), got Sq " + p.qLength() + ", Sk " + p.keyLength());
    }

    Graph g = p.q().graph();
    long b = p.batch();
    long h = p.heads();
    long sq = p.qLength();
    long sk = p.keyLength();
    List<Tensor> operands = new ArrayList<>(List.of(p.q(), p.k(), p.v()));
    if (p.bias() != null) {
      // [b, hkv|1, g|1, sq|1, sk|1] -> [b, H|1, Sq, Sk] in the inputs' dtype
      Tensor bias = p.bias();
      long bh = bias.dim(1) == 1 ? 1 : h;
      bias = bias.reshape(bias.dim(0), bh, bias.dim(3), bias.dim(4)).broadcastTo(bias.dim(0), bh, sq, sk).astype(dt);
      operands.add(bias);
    }
    String target = p.bias() == null ? "__cudnn$fmhaSoftmax" : "__cudnn$fmhaScaleBiasSoftmax";
    List<TensorType> results = List.of(TensorType.of(dt, b, h, sq, p.headDim()), TensorType.of(DType.U8, 0));
    List<List<Integer>> operandLayouts = operands.stream().map(t -> majorToMinor(t.rank())).toList();
    List<List<Integer>> resultLayouts = List.of(List.of(3, 1, 2, 0), List.of(0));
    List<Value> vs = operands.stream().map(Tensor::value).toList();
    List<Value> r = g.raw().emit(new Op.CustomCall(target, vs, results, 2,
        CudnnBackendConfig.forward(b, h, sq, sk, dt, p.scale(), o.causal()).toJson(), false, operandLayouts, resultLayouts));
    Tensor out = g.wrap(r.get(0)).transpose(0, 2, 1, 3);
    if (o.attnOutputMultiplier() != 1.0) out = out.mul(o.attnOutputMultiplier()).astype(dt);
    return new AttentionResult(out, null, null);
  }

  private static void reject(String what) {
    throw Attention.error("mechanism CUDNN requires " + what + "; use VANILLA or BLOCKWISE for this call");
  }

  private static List<Integer> majorToMinor(int rank) {
    List<Integer> l = new ArrayList<>();
    for (int i = rank - 1; i >= 0; i--) l.add(i);
    return l;
  }
}
