package org.xla4j.models.moe;

import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/**
 * {@link MoeImplementation#FEW_TOKENS}: each of the N·K token copies gathers its own expert's matrices
 * ({@code [N·K, D, F]}) and runs a batched matmul of one row: reads K of E experts per token, for decode.
 */
final class FewTokensMoe implements MoeImpl {
  @Override
  public Out compute(MoeProblem p) {
    long n = p.tokens();
    int k = p.topK();
    Tensor ids = p.experts().reshape(n * k);
    Tensor rows = p.x().expandDims(1).broadcastTo(n, k, p.model()).reshape(n * k, 1, p.model());
    MoeWeights picked = p.weights().mapExperts(t -> t.take(ids, 0));
    Tensor y = Experts.ffn(rows, picked, p.options()).reshape(n, k, p.model());
    return new Out(Experts.combine(y, p.gates(), p.x().dtype()), p.x().graph().scalar(0L, DType.I32));
  }
}
