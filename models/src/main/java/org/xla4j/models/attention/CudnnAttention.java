package org.xla4j.models.attention;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.Op;
import org.xla4j.ir.Value;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * {@link Mechanism#CUDNN}: XLA's cuDNN fused (flash) attention, emitted as JAX's cuDNN lowering emits
 * it: {@code stablehlo.custom_call @__cudnn$fmhaSoftmax} (or {@code ...ScaleBiasSoftmax} with a bias),
 * api_version 2, a JSON backend_config, inputs BTNH, output [B, H, Sq, D] with layout {3,1,2,0}
 * (physically BTNH) plus a {@code tensor<0xui8>} workspace; a transpose returns BTNH.
 *
 * <p>Differentiated ({@link Autodiff#isDifferentiating()}), it is a {@link Autodiff#customVjp}: the
 * forward is the training variant, which also returns the softmax statistics (f32 [B, H, Sq]), and the
 * backward is {@code __cudnn$fmha…Backward} ({@link CudnnGrad}), so neither direction builds S × S.
 *
 * <p>What cuDNN takes: bf16/f16, head_dim a multiple of 8 up to 128, equal q/k/v head dims, GQA (kv
 * heads dividing heads), causal (Sq = Sk), a bias (differentiated: with even Sq and Sk). Not taken (error
 * naming VANILLA/BLOCKWISE): bool/integer masks (a float additive mask arrives as bias and is taken),
 * segment ids, soft-capping, dropout, returned weights. Only a CUDA backend has the custom call; XLA CPU
 * fails with "No registered implementation for untyped custom call to __cudnn$fmhaSoftmax for Host".
 */
final class CudnnAttention implements AttentionImpl {
  @Override
  public AttentionResult compute(AttentionProblem p) {
    validate(p);
    Tensor bias = bias(p);
    if (!Autodiff.isDifferentiating()) {
      return new AttentionResult(finish(p, forward(p, p.q(), p.k(), p.v(), bias, false).get(0)), null, null);
    }
    if (bias != null && (p.qLength() % 2 != 0 || p.keyLength() % 2 != 0)) {
      // cuDNN's flash backward with a bias takes only even lengths (JAX checks the same when training)
      reject("even query and key lengths with a bias when differentiated, got Sq " + p.qLength() + ", Sk "
          + p.keyLength());
    }
    Tree<Tensor> in = Tree.of(Map.of("q", p.q(), "k", p.k(), "v", p.v()));
    Tensor out = Autodiff.customVjp(x -> {
      List<Tensor> r = forward(p, x.get("q"), x.get("k"), x.get("v"), bias, true);
      Tree<Tensor> res = Tree.of(Map.of("q", x.get("q"), "k", x.get("k"), "v", x.get("v"), "stats", r.get(1),
          "out", r.get(0)));
      return Autodiff.Forward.of(Tree.of(Map.of("out", finish(p, r.get(0)))), res);
    }, (res, ct) -> {
      Tensor dOut = ct.get("out");
      // out = multiplier * O, so cuDNN's dO is multiplier * d(out); O stays the kernel's own output
      if (p.options().attnOutputMultiplier() != 1.0) dOut = dOut.mul(p.options().attnOutputMultiplier());
      return CudnnGrad.backward(p, res, dOut.astype(p.q().dtype()), bias);
    }).apply(in).get("out");
    return new AttentionResult(out, null, null);
  }

  private static void validate(AttentionProblem p) {
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
  }

  /** The bias operand: [b, hkv|1, g|1, sq|1, sk|1] -> [b, H|1, Sq, Sk] in the inputs' dtype, or null. */
  private static Tensor bias(AttentionProblem p) {
    Tensor bias = p.bias();
    if (bias == null) return null;
    long bh = bias.dim(1) == 1 ? 1 : p.heads();
    return bias.reshape(bias.dim(0), bh, bias.dim(3), bias.dim(4))
        .broadcastTo(bias.dim(0), bh, p.qLength(), p.keyLength()).astype(p.q().dtype());
  }

  /**
   * The forward custom call on BTNH q, k, v: O in BTNH, then (training) the f32 softmax statistics
   * [B, H, Sq]. The training variant has the same target and config, with the statistics as a second result.
   */
  private static List<Tensor> forward(AttentionProblem p, Tensor q, Tensor k, Tensor v, Tensor bias, boolean training) {
    Graph g = q.graph();
    DType dt = q.dtype();
    long b = p.batch();
    long h = p.heads();
    long sq = p.qLength();
    List<Tensor> operands = new ArrayList<>(List.of(q, k, v));
    if (bias != null) operands.add(bias);
    String target = bias == null ? "__cudnn$fmhaSoftmax" : "__cudnn$fmhaScaleBiasSoftmax";
    List<TensorType> results = new ArrayList<>(List.of(TensorType.of(dt, b, h, sq, p.headDim())));
    List<List<Integer>> resultLayouts = new ArrayList<>(List.of(List.of(3, 1, 2, 0)));
    if (training) {
      results.add(TensorType.of(DType.F32, b, h, sq));
      resultLayouts.add(majorToMinor(3));
    }
    results.add(TensorType.of(DType.U8, 0));
    resultLayouts.add(List.of(0));
    List<Value> r = g.raw().emit(new Op.CustomCall(target, operands.stream().map(Tensor::value).toList(), results, 2,
        CudnnBackendConfig.forward(b, h, sq, p.keyLength(), dt, p.scale(), p.options().causal()).toJson(), false,
        operands.stream().map(t -> majorToMinor(t.rank())).toList(), resultLayouts));
    Tensor out = g.wrap(r.get(0)).transpose(0, 2, 1, 3);
    return training ? List.of(out, g.wrap(r.get(1))) : List.of(out);
  }

  private static Tensor finish(AttentionProblem p, Tensor out) {
    double m = p.options().attnOutputMultiplier();
    return m == 1.0 ? out : out.mul(m).astype(out.dtype());
  }

  static void reject(String what) {
    throw Attention.error("mechanism CUDNN requires " + what + "; use VANILLA or BLOCKWISE for this call");
  }

  static List<Integer> majorToMinor(int rank) {
    List<Integer> l = new ArrayList<>();
    for (int i = rank - 1; i >= 0; i--) l.add(i);
    return l;
  }
}
