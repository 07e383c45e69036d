package org.xla4j.runtime.pjrt;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * Device smoke test and micro-benchmarks (run by scripts/device-test.sh, side by side with
 * bench/pjrt/jax_dispatch.py). Lines starting with {@code BENCH} are read by the script to print
 * ratios against JAX.
 * Usage: PjrtSmokeMain [spec, default "pjrt"] [calls, default 20000] [module.mlir to time compiling]
 */
public final class PjrtSmokeMain {
  private PjrtSmokeMain() {}

  static void bench(String name, double value, String unit) {
    System.out.printf("BENCH %s %.4f %s%n", name, value, unit);
  }

  public static void main(String[] argv) throws Exception {
    String spec = argv.length > 0 ? argv[0] : "pjrt";
    int calls = argv.length > 1 ? Integer.parseInt(argv[1]) : 20000;
    Path module = argv.length > 2 ? Path.of(argv[2]) : null;
    long t0 = System.nanoTime();
    try (Backend b = Backends.open(spec)) {
      System.out.printf("open: %s in %.1f ms%n", b, (System.nanoTime() - t0) / 1e6);
      PjrtBackend pb = b instanceof PjrtBackend p ? p : null;
      // 0. compile time of a JAX-exported module (first compile in this process, then warm ones), uncached
      if (module != null && Files.isRegularFile(module) && pb != null) {
        String text = Files.readString(module);
        long s = System.nanoTime();
        pb.compileUncached(text, CompileOptions.defaults()).close();
        double cold = (System.nanoTime() - s) / 1e6;
        double[] warm = new double[5];
        for (int i = 0; i < warm.length; i++) {
          s = System.nanoTime();
          pb.compileUncached(text, CompileOptions.defaults()).close();
          warm[i] = (System.nanoTime() - s) / 1e6;
        }
        String each = Arrays.toString(Arrays.stream(warm).map(v -> Math.round(v * 10) / 10.0).toArray());
        Arrays.sort(warm);
        System.out.printf("compile %s (%d chars): first %.1f ms, then median of 5 %.1f ms %s%n", module.getFileName(),
            text.length(), cold, warm[2], each);
        bench("compile_first_ms", cold, "ms");
        bench("compile_warm_ms", warm[2], "ms");
        // cache hit for the same module (fresh cache directory)
        Path dir = Files.createTempDirectory("xla4j-cache");
        PjrtCompileCache saved = pb.compileCache();
        pb.setCompileCache(PjrtCompileCache.at(dir));
        pb.compile(text, CompileOptions.defaults()).close();
        s = System.nanoTime();
        pb.compile(text, CompileOptions.defaults()).close();
        double hit = (System.nanoTime() - s) / 1e6;
        System.out.printf("compile cache: second compile %.1f ms, %s%n", hit, pb.compileCache());
        bench("compile_cache_hit_ms", hit, "ms");
        pb.setCompileCache(saved);
      }
      // 1. smoke: add two tensors on the device and compare with Java.
      String add = PjrtTestSupport.binary("add", "tensor<2x3xf32>");
      long tc = System.nanoTime();
      try (Executable exe = b.compile(add, CompileOptions.defaults())) {
        System.out.printf("compile add 2x3: %.1f ms%n", (System.nanoTime() - tc) / 1e6);
        float[] x = {1, 2, 3, 4, 5, 6};
        float[] y = {0.5f, -2, 10, 0, 1e6f, -6};
        float[] got = exe.execute(HostTensor.of(x, 2, 3), HostTensor.of(y, 2, 3)).get(0).toFloatArray();
        float[] want = new float[6];
        for (int i = 0; i < 6; i++) want[i] = x[i] + y[i];
        boolean ok = Arrays.equals(got, want);
        System.out.println("smoke add: got " + Arrays.toString(got) + " want " + Arrays.toString(want)
            + (ok ? "  OK" : "  MISMATCH"));
        if (!ok) System.exit(1);
      }
      // 2. dispatch overhead of a tiny executable, inputs already on the device.
      String tiny = PjrtTestSupport.binary("add", "tensor<f32>");
      try (Executable exe = b.compile(tiny, CompileOptions.defaults());
           DeviceBuffer x = b.toDevice(HostTensor.scalar(1f));
           DeviceBuffer y = b.toDevice(HostTensor.scalar(2f))) {
        List<DeviceBuffer> args = List.of(x, y);
        for (int i = 0; i < 2000; i++) exe.executeBuffers(args).get(0).close();
        DeviceBuffer last = null;
        long s = System.nanoTime();
        for (int i = 0; i < calls; i++) {
          if (last != null) last.close();
          last = exe.executeBuffers(args).get(0);
        }
        float v = last.toHost().toFloatArray()[0];
        long e = System.nanoTime();
        last.close();
        double us = (e - s) / 1e3 / calls;
        System.out.printf("dispatch (async, %d calls, then one read): %.2f us/call (result %.1f)%n", calls, us, v);
        bench("dispatch_us", us, "us");
        int sync = Math.max(1, calls / 4);
        s = System.nanoTime();
        for (int i = 0; i < sync; i++) {
          try (DeviceBuffer r = exe.executeBuffers(args).get(0)) {
            r.toHost();
          }
        }
        e = System.nanoTime();
        us = (e - s) / 1e3 / sync;
        System.out.printf("execute + read back (sync, %d calls): %.2f us/call%n", sync, us);
        bench("sync_roundtrip_us", us, "us");
        HostTensor hx = HostTensor.scalar(1f);
        HostTensor hy = HostTensor.scalar(2f);
        s = System.nanoTime();
        for (int i = 0; i < sync; i++) exe.execute(hx, hy);
        e = System.nanoTime();
        us = (e - s) / 1e3 / sync;
        System.out.printf("execute(host tensors) incl. 2 uploads + 1 read (%d calls): %.2f us/call%n", sync, us);
        bench("host_execute_us", us, "us");
      }
      // 3. 256 MiB host->device and device->host.
      if (pb != null) transfers(pb);
      if (pb != null) System.out.println("memory stats: " + pb.memoryStats(pb.devices().get(0)).orElseThrow());
      if (module != null && Files.isRegularFile(module) && pb != null) { // again, late in the process
        String text = Files.readString(module);
        double[] late = new double[5];
        for (int i = 0; i < late.length; i++) {
          long s = System.nanoTime();
          pb.compileUncached(text, CompileOptions.defaults()).close();
          late[i] = (System.nanoTime() - s) / 1e6;
        }
        System.out.println("compile " + module.getFileName() + " again after the other benchmarks (ms): "
            + Arrays.toString(Arrays.stream(late).map(v -> Math.round(v * 10) / 10.0).toArray()));
        Arrays.sort(late);
        bench("compile_late_ms", late[2], "ms");
      }
    }
    System.out.println("live buffers " + PjrtBuffer.liveCount() + ", live executables " + PjrtExecutable.liveCount());
  }

  /** 256 MiB of f32 ones (pages touched, like the JAX side's np.ones), best of 5 each way. */
  static void transfers(PjrtBackend b) {
    long n = 256L << 20;
    TensorType t = new TensorType(DType.F32, Shape.of(n / 4));
    int reps = 5;
    try (Arena arena = Arena.ofShared()) {
      MemorySegment src = arena.allocate(n, 4096);
      for (long i = 0; i < n / 4; i++) src.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1f);
      MemorySegment dst = arena.allocate(n, 4096); // pre-faulted by the zeroing allocate does
      double up = 1e9;
      double downReused = 1e9;
      double downFresh = 1e9;
      double downArena = 1e9;
      for (int r = 0; r < reps; r++) {
        long s = System.nanoTime();
        PjrtBuffer d = b.toDevice(t, src).awaitReady();
        long m = System.nanoTime();
        d.copyTo(dst);
        long e = System.nanoTime();
        try (Arena fresh = Arena.ofConfined()) { // fresh host memory every time, like np.asarray
          long f0 = System.nanoTime();
          MemorySegment out = d.toSegment(fresh);
          long f1 = System.nanoTime();
          downFresh = Math.min(downFresh, (f1 - f0) / 1e9);
          if (out.getAtIndex(ValueLayout.JAVA_FLOAT, 12345) != 1f) throw new AssertionError("transfer corrupted data");
        }
        try (Arena fresh = Arena.ofConfined()) { // plain Arena memory (zeroed by the JDK, 4 KiB pages)
          long f0 = System.nanoTime();
          MemorySegment out = fresh.allocate(n, 4096);
          d.copyTo(out);
          long f1 = System.nanoTime();
          downArena = Math.min(downArena, (f1 - f0) / 1e9);
        }
        d.close();
        up = Math.min(up, (m - s) / 1e9);
        downReused = Math.min(downReused, (e - m) / 1e9);
      }
      if (dst.getAtIndex(ValueLayout.JAVA_FLOAT, n / 4 - 1) != 1f) throw new AssertionError("transfer corrupted data");
      System.out.printf("256 MiB host->device (off-heap segment): %.2f GB/s; device->host into a reused segment: %.2f GB/s, "
          + "into fresh memory (toSegment): %.2f GB/s, into a fresh Arena.allocate segment: %.2f GB/s (best of %d)%n",
          n / up / 1e9, n / downReused / 1e9, n / downFresh / 1e9, n / downArena / 1e9, reps);
      bench("d2h_fresh_arena_GBps", n / downArena / 1e9, "GB/s");
      bench("h2d_GBps", n / up / 1e9, "GB/s");
      bench("d2h_fresh_GBps", n / downFresh / 1e9, "GB/s");
      bench("d2h_reused_GBps", n / downReused / 1e9, "GB/s");
    }
    // the HostTensor (Java heap) path, for reference
    HostTensor big = HostTensor.zeros(t);
    double up = 1e9;
    double down = 1e9;
    for (int r = 0; r < 3; r++) {
      long s = System.nanoTime();
      PjrtBuffer d = b.toDevice(big, b.devices().get(0)).awaitReady();
      long m = System.nanoTime();
      d.toHost();
      long e = System.nanoTime();
      d.close();
      up = Math.min(up, (m - s) / 1e9);
      down = Math.min(down, (e - m) / 1e9);
    }
    System.out.printf("256 MiB via HostTensor (Java heap, one extra copy each way): host->device %.2f GB/s, device->host %.2f GB/s%n",
        n / up / 1e9, n / down / 1e9);
    bench("h2d_heap_GBps", n / up / 1e9, "GB/s");
    bench("d2h_heap_GBps", n / down / 1e9, "GB/s");
  }
}
