package org.xla4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.OpException;
import org.xla4j.models.generate.Sampler;
import org.xla4j.models.generate.SamplerInputs;
import org.xla4j.models.generate.ThreefryHost;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * {@link Sampler} on the CPU backend. One program of B = 64 rows and V = 32 tokens returns the ids, the
 * next keys and the kept set; the oracle is a plain-Java top-k / top-p filter (doubles, from the same f32
 * scaled logits) and plain counting. Statistical checks use fixed keys, so they are deterministic; their
 * bounds are the 0.1% tails of the stated distributions, so a correct sampler passes with probability
 * 0.999 for a fresh choice of seeds, and a wrong kept set or wrong probabilities fail by far.
 */
class SamplerTest {
  private static final int B = 64;
  private static final int V = 32;
  private static Backend cpu;
  private static Executable exe;

  @BeforeAll
  static void open() {
    cpu = Backends.open("cpu");
    Graph g = new Graph("sampler");
    List<TensorType> types = Sampler.argumentTypes(B, V);
    Tensor logits = g.parameter(types.get(0));
    Tensor temperature = g.parameter(types.get(1));
    Tensor topK = g.parameter(types.get(2));
    Tensor topP = g.parameter(types.get(3));
    Tensor key = g.parameter(types.get(4));
    Sampler.Sampled s = Sampler.sample(logits, temperature, topK, topP, key);
    // the kept set exactly as sample computes it, for the set comparisons
    Tensor scaled = logits.div(org.xla4j.dsl.Jnp.where(temperature.gt(0.0), temperature, 1.0).expandDims(-1));
    Tensor keep = Sampler.keepMask(scaled, topK, topP);
    exe = cpu.compile(g.program(s.ids(), s.nextKey(), keep));
  }

  @AfterAll
  static void close() {
    exe.close();
    cpu.close();
  }

  /** One step's results. */
  private record Step(int[] ids, int[] nextKey, boolean[][] keep) {}

  private static Step step(float[] logits, float[] t, int[] k, float[] p, int[] key) {
    List<HostTensor> out = exe.execute(HostTensor.of(logits, B, V), HostTensor.of(t, B), HostTensor.ofInts(k, B),
        HostTensor.of(p, B), SamplerInputs.keys(key, B));
    int[] keepFlat = out.get(2).toIntArray();
    boolean[][] keep = new boolean[B][V];
    for (int i = 0; i < B; i++) for (int j = 0; j < V; j++) keep[i][j] = keepFlat[i * V + j] != 0;
    return new Step(out.get(0).toIntArray(), out.get(1).toIntArray(), keep);
  }

  private static float[] fill(float v) {
    float[] a = new float[B];
    Arrays.fill(a, v);
    return a;
  }

  private static int[] fillInt(int v) {
    int[] a = new int[B];
    Arrays.fill(a, v);
    return a;
  }

  /** Row i's key is PRNGKey(seed0 + i). */
  private static int[] keys(long seed0) {
    int[] w = new int[2 * B];
    for (int i = 0; i < B; i++) {
      int[] k = ThreefryHost.seed(seed0 + i);
      w[2 * i] = k[0];
      w[2 * i + 1] = k[1];
    }
    return w;
  }

  private static float[] tile(float[] row) {
    float[] a = new float[B * V];
    for (int i = 0; i < B; i++) System.arraycopy(row, 0, a, i * V, V);
    return a;
  }

  private static float[] randomLogits(long seed) {
    Random r = new Random(seed);
    float[] a = new float[B * V];
    for (int i = 0; i < a.length; i++) a[i] = (float) (2 * r.nextGaussian());
    return a;
  }

  // ---- the oracle: Grok-1's top_p_filter after a top-k filter, in plain Java ----

  /** Which of {@code y} (already divided by the temperature, in f32) survive top-k then top-p. */
  static boolean[] keepOracle(float[] y, int k, float p) {
    int v = y.length;
    float[] s = y.clone();
    Arrays.sort(s);
    float kThr = k > 0 && k < v ? s[v - k] : Float.NEGATIVE_INFINITY;
    double max = s[v - 1];
    double z = 0;
    for (float x : s) if (x >= kThr) z += Math.exp(x - max);
    double cum = 0;
    int idx = v - 1;
    for (int i = 0; i < v; i++) {
      if (s[i] >= kThr) cum += Math.exp(s[i] - max) / z;
      if (cum >= 1f - p) {
        idx = i;
        break;
      }
    }
    float pThr = s[idx] >= kThr ? s[idx] : Float.NEGATIVE_INFINITY;
    boolean[] keep = new boolean[v];
    for (int j = 0; j < v; j++) keep[j] = y[j] >= kThr && y[j] >= pThr;
    return keep;
  }

  private static int argmax(float[] a, int from, int n) {
    int best = 0;
    for (int j = 1; j < n; j++) if (a[from + j] > a[from + best]) best = j;
    return best;
  }

  @Test
  void temperatureZeroIsArgmax() {
    float[] logits = randomLogits(3);
    // a tie: the lowest index wins, as jnp.argmax
    logits[5] = 50f;
    logits[9] = 50f;
    // large top-k/top-p settings must not matter for greedy rows
    Step s = step(logits, fill(0f), fillInt(3), fill(0.5f), keys(0));
    for (int i = 0; i < B; i++) assertEquals(argmax(logits, i * V, V), s.ids()[i], "row " + i);
    assertEquals(5, s.ids()[0]);
  }

  @Test
  void topKNeverLeavesTheKLargest() {
    float[] logits = randomLogits(4);
    int[] k = new int[B];
    for (int i = 0; i < B; i++) k[i] = 1 + i % 5;
    int[] key = keys(100);
    int[] seen = new int[B];
    for (int step = 0; step < 40; step++) {
      // temperature 3 flattens the distribution so the draws spread over all k
      Step s = step(logits, fill(3f), k, fill(1f), key);
      for (int i = 0; i < B; i++) {
        float[] row = Arrays.copyOfRange(logits, i * V, i * V + V);
        float[] sorted = row.clone();
        Arrays.sort(sorted);
        float kth = sorted[V - k[i]];
        int id = s.ids()[i];
        assertTrue(id >= 0 && id < V && row[id] >= kth,
            "row " + i + " k=" + k[i] + " drew " + id + " (logit " + row[id] + ") below the k-th largest " + kth);
        seen[i] |= 1 << Arrays.binarySearch(sorted, row[id]);
      }
      key = s.nextKey();
    }
    // over 40 draws every row with k <= 3 saw more than one token (a sampler stuck on argmax would fail)
    for (int i = 0; i < B; i++) if (k[i] > 1 && k[i] <= 3) assertTrue(Integer.bitCount(seen[i]) > 1, "row " + i);
  }

  @Test
  void keptSetEqualsGrokTopPFilter() {
    float[] logits = randomLogits(5);
    float[] t = new float[B];
    int[] k = new int[B];
    float[] p = new float[B];
    float[] ps = {1f, 0.95f, 0.9f, 0.5f, 0.2f, 0.05f, 1e-9f};
    for (int i = 0; i < B; i++) {
      t[i] = i % 3 == 0 ? 1f : i % 3 == 1 ? 0.5f : 2f;
      k[i] = i % 4 == 0 ? 0 : i % 4 == 1 ? 3 : i % 4 == 2 ? 10 : V;
      p[i] = ps[i % ps.length];
    }
    Step s = step(logits, t, k, p, keys(7));
    int sizes = 0;
    for (int i = 0; i < B; i++) {
      float[] y = new float[V];
      for (int j = 0; j < V; j++) y[j] = logits[i * V + j] / t[i];
      boolean[] want = keepOracle(y, k[i], p[i]);
      assertArrayEquals(want, s.keep()[i], "row " + i + " t=" + t[i] + " k=" + k[i] + " p=" + p[i]);
      int n = 0;
      for (boolean b : want) n += b ? 1 : 0;
      if (k[i] == 0 && p[i] == 1f) assertEquals(V, n, "row " + i + " keeps all");
      if (p[i] < 1e-6f) assertEquals(1, n, "row " + i + " p near 0 keeps only the largest");
      sizes += n;
      assertTrue(s.keep()[i][argmax(logits, i * V, V)], "the largest is always kept, row " + i);
    }
    // the filters actually cut: fewer than all tokens kept over the batch
    assertTrue(sizes < B * V / 2, "kept " + sizes);
  }

  /**
   * Fixed logits whose top-p set is {4, 5, 6, 7} at p = 0.9: Z = 28 e^-4 + 1 + e^0.5 + e + e^1.5 = 10.36;
   * ascending, the 28 tokens at -4 sum to 0.049 < 1 - p = 0.1 and token 4 (logit 0) brings the sum to
   * 0.146 >= 0.1, so logit 0 is the threshold and tokens 4..7 are kept (p = 0.8 would cut token 4 too,
   * the sum reaching 0.2 only at token 5). The draws are
   * compared with the renormalized probabilities of the kept set by Pearson's chi-square, 3 degrees of
   * freedom, 0.1% critical value 16.27; 64 rows x 80 steps = 5,120 draws.
   */
  @Test
  void topPFrequenciesMatchRenormalizedProbabilities() {
    float[] row = new float[V];
    Arrays.fill(row, -4f);
    row[4] = 0f;
    row[5] = 0.5f;
    row[6] = 1f;
    row[7] = 1.5f;
    float[] logits = tile(row);
    double z = 0;
    for (float x : row) z += Math.exp(x);
    boolean[] want = keepOracle(row, 0, 0.9f);
    double keptMass = 0;
    for (int j = 0; j < V; j++) if (want[j]) keptMass += Math.exp(row[j]) / z;
    int[] counts = new int[V];
    int[] key = keys(2024);
    int steps = 80;
    for (int step = 0; step < steps; step++) {
      Step s = step(logits, fill(1f), fillInt(0), fill(0.9f), key);
      for (int id : s.ids()) counts[id]++;
      key = s.nextKey();
    }
    int n = B * steps;
    double chi2 = 0;
    int kept = 0;
    for (int j = 0; j < V; j++) {
      if (!want[j]) {
        assertEquals(0, counts[j], "token " + j + " is outside the top-p set");
        continue;
      }
      kept++;
      double e = n * Math.exp(row[j]) / z / keptMass;
      chi2 += (counts[j] - e) * (counts[j] - e) / e;
    }
    assertEquals(4, kept, "the hand-derived set {4, 5, 6, 7}");
    assertTrue(chi2 < 16.27, "chi-square " + chi2 + " over 3 d.f., counts " + Arrays.toString(counts));
  }

  /** Without filters, a two-token race: the share of token 1 is binomial around its softmax probability. */
  @Test
  void temperatureScalesTheDistribution() {
    float[] row = new float[V];
    Arrays.fill(row, -100f);
    row[0] = 0f;
    row[1] = 1f;
    float temperature = 2f;
    double q = 1 / (1 + Math.exp(-(1 - 0) / temperature)); // P(token 1) = sigmoid(1 / T) ~ 0.622
    int n = 0;
    int ones = 0;
    int[] key = keys(99);
    for (int step = 0; step < 40; step++) {
      Step s = step(tile(row), fill(temperature), fillInt(0), fill(1f), key);
      for (int id : s.ids()) {
        assertTrue(id == 0 || id == 1, "drew " + id);
        ones += id;
        n++;
      }
      key = s.nextKey();
    }
    double sd = Math.sqrt(n * q * (1 - q));
    // 3.29 standard deviations: the two-sided 0.1% bound; T = 1 would give 0.731, 10 sd away
    assertTrue(Math.abs(ones - n * q) < 3.29 * sd, "token 1 drawn " + ones + " of " + n + ", want ~" + n * q);
  }

  @Test
  void sameKeyReproducesDifferentKeysDiffer() {
    float[] logits = tile(new float[V]); // uniform over 32 tokens
    Step a = step(logits, fill(1f), fillInt(0), fill(1f), keys(5));
    Step b = step(logits, fill(1f), fillInt(0), fill(1f), keys(5));
    Step c = step(logits, fill(1f), fillInt(0), fill(1f), keys(5 + B));
    assertArrayEquals(a.ids(), b.ids());
    assertArrayEquals(a.nextKey(), b.nextKey());
    // 64 draws from 32 tokens under other keys agree everywhere with probability 32^-64
    assertNotEquals(Arrays.toString(a.ids()), Arrays.toString(c.ids()));
    // the next key is split(key, 0), computed on the host
    int[] k0 = keys(5);
    for (int i = 0; i < B; i++) {
      assertArrayEquals(ThreefryHost.split(new int[] {k0[2 * i], k0[2 * i + 1]}, 0),
          new int[] {a.nextKey()[2 * i], a.nextKey()[2 * i + 1]}, "next key of row " + i);
    }
    // a chain of steps keeps changing: the next key is not the key
    Step d = step(logits, fill(1f), fillInt(0), fill(1f), a.nextKey());
    assertNotEquals(Arrays.toString(a.ids()), Arrays.toString(d.ids()));
  }

  /**
   * Row 0 gets the same token and next key whatever the other rows hold: in one batch nothing filters
   * (the sort is skipped), in the other the rest filter or are greedy (the sort runs).
   */
  @Test
  void rowsAreIndependent() {
    float[] l1 = randomLogits(11);
    float[] l2 = randomLogits(12);
    System.arraycopy(l1, 0, l2, 0, V);
    int[] key1 = keys(1000);
    int[] key2 = keys(5000);
    key2[0] = key1[0];
    key2[1] = key1[1];
    float[] t1 = fill(1.5f);
    float[] t2 = new float[B];
    for (int i = 0; i < B; i++) t2[i] = i % 2 == 0 ? 1.5f : 0f;
    int[] k2 = fillInt(2);
    k2[0] = 0;
    float[] p2 = fill(0.3f);
    p2[0] = 1f;
    int differ = 0;
    for (int step = 0; step < 20; step++) {
      Step a = step(l1, t1, fillInt(0), fill(1f), key1);
      Step b = step(l2, t2, k2, p2, key2);
      assertEquals(a.ids()[0], b.ids()[0], "row 0, step " + step);
      assertEquals(a.nextKey()[0], b.nextKey()[0]);
      assertEquals(a.nextKey()[1], b.nextKey()[1]);
      for (int i = 1; i < B; i++) differ += a.ids()[i] != b.ids()[i] ? 1 : 0;
      key1 = a.nextKey();
      key2 = b.nextKey();
    }
    assertTrue(differ > 0, "the other rows did change");
  }

  @Test
  void badInputsNameTheArgumentAndTypes() {
    Graph g = new Graph("bad_sampler");
    Tensor logits = g.parameter(DType.F32, 2, 8);
    Tensor t = g.parameter(DType.F32, 2);
    Tensor k = g.parameter(DType.I32, 2);
    Tensor p = g.parameter(DType.F32, 2);
    Tensor wrongKey = g.parameter(DType.U64, 2);
    OpException e = assertThrows(OpException.class, () -> Sampler.sample(logits, t, k, p, wrongKey));
    assertTrue(e.getMessage().contains("Sampler.sample") && e.getMessage().contains("key")
        && e.getMessage().contains("ui32") && e.getMessage().contains("ui64"), e.getMessage());
    assertTrue(e.getMessage().contains("SamplerTest"), "names the caller's line: " + e.getMessage());
    Tensor badT = g.parameter(DType.F32, 3);
    Tensor key = g.parameter(DType.U32, 2, 2);
    OpException e2 = assertThrows(OpException.class, () -> Sampler.sample(logits, badT, k, p, key));
    assertTrue(e2.getMessage().contains("temperature"), e2.getMessage());
  }

  /**
   * Each host-picked mode gives the rows it serves the ids and next keys of the on-device mode (DEVICE):
   * rows 0-15 greedy, 16-31 sampling without filters, 32-63 top-k / top-p. GREEDY serves the first group,
   * SAMPLE the first two, FILTERED all; under GREEDY every row gets its argmax.
   */
  @Test
  void hostPickedModesMatchTheDeviceModeOnTheRowsTheyServe() {
    Random r = new Random(7);
    float[] logits = new float[B * V];
    for (int i = 0; i < logits.length; i++) logits[i] = (float) (3 * r.nextGaussian());
    float[] t = new float[B];
    int[] k = new int[B];
    float[] p = new float[B];
    int[] key = new int[2 * B];
    for (int i = 0; i < B; i++) {
      t[i] = i < 16 ? 0f : 1.5f;
      k[i] = i >= 32 && i % 2 == 0 ? 5 : 0;
      p[i] = i >= 32 && i % 2 == 1 ? 0.8f : 1f;
      key[2 * i] = 1000 + i;
      key[2 * i + 1] = 77 * i;
    }
    Step device = step(logits, t, k, p, key);
    int[] served = {16, 32, 64};
    Sampler.Mode[] modes = {Sampler.Mode.GREEDY, Sampler.Mode.SAMPLE, Sampler.Mode.FILTERED};
    for (int m = 0; m < modes.length; m++) {
      Graph g = new Graph("sampler_" + modes[m]);
      List<TensorType> types = Sampler.argumentTypes(B, V);
      List<Tensor> in = types.stream().map(g::parameter).toList();
      Sampler.Sampled s = Sampler.sample(in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), modes[m]);
      try (Executable e = cpu.compile(g.program(s.ids(), s.nextKey()))) {
        List<HostTensor> out = e.execute(HostTensor.of(logits, B, V), HostTensor.of(t, B), HostTensor.ofInts(k, B),
            HostTensor.of(p, B), SamplerInputs.keys(key, B));
        int[] ids = out.get(0).toIntArray();
        assertArrayEquals(device.nextKey(), out.get(1).toIntArray(), modes[m] + ": next keys as DEVICE's");
        for (int i = 0; i < B; i++) {
          int argmax = 0;
          for (int j = 1; j < V; j++) if (logits[i * V + j] > logits[i * V + argmax]) argmax = j;
          if (i < served[m]) assertEquals(device.ids()[i], ids[i], modes[m] + ", row " + i);
          else if (modes[m] == Sampler.Mode.GREEDY) assertEquals(argmax, ids[i], "GREEDY takes the argmax, row " + i);
        }
      }
    }
    int sampledOff = 0;
    for (int i = 16; i < B; i++) {
      int argmax = 0;
      for (int j = 1; j < V; j++) if (logits[i * V + j] > logits[i * V + argmax]) argmax = j;
      if (device.ids()[i] != argmax) sampledOff++;
    }
    assertTrue(sampledOff > 5, "sampling rows at temperature 1.5 leave their argmax often: " + sampledOff);
    assertEquals(Sampler.Mode.GREEDY, Sampler.Mode.of(org.xla4j.models.generate.SamplingParams.greedy(4), V));
    assertEquals(Sampler.Mode.SAMPLE, Sampler.Mode.of(new org.xla4j.models.generate.SamplingParams(1, V, 1, 0, 4, List.of()), V),
        "top-k at the vocabulary size filters nothing");
    assertEquals(Sampler.Mode.FILTERED, Sampler.Mode.SAMPLE.join(Sampler.Mode.FILTERED));
    assertEquals(Sampler.Mode.SAMPLE, Sampler.Mode.GREEDY.join(Sampler.Mode.SAMPLE));
  }
}
