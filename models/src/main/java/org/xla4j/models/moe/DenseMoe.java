package org.xla4j.models.moe;

import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/** {@link MoeImplementation#DENSE}: all experts on all tokens ({@code [E, N, D]}), gated sum: the reference. */
final class DenseMoe implements MoeImpl {
  @Override
  public Out compute(MoeProblem p) {
    Tensor x = p.x();
    Tensor all = Experts.ffn(x.expandDims(0).broadcastTo(p.numExperts(), p.tokens(), p.model()), p.weights(),
        p.options());
    // gate of expert e for token n: the sum over the token's K slots (at most one matches), rounded to gateDtype
    Tensor slots = p.experts().oneHot((int) p.numExperts(), DType.F32);            // [N, K, E]
    Tensor gates = p.gates().astype(p.options().gateDtype()).astype(DType.F32).expandDims(-1); // [N, K, 1]
    Tensor g = slots.mul(gates).sum(1);                                              // [N, E]
    Tensor out = Jnp.einsum("ne,end->nd", DType.F32, p.options().precision(), g, all.astype(DType.F32));
    return new Out(out.astype(x.dtype()), x.graph().scalar(0L, DType.I32));
  }
}
