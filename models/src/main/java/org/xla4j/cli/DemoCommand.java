package org.xla4j.cli;

import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import org.xla4j.models.examples.ExamplePrograms;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xla4j demo}: the main job on a plain machine. Builds softmax(x·W) with the DSL, prints its
 * StableHLO, compiles and runs it, and checks the result against plain Java loops.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Build softmax(x·W), print its StableHLO, run it, and check it against plain Java.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--backend", defaultValue = "cpu", paramLabel = "cpu|pjrt[:PLUGIN]")
  String backend;

  @Override
  public Integer call() {
    Program program = Program.of(ExamplePrograms.softmaxXw());
    String text = program.text();
    System.out.println("== StableHLO of softmax(x·W), x f32[4,8], W f32[8,16]\n" + text);
    Random rnd = new Random(42);
    float[] x = new float[4 * 8];
    float[] w = new float[8 * 16];
    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
    for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
    try (Backend be = Backends.open(backend)) {
      long t0 = System.nanoTime();
      try (Executable exe = be.compile(program)) {
        long t1 = System.nanoTime();
        List<HostTensor> out = exe.execute(HostTensor.of(x, 4, 8), HostTensor.of(w, 8, 16));
        long t2 = System.nanoTime();
        float[] got = out.get(0).toFloatArray();
        float[] want = oracle(x, w);
        double maxErr = 0;
        for (int i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
        System.out.printf("== ran on %s (%s): compile %.1f ms, first run %.2f ms%n", be.platformName(),
            be.platformVersion(), (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        System.out.println("row 0: " + java.util.Arrays.toString(java.util.Arrays.copyOf(got, 16)));
        System.out.printf("max |xla - java| = %.3g (tolerance 1e-5)%n", maxErr);
        if (maxErr > 1e-5) {
          System.out.println("MISMATCH against the Java oracle");
          return 1;
        }
        System.out.println("OK: matches the plain-Java oracle");
      }
    }
    return 0;
  }

  /** softmax(x·W) row by row in plain Java, in double. */
  static float[] oracle(float[] x, float[] w) {
    float[] out = new float[4 * 16];
    for (int r = 0; r < 4; r++) {
      double[] z = new double[16];
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < 16; c++) {
        double s = 0;
        for (int k = 0; k < 8; k++) s += (double) x[r * 8 + k] * w[k * 16 + c];
        z[c] = s;
        max = Math.max(max, s);
      }
      double sum = 0;
      for (int c = 0; c < 16; c++) sum += Math.exp(z[c] - max);
      for (int c = 0; c < 16; c++) out[r * 16 + c] = (float) (Math.exp(z[c] - max) / sum);
    }
    return out;
  }
}
