package org.xla4j.models.attention;

/** {@link Mechanism#CUSTOM}: hands the normalized problem to the user's kernel. */
record CustomAttention(AttentionKernel kernel) implements AttentionImpl {
  @Override
  public AttentionResult compute(AttentionProblem p) {
    org.xla4j.dsl.Tensor out = kernel.apply(p);
    org.xla4j.types.Shape want = org.xla4j.types.Shape.of(p.batch(), p.qLength(), p.heads(), p.valueDim());
    if (out == null || !out.shape().equals(want)) {
      throw Attention.error("a CUSTOM kernel must return " + want + ", got " + (out == null ? "null" : out.type()));
    }
    return new AttentionResult(out, null, null);
  }
}
