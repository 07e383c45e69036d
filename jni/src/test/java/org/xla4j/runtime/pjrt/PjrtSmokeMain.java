package org.xla4j.runtime.pjrt;

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

/**
 * Device smoke test and dispatch/transfer micro-benchmarks (run by scripts/device-test.sh).
 * Usage: PjrtSmokeMain [spec, default "pjrt"] [calls, default 20000]
 */
public final class PjrtSmokeMain {
  private PjrtSmokeMain() {}

  public static void main(String[] argv) {
    String spec = argv.length > 0 ? argv[0] : "pjrt";
    int calls = argv.length > 1 ? Integer.parseInt(argv[1]) : 20000;
    long t0 = System.nanoTime();
    try (Backend b = Backends.open(spec)) {
      System.out.printf("open: %s in %.1f ms%n", b, (System.nanoTime() - t0) / 1e6);
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
        System.out.printf("dispatch (async, %d calls, then one read): %.2f us/call (result %.1f)%n",
            calls, (e - s) / 1e3 / calls, v);
        int sync = Math.max(1, calls / 4);
        s = System.nanoTime();
        for (int i = 0; i < sync; i++) {
          try (DeviceBuffer r = exe.executeBuffers(args).get(0)) {
            r.toHost();
          }
        }
        e = System.nanoTime();
        System.out.printf("execute + read back (sync, %d calls): %.2f us/call%n", sync, (e - s) / 1e3 / sync);
        HostTensor hx = HostTensor.scalar(1f);
        HostTensor hy = HostTensor.scalar(2f);
        s = System.nanoTime();
        for (int i = 0; i < sync; i++) exe.execute(hx, hy);
        e = System.nanoTime();
        System.out.printf("execute(host tensors) incl. 2 uploads + 1 read (%d calls): %.2f us/call%n", sync,
            (e - s) / 1e3 / sync);
      }
      // 3. 256 MiB host->device and device->host.
      long n = 256L << 20;
      HostTensor big = HostTensor.zeros(new org.xla4j.types.TensorType(DType.F32, Shape.of(n / 4)));
      double bestUp = Double.MAX_VALUE;
      double bestDown = Double.MAX_VALUE;
      for (int r = 0; r < 3; r++) {
        long s = System.nanoTime();
        DeviceBuffer d = b.toDevice(big);
        long m = System.nanoTime();
        d.toHost();
        long e = System.nanoTime();
        d.close();
        bestUp = Math.min(bestUp, (m - s) / 1e9);
        bestDown = Math.min(bestDown, (e - m) / 1e9);
      }
      System.out.printf("256 MiB host->device: %.2f GB/s, device->host: %.2f GB/s (best of 3, incl. Java-heap copies)%n",
          n / bestUp / 1e9, n / bestDown / 1e9);
      if (b instanceof PjrtBackend pb) System.out.println("memory stats: " + pb.memoryStats(pb.devices().get(0)));
    }
    System.out.println("live buffers " + PjrtBuffer.liveCount() + ", live executables " + PjrtExecutable.liveCount());
  }
}
