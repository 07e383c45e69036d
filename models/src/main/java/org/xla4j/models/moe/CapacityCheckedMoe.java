package org.xla4j.models.moe;

import java.util.List;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/**
 * {@link MoeImplementation#CAPACITY_CHECKED}: CAPACITY's batched matmul over {@code [E, C, D]} when no expert
 * receives more than {@code C = ceil(N·K/E · capacityFactor)} token copies, else DROPLESS, chosen on the device by
 * one {@code stablehlo.if} on {@code max_e load[e] > C}. Only the branch taken runs, and neither drops a copy, so
 * the result is DENSE's up to the order of f32 sums.
 *
 * <p>The expert loads {@code [E]} are counted once, outside the conditional, and feed both the predicate and the
 * DROPLESS branch's layout. Under differentiation the layer's custom VJP ({@link MoeGrad}) sits around the
 * conditional, and its backward is a conditional on the same predicate between CAPACITY's and DROPLESS's
 * backwards. Where the forward itself is differentiated (int8 weights, {@link Moe#withForwardAutodiff}) both
 * branches are computed and one picked with a select: a conditional whose DROPLESS branch holds a loop (a
 * custom VJP when differentiated) is not differentiable.
 */
final class CapacityCheckedMoe implements MoeImpl {
  /** Copies per expert {@code [E]} (i32). */
  static Tensor loads(MoeProblem p) {
    return p.experts().reshape(p.tokens() * p.topK()).oneHot((int) p.numExperts(), DType.I32).sum(0);
  }

  /** The capacity C for {@code p}'s sizes and factor. */
  static long capacity(MoeProblem p) {
    return CapacityMoe.capacity(p.tokens() * p.topK(), p.numExperts(), p.options().capacityFactor());
  }

  /** Whether some expert gets more than C copies (bool scalar): the DROPLESS branch runs. */
  static Tensor overflows(Tensor loads, long capacity) {
    return loads.max().gt((long) capacity);
  }

  @Override
  public Out compute(MoeProblem p) {
    Tensor loads = loads(p);
    Tensor over = overflows(loads, capacity(p));
    Tensor fallback = over.astype(DType.I32);
    if (Autodiff.isDifferentiating() && !MoeGrad.applies(p)) {
      Tensor dropless = new DroplessMoe().compute(p, loads).output();
      Tensor capacity = new CapacityMoe().compute(p).output();
      return new Out(Jnp.where(over, dropless, capacity), p.x().graph().scalar(0L, DType.I32), fallback);
    }
    List<Tensor> r = Lax.cond(over, ignored -> List.of(new DroplessMoe().compute(p, loads).output()),
        ignored -> List.of(new CapacityMoe().compute(p).output()), List.of());
    return new Out(r.get(0), p.x().graph().scalar(0L, DType.I32), fallback);
  }
}
