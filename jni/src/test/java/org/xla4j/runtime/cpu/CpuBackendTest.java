package org.xla4j.runtime.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.CompileException;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.types.HalfFloats;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.XlaException;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

class CpuBackendTest {
  static final CompileOptions OPTS = CompileOptions.defaults();

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

  static final String BROKEN = """
      module @broken {
        func.func public @main(%arg0: tensor<2xf32>) -> tensor<2xf32> {
          %0 = "stablehlo.addd"(%arg0, %arg0) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
          "func.return"(%0) : (tensor<2xf32>) -> ()
        }
      }
      """;

  /** x op x for one element type: add for numbers, not for pred. */
  static String unary(DType d) {
    String t = "tensor<3x" + d.mlir() + ">";
    String op = d == DType.PRED ? "\"stablehlo.not\"(%arg0) : (" + t + ")" : "\"stablehlo.add\"(%arg0, %arg0) : (" + t + ", " + t + ")";
    return "module @m {\n  func.func public @main(%arg0: " + t + ") -> " + t + " {\n    %0 = " + op + " -> " + t
        + "\n    \"func.return\"(%0) : (" + t + ") -> ()\n  }\n}\n";
  }

  @Test
  void addAndReduceMatchAJavaOracle() {
    float[] a = {1, 2, 3, 4, 5, 6};
    float[] b = {0.5f, -1, 10, 2, 2, -6};
    try (Backend cpu = new CpuBackend(); Executable exe = cpu.compile(ADD_REDUCE, OPTS)) {
      assertEquals(List.of(TensorType.of(DType.F32, 2, 3), TensorType.of(DType.F32, 2, 3)), exe.signature().args());
      List<HostTensor> out = exe.execute(HostTensor.of(a, 2, 3), HostTensor.of(b, 2, 3));
      float[] sum = new float[6];
      for (int i = 0; i < 6; i++) sum[i] = a[i] + b[i];
      float[] colSum = new float[3];
      for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) colSum[j] += sum[i * 3 + j];
      assertEquals(HostTensor.of(sum, 2, 3), out.get(0));
      assertArrayEquals(colSum, out.get(1).toFloatArray());
      assertEquals(TensorType.of(DType.F32, 3), out.get(1).type());
    }
  }

  @Test
  void bf16InAndOut() {
    String m = """
        module @m {
          func.func public @main(%arg0: tensor<4xbf16>, %arg1: tensor<4xbf16>) -> tensor<4xbf16> {
            %0 = "stablehlo.multiply"(%arg0, %arg1) : (tensor<4xbf16>, tensor<4xbf16>) -> tensor<4xbf16>
            "func.return"(%0) : (tensor<4xbf16>) -> ()
          }
        }
        """;
    float[] a = {1.5f, -3.140625f, 1.0078125f, 1e30f};
    float[] b = {2f, 0.333984375f, 1.0078125f, 1e10f};
    HostTensor x = HostTensor.of(DType.BF16, Shape.of(4), a);
    HostTensor y = HostTensor.of(DType.BF16, Shape.of(4), b);
    float[] want = new float[4];
    for (int i = 0; i < 4; i++) { // the product of two bf16 is exact in f32; then one rounding
      float p = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(a[i])) * HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(b[i]));
      want[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(p));
    }
    try (Backend cpu = new CpuBackend(); Executable exe = cpu.compile(m, OPTS)) {
      HostTensor out = exe.execute(x, y).get(0);
      assertEquals(DType.BF16, out.dtype());
      assertArrayEquals(want, out.toFloatArray());
      assertEquals(Float.POSITIVE_INFINITY, out.getFloat(3));
    }
  }

  @Test
  void everyDtypeCrossesIntoTensorFlowAndBack() {
    try (Backend cpu = new CpuBackend()) {
      for (DType d : DType.values()) {
        float[] in = d == DType.PRED ? new float[] {0, 1, 1} : new float[] {1, 2, 100};
        float[] want = d == DType.PRED ? new float[] {1, 0, 0} : new float[] {2, 4, 200};
        try (Executable exe = cpu.compile(unary(d), OPTS)) {
          HostTensor out = exe.execute(HostTensor.of(d, Shape.of(3), in)).get(0);
          assertEquals(HostTensor.of(d, Shape.of(3), want), out, d.name()); // ints wrap like the oracle
        }
      }
      try (Executable exe = cpu.compile(unary(DType.U64), OPTS)) { // high bit set: unsigned wrap-around
        HostTensor x = HostTensor.ofLongs(new long[] {Long.MIN_VALUE + 5, -1L, 7}, 3).astype(DType.U64);
        assertArrayEquals(new long[] {10, -2L, 14}, exe.execute(x).get(0).toLongArray());
      }
      try (Executable exe = cpu.compile(unary(DType.U32), OPTS)) {
        HostTensor x = HostTensor.ofLongs(new long[] {3_000_000_000L, 4_294_967_295L, 1}, 3).astype(DType.U32);
        assertArrayEquals(new long[] {1_705_032_704L, 4_294_967_294L, 2}, exe.execute(x).get(0).toLongArray());
      }
    }
  }

  @Test
  void zeroArgumentAndZeroResultPrograms() {
    String noArgs = """
        module @m {
          func.func public @main() -> tensor<2xf32> {
            %0 = "stablehlo.constant"() <{value = dense<[1.500000e+00, -2.000000e+00]> : tensor<2xf32>}> : () -> tensor<2xf32>
            "func.return"(%0) : (tensor<2xf32>) -> ()
          }
        }
        """;
    String noResults = """
        module @m {
          func.func public @main(%arg0: tensor<2xf32>) -> () {
            "func.return"() : () -> ()
          }
        }
        """;
    try (Backend cpu = new CpuBackend(); Executable a = cpu.compile(noArgs, OPTS); Executable b = cpu.compile(noResults, OPTS)) {
      assertEquals(List.of(HostTensor.of(new float[] {1.5f, -2f}, 2)), a.execute());
      assertEquals(List.of(), b.execute(HostTensor.of(new float[] {1, 2}, 2)));
    }
  }

  @Test
  void scalarsAndEmptyTensors() {
    String m = """
        module @m {
          func.func public @main(%arg0: tensor<2x2xf32>, %arg1: tensor<0x3xi32>) -> (tensor<f32>, tensor<0x3xi32>) {
            %0 = "stablehlo.constant"() <{value = dense<0.000000e+00> : tensor<f32>}> : () -> tensor<f32>
            %1 = "stablehlo.reduce"(%arg0, %0) <{dimensions = array<i64: 0, 1>}> ({
            ^bb0(%a: tensor<f32>, %b: tensor<f32>):
              %r = "stablehlo.add"(%a, %b) : (tensor<f32>, tensor<f32>) -> tensor<f32>
              "stablehlo.return"(%r) : (tensor<f32>) -> ()
            }) : (tensor<2x2xf32>, tensor<f32>) -> tensor<f32>
            %2 = "stablehlo.add"(%arg1, %arg1) : (tensor<0x3xi32>, tensor<0x3xi32>) -> tensor<0x3xi32>
            "func.return"(%1, %2) : (tensor<f32>, tensor<0x3xi32>) -> ()
          }
        }
        """;
    try (Backend cpu = new CpuBackend(); Executable exe = cpu.compile(m, OPTS)) {
      List<HostTensor> out = exe.execute(HostTensor.of(new float[] {1, 2, 3, 4.5f}, 2, 2), HostTensor.ofInts(new int[0], 0, 3));
      assertEquals(HostTensor.scalar(10.5f), out.get(0));
      assertEquals(TensorType.of(DType.I32, 0, 3), out.get(1).type());
    }
  }

  @Test
  void wrongArgumentsAreNamed() {
    try (Backend cpu = new CpuBackend(); Executable exe = cpu.compile(ADD_REDUCE, OPTS)) {
      HostTensor ok = HostTensor.of(new float[6], 2, 3);
      var count = assertThrows(IllegalArgumentException.class, () -> exe.execute(ok));
      assertTrue(count.getMessage().contains("takes 2 argument(s)") && count.getMessage().contains("got 1"), count.getMessage());
      var dtype = assertThrows(IllegalArgumentException.class, () -> exe.execute(ok, ok.astype(DType.BF16)));
      assertTrue(dtype.getMessage().contains("argument 1 requires tensor<2x3xf32>, got tensor<2x3xbf16>"), dtype.getMessage());
      var shape = assertThrows(IllegalArgumentException.class, () -> exe.execute(HostTensor.of(new float[6], 3, 2), ok));
      assertTrue(shape.getMessage().contains("argument 0 requires tensor<2x3xf32>, got tensor<3x2xf32>"), shape.getMessage());
    }
  }

  @Test
  void brokenModuleCarriesTheMlirDiagnostic() {
    try (Backend cpu = new CpuBackend()) {
      CompileException e = assertThrows(CompileException.class, () -> cpu.compile(BROKEN, OPTS));
      assertEquals(XlaException.Code.INVALID_ARGUMENT, e.code());
      assertTrue(e.getMessage().contains("unregistered operation 'stablehlo.addd'"), e.getMessage());
      assertTrue(e.diagnostic().contains("line 3: %0 = \"stablehlo.addd\""), e.diagnostic());
      assertTrue(e.diagnostic().contains("Cannot deserialize computation"), e.diagnostic());
      assertTrue(!e.diagnostic().contains("[[{{node"), e.diagnostic());
      var noMain = assertThrows(CompileException.class, () -> cpu.compile("module {}", OPTS));
      assertTrue(noMain.getMessage().contains("@main"), noMain.getMessage());
    }
  }

  @Test
  void useAfterCloseFailsClearly() {
    Backend cpu = new CpuBackend();
    Executable exe = cpu.compile(ADD_REDUCE, OPTS);
    Executable other = cpu.compile(unary(DType.F32), OPTS);
    HostTensor x = HostTensor.of(new float[6], 2, 3);
    exe.close();
    exe.close(); // idempotent
    var e = assertThrows(IllegalStateException.class, () -> exe.execute(x, x));
    assertTrue(e.getMessage().contains("Executable has been closed"), e.getMessage());
    DeviceBuffer buf = cpu.toDevice(x);
    buf.close();
    assertTrue(buf.isDeleted());
    assertThrows(IllegalStateException.class, buf::toHost);
    cpu.close();
    cpu.close();
    var b = assertThrows(IllegalStateException.class, () -> other.execute(HostTensor.of(new float[3], 3)));
    assertTrue(b.getMessage().contains("CpuBackend") && b.getMessage().contains("closed"), b.getMessage());
    assertThrows(IllegalStateException.class, () -> cpu.compile(ADD_REDUCE, OPTS));
    assertThrows(IllegalStateException.class, () -> cpu.toDevice(x));
    other.close();
  }

  @Test
  void compilingTheSameTextTwiceReusesTheProgram() {
    int programs = CpuBackend.livePrograms();
    try (CpuBackend cpu = new CpuBackend()) {
      long t0 = System.nanoTime();
      Executable a = cpu.compile(ADD_REDUCE, OPTS);
      long t1 = System.nanoTime();
      Executable b = cpu.compile(ADD_REDUCE, OPTS);
      long t2 = System.nanoTime();
      assertEquals(1, cpu.cacheHits());
      assertEquals(programs + 1, CpuBackend.livePrograms());
      a.close(); // b still works: the program is shared
      HostTensor x = HostTensor.of(new float[] {1, 1, 1, 1, 1, 1}, 2, 3);
      assertArrayEquals(new float[] {4, 4, 4}, b.execute(x, x).get(1).toFloatArray());
      b.close();
      try (Executable _ = cpu.compile(ADD_REDUCE, OPTS)) { // still cached after every executable closed
        assertEquals(2, cpu.cacheHits());
        assertEquals(1, cpu.cachedPrograms());
      }
      System.out.printf("compile: first %.1f ms, cached %.3f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    }
    assertEquals(programs, CpuBackend.livePrograms());
  }

  @Test
  void liveCountersReturnToZeroAfterClose() {
    int backends = CpuBackend.liveBackends();
    int executables = CpuBackend.liveExecutables();
    int programs = CpuBackend.livePrograms();
    try (Backend cpu = Backends.open("cpu")) {
      assertInstanceOf(CpuBackend.class, cpu);
      try (Executable _ = cpu.compile(ADD_REDUCE, OPTS); Executable _ = cpu.compile(unary(DType.I32), OPTS)) {
        assertEquals(backends + 1, CpuBackend.liveBackends());
        assertEquals(executables + 2, CpuBackend.liveExecutables());
        assertEquals(programs + 2, CpuBackend.livePrograms());
      }
      assertEquals(executables, CpuBackend.liveExecutables());
    }
    assertEquals(backends, CpuBackend.liveBackends());
    assertEquals(programs, CpuBackend.livePrograms());
  }

  @Test
  void theCleanerFreesWhatIsNotClosed() throws InterruptedException {
    int programs = CpuBackend.livePrograms();
    int backends = CpuBackend.liveBackends();
    compileAndForget();
    assertEquals(programs + 1, CpuBackend.livePrograms());
    for (int i = 0; i < 100 && (CpuBackend.livePrograms() > programs || CpuBackend.liveBackends() > backends); i++) {
      System.gc();
      Thread.sleep(50);
    }
    assertEquals(programs, CpuBackend.livePrograms());
    assertEquals(backends, CpuBackend.liveBackends());
  }

  private static void compileAndForget() {
    Backend cpu = new CpuBackend();
    Executable exe = cpu.compile(unary(DType.F32), OPTS);
    exe.execute(HostTensor.of(new float[3], 3));
  }

  @Test
  void buffersStayOnTheBackend() {
    try (Backend cpu = new CpuBackend(); Executable exe = cpu.compile(ADD_REDUCE, OPTS)) {
      assertEquals("cpu", cpu.platformName());
      assertTrue(cpu.platformVersion().contains("TensorFlow"), cpu.platformVersion());
      assertEquals(1, cpu.devices().size());
      DeviceBuffer x = cpu.toDevice(HostTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
      List<DeviceBuffer> out = exe.executeBuffers(List.of(x, x));
      assertEquals(TensorType.of(DType.F32, 3), out.get(1).type());
      assertArrayEquals(new float[] {10, 14, 18}, out.get(1).toHost().toFloatArray());
    }
  }

  @Test
  void multiDeviceRequestsAreRefused() {
    try (Backend cpu = new CpuBackend()) {
      org.xla4j.sharding.Mesh mesh = org.xla4j.sharding.Mesh.of("mesh", java.util.Map.of("x", 2));
      org.xla4j.dsl.Graph g = new org.xla4j.dsl.Graph("two");
      org.xla4j.dsl.Tensor x = g.parameter("x", TensorType.of(DType.F32, 4),
          org.xla4j.sharding.Sharding.named(mesh, org.xla4j.sharding.PartitionSpec.of("x")));
      org.xla4j.program.Program p = g.program(x.exp());
      var e = assertThrows(UnsupportedOperationException.class, () -> cpu.compile(p));
      assertTrue(e.getMessage().contains("runs on one device; program 'two' runs 1 replica(s) x 2 partition(s)"),
          e.getMessage());
      String sharded = ADD_REDUCE.replace("module @add_reduce {", "module @add_reduce attributes {mhlo.num_partitions = 2 : i32} {");
      var e2 = assertThrows(UnsupportedOperationException.class, () -> cpu.compile(sharded, OPTS));
      assertTrue(e2.getMessage().contains("2 partition(s)"), e2.getMessage());
      // a count in a comment is not the module's: this one compiles
      String commented = "// mhlo.num_partitions = 2 : i32\n" + ADD_REDUCE;
      cpu.compile(commented, OPTS).close();
    }
  }

  @Test
  void backendSpecs() {
    assertTrue(Backends.available().contains("cpu"), Backends.available().toString());
    var e = assertThrows(IllegalArgumentException.class, () -> Backends.open("tpu-please"));
    assertTrue(e.getMessage().contains("no backend named 'tpu-please'") && e.getMessage().contains("cpu"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Backends.open("cpu:/some/path"));
  }

  @Test
  void concurrentExecutionsAgree() throws Exception {
    try (Backend cpu = new CpuBackend(); Executable exe = cpu.compile(ADD_REDUCE, OPTS)) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Boolean>> fs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          final float k = t;
          fs.add(pool.submit(() -> {
            for (int i = 0; i < 50; i++) {
              HostTensor x = HostTensor.of(new float[] {k, k, k, k, k, k}, 2, 3);
              if (!exe.execute(x, x).get(1).equals(HostTensor.of(new float[] {4 * k, 4 * k, 4 * k}, 3))) return false;
            }
            return true;
          }));
        }
        for (Future<Boolean> f : fs) assertTrue(f.get());
      } finally {
        pool.shutdown();
      }
    }
  }

  @Test
  void perCallOverheadIsSmall() {
    try (Backend cpu = new CpuBackend(); Executable exe = cpu.compile(ADD_REDUCE, OPTS)) {
      HostTensor x = HostTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
      for (int i = 0; i < 500; i++) exe.execute(x, x);
      int n = 2000;
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) exe.execute(x, x);
      double ms = (System.nanoTime() - t0) / 1e6 / n;
      System.out.printf("CPU backend per-call time, 2 inputs 2 outputs: %.3f ms%n", ms);
      assertTrue(ms < 5, "per-call time " + ms + " ms"); // loose: shared CI machines; target is ~0.2 ms
    }
  }
}
