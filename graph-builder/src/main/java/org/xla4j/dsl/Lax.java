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
   * {@code lax.fori_loop}: {@code carry = body(i, carry)} for i in [lo, hi); i is an i32 scalar. Built as a
   * {@link #scan} over the indices (static bounds), so it differentiates.
   *
   * <pre>{@code
   * List<Tensor> r = Lax.foriLoop(0, n, List.of(h), (i, c) -> List.of(step(c.get(0), i)));
   * }</pre>
   */
  public static List<Tensor> foriLoop(int lo, int hi, List<Tensor> init,
      BiFunction<Tensor, List<Tensor>, List<Tensor>> body) {
    Graph g = Graph.of("foriLoop", init.toArray(Tensor[]::new));
    if (hi <= lo) return List.copyOf(init);
    // a scan over the indices, whose length is static
    ScanResult r = scan(init, List.of(g.arange(hi - lo, DType.I32).add((long) lo)),
        (c, i) -> new ScanResult(body.apply(i.get(0), c), List.of()));
    return r.carry();
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
   * tensors it reads from outside), so it should not have side effects beyond building ops. The IR holds one
   * {@link Op.Scan} (printed as a {@code while} loop), which differentiates.
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
    // dry run in a detached region, to learn what the step reads from outside (its captures)
    List<TensorType> probeArgs = new ArrayList<>(carryTypes);
    probeArgs.addAll(xTypes);
    org.xla4j.ir.Block probe = g.fb().region(probeArgs, false, vs -> {
      List<Tensor> ts = wrap(g, vs);
      ScanResult r = f.apply(ts.subList(0, init.size()), ts.subList(init.size(), ts.size()));
      return g.values("scan", r.ys());
    });
    List<Tensor> captures = LoopTracing.captures(probe).stream().map(g::wrap).toList();
    LoopTracing.ScanHandler handler = LoopTracing.active();
    if (handler != null) {
      // under differentiation, a step the IR op cannot carry (one holding a customVjp) is built by the handler
      ScanResult r = handler.scan(init, xs, captures, f, probe);
      if (r != null) return r;
    }
    return emitScan(g, init, xs, captures, n, f);
  }

  /**
   * The {@link Op.Scan} of {@code f}: its body takes the carry, one slice of each xs and the captures as
   * arguments; while f is traced into it, each capture reads as its argument (see {@link LoopTracing}).
   */
  private static ScanResult emitScan(Graph g, List<Tensor> init, List<Tensor> xs, List<Tensor> captures, long n,
      BiFunction<List<Tensor>, List<Tensor>, ScanResult> f) {
    int nc = init.size();
    int nx = xs.size();
    List<TensorType> carryTypes = init.stream().map(Tensor::type).toList();
    List<TensorType> args = new ArrayList<>(carryTypes);
    for (Tensor x : xs) args.add(x.type().withShape(x.shape().without(0)));
    for (Tensor k : captures) args.add(k.type());
    List<Value> captured = captures.stream().map(Tensor::value).toList();
    Block body = g.fb().region(args, true, vs -> {
      java.util.Map<Value, Value> sub = new java.util.IdentityHashMap<>();
      for (int i = 0; i < captured.size(); i++) sub.put(captured.get(i), vs.get(nc + nx + i));
      List<Tensor> ts = wrap(g, vs);
      ScanResult r = LoopTracing.substituting(sub, () -> f.apply(ts.subList(0, nc), ts.subList(nc, nc + nx)));
      List<TensorType> got = r.carry().stream().map(Tensor::type).toList();
      if (!got.equals(carryTypes)) {
        throw g.error("scan", "requires the step to return the carried types " + carryTypes + ", got " + got);
      }
      List<Tensor> outs = new ArrayList<>(r.carry());
      outs.addAll(r.ys());
      return g.values("scan", outs);
    });
    List<Tensor> out = g.emit(new Op.Scan(g.values("scan", init), g.values("scan", xs), captured, n, body));
    return new ScanResult(out.subList(0, nc), out.subList(nc, out.size()));
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
