package org.xla4j.models.moe;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/**
 * {@link MoeImplementation#FEW_TOKENS}: each of the N·K token copies runs one row through its own expert's
 * matrices, so only the chosen experts' weights are read; for decode. {@link MoeOptions#fewTokens()} picks
 * how the weights are selected: one gather of {@code [N·K, D, F]} ({@link FewTokensForm#GATHER}), or a
 * {@code dynamic_slice} of one expert per copy, unrolled ({@link FewTokensForm#SLICE}) or in a loop
 * ({@link FewTokensForm#SLICE_LOOP}), or sliced per copy with the matvecs as reductions
 * ({@link FewTokensForm#REDUCE}). A gather may be written out as a copy before the dot; a dynamic
 * slice feeding a dot is what XLA's dynamic-slice fusion keeps copy-free.
 */
final class FewTokensMoe implements MoeImpl {
  /** SLICE unrolls one FFN per copy; past this many copies the program grows too large to be worth it. */
  static final long MAX_UNROLLED_COPIES = 256;

  @Override
  public Out compute(MoeProblem p) {
    long n = p.tokens();
    int k = p.topK();
    Tensor ids = p.experts().reshape(n * k);
    Tensor y = switch (p.options().fewTokens()) {
      case GATHER -> gathered(p, ids);
      case SLICE -> unrolled(p, ids);
      case SLICE_LOOP -> looped(p, ids);
      case REDUCE -> reduced(p, ids);
    };
    return new Out(Experts.combine(y.reshape(n, k, p.model()), p.gates(), p.x().dtype(), p.options()),
        p.x().graph().scalar(0L, DType.I32));
  }

  private static Tensor gathered(MoeProblem p, Tensor ids) {
    long copies = ids.dim(0);
    Tensor rows = p.x().expandDims(1).broadcastTo(p.tokens(), p.topK(), p.model()).reshape(copies, 1, p.model());
    MoeWeights picked = p.weights().mapExperts(t -> t.take(ids, 0));
    return Experts.ffn(rows, picked, p.options());
  }

  /** Copy j: token j / K through expert ids[j], one row, [1, 1, D]. */
  private static Tensor one(MoeProblem p, Tensor ids, Tensor j) {
    Tensor ex = ids.dynamicSlice(0, j, 1).reshape();
    Tensor row = p.x().dynamicSlice(0, j.intDiv((long) p.topK()), 1).expandDims(0);
    return Experts.ffn(row, p.weights().mapExperts(t -> t.dynamicSlice(0, ex, 1)), p.options());
  }

  private static void checkUnrolled(long copies, String form) {
    if (copies > MAX_UNROLLED_COPIES) {
      throw Moe.error("FEW_TOKENS with form " + form + " unrolls one FFN per token copy; N·K = " + copies + " copies is"
          + " more than " + MAX_UNROLLED_COPIES + " (use SLICE_LOOP, or DROPLESS/DENSE for this many tokens)");
    }
  }

  private static Tensor unrolled(MoeProblem p, Tensor ids) {
    long copies = ids.dim(0);
    checkUnrolled(copies, "SLICE");
    Graph g = ids.graph();
    List<Tensor> ys = new ArrayList<>();
    for (long j = 0; j < copies; j++) ys.add(one(p, ids, g.scalar(j, DType.I32)).reshape(1, p.model()));
    return Jnp.stack(0, ys).reshape(copies, p.model());
  }

  /** Copy by copy, each a {@code [D]} row through its expert as reductions ({@link ReducedExperts}). */
  private static Tensor reduced(MoeProblem p, Tensor ids) {
    long copies = ids.dim(0);
    checkUnrolled(copies, "REDUCE");
    Graph g = ids.graph();
    List<Tensor> ys = new ArrayList<>();
    for (long j = 0; j < copies; j++) {
      Tensor ex = ids.dynamicSlice(0, g.scalar(j, DType.I32), 1).reshape();
      Tensor row = p.x().dynamicSlice(0, g.scalar(j / p.topK(), DType.I32), 1).reshape(p.model());
      ys.add(ReducedExperts.ffn(row, p.weights().mapExperts(t -> t.dynamicSlice(0, ex, 1)), p.options()).reshape(1, p.model()));
    }
    return Jnp.stack(0, ys).reshape(copies, p.model());
  }

  private static Tensor looped(MoeProblem p, Tensor ids) {
    Graph g = ids.graph();
    long copies = ids.dim(0);
    Tensor zero = g.scalar(0L, DType.I32);
    return Lax.foriLoop(0, (int) copies, g.zeros(p.x().dtype(), copies, p.model()),
        (j, acc) -> acc.dynamicUpdateSlice(one(p, ids, j).reshape(1, p.model()), j, zero));
  }
}
