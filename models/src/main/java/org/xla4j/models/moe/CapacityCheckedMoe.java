package org.xla4j.models.moe;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/**
 * {@link MoeImplementation#CAPACITY_CHECKED}: CAPACITY's batched matmul over {@code [E, C, D]} at the smallest rung
 * of a ladder of capacities that holds the most loaded expert, else DROPLESS, chosen on the device by one
 * {@code stablehlo.case} on {@code max_e load[e]}. The rungs are {@code C = ceil(N·K/E · f)} for the factors f of
 * {@link MoeOptions#ladder()} (by default the options' factor and {@link #WIDE} times it; a later rung only while
 * its C is still below N, the most copies one expert can get), and the branch taken is {@link MoeResult#rung}. A
 * router that favours some experts by more than f (the 1.59B random model's 2,048-token prompt did, so its
 * prefill ran DROPLESS on the H200, scripts/device-round8.sh B) still gets a batched matmul, at about twice the
 * work of the first rung and under half of DENSE's for 8 experts top-2. Only the branch taken runs, and none
 * drops a copy, so the result is DENSE's up to the order of f32 sums.
 *
 * <p>The expert loads {@code [E]} are counted once, outside the conditional, and feed both the predicate and the
 * DROPLESS branch's layout. Under differentiation the layer's custom VJP ({@link MoeGrad}) sits around the
 * conditional, and its backward is a conditional on the same predicate between CAPACITY's and DROPLESS's
 * backwards. Where the forward itself is differentiated (int8 weights, {@link Moe#withForwardAutodiff}) both
 * branches are computed and one picked with a select: a conditional whose DROPLESS branch holds a loop (a
 * custom VJP when differentiated) is not differentiable.
 */
final class CapacityCheckedMoe implements MoeImpl {
  /** The second rung's capacity factor, as a multiple of the first's. */
  static final double WIDE = 2.0;


  /** Copies per expert {@code [E]} (i32). */
  static Tensor loads(MoeProblem p) {
    return p.experts().reshape(p.tokens() * p.topK()).oneHot((int) p.numExperts(), DType.I32).sum(0);
  }

  /** The capacity C of {@code p}'s sizes at factor {@code f}. */
  static long capacity(MoeProblem p, double f) {
    return CapacityMoe.capacity(p.tokens() * p.topK(), p.numExperts(), f);
  }

  /** The capacity factors of the ladder's CAPACITY rungs for {@code p}'s sizes, smallest first. */
  static List<Double> rungs(MoeProblem p) {
    return p.options().ladder(p.tokens(), p.numExperts(), p.topK());
  }

  private static MoeProblem inOut(MoeProblem p) {
    return p.withWeights(p.weights().inOut());
  }

  /** {@code p} with another capacity factor. */
  static MoeProblem withFactor(MoeProblem p, double factor) {
    return new MoeProblem(p.options().toBuilder().capacityFactor(factor).build(), p.x(), p.probs(), p.experts(),
        p.gates(), p.weights(), p.tokens(), p.model(), p.hidden(), p.numExperts(), p.topK());
  }

  /**
   * The branch (i32 scalar): the first rung whose capacity holds the most loaded expert, or {@code rungs.size()}
   * (DROPLESS) when none does.
   */
  static Tensor branch(MoeProblem p, Tensor loads) {
    Tensor most = loads.max();
    Tensor index = null;
    for (double f : rungs(p)) {
      long c = capacity(p, f);
      Tensor over = most.gt(c).astype(DType.I32);
      index = index == null ? over : index.add(over);
    }
    return index;
  }

  /** Whether some expert gets more than C copies (bool scalar): CAPACITY at the options' factor would drop. */
  static Tensor overflows(Tensor loads, long capacity) {
    return loads.max().gt((long) capacity);
  }

  /** The conditional's results and the branch it took (i32 scalar: the rung, the rung count for DROPLESS). */
  record Laddered(List<Tensor> results, Tensor branch) {}

  /**
   * One {@code stablehlo.case} over {@code p}'s ladder, on the branch {@link #branch} picks from {@code loads}: branch i
   * returns {@code onRung} of rung i's capacity factor, the last {@code onDropless}. Every branch must return the same
   * types. The forward ({@link #compute}), the forward that keeps the expert products and the backward
   * ({@link MoeGrad}) all go through here, so they branch alike.
   */
  static Laddered ladderCase(MoeProblem p, Tensor loads, DoubleFunction<List<Tensor>> onRung,
      Supplier<List<Tensor>> onDropless) {
    List<Function<List<Tensor>, List<Tensor>>> branches = new ArrayList<>();
    for (double f : rungs(p)) branches.add(ignored -> onRung.apply(f));
    branches.add(ignored -> onDropless.get());
    Tensor branch = branch(p, loads);
    return new Laddered(Lax.switchCase(branch, branches, List.of()), branch);
  }

  @Override
  public Out compute(MoeProblem p) {
    Tensor loads = loads(p);
    List<Double> rungs = rungs(p);
    if (Autodiff.isDifferentiating() && !MoeGrad.applies(p)) {
      // the first rung or DROPLESS (a select computes both, so more rungs would only add work)
      Tensor over = overflows(loads, capacity(p, rungs.get(0)));
      Tensor dropless = new DroplessMoe().compute(p, loads).output();
      Tensor capacity = new CapacityMoe().compute(withFactor(p, rungs.get(0))).output();
      return new Out(Jnp.where(over, dropless, capacity), p.x().graph().scalar(0L, DType.I32), over.astype(DType.I32),
          over.astype(DType.I32).mul((long) rungs.size()));
    }
    // each branch takes the weights' [E, in, out] view itself: a transpose inside the branch folds into its dots,
    // one outside would be a copy of every expert matrix before the conditional (MoeWeights)
    Laddered r = ladderCase(p, loads, f -> List.of(new CapacityMoe().compute(withFactor(inOut(p), f)).output()),
        () -> List.of(new DroplessMoe().compute(inOut(p), loads).output()));
    // DROPLESS ran only past the last rung; a wider rung is still the capacity form
    return new Out(r.results().get(0), p.x().graph().scalar(0L, DType.I32),
        r.branch().eq((long) rungs.size()).astype(DType.I32), r.branch());
  }
}
