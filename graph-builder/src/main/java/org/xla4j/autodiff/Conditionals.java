package org.xla4j.autodiff;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.LoopTracing;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.Block;
import org.xla4j.ir.Cloner;
import org.xla4j.ir.Op;
import org.xla4j.ir.OpException;
import org.xla4j.ir.OpInfo;
import org.xla4j.ir.Operation;
import org.xla4j.ir.Value;

/**
 * The VJP of {@code stablehlo.if} and {@code stablehlo.case}. Their branches take no arguments: they read
 * values from outside (captures), and those are what gets cotangents. The backward is a conditional on the
 * same predicate or index; each of its branches recomputes its forward branch's ops (a branch's values are
 * not visible from a sibling region), walks them in reverse from the result cotangents, and returns the
 * cotangents of every differentiated capture of any branch (zeros for those it does not read). So only the
 * branch taken runs, forward and backward, as in jax.
 */
final class Conditionals {
  private Conditionals() {}

  /** Cotangents of the op's operands (none: the predicate or index is discrete); captures' go to {@code outer}. */
  static List<Tensor> vjp(Graph g, Operation o, List<Tensor> cts, Walk outer) {
    List<Block> branches = OpInfo.regions(o.op());
    Set<Value> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Value> captured = new ArrayList<>();
    for (Block b : branches) {
      for (Value v : LoopTracing.captures(b)) if (outer.isActive(v) && seen.add(v)) captured.add(v);
    }
    List<Tensor> none = new ArrayList<>(Collections.nCopies(OpInfo.operands(o.op()).size(), null));
    if (captured.isEmpty()) return none;
    List<Block> back = new ArrayList<>();
    for (Block b : branches) back.add(g.raw().region(List.of(), false, ignored -> branch(g, o, b, cts, outer, captured)));
    List<Value> r = switch (o.op()) {
      case Op.If i -> g.raw().emit(new Op.If(i.pred(), back.get(0), back.get(1)));
      case Op.Case c -> g.raw().emit(new Op.Case(c.index(), back));
      default -> throw new IllegalStateException("Conditionals: not a conditional: " + OpInfo.name(o.op()));
    };
    for (int i = 0; i < captured.size(); i++) outer.accumulate(captured.get(i), g.wrap(r.get(i)), OpInfo.name(o.op()));
    return none;
  }

  /** One backward branch: recompute {@code b}, pull {@code cts} back through it, return the captures' cotangents. */
  private static List<Value> branch(Graph g, Operation o, Block b, List<Tensor> cts, Walk outer, List<Value> captured) {
    Cloner c = new Cloner(g.raw());
    Map<Value, Value> original = new IdentityHashMap<>();
    List<Operation> copies = copyOps(c, b, original);
    Set<Value> active = Collections.newSetFromMap(new IdentityHashMap<>());
    Walk inner = Walk.overCopies(g, outer, original, v -> active.contains(v) || outer.isActive(v));
    for (Operation copy : copies) {
      Value first = copy.results().get(0);
      if (inner.isCustomOutput(first)) {
        // its backward's residuals live in the forward branch, which the backward branch cannot see
        throw new OpException(OpInfo.name(o.op()), "not differentiable: a customVjp (also Autodiff.checkpoint and"
            + " Autodiff.scan, which are built on it, and a Lax.scan whose step holds one) inside a conditional's"
            + " branch is not differentiated;"
            + " move it out of the branch or compute both sides and pick with Jnp.where", o.location());
      }
      if (inner.isStopped(first)) continue;
      boolean any = OpInfo.operands(copy.op()).stream().anyMatch(inner::isActive)
          || Walk.capturesActive(copy.op(), inner::isActive);
      if (any) for (Value r : copy.results()) if (r.type().dtype().isFloat()) active.add(r);
    }
    for (int i = 0; i < cts.size(); i++) {
      Value ret = c.get(b.returned().get(i));
      if (cts.get(i) != null && inner.isActive(ret)) inner.accumulate(ret, cts.get(i), OpInfo.name(o.op()) + " result");
    }
    inner.run(copies);
    List<Value> out = new ArrayList<>();
    for (Value v : captured) {
      Tensor ct = inner.get(v);
      out.add((ct != null ? ct : g.zeros(v.type())).value());
    }
    return out;
  }

  /**
   * Copies {@code b}'s ops with {@code c} (a branch or a scan step, recomputed for its backward) and returns the
   * copies that have results, recording in {@code original} which value each copied value stands for.
   */
  static List<Operation> copyOps(Cloner c, Block b, Map<Value, Value> original) {
    List<Operation> copies = new ArrayList<>();
    for (Operation op : b.ops()) {
      List<Value> rs = c.copy(op);
      if (rs.isEmpty()) continue; // no results: nothing can flow through it
      List<Operation> ops = rs.get(0).block().ops();
      Operation copy = ops.get(ops.size() - 1);
      copies.add(copy);
      pair(op, copy, original);
    }
    return copies;
  }

  /** Maps every value {@code copy} (and the ops in its regions) defines to the value of {@code op} it copies. */
  static void pair(Operation op, Operation copy, Map<Value, Value> original) {
    for (int i = 0; i < op.results().size(); i++) original.put(copy.results().get(i), op.results().get(i));
    List<Block> a = OpInfo.regions(op.op());
    List<Block> b = OpInfo.regions(copy.op());
    for (int r = 0; r < a.size(); r++) {
      for (int i = 0; i < a.get(r).args().size(); i++) original.put(b.get(r).args().get(i), a.get(r).args().get(i));
      for (int k = 0; k < a.get(r).ops().size(); k++) pair(a.get(r).ops().get(k), b.get(r).ops().get(k), original);
    }
  }
}
