package org.xla4j.models.moe;

import java.util.function.UnaryOperator;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.quant.Weight;

/**
 * The parameters of one MoE layer, as Grok-1 names them: {@code router/w [D, E]} (f32), and the experts
 * stacked on a leading axis: {@code moe/linear/w [E, D, F]}, {@code moe/linear_v/w [E, D, F]},
 * {@code moe/linear_1/w [E, F, D]} (bf16, or int8 with scales).
 *
 * <p>With {@code contractionMinor} the float expert matrices are stored {@code [E, out, in]} instead: a GPU reads each
 * chosen expert along contiguous rows at decode (int8 weights are transposed back by their owner, as
 * {@link Weight.Int8} validates its scales against the {@code [.., in, out]} layout). The
 * implementations take {@link #inOut()}, whose transposes XLA folds into their dots; CAPACITY_CHECKED takes it inside
 * each branch of its conditional, since a transpose outside a conditional is copied whole before it (measured on the
 * H200: three ~100 us weight copies per layer of a 2,048-token prefill, 1.6 ms of 11).
 *
 * <pre>{@code
 * MoeWeights w = new MoeWeights(router, Weight.of(linear), Weight.of(linearV), Weight.of(linear1));
 * MoeWeights m = MoeWeights.contractionMinor(router, Weight.of(linearT), Weight.of(linearVT), Weight.of(linear1T));
 * }</pre>
 */
public record MoeWeights(Tensor router, Weight linear, Weight linearV, Weight linear1, boolean contractionMinor) {
  /** Expert matrices as the parameter tree has them, {@code [E, in, out]}. */
  public MoeWeights(Tensor router, Weight linear, Weight linearV, Weight linear1) {
    this(router, linear, linearV, linear1, false);
  }

  public MoeWeights {
    if (contractionMinor && !(linear instanceof Weight.Dense && linearV instanceof Weight.Dense
        && linear1 instanceof Weight.Dense)) {
      throw Moe.error("requires float expert matrices to store them [E, out, in] (contractionMinor); int8 weights are"
          + " given [E, in, out]");
    }
  }

  /** Float expert matrices stored {@code [E, out, in]}. */
  public static MoeWeights contractionMinor(Tensor router, Weight linear, Weight linearV, Weight linear1) {
    return new MoeWeights(router, linear, linearV, linear1, true);
  }

  /** The weights in the {@code [E, in, out]} layout every implementation computes with (this, when already so). */
  public MoeWeights inOut() {
    if (!contractionMinor) return this;
    return new MoeWeights(router, swapped(linear), swapped(linearV), swapped(linear1), false);
  }

  /** The expert weights with {@code f} applied to each stored tensor (e.g. selecting experts on axis 0). */
  public MoeWeights mapExperts(UnaryOperator<Tensor> f) {
    return new MoeWeights(router, linear.map(f), linearV.map(f), linear1.map(f), contractionMinor);
  }

  public long experts() { return linear.stored().dim(0); }

  /** D, the model width (linear's input). */
  public long model() { return linear.stored().dim(contractionMinor ? 2 : 1); }

  /** F, the experts' hidden width (linear's output). */
  public long hidden() { return linear.stored().dim(contractionMinor ? 1 : 2); }

  private static Weight swapped(Weight w) {
    return new Weight.Dense(((Weight.Dense) w).w().transpose(0, 2, 1));
  }
}
