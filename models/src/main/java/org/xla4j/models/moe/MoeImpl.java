package org.xla4j.models.moe;

import org.xla4j.dsl.Tensor;

/** One MoE evaluation strategy: the combined output {@code [N, D]} (x's dtype) and the dropped count. */
sealed interface MoeImpl permits DenseMoe, DroplessMoe, CapacityMoe, FewTokensMoe {
  /** Output and dropped-copies count (i32 scalar). */
  record Out(Tensor output, Tensor dropped) {}

  Out compute(MoeProblem p);
}
