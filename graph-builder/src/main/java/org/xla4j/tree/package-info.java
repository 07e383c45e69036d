/**
 * Path-keyed trees: one {@link org.xla4j.tree.Tree} type for everything a model has many of and wants to name,
 * such as parameter types, parameters, their shardings, checkpoint tensors, device arrays and KV caches.
 *
 * <p>How to use it:
 * <ul>
 *   <li>Name every leaf by a path of {@code '/'}-separated components
 *       ({@code transformer/decoder_layer_3/multi_head_attention/query/w}). Build with
 *       {@link org.xla4j.tree.Tree#builder()} or {@link org.xla4j.tree.Tree#of(java.util.Map)}; a path is a leaf
 *       or an inner node, never both, and duplicates are refused.</li>
 *   <li>Describe a model's parameters once as a {@code Tree<TensorType>}; derive the rest by
 *       {@link org.xla4j.tree.Tree#map} and {@link org.xla4j.tree.Tree#zip}: shardings from partition rules
 *       ({@code org.xla4j.sharding.PartitionRules}), program arguments from {@code Graph.parameters}. Trees of
 *       the same paths line up leaf for leaf; a mismatch is an error naming the first differing path.</li>
 *   <li>Take a layer's part with {@link org.xla4j.tree.Tree#subtree} and put it back with
 *       {@link org.xla4j.tree.Tree#prefixed} or {@link org.xla4j.tree.Tree.Builder#putAll}.</li>
 *   <li>Flatten order (arguments of a program, leaves of a list) is JAX's for nested dicts: components compared
 *       as strings, so {@code decoder_layer_10} sorts before {@code decoder_layer_2}. It depends only on the
 *       paths, never on insertion order.</li>
 * </ul>
 *
 * <pre>{@code
 * Tree<TensorType> types = Tree.<TensorType>builder()
 *     .put("mlp/w1", TensorType.of(DType.BF16, 512, 2048))
 *     .put("mlp/w2", TensorType.of(DType.BF16, 2048, 512))
 *     .build();
 * Mesh mesh = Mesh.builder("mesh").axis("data", 2).axis("model", 4).build();
 * Tree<Sharding> shardings = PartitionRules.regex()
 *     .rule("w1$", PartitionSpec.of("data", "model"))
 *     .rule("w2$", PartitionSpec.of("model", "data"))
 *     .build().shardings(types, mesh);
 * Graph g = new Graph("mlp");
 * Tree<Tensor> p = g.parameters(types, shardings);           // arguments in flatten order: mlp/w1, mlp/w2
 * Tensor y = x.matmul(p.get("mlp/w1")).matmul(p.get("mlp/w2"));
 * Tree<Tensor> mlp = p.subtree("mlp");                       // paths "w1", "w2"
 * }</pre>
 */
package org.xla4j.tree;
