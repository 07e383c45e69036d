package org.xla4j.models.generate;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.grok.Grok1Cached;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/**
 * How a generation model stores Grok-1's expert matrices on the device: {@code [E, out, in]}, the contraction axis
 * minor, where the model's parameter tree has them {@code [E, in, out]}. The cached forward hands float ones to the MoE
 * layer as stored ({@link org.xla4j.models.moe.MoeWeights#contractionMinor}); its implementations transpose them where
 * they use them, for XLA to fold into their dots and reductions. Decode reads only the chosen experts (FEW_TOKENS
 * REDUCE), and over this layout each expert's reduction runs along contiguous rows: H200, Grok-1's layer at T1
 * (scripts/device-round8.sh B, bench/results/moe-h200-2026-12-02-round4.md): 0.560 ms, at the 0.573 ms copy-rate
 * floor, against 1.010 ms over [E, in, out] (column reductions at 0.56 of the copy rate), JAX 2.141. CAPACITY_CHECKED
 * (prefill) transposes inside its conditional's branches: transposed before the conditional, every expert matrix was
 * copied whole per layer (H200 profile of a 2,048-token prefill: 1.6 ms of 11). Int8 weights: the int8 values are
 * stored transposed, their scales as they are; the forward transposes them back before dequantizing.
 *
 * <pre>{@code
 * Tree<TensorType> stored = Grok1Cached.contractionMinorTypes(config.parameterTypes());
 * Tree<Tensor> params = ExpertLayout.logical(g.parameters(stored));   // the tree's layout (full forward)
 * }</pre>
 */
final class ExpertLayout {
  private ExpertLayout() {}

  /** The model's parameters from stored ones: expert matrices transposed back to {@code [E, in, out]}. */
  static Tree<Tensor> logical(Tree<Tensor> stored) {
    return stored.mapWithPath((p, t) -> Grok1Cached.isExpertMatrix(p) ? t.transpose(0, 2, 1) : t);
  }

  /**
   * {@code weights} (uploaded in the parameter tree's layout) with each expert matrix transposed to the stored
   * layout on the device, one matrix at a time and the old buffer donated, so the peak is one matrix more than the
   * weights; a transpose program per distinct shape.
   */
  static Tree<DeviceBuffer> toStored(Tree<DeviceBuffer> weights, Backend backend) {
    Map<TensorType, Executable> programs = new HashMap<>();
    Map<String, DeviceBuffer> out = new LinkedHashMap<>();
    java.util.List<String> paths = weights.paths();
    int i = 0;
    try {
      for (; i < paths.size(); i++) {
        DeviceBuffer b = weights.get(paths.get(i));
        if (!Grok1Cached.isExpertMatrix(paths.get(i)) || b.type().rank() != 3) {
          out.put(paths.get(i), b);
          continue;
        }
        Executable exe = programs.computeIfAbsent(b.type(), t -> {
          Graph g = new Graph("expert_layout");
          Tensor x = g.parameter(t);
          return backend.compile(g.program(x.transpose(0, 2, 1)));
        });
        out.put(paths.get(i), exe.call().donated(b).execute().get(0));
      }
    } catch (RuntimeException e) {
      // nothing leaks: the buffers made so far and those not yet reached (a donated one is already released)
      out.values().forEach(DeviceBuffer::close);
      for (int j = i; j < paths.size(); j++) weights.get(paths.get(j)).close();
      throw e;
    } finally {
      programs.values().forEach(Executable::close);
    }
    return Tree.of(out);
  }
}
