package org.xla4j.backends;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.XlaException;
import org.xla4j.runtime.pjrt.PjrtBackend;
import org.xla4j.runtime.pjrt.PjrtBuffer;
import org.xla4j.runtime.pjrt.PjrtExecutable;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * Robustness of the PJRT backend on a real plugin (the GPU machine): misuse throws Java exceptions,
 * the client survives them, memory comes back, and nothing crashes the JVM. Skipped, with the reason,
 * where no plugin is installed.
 */
class PjrtRobustnessTest {
  static final CompileOptions OPTS = CompileOptions.defaults();

  static String add(String type) {
    return "module @add {\n  func.func public @main(%arg0: " + type + ", %arg1: " + type + ") -> " + type + " {\n"
        + "    %0 = \"stablehlo.add\"(%arg0, %arg1) : (" + type + ", " + type + ") -> " + type + "\n"
        + "    \"func.return\"(%0) : (" + type + ") -> ()\n  }\n}\n";
  }

  /** acc + x where acc may be donated: @main aliases argument 0 to result 0 (what JAX emits for donate_argnums). */
  static final String ACCUMULATE = """
      module @acc {
        func.func public @main(%arg0: tensor<1024xf32> {tf.aliasing_output = 0 : i32}, %arg1: tensor<1024xf32>) -> tensor<1024xf32> {
          %0 = "stablehlo.add"(%arg0, %arg1) : (tensor<1024xf32>, tensor<1024xf32>) -> tensor<1024xf32>
          "func.return"(%0) : (tensor<1024xf32>) -> ()
        }
      }
      """;

  /** Broadcasts a scalar to {@code n} f32 elements: an allocation as large as we like, no host memory. */
  static String broadcast(long n) {
    return "module @big {\n  func.func public @main(%arg0: tensor<f32>) -> tensor<" + n + "xf32> {\n"
        + "    %0 = \"stablehlo.broadcast_in_dim\"(%arg0) <{broadcast_dimensions = array<i64>}> : (tensor<f32>) -> tensor<" + n + "xf32>\n"
        + "    \"func.return\"(%0) : (tensor<" + n + "xf32>) -> ()\n  }\n}\n";
  }

  static HostTensor f32(float... v) { return HostTensor.of(v, v.length); }

  @Test
  void useAfterCloseAndDoubleCloseThrowCleanly() {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    PjrtExecutable exe = gpu.compile(add("tensor<3xf32>"), OPTS);
    DeviceBuffer a = gpu.toDevice(f32(1, 2, 3));
    DeviceBuffer b = gpu.toDevice(f32(1, 1, 1));
    try (DeviceBuffer r = exe.executeBuffers(List.of(a, b)).get(0)) {
      assertArrayEquals(new float[] {2, 3, 4}, r.toHost().toFloatArray());
    }
    a.close();
    assertDoesNotThrow(a::close);
    assertTrue(a.isDeleted());
    assertThrows(IllegalStateException.class, a::toHost);
    assertThrows(IllegalStateException.class, () -> exe.executeBuffers(List.of(a, b)));
    exe.close();
    assertDoesNotThrow(exe::close);
    assertThrows(IllegalStateException.class, () -> exe.executeBuffers(List.of(b, b)));
    assertThrows(IllegalStateException.class, exe::serialize);
    b.close();
  }

  @Test
  void closingABackendInvalidatesItsChildren() {
    BackendUnderTest.pjrtOrSkip(); // skip unless a plugin is here
    PjrtBackend own = PjrtBackend.open(PjrtBackend.Options.defaults().withPlugin(BackendUnderTest.pjrtOrSkip().pluginPath().toString()));
    PjrtExecutable exe = own.compileUncached(add("tensor<2xf32>"), OPTS);
    DeviceBuffer x = own.toDevice(f32(1, 2));
    own.close();
    assertDoesNotThrow(own::close);
    assertTrue(x.isDeleted());
    assertThrows(IllegalStateException.class, x::toHost);
    assertThrows(IllegalStateException.class, () -> exe.executeBuffers(List.of(x, x)));
    assertThrows(IllegalStateException.class, () -> own.toDevice(f32(1)));
    assertDoesNotThrow(x::close);
    assertDoesNotThrow(exe::close);
  }

  @Test
  void wrongDtypeShapeAndArityAreRejectedBeforeTheDevice() {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    try (PjrtExecutable exe = gpu.compile(add("tensor<2x3xf32>"), OPTS);
         DeviceBuffer ok = gpu.toDevice(HostTensor.of(new float[6], 2, 3));
         DeviceBuffer ints = gpu.toDevice(HostTensor.ofInts(new int[6], 2, 3));
         DeviceBuffer wrongShape = gpu.toDevice(HostTensor.of(new float[6], 3, 2))) {
      assertThrows(IllegalArgumentException.class, () -> exe.executeBuffers(List.of(ok)));
      assertThrows(IllegalArgumentException.class, () -> exe.executeBuffers(List.of(ok, ok, ok)));
      IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> exe.executeBuffers(List.of(ok, ints)));
      assertTrue(d.getMessage().contains("argument 1"), d.getMessage());
      IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> exe.executeBuffers(List.of(wrongShape, ok)));
      assertTrue(s.getMessage().contains("argument 0"), s.getMessage());
      assertThrows(IllegalArgumentException.class, () -> exe.call().arg(ok).arg(ok).donate(5).execute());
      assertThrows(IllegalArgumentException.class, () -> gpu.toDevice(TensorType.of(DType.F32, 4), Arena.global().allocate(8)));
      try (DeviceBuffer r = exe.executeBuffers(List.of(ok, ok)).get(0)) {
        assertEquals(ok.type(), r.type());
      }
    }
  }

  @Test
  void anAllocationLargerThanTheDeviceFailsAndTheClientKeepsWorking() {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    org.xla4j.runtime.MemoryStats m = gpu.memoryStats(gpu.devices().get(0)).orElseThrow();
    long limit = m.bytesLimit() > 0 ? m.bytesLimit() : 200L << 30;
    long n = Math.min(limit / 4 * 2, (1L << 62) / 4); // twice what the allocator may hand out
    long t0 = System.nanoTime();
    long[] phases = new long[3];
    RuntimeException e = assertThrows(RuntimeException.class, () -> {
      try (PjrtExecutable big = gpu.compileUncached(broadcast(n), OPTS);
           DeviceBuffer s = gpu.toDevice(HostTensor.scalar(1f))) {
        phases[0] = System.nanoTime();
        List<DeviceBuffer> out = big.executeBuffers(List.of(s));
        phases[1] = System.nanoTime();
        try (DeviceBuffer o = out.get(0)) {
          o.toHost();
        } finally {
          phases[2] = System.nanoTime();
        }
      }
    });
    long t1 = System.nanoTime();
    System.out.printf("[robustness] huge allocation: compile %.1f s, launch %.1f s, failure surfaced after %.1f s, cleanup %.1f s%n",
        (phases[0] - t0) / 1e9, (phases[1] - phases[0]) / 1e9, (phases[2] - phases[1]) / 1e9, (t1 - phases[2]) / 1e9);
    System.out.println("[robustness] " + n * 4 / (1 << 30) + " GiB allocation: " + e.getClass().getSimpleName() + ": "
        + e.getMessage().lines().findFirst().orElse(""));
    assertTrue(e instanceof XlaException, "expected an XlaException, got " + e);
    assertEquals(XlaException.Code.RESOURCE_EXHAUSTED, ((XlaException) e).code(), e.getMessage());
    try (PjrtExecutable exe = gpu.compile(add("tensor<3xf32>"), OPTS)) {
      assertArrayEquals(new float[] {2, 4, 6}, exe.execute(f32(1, 2, 3), f32(1, 2, 3)).get(0).toFloatArray());
    }
    System.out.printf("[robustness] client works again %.1f s after the failure%n", (System.nanoTime() - t1) / 1e9);
  }

  /**
   * A result that fits the device but not the host's available memory: the copy to the host is
   * refused before any host memory is touched, and the buffer and client stay usable. Runs where the
   * device has more memory than the host has available (the H200: 141 GB device, 128 GB host).
   */
  @Test
  void aResultLargerThanHostMemoryIsRefusedBeforeTheCopy() {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    org.xla4j.runtime.MemoryStats m = gpu.memoryStats(gpu.devices().get(0)).orElseThrow();
    long hostAvailable = hostAvailableBytes();
    long bytes = m.bytesLimit() / 10 * 9;
    org.junit.jupiter.api.Assumptions.assumeTrue(bytes > hostAvailable + (4L << 30),
        "SKIPPED: device limit " + m.bytesLimit() + " B is not above the host's available " + hostAvailable + " B");
    try (PjrtExecutable big = gpu.compileUncached(broadcast(bytes / 4), OPTS);
         DeviceBuffer s = gpu.toDevice(HostTensor.scalar(1f));
         DeviceBuffer out = big.executeBuffers(List.of(s)).get(0)) {
      XlaException e = assertThrows(XlaException.class, out::toHost);
      assertEquals(XlaException.Code.RESOURCE_EXHAUSTED, e.code());
      assertTrue(e.getMessage().contains("host memory"), e.getMessage());
      System.out.println("[robustness] " + e.getMessage());
    }
    try (PjrtExecutable exe = gpu.compile(add("tensor<3xf32>"), OPTS)) {
      assertArrayEquals(new float[] {2, 4, 6}, exe.execute(f32(1, 2, 3), f32(1, 2, 3)).get(0).toFloatArray());
    }
  }

  /** MemAvailable from /proc/meminfo, read here independently of the code under test. */
  static long hostAvailableBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemAvailable:")) return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    throw new IllegalStateException("no MemAvailable in /proc/meminfo");
  }

  @Test
  void missingAndWrongPluginPathsFailWithWhereItLooked(@TempDir Path tmp) throws Exception {
    BackendUnderTest.pjrtOrSkip();
    XlaException missing = assertThrows(XlaException.class,
        () -> PjrtBackend.open(PjrtBackend.Options.defaults().withPlugin(tmp.resolve("nope.so").toString())));
    assertTrue(missing.getMessage().contains("nope.so"), missing.getMessage());
    Path notAPlugin = tmp.resolve("empty.so");
    Files.write(notAPlugin, new byte[] {1, 2, 3});
    XlaException wrong = assertThrows(XlaException.class,
        () -> PjrtBackend.open(PjrtBackend.Options.defaults().withPlugin(notAPlugin.toString())));
    System.out.println("[robustness] wrong plugin: " + wrong.getMessage());
  }

  @Test
  void eightThreadsExecuteConcurrently() throws Exception {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    int threads = 8;
    int iters = 300;
    try (PjrtExecutable exe = gpu.compile(add("tensor<256xf32>"), OPTS)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<Integer>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          final int id = t;
          fs.add(pool.submit(() -> {
            float[] a = new float[256];
            java.util.Arrays.fill(a, id);
            int ok = 0;
            try (DeviceBuffer x = gpu.toDevice(HostTensor.of(a, 256))) {
              for (int i = 0; i < iters; i++) {
                try (DeviceBuffer r = exe.executeBuffers(List.of(x, x)).get(0)) {
                  if (i % 50 == 0 || i == iters - 1) {
                    float[] got = r.toHost().toFloatArray();
                    for (float v : got) if (v != 2 * id) throw new AssertionError("thread " + id + " got " + v);
                  }
                  ok++;
                }
              }
            }
            return ok;
          }));
        }
        int total = 0;
        for (Future<Integer> f : fs) total += f.get();
        assertEquals(threads * iters, total);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void tenThousandExecutesLeaveDeviceMemoryWhereItWas() {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    try (PjrtExecutable exe = gpu.compile(add("tensor<4096xf32>"), OPTS);
         DeviceBuffer x = gpu.toDevice(HostTensor.of(new float[4096], 4096))) {
      exe.executeBuffers(List.of(x, x)).get(0).close(); // warm-up allocations
      long liveBefore = PjrtBuffer.liveCount();
      long before = gpu.memoryStats(gpu.devices().get(0)).orElseThrow().bytesInUse();
      DeviceBuffer last = null;
      for (int i = 0; i < 10_000; i++) {
        if (last != null) last.close();
        last = exe.executeBuffers(List.of(x, x)).get(0);
      }
      last.toHost();
      last.close();
      long after = gpu.memoryStats(gpu.devices().get(0)).orElseThrow().bytesInUse();
      for (int i = 0; i < 100 && after > before; i++) { // frees wait for the device's events
        try {
          Thread.sleep(10);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
        after = gpu.memoryStats(gpu.devices().get(0)).orElseThrow().bytesInUse();
      }
      System.out.println("[robustness] 10000 executes: bytes in use " + before + " -> " + after
          + ", live buffers " + liveBefore + " -> " + PjrtBuffer.liveCount());
      // not more than at the start; less is possible when the Cleaner frees an earlier test's dropped
      // buffer meanwhile (seen on the H200: 16640 -> 16384 bytes, live buffers 2 -> 1)
      assertTrue(after <= before, "device bytes in use grew over 10,000 executes: " + before + " -> " + after);
      assertTrue(PjrtBuffer.liveCount() <= liveBefore, "live buffers grew: " + liveBefore + " -> " + PjrtBuffer.liveCount());
    }
  }

  @Test
  void donatedInputsAreConsumedAndKeptOnesAreNot() {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    float[] ones = new float[1024];
    java.util.Arrays.fill(ones, 1f);
    try (PjrtExecutable exe = gpu.compile(ACCUMULATE, OPTS);
         DeviceBuffer x = gpu.toDevice(HostTensor.of(ones, 1024))) {
      // kept: acc stays usable
      DeviceBuffer acc = gpu.toDevice(HostTensor.of(new float[1024], 1024));
      DeviceBuffer r1 = exe.call().arg(acc).arg(x).execute().get(0);
      assertFalse(acc.isDeleted());
      assertEquals(0f, acc.toHost().toFloatArray()[0]);
      // donated: acc's memory goes to the result; the Java buffer refuses further use
      DeviceBuffer r2 = exe.call().donated(acc).arg(x).execute().get(0);
      assertTrue(acc.isDeleted());
      assertTrue(((PjrtBuffer) acc).isDonated());
      System.out.println("[robustness] donation used by the runtime: " + ((PjrtBuffer) acc).donationUsedByRuntime());
      assertTrue(((PjrtBuffer) acc).donationUsedByRuntime(), "the plugin did not take the donated buffer");
      IllegalStateException e = assertThrows(IllegalStateException.class, acc::toHost);
      assertTrue(e.getMessage().contains("donated"), e.getMessage());
      assertArrayEquals(r1.toHost().toFloatArray(), r2.toHost().toFloatArray());
      // a decode-style loop: donate the carry every step, never touch the host
      DeviceBuffer carry = r2;
      for (int i = 0; i < 100; i++) carry = exe.executeBuffers(List.of(carry, x), Set.of(0)).get(0);
      assertEquals(101f, carry.toHost().toFloatArray()[1023]);
      carry.close();
      r1.close();
      acc.close();
    }
  }

  @Test
  void offHeapTransfersGoStraightToAndFromNativeMemory() {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    long n = 1 << 20;
    TensorType t = TensorType.of(DType.F32, n);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment src = arena.allocate(t.byteSize(), 64);
      for (long i = 0; i < n; i++) src.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, i * 0.5f);
      MemorySegment dst = arena.allocate(t.byteSize(), 64);
      try (PjrtBuffer b = gpu.toDevice(t, src)) {
        src.fill((byte) 0); // the transfer is done with src once toDevice returns
        b.copyTo(dst);
      }
      for (long i = 0; i < n; i += 4097) assertEquals(i * 0.5f, dst.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i));
      // heap segments work too (through a native copy)
      float[] heap = new float[8];
      try (PjrtBuffer b = gpu.toDevice(TensorType.of(DType.F32, 8), MemorySegment.ofArray(new float[] {1, 2, 3, 4, 5, 6, 7, 8}))) {
        b.copyTo(MemorySegment.ofArray(heap));
      }
      assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, heap);
      assertEquals(Shape.of(8), TensorType.of(DType.F32, 8).shape());
    }
  }
}
