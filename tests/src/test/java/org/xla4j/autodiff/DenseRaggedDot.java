package org.xla4j.autodiff;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.ir.Block;
import org.xla4j.ir.Cloner;
import org.xla4j.ir.Func;
import org.xla4j.ir.Op;
import org.xla4j.ir.Operation;
import org.xla4j.ir.Value;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Test oracle for programs with {@code chlo.ragged_dot}, which TensorFlow 2.18's XLA CPU does not compile: the
 * function is copied into a new graph op by op, each ragged_dot replaced by its definition written densely
 * (every row times every group's matrix, then the row's own group picked by a one-hot mask). O(g·m·k·n): for
 * small test sizes only. Everything else, the VJP rules' output included, is copied as built.
 */
public final class DenseRaggedDot {
  private DenseRaggedDot() {}

  /** The text of {@code g}'s function returning {@code outs}, with every ragged_dot (top-level ops) expanded. */
  public static String print(Graph g, List<Tensor> outs) {
    Func f = g.build(outs.toArray(Tensor[]::new)).main();
    Graph d = new Graph(g.name() + "_dense_ragged");
    Cloner c = new Cloner(d.raw());
    Block body = f.body();
    for (int i = 0; i < body.args().size(); i++) c.map(body.args().get(i), d.parameter(f.argTypes().get(i)).value());
    for (Operation o : body.ops()) {
      if (o.op() instanceof Op.RaggedDot r) {
        c.map(o.results().get(0), dense(d, d.wrap(c.get(r.lhs())), d.wrap(c.get(r.rhs())), d.wrap(c.get(r.groupSizes())),
            o.results().get(0).type()).value());
      } else {
        c.copy(o);
      }
    }
    List<Tensor> results = new ArrayList<>();
    for (Value v : body.returned()) results.add(d.wrap(c.get(v)));
    return StableHloPrinter.print(d.build(results.toArray(Tensor[]::new)), EmitOptions.unsharded());
  }

  /** {@code out[r] = lhs[r] · rhs[group(r)]}, 0 for rows past the last group. */
  static Tensor dense(Graph g, Tensor lhs, Tensor rhs, Tensor sizes, TensorType result) {
    long m = lhs.dim(0);
    long groups = rhs.dim(0);
    Tensor ends = sizes.astype(DType.I32).cumsum(0);
    Tensor row = g.iota(TensorType.of(DType.I32, m), 0);
    Tensor group = ends.reshape(1, groups).le(row.reshape(m, 1)).astype(DType.I32).sum(1);       // groups: past the end
    Tensor mask = group.oneHot((int) groups, result.dtype());                                   // [m, g]
    Tensor all = Jnp.einsum("mk,gkn->gmn", result.dtype(), lhs, rhs);
    return Jnp.einsum("mg,gmn->mn", result.dtype(), mask, all);
  }
}
