package org.xla4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xla4j.ops.OpHarness.f32;
import static org.xla4j.ops.OpHarness.i32;
import static org.xla4j.ops.OpHarness.scalar;
import static org.xla4j.ops.OpHarness.t;
import static org.xla4j.types.DType.F32;
import static org.xla4j.types.DType.I32;
import static org.xla4j.types.DType.PRED;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Comparison;
import org.xla4j.ir.DotDims;
import org.xla4j.ir.FunctionBuilder;
import org.xla4j.ir.ModuleBuilder;
import org.xla4j.ir.Op;
import org.xla4j.ir.OpException;
import org.xla4j.ir.Precision;
import org.xla4j.ir.UnaryKind;
import org.xla4j.ir.Value;
import org.xla4j.runtime.CompileException;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * Bad input gets a clear message: ops built with mismatched operands (op name, both operand types, the
 * caller's file and line), executables run with the wrong arguments (index and both types), and text
 * that does not parse (XLA's own diagnostic).
 */
class BadInputTest {
  static OpHarness h;

  @BeforeAll
  static void open() { h = OpHarness.cpu(); }

  @AfterAll
  static void close() { h.close(); }

  /** Builds {@code op(args)} in a fresh function and expects it to be refused. */
  private static OpException refused(List<TensorType> args, Function<List<Value>, Op> op) {
    FunctionBuilder fb = new ModuleBuilder("bad").function("main");
    for (TensorType a : args) fb.arg(a);
    return assertThrows(OpException.class, () -> fb.emit(op.apply(fb.args())));
  }

  /** The message names the op and every given text, and points at this file (not the library). */
  private static void assertNames(OpException e, String op, String... texts) {
    String m = e.getMessage();
    assertTrue(m.startsWith(op + ": "), "starts with the op name '" + op + "': " + m);
    assertEquals(op, e.opName());
    for (String s : texts) assertTrue(m.contains(s), "names '" + s + "': " + m);
    assertTrue(m.contains("BadInputTest.java:"), "names this file as the call site: " + m);
    assertEquals("BadInputTest.java", e.location().file(), m);
    assertTrue(e.location().line() > 0, m);
  }

  @Test
  void binaryShapeMismatch() {
    OpException e = refused(List.of(t(F32, 2, 3), t(F32, 3, 2)), a -> new Op.Binary(BinaryKind.ADD, a.get(0), a.get(1)));
    assertNames(e, "stablehlo.add", "tensor<2x3xf32>", "tensor<3x2xf32>", "requires");
    assertTrue(e.getMessage().contains("BadInputTest.lambda$") || e.getMessage().contains("BadInputTest."),
        e.getMessage());
  }

  @Test
  void binaryDtypeMismatch() {
    OpException e = refused(List.of(t(F32, 4), t(I32, 4)), a -> new Op.Binary(BinaryKind.MULTIPLY, a.get(0), a.get(1)));
    assertNames(e, "stablehlo.multiply", "tensor<4xf32>", "tensor<4xi32>");
  }

  @Test
  void compareMismatch() {
    OpException e = refused(List.of(t(F32, 4), t(F32, 5)),
        a -> new Op.Compare(Comparison.Direction.LT, Comparison.Type.FLOAT, a.get(0), a.get(1)));
    assertNames(e, "stablehlo.compare", "tensor<4xf32>", "tensor<5xf32>");
  }

  @Test
  void dotContractingMismatch() {
    OpException e = refused(List.of(t(F32, 2, 3), t(F32, 4, 5)),
        a -> new Op.DotGeneral(a.get(0), a.get(1), DotDims.matmul(), Precision.DEFAULT, Precision.DEFAULT, null));
    assertNames(e, "stablehlo.dot_general", "tensor<2x3xf32>", "tensor<4x5xf32>", "contracting");
  }

  @Test
  void dotDtypeMismatch() {
    OpException e = refused(List.of(t(F32, 2, 3), t(org.xla4j.types.DType.BF16, 3, 5)),
        a -> new Op.DotGeneral(a.get(0), a.get(1), DotDims.matmul(), Precision.DEFAULT, Precision.DEFAULT, null));
    assertNames(e, "stablehlo.dot_general", "tensor<2x3xf32>", "tensor<3x5xbf16>");
  }

  @Test
  void concatenateMismatch() {
    OpException e = refused(List.of(t(F32, 2, 3), t(F32, 3, 3)), a -> new Op.Concatenate(List.of(a.get(0), a.get(1)), 1));
    assertNames(e, "stablehlo.concatenate", "tensor<2x3xf32>", "tensor<3x3xf32>");
  }

  @Test
  void selectPredShapeMismatch() {
    OpException e = refused(List.of(t(PRED, 3), t(F32, 4), t(F32, 4)), a -> new Op.Select(a.get(0), a.get(1), a.get(2)));
    assertNames(e, "stablehlo.select", "tensor<3xi1>", "[4]");
  }

  @Test
  void unaryWrongDtype() {
    OpException e = refused(List.of(t(I32, 4)), a -> new Op.Unary(UnaryKind.LOG, a.get(0)));
    assertNames(e, "stablehlo.log", "tensor<4xi32>", "floating-point");
  }

  @Test
  void reshapeElementCount() {
    OpException e = refused(List.of(t(F32, 2, 3)), a -> new Op.Reshape(a.get(0), Shape.of(4, 2)));
    assertNames(e, "stablehlo.reshape", "tensor<2x3xf32>", "[4, 2]");
  }

  @Test
  void valueFromAnotherFunctionIsRefused() {
    ModuleBuilder mb = new ModuleBuilder("bad");
    FunctionBuilder f = mb.function("f");
    Value foreign = f.arg(t(F32, 2));
    FunctionBuilder g = mb.function("main");
    Value x = g.arg(t(F32, 2));
    OpException e = assertThrows(OpException.class, () -> g.emit(new Op.Binary(BinaryKind.ADD, x, foreign)));
    assertNames(e, "stablehlo.add", "tensor<2xf32>");
  }

  // ------------------------------------------------------------------ executing with wrong arguments

  private static OpHarness.Compiled addProgram() {
    return h.compile(List.of(t(F32, 2, 3), t(F32, 2, 3)),
        (fb, a) -> List.of(fb.emit1(new Op.Binary(BinaryKind.ADD, a.get(0), a.get(1)))));
  }

  private static IllegalArgumentException badCall(Executable call) {
    return assertThrows(IllegalArgumentException.class, call);
  }

  @Test
  void executeWithWrongArgumentCount() {
    try (OpHarness.Compiled c = addProgram()) {
      HostTensor x = f32(new float[6], 2, 3);
      String m = badCall(() -> c.exe.execute(List.of(x))).getMessage();
      assertTrue(m.contains("2 argument(s)") && m.contains("got 1"), m);
      assertTrue(m.contains("tensor<2x3xf32>"), m);
      m = badCall(() -> c.exe.execute(List.of(x, x, x))).getMessage();
      assertTrue(m.contains("2 argument(s)") && m.contains("got 3"), m);
    }
  }

  @Test
  void executeWithWrongDtype() {
    try (OpHarness.Compiled c = addProgram()) {
      String m = badCall(() -> c.exe.execute(List.of(f32(new float[6], 2, 3), i32(new int[6], 2, 3)))).getMessage();
      assertTrue(m.contains("argument 1"), m);
      assertTrue(m.contains("tensor<2x3xf32>") && m.contains("tensor<2x3xi32>"), m);
    }
  }

  @Test
  void executeWithWrongShape() {
    try (OpHarness.Compiled c = addProgram()) {
      String m = badCall(() -> c.exe.execute(List.of(f32(new float[6], 3, 2), f32(new float[6], 2, 3)))).getMessage();
      assertTrue(m.contains("argument 0"), m);
      assertTrue(m.contains("tensor<2x3xf32>") && m.contains("tensor<3x2xf32>"), m);
      m = badCall(() -> c.exe.execute(List.of(f32(new float[6], 2, 3), f32(new float[6], 6)))).getMessage();
      assertTrue(m.contains("argument 1") && m.contains("tensor<6xf32>"), m);
    }
  }

  @Test
  void executeScalarWhereTensorExpected() {
    try (OpHarness.Compiled c = h.compile(List.of(scalar(F32)), (fb, a) -> List.of(a.get(0)))) {
      String m = badCall(() -> c.exe.execute(List.of(f32(new float[] {1f}, 1)))).getMessage();
      assertTrue(m.contains("argument 0") && m.contains("tensor<f32>") && m.contains("tensor<1xf32>"), m);
    }
  }

  @Test
  void malformedModuleCarriesXlaDiagnostic() {
    String text = OpHarness.program(List.of(t(F32, 4)),
        (fb, a) -> List.of(fb.emit1(new Op.Unary(UnaryKind.EXP, a.get(0))))).text()
        .replace("stablehlo.exponential", "stablehlo.frobnicate");
    CompileException e = assertThrows(CompileException.class, () -> h.backend().compile(text, CompileOptions.defaults()));
    assertTrue(e.getMessage().contains("frobnicate"), e.getMessage());
    assertTrue(!e.diagnostic().isBlank(), "carries the parser's diagnostic");
  }
}
