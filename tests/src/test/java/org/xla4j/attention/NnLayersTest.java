package org.xla4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.nn.Activations;
import org.xla4j.models.nn.BlockwiseFfn;
import org.xla4j.models.nn.BptBlock;
import org.xla4j.models.nn.Norms;
import org.xla4j.models.nn.Rope;
import org.xla4j.models.nn.XPos;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * nn layers against plain-Java oracles on the CPU backend (f32; tolerance 1e-5 abs + 1e-5 rel for
 * elementwise layers: sin/cos/exp/tanh/erf of f32 are within a few ulp), and the BPT block chunked vs
 * unchunked (1e-4 abs: the two orders of summation differ over 768/3072-long dots and a 128-key softmax).
 */
class NnLayersTest {
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  private static double[] d(float[] f) {
    double[] r = new double[f.length];
    for (int i = 0; i < f.length; i++) r[i] = f[i];
    return r;
  }

  /** Rotation oracle: pairs (i, i+1) adjacent, or (i, i + r/2) half; dims >= r pass through; scale per pair. */
  static double[] rope(float[] x, int b, int s, int h, int dd, int r, int[] pos, double theta, boolean half,
      double[] pairScale) {
    double[] out = new double[x.length];
    for (int bi = 0; bi < b; bi++) {
      for (int si = 0; si < s; si++) {
        int p = pos.length == s ? pos[si] : pos[bi * s + si];
        for (int hi = 0; hi < h; hi++) {
          int base = ((bi * s + si) * h + hi) * dd;
          for (int j = 0; j < dd; j++) out[base + j] = x[base + j];
          for (int i = 0; i < r / 2; i++) {
            double ang = p * Math.pow(theta, -2.0 * i / r);
            double sc = pairScale == null ? 1 : pairScale[(pos.length == s ? si : bi * s + si) * (r / 2) + i];
            int a = half ? i : 2 * i;
            int c = half ? i + r / 2 : 2 * i + 1;
            double x0 = x[base + a];
            double x1 = x[base + c];
            out[base + a] = (x0 * Math.cos(ang) - x1 * Math.sin(ang)) * sc;
            out[base + c] = (x0 * Math.sin(ang) + x1 * Math.cos(ang)) * sc;
          }
        }
      }
    }
    return out;
  }

  @Test
  void ropeAdjacentHalfPartialAndPositionsMatchOracle() {
    int b = 2;
    int s = 6;
    int h = 3;
    int dd = 8;
    Random r = new Random(11);
    HostTensor xh = AttentionHarness.random(r, DType.F32, b, s, h, dd);
    int[] pos = {0, 1, 2, 3, 4, 5, 7, 9, 11, 13, 100, 1000};
    HostTensor ph = HostTensor.ofInts(pos, b, s);
    Graph g = new Graph("rope");
    Tensor x = g.parameter(xh.type());
    Tensor p = g.parameter(ph.type());
    Rope.Freqs table = Rope.precomputeFreqs(g, dd, 16, 10000);
    Tensor full = Rope.applyRotaryEmb(x, table.slice(s));
    Tensor atPos = Rope.applyRotaryEmb(x, Rope.precomputeFreqs(p, dd, 10000));
    Tensor partial = Rope.applyRotaryEmb(x, Rope.precomputeFreqs(g, 4, s, 500));
    Tensor half = Rope.applyRotaryHalf(x, Rope.precomputeFreqs(g, dd, s, 10000));
    Tensor taken = Rope.applyRotaryEmb(x, table.take(p));
    List<HostTensor> out = AttentionHarness.run(cpu, g, List.of(xh, ph), full, atPos, partial, half, taken);
    float[] xf = xh.toFloatArray();
    int[] seq = {0, 1, 2, 3, 4, 5};
    AttentionHarness.assertClose("rope 0..S-1", rope(xf, b, s, h, dd, dd, seq, 10000, false, null), out.get(0), 1e-5, 1e-5);
    AttentionHarness.assertClose("rope at [B,S] positions", rope(xf, b, s, h, dd, dd, pos, 10000, false, null), out.get(1),
        2e-5, 1e-4);
    AttentionHarness.assertClose("partial rotary_dim 4", rope(xf, b, s, h, dd, 4, seq, 500, false, null), out.get(2),
        1e-5, 1e-5);
    AttentionHarness.assertClose("rotate_half pairing", rope(xf, b, s, h, dd, dd, seq, 10000, true, null), out.get(3),
        1e-5, 1e-5);
    // positions beyond the table's 16 rows are clamped by gather; only compare rows inside it
    double[] want = rope(xf, b, s, h, dd, dd, pos, 10000, false, null);
    float[] got = out.get(4).toFloatArray();
    for (int i = 0; i < got.length; i++) {
      int row = i / (h * dd);
      if (pos[row] < 16) assertEquals(want[i], got[i], 1e-5, "table.take at element " + i);
    }
  }

  @Test
  void rotateHalfSwapsHalves() {
    Graph g = new Graph("rh");
    HostTensor xh = HostTensor.of(new float[] {1, 2, 3, 4}, 1, 4);
    Tensor x = g.parameter(xh.type());
    List<HostTensor> out = AttentionHarness.run(cpu, g, List.of(xh), Rope.rotateHalf(x));
    AttentionHarness.assertClose("rotate_half", new double[] {-3, -4, 1, 2}, out.get(0), 0, 0);
  }

  @Test
  void xposMatchesOracleAndDependsOnRelativePosition() {
    int b = 1;
    int s = 5;
    int h = 2;
    int dd = 8;
    double base = 512;
    Random r = new Random(5);
    HostTensor qh = AttentionHarness.random(r, DType.F32, b, s, h, dd);
    HostTensor kh = AttentionHarness.random(r, DType.F32, b, s, h, dd);
    int[] pos = {0, 3, 50, 700, 2000};
    HostTensor ph = HostTensor.ofInts(pos, s);
    Graph g = new Graph("xpos");
    Tensor q = g.parameter(qh.type());
    Tensor k = g.parameter(kh.type());
    Tensor p = g.parameter(ph.type());
    Tensor[] qk = XPos.apply(q, k, p, 10000, base);
    List<HostTensor> out = AttentionHarness.run(cpu, g, List.of(qh, kh, ph), qk[0], qk[1]);
    double[] up = new double[s * dd / 2];
    double[] down = new double[s * dd / 2];
    for (int si = 0; si < s; si++) {
      for (int i = 0; i < dd / 2; i++) {
        double zeta = (2.0 * i + 0.4 * dd) / (1.4 * dd);
        up[si * dd / 2 + i] = Math.pow(zeta, pos[si] / base);
        down[si * dd / 2 + i] = 1 / up[si * dd / 2 + i];
      }
    }
    AttentionHarness.assertClose("xpos q", rope(qh.toFloatArray(), b, s, h, dd, dd, pos, 10000, false, up), out.get(0),
        2e-5, 1e-4);
    AttentionHarness.assertClose("xpos k", rope(kh.toFloatArray(), b, s, h, dd, dd, pos, 10000, false, down), out.get(1),
        2e-5, 1e-4);
  }

  @Test
  void normsAndGeluMatchOracles() {
    Random r = new Random(2);
    HostTensor xh = AttentionHarness.random(r, DType.F32, 3, 16);
    HostTensor wh = AttentionHarness.random(r, DType.F32, 16);
    HostTensor bh = AttentionHarness.random(r, DType.F32, 16);
    Graph g = new Graph("norms");
    Tensor x = g.parameter(xh.type());
    Tensor w = g.parameter(wh.type());
    Tensor bb = g.parameter(bh.type());
    Tensor xs = x.mul(3.0);
    List<HostTensor> out = AttentionHarness.run(cpu, g, List.of(xh, wh, bh), Norms.rmsNorm(x, w, 1e-6),
        Norms.layerNorm(x, w, bb, 1e-5), Activations.gelu(xs, true), Activations.gelu(xs, false));
    float[] xf = xh.toFloatArray();
    float[] wf = wh.toFloatArray();
    float[] bf = bh.toFloatArray();
    double[] rms = new double[xf.length];
    double[] ln = new double[xf.length];
    double[] gt = new double[xf.length];
    double[] ge = new double[xf.length];
    for (int row = 0; row < 3; row++) {
      double ss = 0;
      double mu = 0;
      for (int j = 0; j < 16; j++) {
        ss += xf[row * 16 + j] * (double) xf[row * 16 + j];
        mu += xf[row * 16 + j];
      }
      mu /= 16;
      double var = 0;
      for (int j = 0; j < 16; j++) var += Math.pow(xf[row * 16 + j] - mu, 2);
      var /= 16;
      for (int j = 0; j < 16; j++) {
        int i = row * 16 + j;
        rms[i] = xf[i] / Math.sqrt(ss / 16 + 1e-6) * wf[j];
        ln[i] = (xf[i] - mu) / Math.sqrt(var + 1e-5) * wf[j] + bf[j];
        double v = 3.0 * xf[i];
        gt[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
        ge[i] = 0.5 * v * (1 + erf(v / Math.sqrt(2)));
      }
    }
    AttentionHarness.assertClose("rmsNorm", rms, out.get(0), 1e-5, 1e-5);
    AttentionHarness.assertClose("layerNorm", ln, out.get(1), 1e-5, 1e-5);
    AttentionHarness.assertClose("gelu tanh", gt, out.get(2), 1e-5, 1e-5);
    AttentionHarness.assertClose("gelu erf", ge, out.get(3), 1e-5, 1e-5);
  }

  /** erf by its Taylor series (|x| <= 3 here; 60 terms reach double precision). */
  private static double erf(double x) {
    double sum = 0;
    double term = x;
    for (int n = 0; n < 80; n++) {
      sum += term / (2 * n + 1);
      term *= -x * x / (n + 1);
    }
    return 2 / Math.sqrt(Math.PI) * sum;
  }

  @Test
  void blockwiseFfnWithNonDividingChunkEqualsDirect() {
    Random r = new Random(9);
    HostTensor xh = AttentionHarness.random(r, DType.F32, 2, 10, 8);
    HostTensor wh = AttentionHarness.random(r, DType.F32, 8, 12);
    Graph g = new Graph("ffn");
    Tensor x = g.parameter(xh.type());
    Tensor w = g.parameter(wh.type());
    java.util.function.UnaryOperator<Tensor> f = t -> Activations.gelu(t.matmul(w), true);
    List<HostTensor> out = AttentionHarness.run(cpu, g, List.of(xh, wh), f.apply(x), BlockwiseFfn.apply(x, 4, f),
        BlockwiseFfn.apply(x, 5, f));
    double[] direct = d(out.get(0).toFloatArray());
    AttentionHarness.assertClose("chunk 4 of 10", direct, out.get(1), 1e-6, 1e-6);
    AttentionHarness.assertClose("chunk 5 of 10", direct, out.get(2), 1e-6, 1e-6);
  }

  /** The seed example: batch 8, seq 128, hidden 768, 12 heads, chunks 64 -> (8, 128, 768), equal to unchunked. */
  @Test
  void bptBlockSeedExampleEqualsUnchunked() {
    BptBlock.Config c = BptBlock.Config.seed();
    Random r = new Random(42);
    Graph g = new Graph("bpt_block");
    HostTensor xh = AttentionHarness.random(r, DType.F32, 8, 128, 768);
    List<HostTensor> args = new ArrayList<>(List.of(xh));
    Tensor x = g.parameter(xh.type());
    BptBlock.Weights w = BptBlock.Weights.parameters(g, c, DType.F32);
    assertEquals(BptBlock.Weights.PATHS, w.tree().paths());
    // arguments follow the tree's flatten order; layer-norm scales are found by name, not by position
    for (Tree.Leaf<TensorType> l : BptBlock.Weights.types(c, DType.F32)) {
      TensorType t = l.value();
      float[] f = new float[(int) t.numElements()];
      boolean scaleVec = l.path().endsWith("/scale");
      for (int i = 0; i < f.length; i++) f[i] = scaleVec ? 1 + 0.1f * (r.nextFloat() - 0.5f) : 0.04f * (r.nextFloat() - 0.5f);
      args.add(HostTensor.of(DType.F32, t.shape(), f));
    }
    Tensor chunked = BptBlock.forward(c, w, x, true);
    Tensor plain = BptBlock.forward(c, w, x, false);
    assertEquals(Shape.of(8, 128, 768), chunked.shape());
    List<HostTensor> out = AttentionHarness.run(cpu, g, args, chunked, plain);
    assertEquals(Shape.of(8, 128, 768), out.get(0).shape());
    AttentionHarness.assertClose("BPT block chunked vs unchunked", d(out.get(1).toFloatArray()), out.get(0), 1e-4, 1e-4);
    // and the block did something: the output is not the input
    assertEquals(true, AttentionHarness.maxAbsDiff(out.get(0), xh) > 1e-3);
  }

  /** QK-norm: RMSNorm of each [B, S, H, D] head vector with one weight [D]. */
  @Test
  void rmsNormAsQkNormNormalizesEachHeadVector() {
    Random r = new Random(8);
    HostTensor xh = AttentionHarness.random(r, DType.F32, 2, 3, 4, 8);
    HostTensor wh = AttentionHarness.random(r, DType.F32, 8);
    Graph g = new Graph("qknorm");
    Tensor x = g.parameter(xh.type());
    Tensor w = g.parameter(wh.type());
    List<HostTensor> out = AttentionHarness.run(cpu, g, List.of(xh, wh), Norms.rmsNorm(x, w, 1e-6));
    float[] xf = xh.toFloatArray();
    float[] wf = wh.toFloatArray();
    double[] want = new double[xf.length];
    for (int row = 0; row < xf.length / 8; row++) {
      double ss = 0;
      for (int j = 0; j < 8; j++) ss += xf[row * 8 + j] * (double) xf[row * 8 + j];
      for (int j = 0; j < 8; j++) want[row * 8 + j] = xf[row * 8 + j] / Math.sqrt(ss / 8 + 1e-6) * wf[j];
    }
    AttentionHarness.assertClose("qk rmsNorm", want, out.get(0), 1e-5, 1e-5);
  }
}
