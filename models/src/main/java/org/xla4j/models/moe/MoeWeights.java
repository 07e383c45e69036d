package org.xla4j.models.moe;

import java.util.function.UnaryOperator;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.quant.Weight;

/**
 * The parameters of one MoE layer, as Grok-1 names them: {@code router/w [D, E]} (f32), and the experts
 * stacked on a leading axis: {@code moe/linear/w [E, D, F]}, {@code moe/linear_v/w [E, D, F]},
 * {@code moe/linear_1/w [E, F, D]} (bf16, or int8 with scales).
 *
 * <pre>{@code
 * MoeWeights w = new MoeWeights(router, Weight.of(linear), Weight.of(linearV), Weight.of(linear1));
 * }</pre>
 */
public record MoeWeights(Tensor router, Weight linear, Weight linearV, Weight linear1) {
  /** The expert weights with {@code f} applied to each stored tensor (e.g. selecting experts). */
  public MoeWeights mapExperts(UnaryOperator<Tensor> f) {
    return new MoeWeights(router, linear.map(f), linearV.map(f), linear1.map(f));
  }

  public long experts() { return linear.stored().dim(0); }

  public long model() { return linear.stored().dim(1); }

  public long hidden() { return linear.stored().dim(2); }
}
