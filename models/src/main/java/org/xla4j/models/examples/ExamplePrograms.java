package org.xla4j.models.examples;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.HloModule;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.PartitionSpec;
import org.xla4j.sharding.Sharding;
import org.xla4j.types.DType;

/**
 * Small built-in programs, for {@code xla4j emit} and the demo: each is what a user would write with
 * the DSL.
 *
 * <pre>{@code
 * HloModule m = ExamplePrograms.build("softmax");
 * }</pre>
 */
public final class ExamplePrograms {
  private static final Map<String, Supplier<HloModule>> PROGRAMS = new LinkedHashMap<>();

  static {
    PROGRAMS.put("softmax", ExamplePrograms::softmaxXw);
    PROGRAMS.put("mlp", ExamplePrograms::mlp);
    PROGRAMS.put("argmax", ExamplePrograms::argmaxTopK);
    PROGRAMS.put("sharded", ExamplePrograms::shardedMatmul);
  }

  private ExamplePrograms() {}

  public static List<String> names() { return List.copyOf(PROGRAMS.keySet()); }

  public static HloModule build(String name) {
    Supplier<HloModule> s = PROGRAMS.get(name);
    if (s == null) throw new IllegalArgumentException("no example program '" + name + "'; choose one of " + names());
    return s.get();
  }

  /** softmax(x·W) over the last axis: x f32[4,8], W f32[8,16]. */
  public static HloModule softmaxXw() {
    Graph g = new Graph("softmax_xw");
    Tensor x = g.parameter(DType.F32, 4, 8);
    Tensor w = g.parameter(DType.F32, 8, 16);
    return g.build(x.matmul(w).softmax(-1));
  }

  /** A two-layer MLP in bf16 with f32 accumulation: gelu-free, tanh activation, bias broadcast. */
  public static HloModule mlp() {
    Graph g = new Graph("mlp");
    Tensor x = g.parameter(DType.BF16, 8, 64);
    Tensor w1 = g.parameter(DType.BF16, 64, 256);
    Tensor b1 = g.parameter(DType.BF16, 256);
    Tensor w2 = g.parameter(DType.BF16, 256, 64);
    Tensor h = g.scope("layer1", () -> x.matmul(w1, DType.F32).add(b1.astype(DType.F32)).tanh());
    Tensor y = g.scope("layer2", () -> h.astype(DType.BF16).matmul(w2, DType.F32));
    return g.build(y.astype(DType.BF16));
  }

  /** argmax and top-3 of logits, as a decoder's sampling step does. */
  public static HloModule argmaxTopK() {
    Graph g = new Graph("argmax_topk");
    Tensor logits = g.parameter(DType.F32, 2, 32);
    var top = logits.topK(3);
    return g.build(logits.argmax(-1), top.values(), top.indices());
  }

  /** A data- and model-parallel matmul on a 2x4 mesh (emit it with --sharding gspmd|shardy). */
  public static HloModule shardedMatmul() {
    Mesh mesh = Mesh.builder("mesh").axis("data", 2).axis("model", 4).build();
    Graph g = new Graph("sharded_matmul");
    Tensor x = g.parameter(org.xla4j.types.TensorType.of(DType.F32, 16, 32),
        Sharding.named(mesh, PartitionSpec.of("data", null)));
    Tensor w = g.parameter(org.xla4j.types.TensorType.of(DType.F32, 32, 64),
        Sharding.named(mesh, PartitionSpec.of(null, "model")));
    Tensor y = x.matmul(w).shardingConstraint(Sharding.named(mesh, PartitionSpec.of("data", "model")));
    return g.build(List.of(y.tanh()), java.util.Collections.singletonList(Sharding.named(mesh, PartitionSpec.of("data", "model"))));
  }
}
