package org.xla4j.backends;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.moe.Moe;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.moe.MoeResult;
import org.xla4j.models.moe.MoeWeights;
import org.xla4j.models.quant.Weight;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/**
 * Every MoE implementation compiled and run on a backend, against DENSE on the same inputs: DROPLESS
 * ({@code chlo.ragged_dot} on GPU), CAPACITY with a capacity factor of E (capacity N·K: nothing can drop) and
 * FEW_TOKENS. The GPU case uses a moderate layer (T 512, D 1024, F 2816, 8 experts top-2); the CPU case
 * the same check at a small size, so the harness itself runs on every machine.
 *
 * <p>Tolerance (bf16 results): |y − dense| ≤ 0.02·max|dense| + 0.02·|dense| elementwise. The implementations
 * round the same bf16 expert outputs but group the f32 accumulations differently, so one or two bf16 ulps
 * (2^-8 relative) separate them; a wrong routing or gate is off by the size of an expert output.
 */
class MoeBackendTest {

  record Size(int tokens, int model, int ffn, int experts, int topK) {}

  @Test
  void everyImplementationMatchesDenseOnPjrt() {
    Backend b = BackendUnderTest.pjrtOrSkip();
    check(b, new Size(512, 1024, 2816, 8, 2));
  }

  @Test
  void everyImplementationMatchesDenseOnTheCpuAtASmallSize() {
    Backend b = BackendUnderTest.openOrSkip("cpu");
    check(b, new Size(48, 64, 96, 8, 2));
  }

  private static void check(Backend b, Size s) {
    SplittableRandom rnd = new SplittableRandom(7);
    List<HostTensor> args = List.of(
        HostTensor.of(DType.BF16, Shape.of(s.tokens(), s.model()), normal(rnd, s.tokens() * s.model(), 1.0)),
        HostTensor.of(DType.F32, Shape.of(s.model(), s.experts()), normal(rnd, s.model() * s.experts(), 1.0 / Math.sqrt(s.model()))),
        HostTensor.of(DType.BF16, Shape.of(s.experts(), s.model(), s.ffn()),
            normal(rnd, s.experts() * s.model() * s.ffn(), 1.0 / Math.sqrt(s.model()))),
        HostTensor.of(DType.BF16, Shape.of(s.experts(), s.model(), s.ffn()),
            normal(rnd, s.experts() * s.model() * s.ffn(), 1.0 / Math.sqrt(s.model()))),
        HostTensor.of(DType.BF16, Shape.of(s.experts(), s.ffn(), s.model()),
            normal(rnd, s.experts() * s.ffn() * s.model(), 1.0 / Math.sqrt(s.ffn()))));
    Map<MoeImplementation, float[]> outs = new EnumMap<>(MoeImplementation.class);
    for (MoeImplementation impl : MoeImplementation.values()) {
      MoeOptions o = MoeOptions.builder().implementation(impl).topK(s.topK()).capacityFactor(s.experts())
          .platform(b.platformName()).build();
      Program p = program(o, s);
      long t0 = System.nanoTime();
      try (Executable exe = b.compile(p)) {
        long t1 = System.nanoTime();
        List<HostTensor> r = exe.execute(args);
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
          long e0 = System.nanoTime();
          exe.execute(args);
          best = Math.min(best, (System.nanoTime() - e0) / 1e6);
        }
        System.out.printf(Locale.ROOT, "MoE %s on %s, T %d D %d F %d E %d top-%d: compile %.0f ms, run best of 3 %.2f ms"
            + " (with host transfers)%s%n", impl, b.platformName(), s.tokens(), s.model(), s.ffn(), s.experts(), s.topK(),
            (t1 - t0) / 1e6, best, p.text().contains("ragged_dot") ? ", chlo.ragged_dot" : "");
        assertEquals(0, r.get(1).toIntArray()[0], impl + ": nothing dropped");
        outs.put(impl, r.get(0).toFloatArray());
      }
    }
    float[] ref = outs.get(MoeImplementation.DENSE);
    double max = 0;
    for (float v : ref) max = Math.max(max, Math.abs(v));
    assertTrue(max > 0.1, "DENSE output is not trivially small: " + max);
    for (var e : outs.entrySet()) {
      float[] y = e.getValue();
      int bad = 0;
      double worst = 0;
      for (int i = 0; i < y.length; i++) {
        double d = Math.abs(y[i] - ref[i]);
        worst = Math.max(worst, d);
        if (!(d <= 0.02 * max + 0.02 * Math.abs(ref[i]))) bad++;
      }
      System.out.printf(Locale.ROOT, "MoE %s vs DENSE: max |diff| %.4g (max |dense| %.4g), %d of %d outside tolerance%n",
          e.getKey(), worst, max, bad, y.length);
      assertEquals(0, bad, e.getKey() + " vs DENSE: max |diff| " + worst + " with max |dense| " + max);
    }
  }

  /** x bf16 [T, D], router f32 [D, E], linear/linear_v bf16 [E, D, F], linear_1 bf16 [E, F, D] -> y, dropped. */
  private static Program program(MoeOptions o, Size s) {
    Graph g = new Graph("moe_" + o.implementation().name().toLowerCase(Locale.ROOT));
    Tensor x = g.parameter(DType.BF16, s.tokens(), s.model());
    Tensor router = g.parameter(DType.F32, s.model(), s.experts());
    Tensor lin = g.parameter(DType.BF16, s.experts(), s.model(), s.ffn());
    Tensor linV = g.parameter(DType.BF16, s.experts(), s.model(), s.ffn());
    Tensor lin1 = g.parameter(DType.BF16, s.experts(), s.ffn(), s.model());
    MoeResult r = Moe.apply(o, x, new MoeWeights(router, Weight.of(lin), Weight.of(linV), Weight.of(lin1)));
    return g.program(r.output(), r.dropped());
  }

  private static float[] normal(SplittableRandom rnd, int n, double scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      // Box-Muller
      double u = 1 - rnd.nextDouble();
      double v = rnd.nextDouble();
      a[i] = (float) (scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    }
    return a;
  }

}
