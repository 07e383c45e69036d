package org.xla4j.autodiff;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Lax.ScanResult;
import org.xla4j.dsl.LoopTracing;
import org.xla4j.dsl.Tensor;
import org.xla4j.tree.Tree;

/**
 * A scan of static length that differentiates: a custom VJP over {@link Lax#scan}. The forward also stacks
 * the carry entering each step; the backward is a reverse scan whose step re-runs the body on that carry
 * (rematerializing the step's intermediates) and pulls the cotangents back through it with {@link
 * Autodiff#vjp}, summing the constants' cotangents in its carry.
 */
final class Scan {
  private Scan() {}

  static Autodiff.ScanOut scan(Tree<Tensor> init, Tree<Tensor> xs, Tree<Tensor> consts, Autodiff.ScanBody f) {
    if (xs.isEmpty()) throw new IllegalArgumentException("scan: requires at least one xs leaf (its leading length"
        + " is the number of steps), got none");
    AtomicReference<List<String>> yPaths = new AtomicReference<>();
    List<String> carryPaths = init.paths();
    List<String> xPaths = xs.paths();
    Tree<Tensor> in = Tree.<Tensor>builder().putAll("carry", init).putAll("xs", xs).putAll("consts", consts).build();
    Tree<Tensor> out = Autodiff.customVjp(p -> {
      Tree<Tensor> k = sub(p, "consts");
      ScanResult r = Lax.scan(sub(p, "carry").leaves(), sub(p, "xs").leaves(), (c, x) -> {
        Autodiff.ScanOut o = step(f, Tree.unflatten(carryPaths, c), Tree.unflatten(xPaths, x), k, carryPaths);
        yPaths.set(o.ys().paths());
        List<Tensor> ys = new ArrayList<>(o.ys().leaves());
        ys.addAll(c); // the carry entering the step, for the backward
        return new ScanResult(o.carry().leaves(), ys);
      });
      int ny = yPaths.get().size();
      Tree<Tensor> outs = Tree.<Tensor>builder().putAll("carry", Tree.unflatten(carryPaths, r.carry()))
          .putAll("ys", Tree.unflatten(yPaths.get(), r.ys().subList(0, ny))).build();
      Tree<Tensor> res = Tree.<Tensor>builder().putAll("carries", Tree.unflatten(carryPaths, r.ys().subList(ny,
          r.ys().size()))).putAll("xs", sub(p, "xs")).putAll("consts", k).build();
      return Autodiff.Forward.of(outs, res);
    }, (res, ct) -> backward(f, res, ct, carryPaths, xPaths, yPaths.get())).apply(in);
    return new Autodiff.ScanOut(sub(out, "carry"), sub(out, "ys"));
  }

  /**
   * {@link Lax#scan} (and foriLoop) under differentiation when the step holds a customVjp (else null: Lax emits
   * the IR's scan op): the same scan with the step's captures passed as
   * explicit constants, so their cotangents are summed like any constant's. The step reads each capture
   * as its constant through {@link LoopTracing#substituting}.
   */
  static ScanResult fromLax(List<Tensor> init, List<Tensor> xs, List<Tensor> captures,
      java.util.function.BiFunction<List<Tensor>, List<Tensor>, ScanResult> f, org.xla4j.ir.Block probe) {
    // the IR's scan op differentiates by ScanVjp; a step holding a customVjp (remat, checkpoint, a custom
    // attention backward) needs the trace-time path, whose backward re-traces the step with its registrations
    if (!Trace.CURRENT.get().holdsCustom(probe)) return null;
    List<org.xla4j.ir.Value> captured = captures.stream().map(Tensor::value).toList();
    // an enclosing step's substitution, which this step's backward re-runs must see as well
    java.util.Map<org.xla4j.ir.Value, org.xla4j.ir.Value> enclosing = LoopTracing.current();
    Autodiff.ScanOut out = scan(indexed("c", init), indexed("x", xs), indexed("k", captures), (c, x, k) -> {
      java.util.Map<org.xla4j.ir.Value, org.xla4j.ir.Value> sub = new java.util.IdentityHashMap<>(enclosing);
      List<Tensor> ks = k.leaves();
      for (int i = 0; i < captured.size(); i++) sub.put(captured.get(i), ks.get(i).value());
      ScanResult r = LoopTracing.substituting(sub, () -> f.apply(c.leaves(), x.leaves()));
      return new Autodiff.ScanOut(indexed("c", r.carry()), indexed("y", r.ys()));
    });
    return new ScanResult(out.carry().leaves(), out.ys().leaves());
  }

  /** {@code prefix0000, prefix0001, ...}: paths whose order is the list's. */
  private static Tree<Tensor> indexed(String prefix, List<Tensor> ts) {
    Tree.Builder<Tensor> b = Tree.builder();
    for (int i = 0; i < ts.size(); i++) b.put(String.format("%s%04d", prefix, i), ts.get(i));
    return b.build();
  }

  private static Tree<Tensor> backward(Autodiff.ScanBody f, Tree<Tensor> res, Tree<Tensor> ct,
      List<String> carryPaths, List<String> xPaths, List<String> yPaths) {
    Tree<Tensor> consts = sub(res, "consts");
    List<String> constPaths = consts.paths();
    int nc = carryPaths.size();
    List<Tensor> init = new ArrayList<>(sub(ct, "carry").leaves());
    for (Tensor k : consts.leaves()) init.add(k.graph().zeros(k.type()));
    // walk the steps backwards: reversed stacked carries, xs and ys' cotangents
    List<Tensor> rev = new ArrayList<>();
    for (Tensor t : sub(res, "carries").leaves()) rev.add(t.reverse(0));
    for (Tensor t : sub(res, "xs").leaves()) rev.add(t.reverse(0));
    for (Tensor t : sub(ct, "ys").leaves()) rev.add(t.reverse(0));
    ScanResult r = Lax.scan(init, rev, (c, x) -> {
      Tree<Tensor> primals = Tree.<Tensor>builder().putAll("carry", Tree.unflatten(carryPaths, x.subList(0, nc)))
          .putAll("xs", Tree.unflatten(xPaths, x.subList(nc, nc + xPaths.size()))).putAll("consts", consts).build();
      Autodiff.Vjp v = Autodiff.vjp(p -> {
        Autodiff.ScanOut o = step(f, sub(p, "carry"), sub(p, "xs"), sub(p, "consts"), carryPaths);
        return Tree.<Tensor>builder().putAll("carry", o.carry()).putAll("ys", o.ys()).build();
      }, primals);
      Tree<Tensor> cts = Tree.<Tensor>builder().putAll("carry", Tree.unflatten(carryPaths, c.subList(0, nc)))
          .putAll("ys", Tree.unflatten(yPaths, x.subList(nc + xPaths.size(), x.size()))).build();
      Tree<Tensor> back = v.pullback(cts);
      List<Tensor> next = new ArrayList<>(sub(back, "carry").leaves());
      List<Tensor> kct = sub(back, "consts").leaves();
      for (int i = 0; i < kct.size(); i++) next.add(c.get(nc + i).add(kct.get(i)));
      return new ScanResult(next, sub(back, "xs").leaves());
    });
    List<Tensor> dxs = new ArrayList<>();
    for (Tensor t : r.ys()) dxs.add(t.reverse(0));
    return Tree.<Tensor>builder().putAll("carry", Tree.unflatten(carryPaths, r.carry().subList(0, nc)))
        .putAll("xs", Tree.unflatten(xPaths, dxs))
        .putAll("consts", Tree.unflatten(constPaths, r.carry().subList(nc, r.carry().size()))).build();
  }

  private static Autodiff.ScanOut step(Autodiff.ScanBody f, Tree<Tensor> carry, Tree<Tensor> x, Tree<Tensor> consts,
      List<String> carryPaths) {
    Autodiff.ScanOut o = f.step(carry, x, consts);
    if (o == null || !o.carry().paths().equals(carryPaths)) {
      throw new IllegalArgumentException("scan: requires the step to return a carry of paths " + carryPaths + ", got "
          + (o == null ? "null" : o.carry().paths()));
    }
    for (String p : carryPaths) {
      if (!o.carry().get(p).type().equals(carry.get(p).type())) {
        throw new IllegalArgumentException("scan: requires the carry '" + p + "' to keep its type " + carry.get(p).type()
            + ", got " + o.carry().get(p).type());
      }
    }
    return o;
  }

  private static Tree<Tensor> sub(Tree<Tensor> t, String prefix) {
    return t.hasNode(prefix) ? t.subtree(prefix) : Tree.empty();
  }
}
