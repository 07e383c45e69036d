package org.xla4j.autodiff;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.Op;
import org.xla4j.tree.Tree;

/**
 * Gradient checkpointing (jax's {@code checkpoint}/{@code remat}, BPT's {@code policy} and {@code prevent_cse}):
 * a function whose backward recomputes the forward values its policy does not save, from its inputs and the
 * saved values. It is a custom VJP: the forward keeps the inputs and the saved dot results; the backward
 * replays the function on them (dots the policy saved are taken from the residuals, not recomputed) and
 * pulls the cotangents back through the replay. With {@code preventCse} the replay's inputs pass an
 * optimization barrier first, so XLA cannot merge the recomputation with the forward (which would keep the
 * forward's intermediates alive and undo the saving).
 */
final class Remat {
  private Remat() {}

  static Function<Tree<Tensor>, Tree<Tensor>> checkpoint(Function<Tree<Tensor>, Tree<Tensor>> f,
      Autodiff.RematPolicy policy, boolean preventCse) {
    if (policy == Autodiff.RematPolicy.EVERYTHING_SAVEABLE) return f; // nothing to recompute: plain differentiation
    return inputs -> {
      List<String> paths = inputs.paths();
      return Autodiff.customVjp(in -> {
        List<Tensor> saved = new ArrayList<>(); // per dot in emission order: its result, or null when recomputed
        Tree<Tensor> out = Graph.withEmitHook((g, op, plain) -> {
          if (!(op instanceof Op.DotGeneral d)) return null;
          Tensor t = plain.apply(op);
          saved.add(saves(policy, d) ? t : null);
          return t;
        }, () -> f.apply(in));
        Tree.Builder<Tensor> res = Tree.<Tensor>builder().putAll("in", in);
        for (int i = 0; i < saved.size(); i++) if (saved.get(i) != null) res.put("saved/" + i, saved.get(i));
        return Autodiff.Forward.of(out, res.build());
      }, (res, ct) -> {
        Tree<Tensor> in = res.subtree("in");
        Tree<Tensor> kept = res.hasNode("saved") ? res.subtree("saved") : Tree.empty();
        if (preventCse) {
          List<Tensor> all = new ArrayList<>(in.leaves());
          all.addAll(kept.leaves());
          List<Tensor> b = Lax.optimizationBarrier(all.toArray(Tensor[]::new));
          in = Tree.unflatten(in.paths(), b.subList(0, in.size()));
          kept = Tree.unflatten(kept.paths(), b.subList(in.size(), b.size()));
        }
        Tree<Tensor> savedByIndex = kept;
        int[] next = {0};
        Tree<Tensor> replayIn = in;
        Autodiff.Vjp v = Graph.withEmitHook((g, op, plain) -> {
          if (!(op instanceof Op.DotGeneral d)) return null;
          String key = Integer.toString(next[0]++);
          return savedByIndex.contains(key) ? savedDot(g, d, savedByIndex.get(key)) : null;
        }, () -> Autodiff.vjp(f, replayIn));
        return v.pullback(ct);
      }).apply(inputs);
    };
  }

  /** jax's policies: which dot results the forward keeps. */
  private static boolean saves(Autodiff.RematPolicy policy, Op.DotGeneral d) {
    return switch (policy) {
      case NOTHING_SAVEABLE -> false;
      case EVERYTHING_SAVEABLE, DOTS_SAVEABLE, CHECKPOINT_DOTS -> true;
      case DOTS_WITH_NO_BATCH_DIMS_SAVEABLE -> d.dims().lhsBatch().isEmpty();
    };
  }

  /**
   * A dot whose result is the saved value but whose gradient still flows to its (recomputed) operands: a
   * custom VJP with the dot's own rule, so the replay emits no dot for it.
   */
  private static Tensor savedDot(Graph g, Op.DotGeneral d, Tensor saved) {
    Tree<Tensor> operands = Tree.of(Map.of("lhs", g.wrap(d.lhs()), "rhs", g.wrap(d.rhs())));
    return Autodiff.customVjp(in -> Autodiff.Forward.of(Tree.of(Map.of("y", saved)), in), (res, ct) -> {
      Tensor c = ct.find("y").orElseGet(() -> g.zeros(saved.type()));
      Op.DotGeneral again = new Op.DotGeneral(res.get("lhs").value(), res.get("rhs").value(), d.dims(),
          d.lhsPrecision(), d.rhsPrecision(), d.resultType());
      List<Tensor> r = VjpRules.dotVjp(g, again, c);
      Tree.Builder<Tensor> b = Tree.builder();
      if (r.get(0) != null) b.put("lhs", r.get(0));
      if (r.get(1) != null) b.put("rhs", r.get(1));
      return b.build();
    }).apply(operands).get("y");
  }
}
