package org.xla4j.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xla4j.runtime.CompileException;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/** Runs on a machine with a PJRT plugin (the GPU machine); skipped, with the reason, elsewhere. */
class PjrtBackendTest {
  private static PjrtBackend backend;

  /** Per test, so that without a plugin every case reports as skipped with the reason. */
  @BeforeEach
  void open() {
    if (backend == null) {
      backend = PjrtTestSupport.openOrSkip();
      System.out.println("[pjrt] " + backend + " plugin=" + backend.pluginPath());
    }
  }

  @AfterAll
  static void close() {
    if (backend != null) backend.close();
  }

  @Test
  void reportsPlatformAndDevices() {
    assertFalse(backend.platformName().isEmpty());
    assertFalse(backend.devices().isEmpty());
    org.xla4j.runtime.MemoryStats m = backend.memoryStats(backend.devices().get(0)).orElseThrow();
    System.out.println("[pjrt] memory stats device 0: " + m);
    assertTrue(m.bytesInUse() >= 0);
  }

  @Test
  void addsTwoTensors() {
    String text = PjrtTestSupport.binary("add", "tensor<2x3xf32>");
    try (PjrtExecutable exe = backend.compile(text, CompileOptions.defaults())) {
      HostTensor a = HostTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
      HostTensor b = HostTensor.of(new float[] {10, 20, 30, 40, 50, 60}, 2, 3);
      List<HostTensor> out = exe.execute(a, b);
      assertEquals(1, out.size());
      assertArrayEquals(new float[] {11, 22, 33, 44, 55, 66}, out.get(0).toFloatArray());
    }
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void roundTripsEveryDtype(DType dt) {
    TensorType t = new TensorType(dt, Shape.of(3, 5));
    byte[] bytes = new byte[(int) t.byteSize()];
    new Random(dt.ordinal()).nextBytes(bytes);
    if (dt == DType.PRED) for (int i = 0; i < bytes.length; i++) bytes[i] &= 1;
    HostTensor h = HostTensor.ofBytes(dt, t.shape(), bytes);
    try (DeviceBuffer b = backend.toDevice(h)) {
      assertEquals(t, b.type());
      assertArrayEquals(bytes, b.toHost().bytes(), "round trip of " + dt);
    }
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"I8", "I32", "I64", "U8", "U32", "F16", "BF16", "F32", "F64"})
  void executesOnEveryNumericDtype(DType dt) {
    TensorType t = new TensorType(dt, Shape.of(4));
    String text = PjrtTestSupport.binary("add", t.mlir());
    try (PjrtExecutable exe = backend.compile(text, CompileOptions.defaults())) {
      HostTensor a = HostTensor.ofDoubles(dt, t.shape(), new double[] {1, 2, 3, 4});
      HostTensor b = HostTensor.ofDoubles(dt, t.shape(), new double[] {4, 3, 2, 1});
      HostTensor out = exe.execute(a, b).get(0);
      assertEquals(t, out.type());
      assertArrayEquals(new double[] {5, 5, 5, 5}, out.toDoubleArray());
    }
  }

  @Test
  void chainsOnDeviceWithoutHostRoundTrip() {
    String text = PjrtTestSupport.binary("multiply", "tensor<4xf32>");
    try (PjrtExecutable exe = backend.compile(text, CompileOptions.defaults());
         DeviceBuffer x = backend.toDevice(HostTensor.of(new float[] {1, 2, 3, 4}, 4))) {
      DeviceBuffer y = exe.executeBuffers(List.of(x, x)).get(0);       // x^2
      DeviceBuffer z = exe.executeBuffers(List.of(y, y)).get(0);       // x^4
      assertArrayEquals(new float[] {1, 16, 81, 256}, z.toHost().toFloatArray());
      y.close();
      z.close();
    }
  }

  @Test
  void wrongArgumentsAreRejectedBeforeTheDevice() {
    String text = PjrtTestSupport.binary("add", "tensor<2xf32>");
    try (PjrtExecutable exe = backend.compile(text, CompileOptions.defaults())) {
      HostTensor f = HostTensor.of(new float[] {1, 2}, 2);
      HostTensor i = HostTensor.ofInts(new int[] {1, 2}, 2);
      HostTensor s3 = HostTensor.of(new float[] {1, 2, 3}, 3);
      assertThrows(IllegalArgumentException.class, () -> exe.execute(f, i));
      assertThrows(IllegalArgumentException.class, () -> exe.execute(f, s3));
      assertThrows(IllegalArgumentException.class, () -> exe.execute(f));
    }
  }

  @Test
  void badProgramGivesCompilerDiagnostic() {
    String text = PjrtTestSupport.binary("no_such_op", "tensor<2xf32>");
    CompileException e = assertThrows(CompileException.class, () -> backend.compile(text, CompileOptions.defaults()));
    System.out.println("[pjrt] diagnostic: " + e.diagnostic().lines().findFirst().orElse(""));
    assertFalse(e.diagnostic().isEmpty());
  }

  @Test
  void closeIsIdempotentAndUseAfterCloseFailsCleanly() {
    String text = PjrtTestSupport.binary("add", "tensor<2xf32>");
    PjrtExecutable exe = backend.compile(text, CompileOptions.defaults());
    DeviceBuffer b = backend.toDevice(HostTensor.of(new float[] {1, 2}, 2));
    b.close();
    b.close();
    assertTrue(b.isDeleted());
    assertThrows(IllegalStateException.class, b::toHost);
    assertThrows(IllegalStateException.class, () -> exe.executeBuffers(List.of(b, b)));
    exe.close();
    exe.close();
    assertThrows(IllegalStateException.class,
        () -> exe.execute(HostTensor.of(new float[] {1, 2}, 2), HostTensor.of(new float[] {1, 2}, 2)));
  }

  @Test
  void closingTheBackendFreesChildrenAndTheyFailCleanly() {
    long buffers = PjrtBuffer.liveCount();
    long exes = PjrtExecutable.liveCount();
    PjrtBackend second = PjrtBackend.open(PjrtBackend.Options.defaults().withPlugin(backend.pluginPath().toString()));
    PjrtExecutable exe = second.compile(PjrtTestSupport.binary("add", "tensor<2xf32>"), CompileOptions.defaults());
    DeviceBuffer b = second.toDevice(HostTensor.of(new float[] {1, 2}, 2));
    assertEquals(buffers + 1, PjrtBuffer.liveCount());
    second.close();
    second.close();
    assertEquals(buffers, PjrtBuffer.liveCount());
    assertEquals(exes, PjrtExecutable.liveCount());
    assertTrue(b.isDeleted());
    assertThrows(IllegalStateException.class, b::toHost);
    assertThrows(IllegalStateException.class, () -> exe.executeBuffers(List.of(b, b)));
    b.close();
    exe.close();
  }

  @Test
  void manyExecutesLeaveNoLiveBuffers() {
    long before = PjrtBuffer.liveCount();
    String text = PjrtTestSupport.binary("add", "tensor<256xf32>");
    try (PjrtExecutable exe = backend.compile(text, CompileOptions.defaults());
         DeviceBuffer x = backend.toDevice(HostTensor.of(new float[256], 256))) {
      for (int i = 0; i < 2000; i++) exe.executeBuffers(List.of(x, x)).get(0).close();
    }
    assertEquals(before, PjrtBuffer.liveCount());
  }
}
