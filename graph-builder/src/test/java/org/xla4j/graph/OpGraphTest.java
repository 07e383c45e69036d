package org.xla4j.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.program.Program;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

class OpGraphTest {
  static final int MATMUL_LINE = 27; // the line of x.matmul(w) below

  /** y = tanh(x @ w) under scope layer0/mlp, plus a reduction at the top: 4x8 @ 8x16. */
  static Program mlp() {
    Graph g = new Graph("mlp");
    Tensor x = g.parameter("x", TensorType.of(DType.F32, 4, 8));
    Tensor w = g.parameter("layer0/w", TensorType.of(DType.F32, 8, 16));
    Tensor h = g.scope("layer0", () -> g.scope("mlp", () -> x.matmul(w).tanh()));
    return g.program(h, h.sum(1));
  }

  @Test
  void graphOfAProgramCarriesScopesSourceLinesTypesAndStaticCosts() {
    OpGraph g = OpGraph.of(mlp());
    OpNode dot = g.nodes().stream().filter(n -> n.kind().equals("stablehlo.dot_general")).findFirst().orElseThrow();
    assertEquals("layer0/mlp", dot.scope());
    assertEquals("OpGraphTest.java", dot.file());
    assertEquals(MATMUL_LINE, dot.line());
    assertEquals(List.of("tensor<4x8xf32>", "tensor<8x16xf32>"), dot.inputTypes());
    assertEquals(List.of("tensor<4x16xf32>"), dot.resultTypes());
    assertEquals(List.of("%arg0", "%arg1"), dot.inputs());
    assertEquals(2L * 4 * 16 * 8, dot.flops()); // 2·M·N·K
    assertEquals((4 * 8 + 8 * 16 + 4 * 16) * 4L, dot.bytes());
    OpNode tanh = g.nodes().stream().filter(n -> n.kind().equals("stablehlo.tanh")).findFirst().orElseThrow();
    assertEquals(64, tanh.flops());
    assertEquals(List.of(dot.name()), tanh.inputs());
    OpNode reduce = g.nodes().stream().filter(n -> n.kind().equals("stablehlo.reduce")).findFirst().orElseThrow();
    assertEquals("", reduce.scope());
    assertEquals(64, reduce.flops()); // one add per input element
    assertTrue(reduce.text().contains("stablehlo.return"), reduce.text()); // the region stays in the op's text
    assertEquals((4 * 8 + 8 * 16) * 4L, g.argumentBytes());
    assertEquals(1, g.countsByKind().get("stablehlo.dot_general"));
    long[] scope = g.costByScope().get("layer0");
    assertEquals(dot.flops() + tanh.flops(), scope[0]);
    assertEquals(2, scope[2]);
  }

  @Test
  void readsLocationAliasesPlainFileLocationsAndMultiResultOps() {
    String text = """
        module @jax_export attributes {mhlo.num_partitions = 1 : i32} {
          func.func public @main(%arg0: tensor<2x3xf32> loc("x"), %arg1: tensor<3xi32>) -> (tensor<2x3xf32>) {
            %0 = "stablehlo.exponential"(%arg0) : (tensor<2x3xf32>) -> tensor<2x3xf32> loc(#loc3)
            %1:2 = "chlo.top_k"(%0) <{k = 2 : i64}> : (tensor<2x3xf32>) -> (tensor<2x2xf32>, tensor<2x2xi32>) loc("m.py":7:2)
            %2 = "stablehlo.custom_call"(%1#0) <{call_target_name = "Foo", api_version = 2 : i32}> : (tensor<2x2xf32>) -> tensor<2x2xf32>
            "func.return"(%0) : (tensor<2x3xf32>) -> ()
          }
        }
        #loc2 = loc("model.py":12:4)
        #loc3 = loc("jit(f)/attn/exp"(#loc2))
        """;
    OpGraph g = OpGraph.read(text);
    assertEquals("jax_export", g.module());
    assertEquals(List.of("%arg0", "%arg1"), g.argNames());
    assertEquals(3, g.nodes().size());
    OpNode exp = g.nodes().get(0);
    assertEquals("jit(f)/attn", exp.scope());
    assertEquals("model.py", exp.file());
    assertEquals(12, exp.line());
    OpNode top = g.nodes().get(1);
    assertEquals("%1", top.name());
    assertEquals(2, top.resultTypes().size());
    assertEquals("m.py", top.file());
    assertEquals(7, top.line());
    assertEquals(List.of("%1#0"), g.nodes().get(2).inputs());
    assertEquals(java.util.Map.of("Foo", 1), g.customCalls());
    assertThrows(IllegalArgumentException.class, () -> OpGraph.read("module @m {}"));
  }

  @Test
  void htmlIsSelfContainedAndEmbedsEveryOp() {
    String html = GraphHtml.render(OpGraph.of(mlp()));
    assertFalse(html.matches("(?s).*(src=|href=|@import|https?://|fetch\\().*"), "nothing may be fetched");
    assertTrue(html.contains("\"k\":\"stablehlo.dot_general\""));
    assertTrue(html.contains("\"s\":\"layer0/mlp\""));
    assertFalse(html.contains("__DATA__"));
    // an op text holding </script> cannot end the page's script
    assertFalse(Json.str("</script>").contains("</"));
  }

  @Test
  void dotHasNestedClustersAndTypedEdges() {
    String dot = GraphDot.render(OpGraph.of(mlp()));
    assertTrue(dot.contains("subgraph \"cluster_layer0\""), dot);
    assertTrue(dot.contains("subgraph \"cluster_layer0/mlp\""), dot);
    assertTrue(dot.contains("a0 -> n"), dot);
    assertTrue(dot.contains("[label=\"tensor<4x8xf32>\""), dot);
  }

  @Test
  void diffCountsKindsAndFlops() {
    Graph g = new Graph("other");
    Tensor x = g.parameter("x", TensorType.of(DType.F32, 4, 8));
    String diff = GraphDiff.text(OpGraph.of(mlp()), OpGraph.of(g.program(x.exp())));
    assertTrue(diff.matches("(?s).*stablehlo.dot_general\\s+1\\s+0\\s+-1.*"), diff);
    assertTrue(diff.matches("(?s).*stablehlo.exponential\\s+0\\s+1\\s+\\+1.*"), diff);
    assertTrue(diff.matches("(?s).*argument bytes\\s+640\\s+128\\s+-512.*"), diff);
  }

  @Test
  void programDumpWritesNumberedStages(@TempDir Path dir) throws Exception {
    Program p = mlp().withDonated("x");
    List<Path> files = p.dump(dir);
    assertEquals(List.of("01-program.txt", "02-stablehlo.mlir", "02-stablehlo-locations.mlir", "06-graph.html",
        "06-graph.dot"), files.stream().map(f -> f.getFileName().toString()).toList());
    String summary = Files.readString(dir.resolve("01-program.txt"));
    assertTrue(summary.matches("(?s).*0\\s+x\\s+tensor<4x8xf32>\\s+unsharded\\s+donated.*"), summary);
    assertTrue(summary.contains("layer0/w"), summary);
    assertFalse(Files.readString(dir.resolve("02-stablehlo.mlir")).contains("loc("));
    assertTrue(Files.readString(dir.resolve("02-stablehlo-locations.mlir")).contains("\"OpGraphTest.java\":" + MATMUL_LINE));
  }
}
