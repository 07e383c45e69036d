package org.xla4j.models.moe;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.LoopTracing;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.DotDims;
import org.xla4j.models.quant.Weight;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * The backward of the MoE implementations other than DENSE, as custom VJPs ({@link Autodiff#customVjp}) over
 * the expert part of the layer: inputs x, the gates and the three expert matrices; the routing (which experts,
 * an integer result) is not differentiated, and the router's gradient reaches it through the gates' cotangent.
 * The backward saves nothing from the forward but its inputs: it rebuilds the implementation's own layout of
 * the token copies, recomputes the experts' activations, and pulls the cotangent back through them group by
 * group ({@link #ffnVjp}), so no {@code [N·K, F]} intermediate lives from forward to backward.
 *
 * <ul>
 *   <li>DROPLESS, tiled: the copies sorted by expert in whole tiles, as the forward lays them out; a loop over
 *       tiles pulls each tile back through its expert and adds into that expert's gradient slices (the forward's
 *       loop, differentiated as a scan, would save the whole output buffer at every step).
 *   <li>DROPLESS, ragged_dot: the same sorted rows; the recomputed FFN's ragged_dots differentiate with the
 *       ragged_dot VJP (d rows by ragged_dot, d weights by a tile loop).
 *   <li>CAPACITY: the {@code [E, C, D]} buffer and its cotangent scattered into the same slots; the batched
 *       matmuls transpose as batched matmuls. Dropped copies have no slot, so they get zero gradient, as their
 *       output was zero.
 *   <li>CAPACITY_CHECKED: a case on the forward's branch (the capacity rung that held every expert, or none) between
 *       CAPACITY's backward at that rung and DROPLESS's, so only the taken branch's backward runs. Here the forward's
 *       case also returns its FFN products and copy outputs (the one exception to saving nothing): XLA cannot CSE
 *       a recomputed forward across the case, and plain CAPACITY's recompute is CSE'd away anyway.
 *   <li>FEW_TOKENS: whatever the forward form, the chosen experts' matrices are gathered ({@code [N·K, ...]}), the
 *       backward runs one row per copy, and the weight gradients scatter-add back by expert.
 * </ul>
 * Int8 weights are not differentiated: with them the forward is differentiated as built.
 */
final class MoeGrad {
  private MoeGrad() {}

  /** When set, implementations differentiate their forward ops instead (to compare, or for memory experiments). */
  static final ScopedValue<Boolean> FORWARD_AUTODIFF = ScopedValue.newInstance();

  /** Whether {@code p}'s implementation is computed through its custom VJP now. */
  static boolean applies(MoeProblem p) {
    if (!Autodiff.isDifferentiating() || (FORWARD_AUTODIFF.isBound() && FORWARD_AUTODIFF.get())) return false;
    MoeWeights w = p.weights();
    boolean dense = w.linear() instanceof Weight.Dense && w.linearV() instanceof Weight.Dense
        && w.linear1() instanceof Weight.Dense;
    return dense && p.options().implementation() != MoeImplementation.DENSE;
  }

  /** {@code impl} on {@code p} with its custom backward. */
  static MoeImpl.Out compute(MoeImpl impl, MoeProblem p) {
    MoeWeights w = p.weights();
    Tree<Tensor> in = Tree.of(Map.of("x", p.x(), "gates", p.gates(), "linear", w.linear().matrix(),
        "linear_v", w.linearV().matrix(), "linear_1", w.linear1().matrix()));
    boolean checked = p.options().implementation() == MoeImplementation.CAPACITY_CHECKED;
    Tree<Tensor> out = Autodiff.customVjp(i -> {
      Map<String, Tensor> res = new LinkedHashMap<>();
      for (String path : i.paths()) res.put(path, i.get(path));
      MoeImpl.Out o = checked ? checkedForward(with(p, i), res) : impl.compute(with(p, i));
      return Autodiff.Forward.of(Tree.of(Map.of("y", o.output(), "dropped", o.dropped(), "fallback", o.fallback(),
          "rung", o.rung())), Tree.of(res));
    }, (res, ct) -> backward(with(p, res), ct.get("y"), res)).apply(in);
    return new MoeImpl.Out(out.get("y"), out.get("dropped"), out.get("fallback"), out.get("rung"));
  }

  private static MoeProblem with(MoeProblem p, Tree<Tensor> i) {
    MoeWeights w = new MoeWeights(p.weights().router(), Weight.of(i.get("linear")), Weight.of(i.get("linear_v")),
        Weight.of(i.get("linear_1")));
    return new MoeProblem(p.options(), i.get("x"), p.probs(), p.experts(), i.get("gates"), w, p.tokens(), p.model(),
        p.hidden(), p.numExperts(), p.topK());
  }

  /** Gradients of one group-batched FFN: rows, the three matrices, and the recomputed outputs. */
  record FfnGrad(Tensor y, Tensor dx, Tensor dw, Tensor dv, Tensor dw1) {}

  /**
   * Rows {@code xe [G, M, D]} through expert matrices stacked {@code [G, ...]}, pulled back from {@code dy [G, M, D]}:
   * the FFN is rebuilt (its activations recomputed here) and differentiated as {@link Experts#ffn} computes it.
   */
  static FfnGrad ffnVjp(Tensor xe, Tensor w, Tensor v, Tensor w1, Tensor dy, MoeOptions o) {
    Tree<Tensor> primals = Tree.of(Map.of("x", xe, "w", w, "v", v, "w1", w1));
    Autodiff.Vjp vjp = Autodiff.vjp(t -> Tree.of(Map.of("y", Experts.ffn(t.get("x"), new MoeWeights(null,
        Weight.of(t.get("w")), Weight.of(t.get("v")), Weight.of(t.get("w1"))), o))), primals);
    Tree<Tensor> d = vjp.pullback(Tree.of(Map.of("y", dy)));
    return new FfnGrad(vjp.outputs().get("y"), d.get("x"), d.get("w"), d.get("v"), d.get("w1"));
  }

  /** What every implementation's backward returns before the gated combination is pulled back. */
  private record CopyGrad(Tensor y, Tensor dx, Tensor dw, Tensor dv, Tensor dw1) {}

  private static Tree<Tensor> backward(MoeProblem p, Tensor dOut, Tree<Tensor> saved) {
    long n = p.tokens();
    int k = p.topK();
    long d = p.model();
    DType dt = p.x().dtype();
    // the combination: out = dtype(Σ_k f32(y_k) · gdt(gate_k)), gdt = gateDtype; each copy's cotangent is gate · dOut
    DType gdt = p.options().gateDtype();
    Tensor gate = p.gates().astype(gdt).astype(DType.F32);                          // [N, K]
    Tensor dOut32 = dOut.astype(DType.F32).reshape(n, 1, d);
    Tensor dy = dOut32.mul(gate.expandDims(-1)).astype(dt);                                // [N, K, D]
    CopyGrad c = switch (p.options().implementation()) {
      case CAPACITY -> capacity(p, dy);
      case FEW_TOKENS -> fewTokens(p, dy);
      case DROPLESS -> dropless(p, dy);
      case CAPACITY_CHECKED -> checked(p, dy, saved.get(SAVED_A), saved.get(SAVED_V), saved.get(SAVED_COPIES));
      case DENSE, AUTO -> throw new IllegalStateException("moe: no custom backward for " + p.options().implementation());
    };
    // d gate = <dOut, y_k> in f32, rounded to gdt and back as the forward's conversions round it
    Tensor dGate = c.y().astype(DType.F32).mul(dOut32).sum(-1).astype(gdt).astype(DType.F32);
    MoeWeights w = p.weights();
    return Tree.of(Map.of("x", c.dx().astype(dt), "gates", dGate.astype(p.gates().dtype()),
        "linear", c.dw().astype(w.linear().matrix().dtype()), "linear_v", c.dv().astype(w.linearV().matrix().dtype()),
        "linear_1", c.dw1().astype(w.linear1().matrix().dtype())));
  }

  // ---- CAPACITY ----

  private static CopyGrad capacity(MoeProblem p, Tensor dy) {
    long n = p.tokens();
    int k = p.topK();
    long e = p.numExperts();
    long d = p.model();
    CapacityMoe.Slots s = CapacityMoe.slots(p);
    long ec = e * s.capacity();
    Tensor rows = p.x().expandDims(0).broadcastTo(k, n, d).reshape(k * n, d);
    Tensor buf = p.x().graph().zeros(p.x().dtype(), ec, d).scatterAdd(s.slot(), rows).reshape(e, s.capacity(), d);
    // rank-major like the slots; a dropped copy's slot is past the buffer, so its cotangent is dropped too
    Tensor dyRank = dy.transpose(1, 0, 2).reshape(k * n, d);
    Tensor dBuf = p.x().graph().zeros(dy.dtype(), ec, d).scatterAdd(s.slot(), dyRank).reshape(e, s.capacity(), d);
    MoeWeights w = p.weights();
    FfnGrad f = ffnVjp(buf, w.linear().matrix(), w.linearV().matrix(), w.linear1().matrix(), dBuf, p.options());
    Tensor at = s.slot().minimum(ec - 1);
    Tensor keep = s.kept().astype(dy.dtype()).reshape(k * n, 1);
    Tensor dxCopies = f.dx().reshape(ec, d).take(at, 0).mul(keep).reshape(k, n, d);
    Tensor yCopies = f.y().reshape(ec, d).take(at, 0).mul(keep).reshape(k, n, d).transpose(1, 0, 2);
    return new CopyGrad(yCopies, dxCopies.sum(0), f.dw(), f.dv(), f.dw1());
  }

  /**
   * CAPACITY with the forward's products {@code a, v [E, C, F]} and copy outputs {@code [N, K, D]} at hand: the
   * backward's expert matmuls are the six of the chain rule, none of the forward's three again.
   */
  private static CopyGrad capacitySaved(MoeProblem p, Tensor dy, Tensor a, Tensor v, Tensor copies) {
    long n = p.tokens();
    int k = p.topK();
    long e = p.numExperts();
    long d = p.model();
    DType dt = p.x().dtype();
    CapacityMoe.Slots s = CapacityMoe.slots(p);
    long ec = e * s.capacity();
    Tensor rows = p.x().expandDims(0).broadcastTo(k, n, d).reshape(k * n, d);
    Tensor buf = p.x().graph().zeros(dt, ec, d).scatterAdd(s.slot(), rows).reshape(e, s.capacity(), d);
    Tensor dyRank = dy.transpose(1, 0, 2).reshape(k * n, d);
    Tensor dBuf = p.x().graph().zeros(dy.dtype(), ec, d).scatterAdd(s.slot(), dyRank).reshape(e, s.capacity(), d);
    MoeOptions o = p.options();
    MoeWeights w = p.weights();
    // the elementwise middle, act(a) ⊙ v, rebuilt from the saved products and differentiated by autodiff
    Autodiff.Vjp mid = Autodiff.vjp(t -> Tree.of(Map.of("h", Experts.hidden(t.get("a"), t.get("v"), o))),
        Tree.of(Map.of("a", a, "v", v)));
    Tensor h = mid.outputs().get("h");                                                  // [E, C, F]
    // each product as autodiff of Experts.ffn forms it (the cotangent first, a weight's gradient transposed after),
    // so the sums run in the same order and the bf16 results are the recomputing backward's to the bit
    DotDims batchLast = new DotDims(List.of(0), List.of(0), List.of(2), List.of(2));   // [E,M,X]·[E,Y,X] -> [E,M,Y]
    DotDims batchRows = new DotDims(List.of(0), List.of(0), List.of(1), List.of(1));   // [E,M,X]·[E,M,Y] -> [E,X,Y]
    Tensor w1 = w.linear1().matrix().astype(dt);
    Tensor dh = dBuf.dotGeneral(w1, batchLast, o.precision(), null);
    Tensor dw1 = dBuf.dotGeneral(h, batchRows, o.precision(), null).transpose(0, 2, 1);
    Tree<Tensor> dm = mid.pullback(Tree.of(Map.of("h", dh)));
    Tensor da = dm.get("a");
    Tensor dv = dm.get("v");
    Tensor dx = da.dotGeneral(w.linear().matrix().astype(dt), batchLast, o.precision(), null)
        .add(dv.dotGeneral(w.linearV().matrix().astype(dt), batchLast, o.precision(), null));
    Tensor dw = da.dotGeneral(buf, batchRows, o.precision(), null).transpose(0, 2, 1);
    Tensor dV = dv.dotGeneral(buf, batchRows, o.precision(), null).transpose(0, 2, 1);
    Tensor at = s.slot().minimum(ec - 1);
    Tensor keep = s.kept().astype(dt).reshape(k * n, 1);
    Tensor dxCopies = dx.reshape(ec, d).take(at, 0).mul(keep).reshape(k, n, d);
    return new CopyGrad(copies, dxCopies.sum(0), dw, dV, dw1);
  }

  // ---- CAPACITY_CHECKED ----

  /** The residual paths CAPACITY_CHECKED's forward adds for its backward. */
  private static final String SAVED_A = "saved_a";
  private static final String SAVED_V = "saved_v";
  private static final String SAVED_COPIES = "saved_copies";

  /**
   * CAPACITY_CHECKED's forward under its custom VJP: the layer's case on the same branch as
   * {@link CapacityCheckedMoe#compute}, whose capacity branches also return their FFN products {@code a, v} (zero-padded
   * along C to the last rung's capacity: a case's branches return one type) and the copies' outputs, put into
   * {@code res} for the backward, which then recomputes none of the forward's matmuls (a case is a wall XLA does not
   * CSE across, so recomputing them, as the other implementations' backwards do, cost three of the layer's nine expert
   * matmuls here). The DROPLESS branch returns zeros there: its backward recomputes its own layout.
   */
  private static MoeImpl.Out checkedForward(MoeProblem p, Map<String, Tensor> res) {
    Graph g = p.x().graph();
    DType dt = p.x().dtype();
    Tensor loads = CapacityCheckedMoe.loads(p);
    List<Double> rungs = CapacityCheckedMoe.rungs(p);
    long cmax = CapacityCheckedMoe.capacity(p, rungs.get(rungs.size() - 1));
    long e = p.numExperts();
    CapacityCheckedMoe.Laddered l = CapacityCheckedMoe.ladderCase(p, loads, f -> {
      CapacityMoe.Saved s = CapacityMoe.forward(CapacityCheckedMoe.withFactor(p, f));
      long pad = cmax - CapacityCheckedMoe.capacity(p, f);
      long[] none = {0, 0, 0};
      long[] high = {0, pad, 0};
      return List.of(s.out().output(), s.a().pad(none, high, 0.0), s.v().pad(none, high, 0.0), s.copies());
    }, () -> List.of(new DroplessMoe().compute(p, loads).output(), g.zeros(dt, e, cmax, p.hidden()),
        g.zeros(dt, e, cmax, p.hidden()), g.zeros(dt, p.tokens(), p.topK(), p.model())));
    List<Tensor> r = l.results();
    Tensor branch = l.branch();
    res.put(SAVED_A, r.get(1));
    res.put(SAVED_V, r.get(2));
    res.put(SAVED_COPIES, r.get(3));
    return new MoeImpl.Out(r.get(0), g.scalar(0L, DType.I32), branch.eq((long) rungs.size()).astype(DType.I32),
        branch);
  }

  /**
   * A case on the forward's branch (recomputed from the same routing, so the same value): CAPACITY's backward at
   * the rung the forward took (which then dropped nothing) from the forward's saved products (their first C rows of
   * the padded {@code a, v}), or DROPLESS's past the last rung.
   */
  private static CopyGrad checked(MoeProblem p, Tensor dy, Tensor a, Tensor v, Tensor copies) {
    MoeWeights w = p.weights();
    List<DType> types = List.of(p.x().dtype(), p.x().dtype(), w.linear().matrix().dtype(),
        w.linearV().matrix().dtype(), w.linear1().matrix().dtype());
    List<Tensor> r = CapacityCheckedMoe.ladderCase(p, CapacityCheckedMoe.loads(p), f -> {
      long c = CapacityCheckedMoe.capacity(p, f);
      return list(capacitySaved(CapacityCheckedMoe.withFactor(p, f), dy, a.slice(1, 0, c), v.slice(1, 0, c), copies),
          types);
    }, () -> list(dropless(p, dy), types)).results();
    return new CopyGrad(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
  }

  /** A branch's result as the conditional returns it, each in the type both branches agree on. */
  private static List<Tensor> list(CopyGrad c, List<DType> types) {
    List<Tensor> l = List.of(c.y(), c.dx(), c.dw(), c.dv(), c.dw1());
    return java.util.stream.IntStream.range(0, l.size()).mapToObj(i -> l.get(i).astype(types.get(i))).toList();
  }

  // ---- FEW_TOKENS ----

  private static CopyGrad fewTokens(MoeProblem p, Tensor dy) {
    long n = p.tokens();
    int k = p.topK();
    long d = p.model();
    long copies = n * k;
    Tensor ids = p.experts().reshape(copies);
    Tensor rows = p.x().expandDims(1).broadcastTo(n, k, d).reshape(copies, 1, d);
    MoeWeights w = p.weights();
    Tensor gw = w.linear().matrix().take(ids, 0);
    Tensor gv = w.linearV().matrix().take(ids, 0);
    Tensor gw1 = w.linear1().matrix().take(ids, 0);
    FfnGrad f = ffnVjp(rows, gw, gv, gw1, dy.reshape(copies, 1, d), p.options());
    // the gathers' transposes: each copy's matrix gradient added into its expert's
    Tensor dw = zerosLike(w.linear().matrix(), f.dw()).scatterAdd(ids, f.dw());
    Tensor dv = zerosLike(w.linearV().matrix(), f.dv()).scatterAdd(ids, f.dv());
    Tensor dw1 = zerosLike(w.linear1().matrix(), f.dw1()).scatterAdd(ids, f.dw1());
    return new CopyGrad(f.y().reshape(n, k, d), f.dx().reshape(n, k, d).sum(1), dw, dv, dw1);
  }

  private static Tensor zerosLike(Tensor weights, Tensor grad) {
    return weights.graph().zeros(new TensorType(grad.dtype(), weights.shape()));
  }

  // ---- DROPLESS ----

  private static CopyGrad dropless(MoeProblem p, Tensor dy) {
    return DroplessMoe.useRaggedDot(p.options()) ? droplessRagged(p, dy) : droplessTiled(p, dy);
  }

  /** The copies sorted by expert (stable), as the forward sorts them. */
  private record Sorted(Tensor ids, Tensor perm, Tensor inverse, Tensor sortedIds, Tensor rows, Tensor counts) {
    static Sorted of(MoeProblem p) {
      long copies = p.tokens() * p.topK();
      Tensor ids = p.experts().reshape(copies);
      Tensor perm = ids.argsort(0, false);
      Tensor rows = p.x().take(perm.intDiv((long) p.topK()), 0);
      Tensor counts = ids.oneHot((int) p.numExperts(), DType.I32).sum(0);
      return new Sorted(ids, perm, perm.argsort(0, false), ids.take(perm, 0), rows, counts);
    }

    /** Per-copy values {@code [N·K, D]} (copy order) from sorted-order ones, as {@code [N, K, D]}. */
    Tensor unsort(Tensor sorted, MoeProblem p) {
      return sorted.take(inverse, 0).reshape(p.tokens(), p.topK(), p.model());
    }
  }

  private static CopyGrad droplessRagged(MoeProblem p, Tensor dy) {
    Sorted s = Sorted.of(p);
    DType dt = s.rows().dtype();
    Tensor dySorted = dy.reshape(p.tokens() * p.topK(), p.model()).take(s.perm(), 0);
    MoeWeights w = p.weights();
    Tree<Tensor> primals = Tree.of(Map.of("x", s.rows(), "w", w.linear().matrix().astype(dt),
        "v", w.linearV().matrix().astype(dt), "w1", w.linear1().matrix().astype(dt)));
    Autodiff.Vjp vjp = Autodiff.vjp(t -> {
      Tensor a = Lax.raggedDot(t.get("x"), t.get("w"), s.counts(), null);
      Tensor v = Lax.raggedDot(t.get("x"), t.get("v"), s.counts(), null);
      return Tree.of(Map.of("y", Lax.raggedDot(Experts.hidden(a, v, p.options()), t.get("w1"), s.counts(), null)));
    }, primals);
    Tree<Tensor> g = vjp.pullback(Tree.of(Map.of("y", dySorted)));
    return new CopyGrad(s.unsort(vjp.outputs().get("y"), p), s.unsort(g.get("x"), p).sum(1), g.get("w"), g.get("v"),
        g.get("w1"));
  }

  /**
   * The tiled form's backward: the forward's {@link TiledLayout} (each expert's rows padded to whole tiles of m
   * rows, laid out expert after expert), then one loop over tiles: a tile's rows through its expert, pulled back
   * from the tile's cotangent rows; the rows' cotangents and outputs are written to the tile's place, the
   * matrices' added into the expert's slices.
   */
  private static CopyGrad droplessTiled(MoeProblem p, Tensor dy) {
    Graph g = p.x().graph();
    Sorted s = Sorted.of(p);
    long e = p.numExperts();
    long d = p.model();
    long copies = p.tokens() * p.topK();
    TiledLayout l = TiledLayout.of(g, p.options().tileSize(), s.sortedIds(), s.counts(), e);
    long m = l.m();
    long total = l.total();
    Tensor dest = l.dest();
    Tensor tileExpert = l.tileExpert();
    DType dt = p.x().dtype();
    Tensor buf = l.place(s.rows());
    Tensor dyBuf = l.place(dy.reshape(copies, d).take(s.perm(), 0));
    MoeWeights w = p.weights();
    Tensor lw = w.linear().matrix();
    Tensor lv = w.linearV().matrix();
    Tensor l1 = w.linear1().matrix();
    Tensor zero = g.scalar(0L, DType.I32);
    List<Tensor> init = List.of(g.zeros(dt, total, d), g.zeros(dt, total, d), g.zeros(lw.type()), g.zeros(lv.type()),
        g.zeros(l1.type()));
    // the IR scan op, not the trace-time scan, even under an enclosing differentiation: this is already a backward
    List<Tensor> r = ScopedValue.where(LoopTracing.HANDLER, LoopTracing.LOWER).call(() ->
        Lax.foriLoop(0, (int) l.tiles(), init, (t, c) -> {
          Tensor start = t.mul(m);
          Tensor ex = tileExpert.dynamicSlice(0, t, 1).reshape();
          Tensor xe = buf.dynamicSlice(0, start, m).expandDims(0);                     // [1, m, D]
          Tensor dye = dyBuf.dynamicSlice(0, start, m).expandDims(0);
          FfnGrad fg = ffnVjp(xe, lw.dynamicSlice(0, ex, 1), lv.dynamicSlice(0, ex, 1), l1.dynamicSlice(0, ex, 1), dye,
              p.options());
          return List.of(
              c.get(0).dynamicUpdateSlice(fg.y().squeeze(0), start, zero),
              c.get(1).dynamicUpdateSlice(fg.dx().squeeze(0), start, zero),
              addAt(c.get(2), fg.dw(), ex, zero),
              addAt(c.get(3), fg.dv(), ex, zero),
              addAt(c.get(4), fg.dw1(), ex, zero));
        }));
    Tensor y = s.unsort(r.get(0).take(dest, 0), p);
    Tensor dx = s.unsort(r.get(1).take(dest, 0), p).sum(1);
    return new CopyGrad(y, dx, r.get(2), r.get(3), r.get(4));
  }

  /** {@code acc} with {@code update [1, ...]} added at expert {@code ex}. */
  private static Tensor addAt(Tensor acc, Tensor update, Tensor ex, Tensor zero) {
    return acc.dynamicUpdateSlice(acc.dynamicSlice(0, ex, 1).add(update), ex, zero, zero);
  }
}
