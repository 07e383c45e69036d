package org.xla4j.models.attention;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.Op;
import org.xla4j.ir.Value;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * CUDNN attention's backward as JAX's cuDNN lowering emits it: {@code __cudnn$fmhaSoftmaxBackward} (or
 * {@code ...ScaleBiasSoftmaxBackward} with a bias), api_version 2, operands {@code q, k, v} (BTNH), the
 * forward's f32 softmax statistics [B, H, Sq], {@code dO} (BTNH), the bias if any, and the forward output
 * O (BTNH), all row-major; results dq [B, H, Sq, D], dk [B, Hkv, Sk, D], dv [B, Hkv, Sk, D] in the inputs'
 * dtype with layout {3,1,2,0} (physically BTNH, transposed back here) and a {@code tensor<0xui8>}
 * workspace. The bias is not differentiated (no dbias result): CUDNN's callers differentiate q, k and v.
 */
final class CudnnGrad {
  private CudnnGrad() {}

  /** dq, dk, dv (BTNH, q/k/v's types) from the residuals {q, k, v, stats, out} and {@code dOut} (q's dtype). */
  static Tree<Tensor> backward(AttentionProblem p, Tree<Tensor> res, Tensor dOut, Tensor bias) {
    Tensor q = res.get("q");
    Tensor k = res.get("k");
    Tensor v = res.get("v");
    Graph g = q.graph();
    DType dt = q.dtype();
    long b = p.batch();
    long h = p.heads();
    long hkv = p.kvHeads();
    long sq = p.qLength();
    long sk = p.keyLength();
    List<Tensor> operands = new ArrayList<>(List.of(q, k, v, res.get("stats"), dOut));
    if (bias != null) operands.add(bias);
    operands.add(res.get("out"));
    String target = bias == null ? "__cudnn$fmhaSoftmaxBackward" : "__cudnn$fmhaScaleBiasSoftmaxBackward";
    List<TensorType> results = List.of(TensorType.of(dt, b, h, sq, p.headDim()),
        TensorType.of(k.dtype(), b, hkv, sk, p.headDim()), TensorType.of(v.dtype(), b, hkv, sk, p.valueDim()),
        TensorType.of(DType.U8, 0));
    List<Integer> btnh = List.of(3, 1, 2, 0);
    List<List<Integer>> resultLayouts = List.of(btnh, btnh, btnh, List.of(0));
    List<Value> r = g.raw().emit(new Op.CustomCall(target, operands.stream().map(Tensor::value).toList(), results, 2,
        CudnnBackendConfig.backward(b, h, sq, sk, dt, p.scale(), p.options().causal()).toJson(), false,
        operands.stream().map(t -> CudnnAttention.majorToMinor(t.rank())).toList(), resultLayouts));
    return Tree.of(Map.of("q", g.wrap(r.get(0)).transpose(0, 2, 1, 3), "k", g.wrap(r.get(1)).transpose(0, 2, 1, 3),
        "v", g.wrap(r.get(2)).transpose(0, 2, 1, 3)));
  }
}
