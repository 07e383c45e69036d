package org.xla4j.types;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SignatureTest {
  @Test
  void prettyFormWithAttributes() {
    String text = """
        module @m {
          func.func public @main(%arg0: tensor<4x8xf32> {mhlo.sharding = "{devices=[2,1]0,1}"}, %arg1: tensor<i32>) -> (tensor<4x16xbf16> {jax.result_info = "result[0]"}, tensor<2xi1>) {
            return
          }
        }""";
    Signature s = Signature.parseMain(text);
    assertEquals(List.of(TensorType.of(DType.F32, 4, 8), TensorType.scalar(DType.I32)), s.args());
    assertEquals(List.of(TensorType.of(DType.BF16, 4, 16), TensorType.of(DType.PRED, 2)), s.results());
  }

  @Test
  void singleUnparenthesizedResult() {
    Signature s = Signature.parseMain("func.func @main(%a: tensor<2xui32>) -> tensor<2xf16> {\n}");
    assertEquals(List.of(TensorType.of(DType.U32, 2)), s.args());
    assertEquals(List.of(TensorType.of(DType.F16, 2)), s.results());
  }

  @Test
  void genericForm() {
    String text = "\"builtin.module\"() ({\n  \"func.func\"() <{function_type = (tensor<2xf32>) -> tensor<i32>,"
        + " sym_name = \"helper\"}> ({}) : () -> ()\n  \"func.func\"() <{arg_attrs = [{}], function_type ="
        + " (tensor<4x8xf32>) -> (tensor<4x3xf32>, tensor<4xi32>), sym_name = \"main\"}> ({}) : () -> ()\n}) : () -> ()";
    Signature s = Signature.parseMain(text);
    assertEquals(List.of(TensorType.of(DType.F32, 4, 8)), s.args());
    assertEquals(List.of(TensorType.of(DType.F32, 4, 3), TensorType.of(DType.I32, 4)), s.results());
  }

  @Test
  void dynamicShapesAndMissingMainAreClearErrors() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Signature.parseMain("func.func @main(%a: tensor<?x2xf32>) -> tensor<f32> {}"));
    assertEquals(true, e.getMessage().contains("static shapes"), e.getMessage());
    var e2 = assertThrows(IllegalArgumentException.class, () -> Signature.parseMain("module {}"));
    assertEquals(true, e2.getMessage().contains("@main"), e2.getMessage());
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
