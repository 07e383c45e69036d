package org.xla4j.autodiff;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.Block;
import org.xla4j.ir.Op;
import org.xla4j.ir.OpException;
import org.xla4j.ir.OpInfo;
import org.xla4j.ir.Operation;
import org.xla4j.ir.Value;
import org.xla4j.types.TensorType;

/**
 * One reverse pass over a sequence of ops: the cotangents found so far, by value, and which values carry a
 * gradient. A traced function's ops are walked by {@link Trace}; a conditional's branch, recomputed inside
 * the backward conditional, is walked by a nested walk whose lookups fall back to the enclosing one (a
 * branch reads values from outside it, and their cotangents go to the enclosing walk).
 */
abstract class Walk {
  final Graph graph;
  private final Map<Value, Tensor> ct = new IdentityHashMap<>();

  Walk(Graph graph) { this.graph = graph; }

  /**
   * The walk over ops copied from a region to be differentiated again (a conditional's branch, a scan's step):
   * a copy is stopped or a customVjp output where the op it copies ({@code original}) is so in {@code outer};
   * {@code active} says which values carry a derivative; nothing inside is treated as a customVjp call.
   */
  static Walk overCopies(Graph graph, Walk outer, Map<Value, Value> original, Predicate<Value> active) {
    return new Walk(graph) {
      @Override boolean isActive(Value v) { return active.test(v); }

      @Override boolean isStopped(Value v) {
        Value from = original.get(v);
        return from != null && outer.isStopped(from);
      }

      @Override boolean isCustomOutput(Value v) {
        Value from = original.get(v);
        return from != null && outer.isCustomOutput(from);
      }

      @Override boolean custom(Operation op) { return false; }
    };
  }

  /** Whether {@code v} carries a gradient (a float value that depends on the primals). */
  abstract boolean isActive(Value v);

  /** Whether {@code v} is a stopGradient result (no cotangent flows through its op). */
  abstract boolean isStopped(Value v);

  /** Whether {@code v} is an output of a customVjp call. */
  abstract boolean isCustomOutput(Value v);

  /** Handles {@code o} when it produces a customVjp's output; true when it did. */
  abstract boolean custom(Operation o);

  /** The cotangent of {@code v} gathered so far, or null. */
  Tensor get(Value v) { return ct.get(v); }

  /** Removes and returns the cotangent of {@code v} (null: none). */
  Tensor take(Value v) { return ct.remove(v); }

  /** Adds {@code c} to the cotangent of {@code v}, whose type it must have. */
  void accumulate(Value v, Tensor c, String from) {
    TensorType want = v.type();
    if (!c.type().equals(want)) {
      throw new OpException(from, "requires a cotangent of " + want + " (the primal's type), got " + c.type(), null);
    }
    ct.merge(v, c, Tensor::add);
  }

  /** Walks {@code ops} backwards, applying each op's rule of {@link VjpRules} where a cotangent reached it. */
  void run(List<Operation> ops) {
    for (int i = ops.size() - 1; i >= 0; i--) {
      Operation o = ops.get(i);
      if (o.results().isEmpty()) continue;
      if (isStopped(o.results().get(0))) continue;
      if (custom(o)) continue;
      List<Tensor> cts = new ArrayList<>(o.results().size());
      boolean any = false;
      for (Value r : o.results()) {
        Tensor c = take(r);
        cts.add(c);
        any |= c != null;
      }
      if (!any) continue;
      List<Value> operands = OpInfo.operands(o.op());
      boolean[] need = new boolean[operands.size()];
      boolean needAny = capturesActive(o.op(), this::isActive);
      for (int j = 0; j < need.length; j++) needAny |= need[j] = isActive(operands.get(j));
      if (!needAny) continue;
      List<Tensor> contributions = VjpRules.vjp(graph, o, cts, need, this);
      for (int j = 0; j < need.length; j++) {
        if (need[j] && contributions.get(j) != null) accumulate(operands.get(j), contributions.get(j), OpInfo.name(o.op()));
      }
    }
  }

  /** Whether a region of {@code op} uses an active value defined outside that region. */
  static boolean capturesActive(Op op, Predicate<Value> active) {
    for (Block r : OpInfo.regions(op)) if (capturesActive(r, r, active)) return true;
    return false;
  }

  private static boolean capturesActive(Block b, Block region, Predicate<Value> active) {
    for (Operation o : b.ops()) {
      for (Value v : OpInfo.operands(o.op())) if (!inside(v.block(), region) && active.test(v)) return true;
      for (Block r : OpInfo.regions(o.op())) if (capturesActive(r, region, active)) return true;
    }
    for (Value v : b.returned()) if (!inside(v.block(), region) && active.test(v)) return true;
    return false;
  }

  static boolean inside(Block b, Block region) {
    for (Block x = b; x != null; x = x.parent()) if (x == region) return true;
    return false;
  }
}
