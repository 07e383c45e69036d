/**
 * The {@link org.xla4j.program.Program}: one immutable object between the builder and every backend.
 *
 * <p>A program holds the module, a name for every argument and result (a {@link org.xla4j.tree.Tree}
 * path: the leaf paths of {@code Graph.parameters(tree)}, {@code argN} for a single
 * {@code Graph.parameter(...)} unless given a name, {@code outN} or the output tree's paths for
 * results), the shardings and their mesh, the partitioner, the device counts, the donated arguments
 * and whether source locations are printed. The counts are derived, never set twice: the partition
 * count is the device count of the mesh the shardings name, and stating another one is an error that
 * names both numbers. Backends compile a program with {@code backend.compile(program)} and take every
 * one of these facts from it; its StableHLO text is printed once per sharding dialect, on demand.
 *
 * <p>A donated argument is printed with the attribute XLA reads to reuse its buffer, as JAX does for
 * {@code jax.jit(f, donate_argnums=...)}: {@code tf.aliasing_output = N} when a result of the same type
 * is left to pair it with (results are taken in order, each once), {@code jax.buffer_donor = true}
 * otherwise.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.of("mesh", Map.of("data", 8));
 * Graph g = new Graph("step");
 * Tree<Tensor> p = g.parameters(weightTypes, weightShardings);          // arguments named by path
 * Tensor cache = g.parameter("cache", cacheType, Sharding.named(mesh, PartitionSpec.of("data")));
 * Tensor x = g.parameter("x", xType, Sharding.replicated());
 * Program prog = g.program(Tree.of(Map.of("logits", logits(p, x, cache), "cache", next(cache))))
 *     .withDonated("cache");                                             // cache aliases result "cache"
 * prog.numPartitions();        // 8, from the mesh
 * prog.withPartitions(1);      // IllegalArgumentException: 1 partition(s) requested ... 8 devices
 * String text = prog.text();   // Shardy text, printed once
 * try (Executable exe = backend.compile(prog)) {
 *   Tree<HostTensor> out = exe.executeTree(inputs);                      // keyed by the same paths
 * }
 * }</pre>
 */
package org.xla4j.program;
