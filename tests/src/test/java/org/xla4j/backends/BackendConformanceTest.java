package org.xla4j.backends;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileException;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/**
 * The same small programs on every backend ({@link BackendUnderTest#specs()}), checked against Java
 * oracles. Cases of a backend that is not on this machine report as skipped with the reason.
 */
class BackendConformanceTest {
  static final CompileOptions OPTS = CompileOptions.defaults();

  static Stream<String> backends() { return BackendUnderTest.specs().stream(); }

  static Stream<Arguments> backendsAndDtypes() {
    List<Arguments> out = new ArrayList<>();
    for (String s : BackendUnderTest.specs()) {
      for (DType d : DType.values()) out.add(Arguments.of(s, d));
    }
    return out.stream();
  }

  static final String ADD_REDUCE = """
      module @add_reduce {
        func.func public @main(%arg0: tensor<2x3xf32>, %arg1: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>) {
          %0 = "stablehlo.add"(%arg0, %arg1) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
          %1 = "stablehlo.constant"() <{value = dense<0.000000e+00> : tensor<f32>}> : () -> tensor<f32>
          %2 = "stablehlo.reduce"(%0, %1) <{dimensions = array<i64: 0>}> ({
          ^bb0(%a: tensor<f32>, %b: tensor<f32>):
            %r = "stablehlo.add"(%a, %b) : (tensor<f32>, tensor<f32>) -> tensor<f32>
            "stablehlo.return"(%r) : (tensor<f32>) -> ()
          }) : (tensor<2x3xf32>, tensor<f32>) -> tensor<3xf32>
          "func.return"(%0, %2) : (tensor<2x3xf32>, tensor<3xf32>) -> ()
        }
      }
      """;

  static final String MATMUL = """
      module @matmul {
        func.func public @main(%arg0: tensor<8x16xf32>, %arg1: tensor<16x4xf32>) -> tensor<8x4xf32> {
          %0 = "stablehlo.dot_general"(%arg0, %arg1) <{dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>, precision_config = [#stablehlo<precision HIGHEST>, #stablehlo<precision HIGHEST>]}> : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
          "func.return"(%0) : (tensor<8x4xf32>) -> ()
        }
      }
      """;

  static final String SOFTMAX = """
      module @softmax {
        func.func public @main(%arg0: tensor<4x5xf32>) -> tensor<4x5xf32> {
          %0 = "stablehlo.constant"() <{value = dense<0xFF800000> : tensor<f32>}> : () -> tensor<f32>
          %1 = "stablehlo.reduce"(%arg0, %0) <{dimensions = array<i64: 1>}> ({
          ^bb0(%a: tensor<f32>, %b: tensor<f32>):
            %r = "stablehlo.maximum"(%a, %b) : (tensor<f32>, tensor<f32>) -> tensor<f32>
            "stablehlo.return"(%r) : (tensor<f32>) -> ()
          }) : (tensor<4x5xf32>, tensor<f32>) -> tensor<4xf32>
          %2 = "stablehlo.broadcast_in_dim"(%1) <{broadcast_dimensions = array<i64: 0>}> : (tensor<4xf32>) -> tensor<4x5xf32>
          %3 = "stablehlo.subtract"(%arg0, %2) : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
          %4 = "stablehlo.exponential"(%3) : (tensor<4x5xf32>) -> tensor<4x5xf32>
          %5 = "stablehlo.constant"() <{value = dense<0.000000e+00> : tensor<f32>}> : () -> tensor<f32>
          %6 = "stablehlo.reduce"(%4, %5) <{dimensions = array<i64: 1>}> ({
          ^bb0(%a: tensor<f32>, %b: tensor<f32>):
            %r = "stablehlo.add"(%a, %b) : (tensor<f32>, tensor<f32>) -> tensor<f32>
            "stablehlo.return"(%r) : (tensor<f32>) -> ()
          }) : (tensor<4x5xf32>, tensor<f32>) -> tensor<4xf32>
          %7 = "stablehlo.broadcast_in_dim"(%6) <{broadcast_dimensions = array<i64: 0>}> : (tensor<4xf32>) -> tensor<4x5xf32>
          %8 = "stablehlo.divide"(%4, %7) : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
          "func.return"(%8) : (tensor<4x5xf32>) -> ()
        }
      }
      """;

  static final String INT_OPS = """
      module @ints {
        func.func public @main(%arg0: tensor<6xi32>, %arg1: tensor<6xi32>) -> (tensor<6xi32>, tensor<6xi1>) {
          %0 = "stablehlo.multiply"(%arg0, %arg1) : (tensor<6xi32>, tensor<6xi32>) -> tensor<6xi32>
          %1 = "stablehlo.compare"(%arg0, %arg1) <{comparison_direction = #stablehlo<comparison_direction LT>}> : (tensor<6xi32>, tensor<6xi32>) -> tensor<6xi1>
          "func.return"(%0, %1) : (tensor<6xi32>, tensor<6xi1>) -> ()
        }
      }
      """;

  static final String CONVERT = """
      module @convert {
        func.func public @main(%arg0: tensor<5xf32>) -> (tensor<5xbf16>, tensor<5xi32>) {
          %0 = "stablehlo.convert"(%arg0) : (tensor<5xf32>) -> tensor<5xbf16>
          %1 = "stablehlo.convert"(%arg0) : (tensor<5xf32>) -> tensor<5xi32>
          "func.return"(%0, %1) : (tensor<5xbf16>, tensor<5xi32>) -> ()
        }
      }
      """;

  static String identity(DType d) {
    String t = "tensor<2x3x" + d.mlir() + ">";
    return "module @id {\n  func.func public @main(%arg0: " + t + ") -> " + t + " {\n"
        + "    \"func.return\"(%arg0) : (" + t + ") -> ()\n  }\n}\n";
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void addAndReduce(String spec) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    float[] x = {1, 2, 3, 4, 5, 6};
    float[] y = {0.5f, -2, 10, 0, 1e6f, -6};
    try (Executable exe = b.compile(ADD_REDUCE, OPTS)) {
      List<HostTensor> out = exe.execute(HostTensor.of(x, 2, 3), HostTensor.of(y, 2, 3));
      float[] sum = new float[6];
      for (int i = 0; i < 6; i++) sum[i] = x[i] + y[i];
      assertArrayEquals(sum, out.get(0).toFloatArray());
      assertArrayEquals(new float[] {sum[0] + sum[3], sum[1] + sum[4], sum[2] + sum[5]}, out.get(1).toFloatArray());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void matmulMatchesJava(String spec) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    Random r = new Random(7);
    float[] a = new float[8 * 16];
    float[] w = new float[16 * 4];
    for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
    for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() - 0.5f;
    try (Executable exe = b.compile(MATMUL, OPTS)) {
      float[] got = exe.execute(HostTensor.of(a, 8, 16), HostTensor.of(w, 16, 4)).get(0).toFloatArray();
      for (int i = 0; i < 8; i++) {
        for (int j = 0; j < 4; j++) {
          double s = 0;
          for (int k = 0; k < 16; k++) s += (double) a[i * 16 + k] * w[k * 4 + j];
          assertEquals(s, got[i * 4 + j], 1e-4, "C[" + i + "," + j + "]");
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void softmaxRowsSumToOne(String spec) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    float[] x = new float[20];
    for (int i = 0; i < 20; i++) x[i] = (i % 7) - 3 + i * 0.25f;
    try (Executable exe = b.compile(SOFTMAX, OPTS)) {
      float[] got = exe.execute(HostTensor.of(x, 4, 5)).get(0).toFloatArray();
      for (int row = 0; row < 4; row++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < 5; j++) max = Math.max(max, x[row * 5 + j]);
        double z = 0;
        for (int j = 0; j < 5; j++) z += Math.exp(x[row * 5 + j] - max);
        for (int j = 0; j < 5; j++) {
          assertEquals(Math.exp(x[row * 5 + j] - max) / z, got[row * 5 + j], 1e-6, "row " + row + " col " + j);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void integerOpsAndPredicates(String spec) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    int[] x = {1, -2, 3, Integer.MAX_VALUE, 0, 7};
    int[] y = {5, 6, -7, 2, 0, 7};
    try (Executable exe = b.compile(INT_OPS, OPTS)) {
      List<HostTensor> out = exe.execute(HostTensor.ofInts(x, 6), HostTensor.ofInts(y, 6));
      int[] prod = new int[6];
      int[] lt = new int[6];
      for (int i = 0; i < 6; i++) {
        prod[i] = x[i] * y[i]; // wraps like XLA's s32 multiply
        lt[i] = x[i] < y[i] ? 1 : 0;
      }
      assertArrayEquals(prod, out.get(0).toIntArray());
      assertEquals(DType.PRED, out.get(1).dtype());
      assertArrayEquals(lt, out.get(1).toIntArray());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void convertsToBf16AndInt(String spec) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    float[] x = {1.5f, -2.75f, 3.0078125f, 100.9f, -0.4f};
    try (Executable exe = b.compile(CONVERT, OPTS)) {
      List<HostTensor> out = exe.execute(HostTensor.of(x, 5));
      HostTensor want = HostTensor.of(x, 5).astype(DType.BF16);
      assertEquals(want, out.get(0));
      assertArrayEquals(new int[] {1, -2, 3, 100, 0}, out.get(1).toIntArray());
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("backendsAndDtypes")
  void everyDtypeRoundTripsThroughAProgram(String spec, DType d) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    byte[] raw = new byte[6 * d.byteSize()];
    new Random(d.ordinal()).nextBytes(raw);
    if (d == DType.PRED) for (int i = 0; i < raw.length; i++) raw[i] &= 1;
    if (d.isFloat()) { // keep NaN payloads out of the comparison: small finite values only
      float[] f = new float[6];
      for (int i = 0; i < 6; i++) f[i] = i * 1.25f - 3;
      raw = HostTensor.of(f, 2, 3).astype(d).bytes();
    }
    HostTensor t = HostTensor.ofBytes(d, Shape.of(2, 3), raw);
    try (Executable exe = b.compile(identity(d), OPTS)) {
      assertEquals(t, exe.execute(t).get(0));
    }
    try (DeviceBuffer buf = b.toDevice(t)) {
      assertEquals(t, buf.toHost());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void resultsChainOnTheDevice(String spec) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    try (Executable exe = b.compile(ADD_REDUCE, OPTS);
         DeviceBuffer x = b.toDevice(HostTensor.of(new float[] {1, 1, 1, 1, 1, 1}, 2, 3))) {
      DeviceBuffer acc = b.toDevice(HostTensor.zeros(x.type()));
      for (int i = 0; i < 10; i++) {
        List<DeviceBuffer> out = exe.executeBuffers(List.of(acc, x));
        acc.close();
        out.get(1).close();
        acc = out.get(0);
      }
      assertArrayEquals(new float[] {10, 10, 10, 10, 10, 10}, acc.toHost().toFloatArray());
      acc.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void donatedInputsAreUnusableAfterTheCallOnEveryBackend(String spec) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    try (Executable exe = b.compile(ADD_REDUCE, OPTS);
         DeviceBuffer x = b.toDevice(HostTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3))) {
      DeviceBuffer acc = b.toDevice(HostTensor.of(new float[] {1, 1, 1, 1, 1, 1}, 2, 3));
      List<DeviceBuffer> out = exe.executeBuffers(List.of(acc, x), java.util.Set.of(0));
      assertTrue(acc.isDeleted(), "the donated accumulator must be unusable after the call");
      assertThrows(RuntimeException.class, acc::toHost);
      assertTrue(!x.isDeleted(), "a buffer that was not donated stays usable");
      assertArrayEquals(new float[] {2, 3, 4, 5, 6, 7}, out.get(0).toHost().toFloatArray());
      assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, x.toHost().toFloatArray());
      IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
          () -> exe.executeBuffers(List.of(out.get(0), x), java.util.Set.of(2)));
      assertTrue(bad.getMessage().contains("2"), bad.getMessage());
      out.forEach(DeviceBuffer::close);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void wrongArgumentsAreRejectedWithTheirPosition(String spec) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    try (Executable exe = b.compile(ADD_REDUCE, OPTS)) {
      HostTensor ok = HostTensor.of(new float[6], 2, 3);
      IllegalArgumentException arity = assertThrows(IllegalArgumentException.class, () -> exe.execute(ok));
      assertTrue(arity.getMessage().contains("2 argument"), arity.getMessage());
      IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
          () -> exe.execute(ok, HostTensor.ofInts(new int[6], 2, 3)));
      assertTrue(dtype.getMessage().contains("argument 1"), dtype.getMessage());
      IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
          () -> exe.execute(HostTensor.of(new float[6], 3, 2), ok));
      assertTrue(shape.getMessage().contains("argument 0"), shape.getMessage());
      // and the executable still works
      assertEquals(6, exe.execute(ok, ok).get(0).size());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void brokenProgramGivesTheCompilerDiagnostic(String spec) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    String broken = ADD_REDUCE.replace("\"stablehlo.add\"(%arg0", "\"stablehlo.addd\"(%arg0");
    CompileException e = assertThrows(CompileException.class, () -> b.compile(broken, OPTS));
    assertTrue(e.getMessage().contains("addd"), e.getMessage());
  }
}
