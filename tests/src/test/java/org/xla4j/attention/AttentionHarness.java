package org.xla4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/** Builds a graph, compiles it on a backend, runs it; random inputs; closeness checks. */
final class AttentionHarness {
  private AttentionHarness() {}

  /** Makes {@code outputs} of {@code g} a program, compiles and runs it on {@code args}. */
  static List<HostTensor> run(Backend backend, Graph g, List<HostTensor> args, Tensor... outputs) {
    try (Executable exe = backend.compile(g.program(outputs))) {
      List<HostTensor> out = exe.execute(args);
      for (int i = 0; i < outputs.length; i++) {
        assertEquals(outputs[i].type(), out.get(i).type(), "result " + i + " type");
      }
      return out;
    }
  }

  /** Uniform values in [-1, 1) of {@code dtype} (rounded to it). */
  static HostTensor random(Random r, DType dtype, long... dims) {
    float[] f = new float[(int) Shape.of(dims).numElements()];
    for (int i = 0; i < f.length; i++) f[i] = r.nextFloat() * 2 - 1;
    return HostTensor.of(dtype, Shape.of(dims), f);
  }

  /** Fails naming the worst element when |actual - expected| > abs + rel·|expected| anywhere. */
  static void assertClose(String what, double[] expected, HostTensor actual, double abs, double rel) {
    float[] a = actual.toFloatArray();
    assertEquals(expected.length, a.length, what + ": element count");
    double worst = -1;
    int at = -1;
    for (int i = 0; i < a.length; i++) {
      double err = Math.abs(a[i] - expected[i]) - (abs + rel * Math.abs(expected[i]));
      if (!(err <= 0) && (Double.isNaN(err) || err > worst)) {
        worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
        at = i;
      }
    }
    if (at >= 0) {
      fail(what + ": element " + at + " is " + a[at] + ", expected " + expected[at] + " (tolerance " + abs + " + "
          + rel + "·|x|, shape " + actual.shape() + ")");
    }
  }

  static double maxAbsDiff(HostTensor x, HostTensor y) {
    float[] a = x.toFloatArray();
    float[] b = y.toFloatArray();
    double m = 0;
    for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  }

  static List<HostTensor> list(HostTensor... ts) { return new ArrayList<>(Arrays.asList(ts)); }
}
