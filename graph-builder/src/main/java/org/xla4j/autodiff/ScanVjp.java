package org.xla4j.autodiff;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.Block;
import org.xla4j.ir.Cloner;
import org.xla4j.ir.Op;
import org.xla4j.ir.OpException;
import org.xla4j.ir.OpInfo;
import org.xla4j.ir.Operation;
import org.xla4j.ir.Value;
import org.xla4j.types.TensorType;

/**
 * The VJP of {@link Op.Scan}, by recomputation. The forward scan keeps only its final carry, so the backward
 * first runs the scan again with the carry entering each step stacked as extra ys; then a reverse scan walks
 * the steps last to first: its body recomputes one step's ops from that step's saved carry (a step's
 * intermediates are never stored across steps), walks them backwards from the carry's and the step's ys'
 * cotangents with {@link VjpRules}, and carries the carry's cotangent to the step before and the sum of the
 * consts' cotangents. The xs' cotangents come out as its stacked ys. Memory: one carry per step, as in jax.
 */
final class ScanVjp {
  private ScanVjp() {}

  static List<Tensor> vjp(Graph g, Operation o, Op.Scan sc, List<Tensor> cts, Walk outer) {
    int nc = sc.init().size();
    int nx = sc.xs().size();
    int nk = sc.consts().size();
    Block body = sc.body();
    List<Value> ret = body.returned();
    int ny = ret.size() - nc;
    List<Tensor> out = new ArrayList<>(Collections.nCopies(nc + nx + nk, null));
    List<Integer> fc = new ArrayList<>(); // float carries: they take cotangents
    for (int i = 0; i < nc; i++) if (sc.init().get(i).type().dtype().isFloat()) fc.add(i);
    List<Integer> ak = new ArrayList<>(); // consts that need cotangents
    for (int k = 0; k < nk; k++) if (outer.isActive(sc.consts().get(k))) ak.add(k);
    List<Integer> ax = new ArrayList<>(); // xs that need cotangents
    for (int k = 0; k < nx; k++) if (outer.isActive(sc.xs().get(k))) ax.add(k);
    List<Integer> cy = new ArrayList<>(); // ys whose cotangent flowed
    for (int m = 0; m < ny; m++) if (cts.get(nc + m) != null) cy.add(m);
    if (sc.length() == 0) {
      // no step ran: the final carry is the initial one
      for (int i : fc) out.set(i, cts.get(i));
      return out;
    }
    // 1. the forward again, stacking the carry entering each step
    List<TensorType> argTypes = body.args().stream().map(Value::type).toList();
    Block again = g.raw().region(argTypes, true, args -> {
      Cloner c = new Cloner(g.raw());
      for (int a = 0; a < args.size(); a++) c.map(body.args().get(a), args.get(a));
      for (Operation op : body.ops()) c.copy(op);
      List<Value> r = new ArrayList<>();
      for (Value v : ret) r.add(c.get(v));
      r.addAll(args.subList(0, nc));
      return r;
    });
    List<Value> fwd = g.raw().emit(new Op.Scan(sc.init(), sc.xs(), sc.consts(), sc.length(), again), o.location());
    List<Value> carries = fwd.subList(nc + ny, fwd.size());
    // 2. the reverse scan
    List<Value> init = new ArrayList<>();
    for (int i : fc) init.add((cts.get(i) != null ? cts.get(i) : g.zeros(sc.init().get(i).type())).value());
    for (int k : ak) init.add(g.zeros(sc.consts().get(k).type()).value());
    List<Value> xs = new ArrayList<>();
    for (Value v : carries) xs.add(g.wrap(v).reverse(0).value());
    for (Value v : sc.xs()) xs.add(g.wrap(v).reverse(0).value());
    for (int m : cy) xs.add(cts.get(nc + m).reverse(0).value());
    List<TensorType> revTypes = new ArrayList<>();
    for (Value v : init) revTypes.add(v.type());
    for (Value v : xs) revTypes.add(v.type().withShape(v.type().shape().without(0)));
    for (Value v : sc.consts()) revTypes.add(v.type());
    int ni = init.size();
    Block reverse = g.raw().region(revTypes, true, args -> step(g, o, sc, args, fc, ak, ax, cy, outer));
    List<Value> r = g.raw().emit(new Op.Scan(init, xs, sc.consts(), sc.length(), reverse), o.location());
    for (int j = 0; j < fc.size(); j++) out.set(fc.get(j), g.wrap(r.get(j)));
    for (int j = 0; j < ak.size(); j++) out.set(nc + nx + ak.get(j), g.wrap(r.get(fc.size() + j)));
    for (int j = 0; j < ax.size(); j++) out.set(nc + ax.get(j), g.wrap(r.get(ni + j)).reverse(0));
    return out;
  }

  /** One backward step: recompute the step from its carry, pull the cotangents back through it. */
  private static List<Value> step(Graph g, Operation o, Op.Scan sc, List<Value> args, List<Integer> fc,
      List<Integer> ak, List<Integer> ax, List<Integer> cy, Walk outer) {
    int nc = sc.init().size();
    int nx = sc.xs().size();
    Block body = sc.body();
    int ni = fc.size() + ak.size();
    List<Value> carry = args.subList(ni, ni + nc);
    List<Value> x = args.subList(ni + nc, ni + nc + nx);
    List<Value> cty = args.subList(ni + nc + nx, ni + nc + nx + cy.size());
    List<Value> k = args.subList(ni + nc + nx + cy.size(), args.size());
    Cloner c = new Cloner(g.raw());
    Map<Value, Value> original = new IdentityHashMap<>();
    Set<Value> active = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Value> bodyArgs = body.args();
    for (int i = 0; i < nc; i++) {
      c.map(bodyArgs.get(i), carry.get(i));
      original.put(carry.get(i), bodyArgs.get(i));
      if (carry.get(i).type().dtype().isFloat()) active.add(carry.get(i));
    }
    for (int i = 0; i < nx; i++) {
      c.map(bodyArgs.get(nc + i), x.get(i));
      original.put(x.get(i), bodyArgs.get(nc + i));
    }
    for (int i : ax) active.add(x.get(i));
    for (int i = 0; i < k.size(); i++) {
      c.map(bodyArgs.get(nc + nx + i), k.get(i));
      original.put(k.get(i), bodyArgs.get(nc + nx + i));
    }
    for (int i : ak) active.add(k.get(i));
    List<Operation> copies = Conditionals.copyOps(c, body, original);
    Walk inner = Walk.overCopies(g, outer, original, active::contains);
    for (Operation copy : copies) {
      Value first = copy.results().get(0);
      if (inner.isCustomOutput(first)) {
        // its backward's residuals live in the forward body, which the backward body cannot see
        throw new OpException(OpInfo.name(o.op()), "not differentiable: a customVjp inside a scan's IR body;"
            + " Lax.scan keeps such steps at trace time (Autodiff.scan)", o.location());
      }
      if (inner.isStopped(first)) continue;
      boolean any = OpInfo.operands(copy.op()).stream().anyMatch(inner::isActive)
          || Walk.capturesActive(copy.op(), inner::isActive);
      if (any) for (Value r : copy.results()) if (r.type().dtype().isFloat()) active.add(r);
    }
    List<Value> ret = body.returned();
    for (int j = 0; j < fc.size(); j++) {
      Value v = c.get(ret.get(fc.get(j)));
      if (inner.isActive(v)) inner.accumulate(v, g.wrap(args.get(j)), "scan carry");
    }
    for (int j = 0; j < cy.size(); j++) {
      Value v = c.get(ret.get(nc + cy.get(j)));
      if (inner.isActive(v)) inner.accumulate(v, g.wrap(cty.get(j)), "scan ys");
    }
    inner.run(copies);
    List<Value> next = new ArrayList<>();
    for (int i : fc) next.add(orZeros(g, inner.get(carry.get(i)), carry.get(i)));
    for (int j = 0; j < ak.size(); j++) {
      Value kv = k.get(ak.get(j));
      next.add(g.wrap(args.get(fc.size() + j)).add(g.wrap(orZeros(g, inner.get(kv), kv))).value());
    }
    for (int i : ax) next.add(orZeros(g, inner.get(x.get(i)), x.get(i)));
    return next;
  }

  private static Value orZeros(Graph g, Tensor ct, Value like) {
    return (ct != null ? ct : g.zeros(like.type())).value();
  }
}
