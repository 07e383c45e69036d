package org.xla4j.dsl;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.xla4j.ir.Block;
import org.xla4j.ir.Op;
import org.xla4j.ir.RngAlgorithm;
import org.xla4j.ir.Value;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Control flow and other {@code jax.lax} primitives over tensors. Loop and branch bodies are Java
 * lambdas traced once into regions; unlike reduce bodies they may use tensors from outside.
 *
 * <pre>{@code
 * // sum of 0..9 with a fori_loop
 * Tensor total = Lax.foriLoop(0, 10, g.scalar(0, DType.I32), (i, acc) -> acc.add(i));
 * }</pre>
 */
public final class Lax {
  private Lax() {}

  /**
   * {@code lax.while_loop}: repeats {@code body} while {@code cond} (a pred scalar) holds.
   *
   * <pre>{@code
   * List<Tensor> r = Lax.whileLoop(List.of(x), c -> c.get(0).sum().lt(100.0), c -> List.of(c.get(0).mul(2.0)));
   * }</pre>
   */
  public static List<Tensor> whileLoop(List<Tensor> init, Function<List<Tensor>, Tensor> cond,
      Function<List<Tensor>, List<Tensor>> body) {
    Graph g = Graph.of("whileLoop", init.toArray(Tensor[]::new));
    List<TensorType> types = init.stream().map(Tensor::type).toList();
    Block c = g.fb().region(types, false, vs -> {
      Tensor p = cond.apply(wrap(g, vs));
      if (p.rank() != 0) throw g.error("whileLoop", "requires cond to return a scalar, got " + p.type());
      return List.of((p.dtype().isBool() ? p : p.ne(0L)).value());
    });
    Block b = g.fb().region(types, false, vs -> {
      List<Tensor> next = body.apply(wrap(g, vs));
      List<TensorType> got = next.stream().map(Tensor::type).toList();
      if (!got.equals(types)) {
        throw g.error("whileLoop", "requires body to return the carried types " + types + ", got " + got);
      }
      return g.values("whileLoop", next);
    });
    return g.emit(new Op.While(g.values("whileLoop", init), c, b));
  }

  /**
   * {@code lax.fori_loop}: {@code carry = body(i, carry)} for i in [lo, hi); i is an i32 scalar.
   *
   * <pre>{@code
   * List<Tensor> r = Lax.foriLoop(0, n, List.of(h), (i, c) -> List.of(step(c.get(0), i)));
   * }</pre>
   */
  public static List<Tensor> foriLoop(int lo, int hi, List<Tensor> init,
      BiFunction<Tensor, List<Tensor>, List<Tensor>> body) {
    Graph g = Graph.of("foriLoop", init.toArray(Tensor[]::new));
    if (LoopTracing.active() != null && hi > lo) {
      // under differentiation: a scan over the indices, whose length is static
      ScanResult r = scan(init, List.of(g.arange(hi - lo, DType.I32).add((long) lo)),
          (c, i) -> new ScanResult(body.apply(i.get(0), c), List.of()));
      return r.carry();
    }
    List<Tensor> all = new ArrayList<>();
    all.add(g.scalar((long) lo, DType.I32));
    all.addAll(init);
    List<Tensor> r = whileLoop(all, c -> c.get(0).lt((long) hi), c -> {
      List<Tensor> next = new ArrayList<>();
      next.add(c.get(0).add(1L));
      next.addAll(body.apply(c.get(0), c.subList(1, c.size())));
      return next;
    });
    return r.subList(1, r.size());
  }

  /** {@link #foriLoop(int, int, List, BiFunction)} with a single carried tensor. */
  public static Tensor foriLoop(int lo, int hi, Tensor init, BiFunction<Tensor, Tensor, Tensor> body) {
    return foriLoop(lo, hi, List.of(init), (i, c) -> List.of(body.apply(i, c.get(0)))).get(0);
  }

  /** The carry after a scan and the per-step outputs stacked along a new leading axis. */
  public record ScanResult(List<Tensor> carry, List<Tensor> ys) {
    public ScanResult {
      carry = List.copyOf(carry);
      ys = List.copyOf(ys);
    }
  }

  /**
   * {@code lax.scan}: for each slice {@code x[i]} along axis 0 of every {@code xs},
   * {@code (carry, y) = f(carry, x[i])}; returns the final carry and the stacked ys. {@code f} returns
   * a {@link ScanResult} of the new carry and this step's ys. It is traced twice (once to learn the
   * ys' types), so it should not have side effects beyond building ops.
   *
   * <pre>{@code
   * // running sum over rows
   * ScanResult r = Lax.scan(List.of(zeros), List.of(rows),
   *     (c, x) -> { Tensor s = c.get(0).add(x.get(0)); return new ScanResult(List.of(s), List.of(s)); });
   * }</pre>
   */
  public static ScanResult scan(List<Tensor> init, List<Tensor> xs,
      BiFunction<List<Tensor>, List<Tensor>, ScanResult> f) {
    List<Tensor> everything = new ArrayList<>(init);
    everything.addAll(xs);
    if (xs.isEmpty()) {
      throw new org.xla4j.ir.OpException("scan", "requires at least one xs tensor (use foriLoop for a bare loop)",
          org.xla4j.ir.CallSite.find(""));
    }
    Graph g = Graph.of("scan", everything.toArray(Tensor[]::new));
    long n = xs.get(0).rank() == 0 ? -1 : xs.get(0).shape().dim(0);
    for (Tensor x : xs) {
      if (x.rank() == 0 || x.shape().dim(0) != n) {
        throw g.error("scan", "requires xs with one leading length, got " + xs.stream().map(Tensor::shape).toList());
      }
    }
    List<TensorType> carryTypes = init.stream().map(Tensor::type).toList();
    List<TensorType> xTypes = xs.stream().map(x -> x.type().withShape(x.shape().without(0))).toList();
    // dry run in a detached region, only to learn the types of ys
    List<TensorType> yTypes = new ArrayList<>();
    List<TensorType> probeArgs = new ArrayList<>(carryTypes);
    probeArgs.addAll(xTypes);
    org.xla4j.ir.Block probe = g.fb().region(probeArgs, false, vs -> {
      List<Tensor> ts = wrap(g, vs);
      ScanResult r = f.apply(ts.subList(0, init.size()), ts.subList(init.size(), ts.size()));
      r.ys().forEach(y -> yTypes.add(y.type()));
      return g.values("scan", r.ys());
    });
    LoopTracing.ScanHandler handler = LoopTracing.active();
    if (handler != null) {
      // under differentiation: the handler builds the loop with a backward; it needs the step's captures
      List<Tensor> captures = LoopTracing.captures(probe).stream().map(g::wrap).toList();
      return handler.scan(init, xs, captures, f);
    }
    List<Tensor> state = new ArrayList<>();
    state.add(g.scalar(0L, DType.I32));
    state.addAll(init);
    for (TensorType t : yTypes) state.add(g.zeros(t.withShape(org.xla4j.types.Shape.of(n).append(t.shape()))));
    int nc = init.size();
    List<Tensor> out = whileLoop(state, s -> s.get(0).lt(n), s -> {
      Tensor i = s.get(0);
      List<Tensor> xi = new ArrayList<>();
      for (Tensor x : xs) xi.add(x.dynamicSlice(0, i, 1).squeeze(0));
      ScanResult r = f.apply(s.subList(1, 1 + nc), xi);
      List<Tensor> next = new ArrayList<>();
      next.add(i.add(1L));
      next.addAll(r.carry());
      for (int k = 0; k < r.ys().size(); k++) {
        Tensor buf = s.get(1 + nc + k);
        List<Tensor> starts = new ArrayList<>();
        starts.add(i);
        for (int d = 1; d < buf.rank(); d++) starts.add(g.scalar(0L, DType.I32));
        next.add(buf.dynamicUpdateSlice(r.ys().get(k).expandDims(0), starts));
      }
      return next;
    });
    return new ScanResult(out.subList(1, 1 + nc), out.subList(1 + nc, out.size()));
  }

  /**
   * {@code lax.cond}: runs {@code onTrue(operands)} or {@code onFalse(operands)}; both must return the
   * same types. {@code pred} is a scalar (non-pred means {@code != 0}).
   */
  public static List<Tensor> cond(Tensor pred, Function<List<Tensor>, List<Tensor>> onTrue,
      Function<List<Tensor>, List<Tensor>> onFalse, List<Tensor> operands) {
    Graph g = pred.graph();
    if (pred.rank() != 0) throw g.error("cond", "requires a scalar predicate, got " + pred.type());
    Tensor p = pred.dtype().isBool() ? pred : pred.ne(0L);
    Block t = g.fb().region(List.of(), false, ignored -> g.values("cond", onTrue.apply(operands)));
    Block f = g.fb().region(List.of(), false, ignored -> g.values("cond", onFalse.apply(operands)));
    return g.emit(new Op.If(p.value(), t, f));
  }

  /** {@code lax.switch}: runs {@code branches[index]} (clamped into range) on {@code operands}. */
  public static List<Tensor> switchCase(Tensor index, List<Function<List<Tensor>, List<Tensor>>> branches,
      List<Tensor> operands) {
    Graph g = index.graph();
    if (index.rank() != 0 || !index.dtype().isInteger()) {
      throw g.error("switchCase", "requires a scalar integer index, got " + index.type());
    }
    List<Block> blocks = new ArrayList<>();
    for (var b : branches) blocks.add(g.fb().region(List.of(), false, ignored -> g.values("switchCase", b.apply(operands))));
    return g.emit(new Op.Case(index.astype(DType.I32).value(), blocks));
  }

  /**
   * {@code stablehlo.rng_bit_generator} with THREE_FRY: random bits of {@code type} (an integer type,
   * or a float type for raw bits) from a ui64[2] {@code state}; returns the next state too.
   */
  public static RngResult rngBits(Tensor state, TensorType type) {
    List<Tensor> r = state.graph().emit(new Op.RngBitGenerator(RngAlgorithm.THREE_FRY, state.value(), type));
    return new RngResult(r.get(0), r.get(1));
  }

  /**
   * {@code lax.ragged_dot} ({@code chlo.ragged_dot}): {@code lhs [m, k]} rows grouped contiguously by
   * {@code groupSizes [g]}, group i times {@code rhs[i] [k, n]}, giving {@code [m, n]} of {@code preferred} (null:
   * the operands' dtype). Rows past the last group give 0. JAX lowers it so for GPUs; TensorFlow 2.18's XLA CPU
   * does not take it (see {@code MoeOptions#raggedDot}).
   *
   * <pre>{@code
   * Tensor y = Lax.raggedDot(sortedRows, expertWeights, groupSizes, DType.F32);   // [m, k] x [E, k, n] -> [m, n]
   * }</pre>
   */
  public static Tensor raggedDot(Tensor lhs, Tensor rhs, Tensor groupSizes, DType preferred) {
    Graph g = Graph.of("raggedDot", lhs, rhs, groupSizes);
    return g.emit1(new Op.RaggedDot(lhs.value(), rhs.value(), groupSizes.value(), preferred));
  }

  /** {@code lax.optimization_barrier}: XLA may not move computations across it. */
  public static List<Tensor> optimizationBarrier(Tensor... xs) {
    Graph g = Graph.of("optimizationBarrier", xs);
    return g.emit(new Op.OptimizationBarrier(g.values("optimizationBarrier", List.of(xs))));
  }

  /** A custom call (api_version 2, no backend config, no side effect) returning {@code resultTypes}. */
  public static List<Tensor> customCall(String target, List<Tensor> operands, List<TensorType> resultTypes) {
    return customCall(target, operands, resultTypes, 2, "", false);
  }

  /** A custom call with an explicit api version, backend config and side-effect flag. */
  public static List<Tensor> customCall(String target, List<Tensor> operands, List<TensorType> resultTypes,
      int apiVersion, String backendConfig, boolean hasSideEffect) {
    Graph g = Graph.of("customCall", operands.toArray(Tensor[]::new));
    return g.emit(new Op.CustomCall(target, g.values("customCall", operands), resultTypes, apiVersion,
        backendConfig, hasSideEffect, List.of(), List.of()));
  }

  /**
   * Multi-operand {@code lax.reduce}: {@code fn(acc, next)} combines scalars, one per input.
   *
   * <pre>{@code
   * List<Tensor> r = Lax.reduce(List.of(v, i), List.of(v0, i0), new int[] {1}, (a, b) -> List.of(...));
   * }</pre>
   */
  public static List<Tensor> reduce(List<Tensor> inputs, List<Tensor> inits, int[] axes,
      BiFunction<List<Tensor>, List<Tensor>, List<Tensor>> fn) {
    return Reductions.reduce(inputs, inits, axes, fn);
  }

  private static List<Tensor> wrap(Graph g, List<Value> vs) {
    return vs.stream().map(g::wrap).toList();
  }

}
