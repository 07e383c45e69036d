package org.xla4j.dsl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.HalfFloats;

/**
 * The DSL's composite ops (softmax, logsumexp, einsum, batched matmul, argmax, top-k, take,
 * scatter-add, cumsum, loops) executed on the CPU backend against plain-Java loops. Tolerances: f32
 * 1e-5 absolute for O(1) results; bf16 inputs are rounded to bf16 in the oracle first and results
 * compared at 2^-7 relative (bf16 has 8 significant bits).
 */
class DslNumericsTest {
  private static Backend cpu;
  private static final java.util.Random RND = new java.util.Random(7);

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  private static List<HostTensor> run(Graph g, List<Tensor> outs, HostTensor... args) {
    try (Executable exe = cpu.compile(g.program(outs.toArray(Tensor[]::new)))) {
      return exe.execute(args);
    }
  }

  private static float[] randn(int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) RND.nextGaussian();
    return a;
  }

  private static void close(float[] want, float[] got, double tol, String what) {
    assertEquals(want.length, got.length, what);
    for (int i = 0; i < want.length; i++) {
      assertTrue(Math.abs(want[i] - got[i]) <= tol * Math.max(1, Math.abs(want[i])),
          what + "[" + i + "]: want " + want[i] + " got " + got[i]);
    }
  }

  @Test
  void softmaxAndLogsumexpMatchJava() {
    Graph g = new Graph("sm");
    Tensor x = g.parameter(DType.F32, 3, 5);
    float[] xs = randn(15);
    xs[0] = 80f; // large logits must not overflow: softmax subtracts the max
    List<HostTensor> r = run(g, List.of(x.softmax(-1), x.logsumexp(1)), HostTensor.of(xs, 3, 5));
    float[] sm = new float[15];
    float[] lse = new float[3];
    for (int i = 0; i < 3; i++) {
      double m = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < 5; j++) m = Math.max(m, xs[i * 5 + j]);
      double s = 0;
      for (int j = 0; j < 5; j++) s += Math.exp(xs[i * 5 + j] - m);
      for (int j = 0; j < 5; j++) sm[i * 5 + j] = (float) (Math.exp(xs[i * 5 + j] - m) / s);
      lse[i] = (float) (m + Math.log(s));
    }
    close(sm, r.get(0).toFloatArray(), 1e-6, "softmax");
    close(lse, r.get(1).toFloatArray(), 1e-6, "logsumexp");
  }

  @Test
  void bf16SoftmaxComputesInF32() {
    Graph g = new Graph("sm16");
    Tensor x = g.parameter(DType.BF16, 2, 8);
    float[] xs = randn(16);
    HostTensor in = HostTensor.of(DType.BF16, org.xla4j.types.Shape.of(2, 8), xs);
    HostTensor out = run(g, List.of(x.softmax(-1)), in).get(0);
    assertEquals(DType.BF16, out.dtype());
    float[] xr = in.toFloatArray();
    float[] want = new float[16];
    for (int i = 0; i < 2; i++) {
      double m = Double.NEGATIVE_INFINITY;
      double s = 0;
      for (int j = 0; j < 8; j++) m = Math.max(m, xr[i * 8 + j]);
      for (int j = 0; j < 8; j++) s += Math.exp(xr[i * 8 + j] - m);
      for (int j = 0; j < 8; j++) want[i * 8 + j] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16((float) (Math.exp(xr[i * 8 + j] - m) / s)));
    }
    close(want, out.toFloatArray(), 1.0 / 128, "bf16 softmax");
  }

  @Test
  void einsumAndBatchedMatmul() {
    Graph g = new Graph("es");
    Tensor q = g.parameter(DType.F32, 2, 3, 2, 4); // b q h d
    Tensor k = g.parameter(DType.F32, 2, 5, 2, 4); // b k h d
    Tensor a = g.parameter(DType.F32, 2, 3, 4);
    Tensor b = g.parameter(DType.F32, 4, 6);
    float[] qs = randn(48);
    float[] ks = randn(80);
    float[] as = randn(24);
    float[] bs = randn(24);
    List<HostTensor> r = run(g, List.of(Jnp.einsum("bqhd,bkhd->bhqk", q, k), a.matmul(b)),
        HostTensor.of(qs, 2, 3, 2, 4), HostTensor.of(ks, 2, 5, 2, 4), HostTensor.of(as, 2, 3, 4), HostTensor.of(bs, 4, 6));
    float[] s = new float[2 * 2 * 3 * 5];
    for (int bb = 0; bb < 2; bb++)
      for (int h = 0; h < 2; h++)
        for (int i = 0; i < 3; i++)
          for (int j = 0; j < 5; j++) {
            double acc = 0;
            for (int d = 0; d < 4; d++) acc += qs[((bb * 3 + i) * 2 + h) * 4 + d] * ks[((bb * 5 + j) * 2 + h) * 4 + d];
            s[((bb * 2 + h) * 3 + i) * 5 + j] = (float) acc;
          }
    close(s, r.get(0).toFloatArray(), 1e-5, "einsum");
    float[] mm = new float[2 * 3 * 6];
    for (int bb = 0; bb < 2; bb++)
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 6; j++) {
          double acc = 0;
          for (int d = 0; d < 4; d++) acc += as[(bb * 3 + i) * 4 + d] * bs[d * 6 + j];
          mm[(bb * 3 + i) * 6 + j] = (float) acc;
        }
    close(mm, r.get(1).toFloatArray(), 1e-5, "batched matmul");
  }

  @Test
  void argmaxTiesTakeLowestIndexAndTopK() {
    Graph g = new Graph("am");
    Tensor x = g.parameter(DType.F32, 2, 4);
    TopK t = x.topK(2);
    List<HostTensor> r = run(g, List.of(x.argmax(-1), x.argmin(1), t.values(), t.indices()),
        HostTensor.of(new float[] {1, 5, 5, 0, -1, -3, 2, -3}, 2, 4));
    assertArrayEquals(new int[] {1, 2}, r.get(0).toIntArray());
    assertArrayEquals(new int[] {3, 1}, r.get(1).toIntArray());
    assertArrayEquals(new float[] {5, 5, 2, -1}, r.get(2).toFloatArray());
    assertArrayEquals(new int[] {1, 2, 2, 0}, r.get(3).toIntArray());
  }

  @Test
  void takeScatterAddAndCumsum() {
    Graph g = new Graph("idx");
    Tensor table = g.parameter(DType.F32, 4, 3);
    Tensor ids = g.constant(new int[] {2, 0, 2}, 3);
    Tensor rows = table.take(ids, 0);
    Tensor acc = g.zeros(DType.F32, 4, 3).scatterAdd(ids, rows);
    float[] ts = randn(12);
    List<HostTensor> r = run(g, List.of(rows, acc, table.cumsum(1)), HostTensor.of(ts, 4, 3));
    float[] want = new float[9];
    int[] idx = {2, 0, 2};
    for (int i = 0; i < 3; i++) System.arraycopy(ts, idx[i] * 3, want, i * 3, 3);
    close(want, r.get(0).toFloatArray(), 0, "take");
    float[] sc = new float[12];
    for (int i = 0; i < 3; i++) for (int c = 0; c < 3; c++) sc[idx[i] * 3 + c] += ts[idx[i] * 3 + c];
    close(sc, r.get(1).toFloatArray(), 1e-6, "scatterAdd with a repeated index");
    float[] cs = new float[12];
    for (int i = 0; i < 4; i++) {
      float s = 0;
      for (int c = 0; c < 3; c++) cs[i * 3 + c] = s += ts[i * 3 + c];
    }
    close(cs, r.get(2).toFloatArray(), 1e-5, "cumsum");
  }

  @Test
  void foriLoopAndCond() {
    Graph g = new Graph("loop");
    Tensor x = g.parameter(DType.F32, 3);
    // x <- 0.5*x + i, for i in [0, 4)
    Tensor y = Lax.foriLoop(0, 4, x, (i, c) -> c.mul(0.5).add(i.astype(DType.F32)));
    Function<List<Tensor>, List<Tensor>> neg = a -> List.of(a.get(0).neg());
    Function<List<Tensor>, List<Tensor>> id = a -> List.of(a.get(0));
    Tensor z = Lax.cond(y.sum().gt(0.0), neg, id, List.of(y)).get(0);
    float[] xs = {1, -2, 3};
    List<HostTensor> r = run(g, List.of(y, z), HostTensor.of(xs, 3));
    float[] want = xs.clone();
    for (int i = 0; i < 4; i++) for (int j = 0; j < 3; j++) want[j] = want[j] * 0.5f + i;
    close(want, r.get(0).toFloatArray(), 1e-6, "fori_loop");
    float sum = want[0] + want[1] + want[2];
    float[] want2 = sum > 0 ? new float[] {-want[0], -want[1], -want[2]} : want;
    close(want2, r.get(1).toFloatArray(), 1e-6, "cond");
  }
}
