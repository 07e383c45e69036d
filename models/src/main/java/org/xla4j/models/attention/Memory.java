package org.xla4j.models.attention;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.types.DType;

/**
 * The KV caches of a whole model, one {@link KVMemory} per layer (Grok-1's {@code Memory}).
 *
 * <pre>{@code
 * Memory mem = Memory.empty(g, 24, DType.BF16, batch, 8192, 8, 128);
 * AttentionResult r = Attention.compute(decode, q, k, v, AttentionInputs.none().withMemory(mem.layer(i)));
 * mem = mem.with(i, r.memory());
 * }</pre>
 */
public record Memory(List<KVMemory> layers) {
  public Memory {
    layers = List.copyOf(layers);
  }

  /** {@code numLayers} empty caches. */
  public static Memory empty(Graph g, int numLayers, DType dtype, long batch, long maxLen, long kvHeads, long headDim) {
    List<KVMemory> l = new ArrayList<>();
    for (int i = 0; i < numLayers; i++) l.add(KVMemory.empty(g, dtype, batch, maxLen, kvHeads, headDim));
    return new Memory(l);
  }

  public KVMemory layer(int i) { return layers.get(i); }

  /** This memory with layer {@code i} replaced. */
  public Memory with(int i, KVMemory m) {
    List<KVMemory> l = new ArrayList<>(layers);
    l.set(i, m);
    return new Memory(l);
  }
}
