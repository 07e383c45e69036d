package org.xla4j.models.moe;

import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/** One MoE evaluation strategy: the combined output {@code [N, D]} (x's dtype) and the dropped count. */
sealed interface MoeImpl permits DenseMoe, DroplessMoe, CapacityMoe, CapacityCheckedMoe, FewTokensMoe {
  /**
   * Output, dropped-copies count (i32 scalar), whether a fallback ran (i32 scalar, 1 when CAPACITY_CHECKED took
   * its DROPLESS branch; 0 for the others) and the branch it ran ({@link MoeResult#rung}; -1 for the others).
   */
  record Out(Tensor output, Tensor dropped, Tensor fallback, Tensor rung) {
    Out(Tensor output, Tensor dropped) {
      this(output, dropped, output.graph().scalar(0L, DType.I32), output.graph().scalar(-1L, DType.I32));
    }
  }

  Out compute(MoeProblem p);
}
