package org.xla4j.autodiff;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.Block;
import org.xla4j.ir.Operation;
import org.xla4j.tree.Tree;

/**
 * Reverse-mode differentiation of functions over tensor trees, built into the same {@link
 * org.xla4j.dsl.Graph}: the function runs once on the primals (its ops are the forward), and the cotangent
 * ops are emitted after it, walking the forward in reverse with {@link VjpRules}. Gradients are trees of the
 * primal tree's paths. Call these where the primals live (the same function and region being built).
 *
 * <pre>{@code
 * Graph g = new Graph("step");
 * Tree<Tensor> params = g.parameters(Tree.of(Map.of("w", TensorType.of(DType.F32, 4, 2))));
 * Tensor x = g.parameter(DType.F32, 8, 4);
 * Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(p -> x.matmul(p.get("w")).tanh().square().mean())
 *     .apply(params);
 * Tree<Tensor> next = params.zip(vg.grad(), (w, dw) -> w.sub(dw.mul(0.1)));
 * }</pre>
 */
public final class Autodiff {
  private Autodiff() {}

  /** A scalar function's value and its gradient (a tree of the primals' paths). */
  public record ValueAndGrad(Tensor value, Tree<Tensor> grad) {}

  /**
   * The outputs of a function at the primals, and its pullback: {@link #pullback} maps output cotangents
   * (a tree of the outputs' paths and types; missing paths count as zero) to primal cotangents. Each call
   * of {@code pullback} emits the backward ops again.
   */
  public static final class Vjp {
    private final Trace trace;
    private final Tree<Tensor> outputs;
    private final Tree<Tensor> primals;

    private Vjp(Trace trace, Tree<Tensor> outputs, Tree<Tensor> primals) {
      this.trace = trace;
      this.outputs = outputs;
      this.primals = primals;
    }

    public Tree<Tensor> outputs() { return outputs; }

    /** Cotangents of the primals, by path, given those of the outputs. */
    public Tree<Tensor> pullback(Tree<Tensor> cotangents) {
      for (String p : cotangents.paths()) {
        if (!outputs.contains(p)) {
          throw new IllegalArgumentException("vjp: requires cotangents at output paths " + outputs.paths()
              + ", got one at '" + p + "'");
        }
      }
      List<Tensor> outs = outputs.leaves();
      List<Tensor> seeds = new ArrayList<>();
      for (String p : outputs.paths()) seeds.add(cotangents.find(p).orElse(null));
      return Tree.unflatten(primals.paths(), trace.pullback(outs, seeds));
    }
  }

  /**
   * Runs {@code f} at {@code primals} and returns its outputs with their pullback.
   *
   * <pre>{@code
   * Autodiff.Vjp v = Autodiff.vjp(p -> Tree.of(Map.of("y", p.get("x").exp())), primals);
   * Tree<Tensor> dx = v.pullback(Tree.of(Map.of("y", g.ones(DType.F64, 3))));
   * }</pre>
   */
  public static Vjp vjp(Function<Tree<Tensor>, Tree<Tensor>> f, Tree<Tensor> primals) {
    Trace.Traced<Tree<Tensor>> t = Trace.run("vjp", primals, f);
    return new Vjp(t.trace(), t.out(), primals);
  }

  /** The gradient of a scalar float function: {@code Autodiff.grad(p -> loss(p)).apply(params)}. */
  public static Function<Tree<Tensor>, Tree<Tensor>> grad(Function<Tree<Tensor>, Tensor> f) {
    return p -> valueAndGrad(f).apply(p).grad();
  }

  /** The value and gradient of a scalar float function, from one forward. */
  public static Function<Tree<Tensor>, ValueAndGrad> valueAndGrad(Function<Tree<Tensor>, Tensor> f) {
    return primals -> {
      Trace.Traced<Tensor> t = Trace.run("grad", primals, f);
      Tensor y = t.out();
      if (y == null || y.rank() != 0 || !y.dtype().isFloat()) {
        throw new IllegalArgumentException("grad: requires the function to return a float scalar, got "
            + (y == null ? "null" : y.type()));
      }
      List<Tensor> g = t.trace().pullback(List.of(y), List.of(y.graph().ones(y.type())));
      return new ValueAndGrad(y, Tree.unflatten(primals.paths(), g));
    };
  }

  /**
   * {@code x} as a value no gradient flows through (jax's {@code stop_gradient}): inside a differentiated
   * function it counts as a constant. Outside one it is the identity.
   *
   * <pre>{@code
   * Tensor centered = x.sub(Autodiff.stopGradient(x.mean()));
   * }</pre>
   */
  public static Tensor stopGradient(Tensor x) {
    Tensor y = Trace.identity(x);
    Trace.markStopped(y.value());
    return y;
  }

  /** What a custom-VJP forward returns: its outputs and the residuals its backward needs. */
  public record Forward(Tree<Tensor> outputs, Tree<Tensor> residuals) {
    public static Forward of(Tree<Tensor> outputs, Tree<Tensor> residuals) { return new Forward(outputs, residuals); }
  }

  /**
   * A function with a user-supplied backward (jax's {@code custom_vjp}), e.g. to wrap a kernel whose
   * forward is a custom call. Differentiating through the result runs {@code backward(residuals,
   * outputCotangents)}, which returns cotangents of the inputs by path (missing paths count as zero); the
   * forward's own ops are not differentiated. As in jax, the forward may use differentiated values only
   * through its inputs: one it closes over is refused when differentiated (its gradient would be lost).
   *
   * <pre>{@code
   * Function<Tree<Tensor>, Tree<Tensor>> safeLog = Autodiff.customVjp(
   *     in -> Autodiff.Forward.of(Tree.of(Map.of("y", in.get("x").log())), in),
   *     (res, ct) -> Tree.of(Map.of("x", ct.get("y").div(res.get("x").maximum(1e-6)))));
   * }</pre>
   */
  public static Function<Tree<Tensor>, Tree<Tensor>> customVjp(Function<Tree<Tensor>, Forward> forward,
      BiFunction<Tree<Tensor>, Tree<Tensor>, Tree<Tensor>> backward) {
    return inputs -> {
      // the forward sees stopped copies, so its own ops carry no gradient; the marked outputs carry the rule
      if (inputs.isEmpty()) throw new IllegalArgumentException("customVjp: requires at least one input, got none");
      Tree<Tensor> stopped = inputs.map(Autodiff::stopGradient);
      Block block = stopped.leaves().get(0).value().block();
      int from = block.ops().size();
      // the forward's own ops are not differentiated: its loops are the IR scan op, never the trace-time scan
      Forward fw = ScopedValue.where(org.xla4j.dsl.LoopTracing.HANDLER, org.xla4j.dsl.LoopTracing.LOWER)
          .call(() -> forward.apply(stopped));
      List<Operation> forwardOps = List.copyOf(block.ops().subList(from, block.ops().size()));
      if (fw == null || fw.outputs() == null) {
        throw new IllegalArgumentException("customVjp: requires the forward to return outputs, got null");
      }
      Tree<Tensor> residuals = fw.residuals() == null ? Tree.empty() : fw.residuals();
      Tree<Tensor> outputs = fw.outputs().map(Trace::identity);
      Trace.markCustom(new Trace.CustomNode(inputs, outputs, residuals, backward, forwardOps));
      return outputs;
    };
  }

  /** What a scan returns: the final carry and the per-step outputs stacked along a new leading axis. */
  public record ScanOut(Tree<Tensor> carry, Tree<Tensor> ys) {}

  /** One scan step: the carry, this step's slice of xs, and the constants in; the next carry and ys out. */
  @FunctionalInterface
  public interface ScanBody {
    ScanOut step(Tree<Tensor> carry, Tree<Tensor> x, Tree<Tensor> consts);
  }

  /**
   * {@code lax.scan} that differentiates with respect to the initial carry, xs and the constants: the number
   * of steps is xs' leading length (static), and everything the step differentiates must come in as carry, x
   * or constant (a value it closes over is refused when differentiated). The backward re-runs each step on
   * the carry saved for it, so memory grows with steps times carry size, not with the step's intermediates.
   *
   * <pre>{@code
   * Autodiff.ScanOut r = Autodiff.scan(Tree.of(Map.of("h", h0)), Tree.of(Map.of("x", xs)), Tree.of(Map.of("w", w)),
   *     (c, x, k) -> {
   *       Tensor h = c.get("h").matmul(k.get("w")).add(x.get("x")).tanh();
   *       return new Autodiff.ScanOut(Tree.of(Map.of("h", h)), Tree.of(Map.of("h", h)));
   *     });
   * }</pre>
   */
  public static ScanOut scan(Tree<Tensor> init, Tree<Tensor> xs, Tree<Tensor> consts, ScanBody step) {
    return Scan.scan(init, xs, consts, step);
  }

  /**
   * Which forward values a {@link #checkpoint} keeps for the backward (jax.checkpoint_policies); the rest are
   * recomputed. {@code CHECKPOINT_DOTS} is jax's alias of {@code DOTS_SAVEABLE}.
   */
  public enum RematPolicy {
    NOTHING_SAVEABLE, EVERYTHING_SAVEABLE, DOTS_SAVEABLE, DOTS_WITH_NO_BATCH_DIMS_SAVEABLE, CHECKPOINT_DOTS
  }

  /**
   * {@code f} with gradient checkpointing (jax's {@code checkpoint(f, policy=..., prevent_cse=...)}): its
   * backward recomputes the forward values {@code policy} does not save, from f's inputs and the saved dot
   * results, instead of keeping them alive from the forward. Values and gradients are unchanged; memory of
   * a differentiated program falls. With {@code preventCse} the recomputation starts behind a {@code
   * stablehlo.optimization_barrier}, so XLA does not merge it back into the forward.
   *
   * <pre>{@code
   * Function<Tree<Tensor>, Tree<Tensor>> block = Autodiff.checkpoint(
   *     p -> Tree.of(Map.of("h", p.get("x").matmul(p.get("w")).tanh())), Autodiff.RematPolicy.DOTS_SAVEABLE, true);
   * }</pre>
   */
  public static Function<Tree<Tensor>, Tree<Tensor>> checkpoint(Function<Tree<Tensor>, Tree<Tensor>> f,
      RematPolicy policy, boolean preventCse) {
    return Remat.checkpoint(f, policy, preventCse);
  }

  /**
   * A name scope with gradient checkpointing: {@code body} runs under {@code g.scope(name, ...)} and, when it
   * is differentiated, its backward recomputes what {@code policy} does not save (as {@link #checkpoint}),
   * with no need to pass its inputs explicitly: the tensors the body closes over are found by tracing it
   * once, and become the checkpointed function's inputs. Outside a differentiated function it is just the
   * scope.
   *
   * <pre>{@code
   * Tree<Tensor> h = Autodiff.checkpointScope(g, "decoder_layer_3", RematPolicy.NOTHING_SAVEABLE, true,
   *     () -> Tree.of(Map.of("h", block(x, params))));
   * }</pre>
   */
  public static Tree<Tensor> checkpointScope(org.xla4j.dsl.Graph g, String name, RematPolicy policy, boolean preventCse,
      java.util.function.Supplier<Tree<Tensor>> body) {
    if (!isDifferentiating()) return g.scope(name, body);
    List<Tensor> captures = org.xla4j.dsl.LoopTracing.captures(g, () -> body.get().leaves());
    if (captures.isEmpty()) return g.scope(name, body); // reads nothing from outside: nothing to recompute from
    List<org.xla4j.ir.Value> keys = captures.stream().map(Tensor::value).toList();
    java.util.Map<org.xla4j.ir.Value, org.xla4j.ir.Value> enclosing = org.xla4j.dsl.LoopTracing.current();
    Tree.Builder<Tensor> in = Tree.builder();
    for (int i = 0; i < captures.size(); i++) in.put(String.format("c%04d", i), captures.get(i));
    return checkpoint(p -> {
      java.util.Map<org.xla4j.ir.Value, org.xla4j.ir.Value> sub = new java.util.IdentityHashMap<>(enclosing);
      List<Tensor> ps = p.leaves();
      for (int i = 0; i < keys.size(); i++) sub.put(keys.get(i), ps.get(i).value());
      return org.xla4j.dsl.LoopTracing.substituting(sub, () -> g.scope(name, body));
    }, policy, preventCse).apply(in.build());
  }

  /**
   * Whether a differentiated function is being traced now: a library op with its own backward (a custom
   * VJP) can skip the wrapper when nothing will differentiate it, keeping forward-only programs unchanged.
   */
  public static boolean isDifferentiating() { return Trace.CURRENT.isBound(); }
}
