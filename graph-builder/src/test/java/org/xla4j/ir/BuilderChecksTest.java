package org.xla4j.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/** Shape/dtype/scope checks at build time, and the messages users see. */
class BuilderChecksTest {
  private static final TensorType F32_2x3 = TensorType.of(DType.F32, 2, 3);

  private static void assertMessage(OpException e, String... parts) {
    for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
    assertTrue(e.getMessage().contains("BuilderChecksTest.java:"), "no call site in: " + e.getMessage());
  }

  @Test
  void mismatchedOperandsNameOpTypesAndCallSite() {
    FunctionBuilder fb = new ModuleBuilder("m").function("main");
    Value a = fb.arg(F32_2x3);
    Value b = fb.arg(TensorType.of(DType.F32, 3, 2));
    OpException e = assertThrows(OpException.class, () -> fb.emit1(new Op.Binary(BinaryKind.ADD, a, b)));
    assertMessage(e, "stablehlo.add", "tensor<2x3xf32>", "tensor<3x2xf32>", "requires");
    assertEquals("stablehlo.add", e.opName());
    assertTrue(e.location().line() > 0);
  }

  @Test
  void dtypeRulesPerOp() {
    FunctionBuilder fb = new ModuleBuilder("m").function("main");
    Value i = fb.arg(TensorType.of(DType.I32, 4));
    Value f = fb.arg(TensorType.of(DType.F32, 4));
    assertMessage(assertThrows(OpException.class, () -> fb.emit1(new Op.Unary(UnaryKind.EXP, i))),
        "stablehlo.exponential", "floating-point", "tensor<4xi32>");
    assertMessage(assertThrows(OpException.class, () -> fb.emit1(new Op.Binary(BinaryKind.AND, f, f))),
        "stablehlo.and", "pred or integer");
    assertMessage(assertThrows(OpException.class,
        () -> fb.emit1(new Op.DotGeneral(i, f, DotDims.matmul(), Precision.DEFAULT, Precision.DEFAULT, null))),
        "stablehlo.dot_general", "one element type");
  }

  @Test
  void shapeRules() {
    FunctionBuilder fb = new ModuleBuilder("m").function("main");
    Value x = fb.arg(F32_2x3);
    Value w = fb.arg(TensorType.of(DType.F32, 4, 5));
    assertMessage(assertThrows(OpException.class,
        () -> fb.emit1(new Op.DotGeneral(x, w, DotDims.matmul(), Precision.DEFAULT, Precision.DEFAULT, null))),
        "contracting sizes", "tensor<2x3xf32>", "tensor<4x5xf32>");
    assertMessage(assertThrows(OpException.class, () -> fb.emit1(new Op.Reshape(x, Shape.of(5)))),
        "stablehlo.reshape", "same number of elements");
    assertMessage(assertThrows(OpException.class,
        () -> fb.emit1(new Op.BroadcastInDim(x, Shape.of(2, 4), List.of(0, 1)))),
        "stablehlo.broadcast_in_dim", "to be 1 or equal");
    assertMessage(assertThrows(OpException.class, () -> fb.emit1(new Op.Transpose(x, List.of(0, 0)))),
        "stablehlo.transpose", "permutation");
    assertMessage(assertThrows(OpException.class,
        () -> fb.emit1(new Op.Slice(x, List.of(0L, 0L), List.of(3L, 3L), List.of(1L, 1L)))),
        "stablehlo.slice", "limit <= dim");
    Value ok = fb.emit1(new Op.DotGeneral(x, fb.arg(TensorType.of(DType.F32, 3, 5)), DotDims.matmul(),
        Precision.DEFAULT, Precision.HIGHEST, DType.F32));
    assertEquals(TensorType.of(DType.F32, 2, 5), ok.type());
  }

  @Test
  void regionsAreCheckedForSignatureAndCaptures() {
    FunctionBuilder fb = new ModuleBuilder("m").function("main");
    Value x = fb.arg(F32_2x3);
    Value init = fb.emit1(new Op.Constant(Literal.splat(TensorType.scalar(DType.F32), 0)));
    TensorType s = TensorType.scalar(DType.F32);
    // an isolated reducer may not capture x
    OpException cap = assertThrows(OpException.class, () -> fb.region(List.of(s, s), true,
        a -> List.of(fb.emit1(new Op.Binary(BinaryKind.ADD, a.get(0), init)))));
    assertMessage(cap, "stablehlo.add", "isolated");
    // wrong reducer signature
    Block bad = fb.region(List.of(s, s), true, a -> List.of(fb.emit1(new Op.Compare(Comparison.Direction.LT,
        Comparison.Type.FLOAT, a.get(0), a.get(1)))));
    assertMessage(assertThrows(OpException.class,
        () -> fb.emit1(new Op.Reduce(List.of(x), List.of(init), List.of(1), bad))),
        "stablehlo.reduce", "body to return [tensor<f32>]", "tensor<i1>");
  }

  @Test
  void valuesFromAnotherFunctionAndReturnedFunctionsAreRejected() {
    ModuleBuilder mb = new ModuleBuilder("m");
    FunctionBuilder f1 = mb.function("helper");
    Value a = f1.arg(F32_2x3);
    FunctionBuilder f2 = mb.function("main");
    Value b = f2.arg(F32_2x3);
    assertMessage(assertThrows(OpException.class, () -> f2.emit1(new Op.Binary(BinaryKind.ADD, a, b))),
        "visible here");
    f1.ret(a);
    assertMessage(assertThrows(OpException.class, () -> f1.emit1(new Op.Unary(UnaryKind.NEGATE, a))),
        "already returned");
    Value c = f2.emit(mb.call(f1.func(), List.of(b))).get(0);
    f2.ret(c);
    String text = StableHloPrinter.print(mb.build(), EmitOptions.unsharded());
    assertTrue(text.contains("\"func.call\"(%arg0) <{callee = @helper}>"), text);
    assertTrue(text.contains("func.func private @helper"), text);
  }

  @Test
  void locationsCarryScopeAndUserFrame() {
    ModuleBuilder mb = new ModuleBuilder("m");
    FunctionBuilder fb = mb.function("main");
    Value x = fb.arg(F32_2x3);
    Value y = fb.scope("layer0/mlp", () -> fb.emit1(new Op.Unary(UnaryKind.TANH, x)));
    fb.ret(y);
    String text = StableHloPrinter.print(mb.build(), EmitOptions.unsharded().withLocations(true));
    int line = new Throwable().getStackTrace()[0].getLineNumber() - 3; // the scope(...) line above
    // a NameLoc (scope path / op kind -> HLO op_name) around a FileLineColLoc (-> source_file, source_line)
    assertTrue(text.contains("loc(\"layer0/mlp/tanh\"(\"BuilderChecksTest.java\":" + line + ":0))"), text);
    String plain = StableHloPrinter.print(mb.build(), EmitOptions.unsharded());
    assertTrue(!plain.contains("loc("), plain);
  }

  @Test
  void literalsPrintExactly() {
    ModuleBuilder mb = new ModuleBuilder("m");
    FunctionBuilder fb = mb.function("main");
    Value a = fb.emit1(new Op.Constant(Literal.splat(TensorType.of(DType.BF16, 2), 0.1)));
    Value b = fb.emit1(new Op.Constant(Literal.splat(TensorType.scalar(DType.F32), Double.NaN)));
    Value c = fb.emit1(new Op.Constant(Literal.ofLongs(TensorType.of(DType.U64, 1), -1L)));
    Value d = fb.emit1(new Op.Constant(Literal.of(TensorType.of(DType.PRED, 2, 2), 1, 0, 0, 1)));
    fb.ret(a, b, c, d);
    String text = StableHloPrinter.print(mb.build(), EmitOptions.unsharded());
    // bf16(0.1) is exactly 0.10009765625
    assertTrue(text.contains("dense<0.10009765625> : tensor<2xbf16>"), text);
    assertTrue(text.contains("dense<0x7FC00000> : tensor<f32>"), text);
    assertTrue(text.contains("dense<\"0xFFFFFFFFFFFFFFFF\"> : tensor<1xui64>"), text);
    assertTrue(text.contains("dense<[[true, false], [false, true]]> : tensor<2x2xi1>"), text);
  }

  @Test
  void integerConstantsRefuseFractionsAndOverflow() {
    var e = assertThrows(IllegalArgumentException.class, () -> Literal.splat(TensorType.scalar(DType.I32), 1e12));
    assertTrue(e.getMessage().contains("i32") && e.getMessage().contains("2147483647"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Literal.of(TensorType.of(DType.U8, 2), 1, 256));
    assertThrows(IllegalArgumentException.class, () -> Literal.of(TensorType.of(DType.I8, 1), 0.5));
    assertEquals(-128, Literal.of(TensorType.of(DType.I8, 1), -128).getLong(0));
    assertEquals(-1L, Literal.ofLongs(TensorType.of(DType.U64, 1), -1L).getLong(0)); // bit patterns stay allowed
  }
}
