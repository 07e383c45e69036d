package org.xla4j.program;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.PartitionSpec;
import org.xla4j.sharding.Sharding;
import org.xla4j.sharding.ShardingFormat;
import org.xla4j.types.DType;
import org.xla4j.types.Signature;
import org.xla4j.types.TensorType;

/** The one reader of external StableHLO text (issue 8 item 7: comments, strings, tuples). */
class ModuleTextTest {
  @Test
  void prettyFormWithAttributes() {
    String text = """
        module @m attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
          func.func public @main(%arg0: tensor<4x8xf32> {mhlo.sharding = "{devices=[2,1]0,1}"}, %arg1: tensor<i32>) -> (tensor<4x16xbf16> {jax.result_info = "result[0]", mhlo.sharding = "{devices=[2,1]0,1}"}, tensor<2xi1>) {
            return
          }
        }""";
    ModuleText m = ModuleText.read(text);
    Signature s = m.signature();
    assertEquals(List.of(TensorType.of(DType.F32, 4, 8), TensorType.scalar(DType.I32)), s.args());
    assertEquals(List.of(TensorType.of(DType.BF16, 4, 16), TensorType.of(DType.PRED, 2)), s.results());
    assertEquals(2, m.numPartitions());
    assertEquals(1, m.numReplicas());
    assertFalse(m.shardy());
    assertEquals(List.of("mhlo.sharding = \"{devices=[2,1]0,1}\"", ""), m.argShardingTexts());
    assertEquals(PartitionSpec.of("d0", null), ((Sharding.Named) m.resultShardings().get(0)).spec());
    assertEquals(orderedAxes().get("d0"), ((Sharding.Named) m.resultShardings().get(0)).mesh().axisSize("d0"));
    assertNull(m.resultShardings().get(1));
  }

  private static java.util.Map<String, Integer> orderedAxes() {
    java.util.Map<String, Integer> a = new java.util.LinkedHashMap<>();
    a.put("d0", 2);
    a.put("d1", 1);
    return a;
  }

  @Test
  void singleUnparenthesizedResultAndNoCounts() {
    ModuleText m = ModuleText.read("func.func @main(%a: tensor<2xui32>) -> tensor<2xf16> {\n}");
    assertEquals(List.of(TensorType.of(DType.U32, 2)), m.signature().args());
    assertEquals(List.of(TensorType.of(DType.F16, 2)), m.signature().results());
    assertEquals(1, m.numPartitions());
  }

  @Test
  void genericForm() {
    String text = "\"builtin.module\"() ({\n  \"func.func\"() <{function_type = (tensor<2xf32>) -> tensor<i32>,"
        + " sym_name = \"helper\"}> ({}) : () -> ()\n  \"func.func\"() <{arg_attrs = [{mhlo.sharding = \"{replicated}\"}],"
        + " function_type = (tensor<4x8xf32>) -> (tensor<4x3xf32>, tensor<4xi32>), sym_name = \"main\"}> ({}) : () -> ()\n"
        + "}) : () -> ()";
    ModuleText m = ModuleText.read(text);
    assertEquals(List.of(TensorType.of(DType.F32, 4, 8)), m.signature().args());
    assertEquals(List.of(TensorType.of(DType.F32, 4, 3), TensorType.of(DType.I32, 4)), m.signature().results());
    assertEquals(List.of("mhlo.sharding = \"{replicated}\""), m.argShardingTexts());
  }

  /** Fails on the old readers: both took the first "@main(" in the text, a comment's. */
  @Test
  void mainInACommentIsNotMain() {
    String text = """
        // func.func public @main(%x: tensor<9xf64>) -> tensor<9xf64>  (an old version)
        module @m {
          func.func private @helper(%a: tensor<2xf32>) -> tensor<2xf32> {
            return %a : tensor<2xf32>
          }
          func.func public @main(%arg0: tensor<3xf32>) -> tensor<3xf32> {  // @main(%bogus: tensor<1xi8>)
            return %arg0 : tensor<3xf32>
          }
        }""";
    ModuleText m = ModuleText.read(text);
    assertEquals(List.of(TensorType.of(DType.F32, 3)), m.signature().args());
    assertEquals(List.of(TensorType.of(DType.F32, 3)), m.signature().results());
  }

  /** Fails on the old readers: a string attribute holding "func.func @main(" was read as main. */
  @Test
  void mainInsideAStringIsNotMain() {
    String text = """
        module @m attributes {mhlo.frontend_attributes = {note = "func.func @main(%q: tensor<5xi32>) -> tensor<5xi32>"}} {
          func.func @main(%arg0: tensor<2x2xbf16> {jax.arg_info = "x: a @main(arg)"}) -> (tensor<2x2xbf16>) {
            return %arg0 : tensor<2x2xbf16>
          }
        }""";
    ModuleText m = ModuleText.read(text);
    assertEquals(List.of(TensorType.of(DType.BF16, 2, 2)), m.signature().args());
  }

  @Test
  void commentedCountsAndShardyAreIgnored() {
    String text = """
        // mhlo.num_partitions = 8 and sdy.mesh live only in this comment
        module @m attributes {mhlo.num_replicas = 1 : i32} {
          func.func @main(%arg0: tensor<2xf32>) -> tensor<2xf32> {
            return %arg0 : tensor<2xf32>
          }
        }""";
    ModuleText m = ModuleText.read(text);
    assertEquals(1, m.numPartitions());
    assertFalse(m.shardy());
  }

  /** Fails on the old readers: they read a tuple argument as its first tensor. */
  @Test
  void tupleArgumentIsRefusedNamingIt() {
    String text = "func.func @main(%arg0: tensor<2xf32>, %pair: tuple<tensor<3xf32>, tensor<4xi32>>) -> tensor<2xf32> {}";
    var e = assertThrows(IllegalArgumentException.class, () -> ModuleText.read(text));
    assertTrue(e.getMessage().contains("argument 1 (%pair)"), e.getMessage());
    assertTrue(e.getMessage().contains("tuple<tensor<3xf32>, tensor<4xi32>>"), e.getMessage());
    var r = assertThrows(IllegalArgumentException.class,
        () -> ModuleText.read("func.func @main(%a: tensor<2xf32>) -> (tuple<tensor<2xf32>>) {}"));
    assertTrue(r.getMessage().contains("result 0"), r.getMessage());
  }

  @Test
  void dynamicShapesAndMissingMainAreClearErrors() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> ModuleText.read("func.func @main(%a: tensor<?x2xf32>) -> tensor<f32> {}"));
    assertTrue(e.getMessage().contains("static shapes"), e.getMessage());
    var e2 = assertThrows(IllegalArgumentException.class, () -> ModuleText.read("module {}"));
    assertTrue(e2.getMessage().contains("@main"), e2.getMessage());
    var e3 = assertThrows(IllegalArgumentException.class,
        () -> ModuleText.read("// func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {}\nmodule {}"));
    assertTrue(e3.getMessage().contains("@main"), e3.getMessage());
  }

  @Test
  void readsWhatTheProgramPrintsInEveryFormat() {
    Mesh mesh = Mesh.of("mesh", java.util.Map.of("x", 2));
    Graph g = new Graph("rt");
    Sharding rows = Sharding.named(mesh, PartitionSpec.of("x", null));
    Tensor a = g.parameter("a", TensorType.of(DType.F32, 4, 8), rows);
    Tensor b = g.parameter("b", TensorType.of(DType.I32, 3));
    Program p = g.program(List.of(a.exp(), b), java.util.Arrays.asList(rows, null)).withDonated("a");
    for (ShardingFormat f : ShardingFormat.values()) {
      ModuleText m = ModuleText.read(p.text(f));
      assertEquals(p.signature(), m.signature(), f.name());
      assertEquals(f == ShardingFormat.NONE ? 1 : 2, m.numPartitions(), f.name());
      assertEquals(f == ShardingFormat.SHARDY, m.shardy(), f.name());
    }
    assertEquals(rows.getClass(), ModuleText.read(p.text(ShardingFormat.GSPMD)).resultShardings().get(0).getClass());
    // Shardy text names the program's own mesh: the result sharding reads back equal
    assertEquals(rows, ModuleText.read(p.text(ShardingFormat.SHARDY)).resultShardings().get(0));
  }

  @Test
  void shardyResultShardingsOverADeclaredMesh() {
    String text = """
        module @m attributes {mhlo.num_partitions = 8 : i32} {
          sdy.mesh @mesh = <["data"=2, "model"=4], device_ids=[7, 6, 5, 4, 3, 2, 1, 0]>
          func.func public @main(%arg0: tensor<4x8xf32>) -> (tensor<4x8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data", "model"}, {}]>}, tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}]>}, tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"model":(1)2}]>}, tensor<8xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"data", ?}]>}) {
            return
          }
        }""";
    List<Sharding> r = ModuleText.read(text).resultShardings();
    Sharding.Named s0 = (Sharding.Named) r.get(0);
    assertEquals(PartitionSpec.of(List.of("data", "model"), null), s0.spec());
    assertEquals(List.of(7, 6, 5, 4, 3, 2, 1, 0), s0.mesh().deviceIds());
    assertEquals(Sharding.replicated(), r.get(1));
    assertNull(r.get(2), "sub-axis: no mesh equivalent");
    assertNull(r.get(3), "open dimension");
  }

  @Test
  void tensorTypeRoundTrip() {
    for (DType d : DType.values()) {
      TensorType t = TensorType.of(d, 2, 3);
      assertEquals(t, TensorType.parse(t.mlir()));
    }
    assertEquals(TensorType.scalar(DType.BF16), TensorType.parse("tensor<bf16>"));
  }
}
