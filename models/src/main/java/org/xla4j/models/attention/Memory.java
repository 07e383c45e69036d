package org.xla4j.models.attention;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.tree.Tree;
import org.xla4j.tree.TreeException;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * The KV caches of a whole model, one {@link KVMemory} per layer (Grok-1's {@code Memory}).
 *
 * <p>As a tree its paths are {@code layers/<i>/k}, {@code layers/<i>/step}, {@code layers/<i>/v}, the
 * names JAX gives Grok-1's {@code Memory(layers=[KVMemory, ...])}; a decode program takes and returns it
 * by name:
 * <pre>{@code
 * Memory mem = Memory.of(g.parameters(Memory.types(24, DType.BF16, batch, 8192, 8, 128, false)));
 * AttentionResult r = Attention.compute(decode, q, k, v, AttentionInputs.none().withMemory(mem.layer(i)));
 * mem = mem.with(i, r.memory());
 * Tree<Tensor> results = mem.tree();
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

  /** The types of {@code numLayers} caches (see {@link KVMemory#types}) under {@code layers/<i>}. */
  public static Tree<TensorType> types(int numLayers, DType dtype, long batch, long maxLen, long kvHeads,
      long headDim, boolean perRowStep) {
    Tree.Builder<TensorType> b = Tree.builder();
    Tree<TensorType> one = KVMemory.types(dtype, batch, maxLen, kvHeads, headDim, perRowStep);
    for (int i = 0; i < numLayers; i++) b.putAll("layers/" + i, one);
    return b.build();
  }

  /**
   * The memory whose leaves are {@code layers/0/...} to {@code layers/<n-1>/...}, each a {@link KVMemory} tree.
   *
   * @throws TreeException naming what is missing or extra
   */
  public static Memory of(Tree<Tensor> tree) {
    if (tree.isEmpty()) return new Memory(List.of());
    List<String> top = tree.children("");
    if (!top.equals(List.of("layers"))) {
      throw new TreeException("Memory.of: requires only paths under 'layers/', got top-level nodes " + top);
    }
    List<String> ids = tree.children("layers");
    List<KVMemory> l = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      String node = "layers/" + i;
      if (!tree.hasNode(node)) {
        throw new TreeException("Memory.of: requires layers 0.." + (ids.size() - 1) + ", '" + node + "' is missing; "
            + "layers given: " + ids);
      }
      try {
        l.add(KVMemory.of(tree.subtree(node)));
      } catch (TreeException e) {
        throw new TreeException("Memory.of: at '" + node + "': " + e.getMessage(), e);
      }
    }
    return new Memory(l);
  }

  /** This memory as a tree: {@code layers/<i>/k}, {@code .../step}, {@code .../v}. */
  public Tree<Tensor> tree() {
    Tree.Builder<Tensor> b = Tree.builder();
    for (int i = 0; i < layers.size(); i++) b.putAll("layers/" + i, layers.get(i).tree());
    return b.build();
  }

  public KVMemory layer(int i) { return layers.get(i); }

  /** This memory with layer {@code i} replaced. */
  public Memory with(int i, KVMemory m) {
    List<KVMemory> l = new ArrayList<>(layers);
    l.set(i, m);
    return new Memory(l);
  }
}
