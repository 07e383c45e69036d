package org.xla4j.sharding;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/**
 * Partition rules: turn a tree of parameter paths into {@link PartitionSpec}s, then into {@link Sharding}s on
 * a {@link Mesh}, checked against every tensor's rank and shape. Two forms, as the JAX code bases write them:
 *
 * <ul>
 *   <li>{@link WindowRules} (Grok-1's {@code apply_rules}): each rule is a tuple of regexes that must match a
 *       contiguous window of path components; unmatched paths are replicated; paths through a
 *       {@code layer_stack} component get a leading {@code None}. {@link #grok1()} is Grok-1's rule set.</li>
 *   <li>{@link RegexRules} (EasyDeL's {@code match_partition_rules}): one regex searched in the whole path.</li>
 * </ul>
 * In both, the first matching rule wins.
 *
 * <pre>{@code
 * Tree<TensorType> params = ...;                                    // transformer/decoder_layer_0/moe/linear/w, ...
 * Mesh mesh = Mesh.builder("mesh").axis("data", 2).axis("model", 4).build();
 * Tree<PartitionSpec> specs = PartitionRules.grok1().specs(params);
 * Tree<Sharding> shardings = PartitionRules.grok1().shardings(params, mesh);   // checked: rank, divisibility
 * Tree<Tensor> p = graph.parameters(params, shardings);
 *
 * PartitionRules mine = PartitionRules.regex()
 *     .rule("self_attn/(q|k|v)_proj/kernel", PartitionSpec.of("fsdp", "tp"))
 *     .rule(".*", PartitionSpec.of())                                // replicate the rest
 *     .build();
 * }</pre>
 */
public sealed interface PartitionRules permits WindowRules, RegexRules {

  /**
   * The spec for one tensor.
   *
   * @throws IllegalArgumentException when the rules cannot give one (RegexRules: no rule matches)
   */
  PartitionSpec spec(String path, TensorType type);

  /** The spec of every leaf, same paths. Errors name the path. */
  default Tree<PartitionSpec> specs(Tree<TensorType> types) {
    Tree.Builder<PartitionSpec> b = Tree.builder();
    for (Tree.Leaf<TensorType> l : types) b.put(l.path(), spec(l.path(), l.value()));
    return b.build();
  }

  /**
   * The sharding of every leaf on {@code mesh}: {@link #specs} checked by {@link #shard}.
   *
   * @throws IllegalArgumentException naming the path, spec, tensor type and mesh of the first leaf that does
   *     not fit
   */
  default Tree<Sharding> shardings(Tree<TensorType> types, Mesh mesh) { return shard(types, specs(types), mesh); }

  /**
   * Pairs each tensor type with its spec as a {@link Sharding.Named} on {@code mesh}, checking that the spec has
   * at most as many entries as the tensor has dimensions (missing trailing entries are replicated, as in JAX),
   * that it names only axes of the mesh, and that every sharded dimension is divisible by the product of the
   * sizes of its mesh axes.
   *
   * @throws org.xla4j.tree.TreeException when the two trees' paths differ
   * @throws IllegalArgumentException naming the path, the spec, the type and the mesh
   */
  static Tree<Sharding> shard(Tree<TensorType> types, Tree<PartitionSpec> specs, Mesh mesh) {
    types.requireSameStructure(specs, "PartitionRules.shard(types, specs)");
    Tree.Builder<Sharding> b = Tree.builder();
    for (Tree.Leaf<TensorType> l : types) {
      PartitionSpec spec = specs.get(l.path());
      check(l.path(), l.value(), spec, mesh);
      b.put(l.path(), Sharding.named(mesh, spec));
    }
    return b.build();
  }

  /**
   * Checks one tensor's spec on a mesh (see {@link #shard}).
   *
   * @throws IllegalArgumentException naming the path, the spec, the type and the mesh
   */
  static void check(String path, TensorType type, PartitionSpec spec, Mesh mesh) {
    if (spec.rank() > type.rank()) {
      throw misfit(path, type, spec, mesh, "the spec has " + spec.rank() + " entries for a rank-" + type.rank()
          + " tensor");
    }
    for (int d = 0; d < spec.rank(); d++) {
      List<String> axes = spec.dims().get(d);
      long tiles = 1;
      List<String> factors = new ArrayList<>();
      for (String a : axes) {
        Integer size = mesh.axes().get(a);
        if (size == null) throw misfit(path, type, spec, mesh, "the mesh has no axis '" + a + "'");
        tiles *= size;
        factors.add(a + "=" + size);
      }
      if (type.shape().dim(d) % tiles != 0) {
        throw misfit(path, type, spec, mesh, "dimension " + d + " (size " + type.shape().dim(d)
            + ") is not divisible by " + tiles + " (" + String.join(" x ", factors) + ")");
      }
    }
  }

  private static IllegalArgumentException misfit(String path, TensorType type, PartitionSpec spec, Mesh mesh,
      String why) {
    return new IllegalArgumentException("PartitionRules: '" + path + "' " + type + " cannot be sharded as " + spec
        + " on mesh '" + mesh.name() + "' " + mesh.axes() + ": " + why);
  }

  /**
   * Grok-1's rule set: its TRANSFORMER_PARTITION_RULES, then its LM_PARTITION_RULES (mesh axes data, model), then
   * rules for int8 {@code scales} leaves (out axis sharded like the matching {@code w}'s, nb axis replicated).
   */
  static WindowRules grok1() { return Grok1Rules.RULES; }

  /** A builder of Grok-1-style window rules. */
  static WindowRules.Builder windows() { return WindowRules.builder(); }

  /** A builder of EasyDeL-style whole-path regex rules. */
  static RegexRules.Builder regex() { return RegexRules.builder(); }
}
