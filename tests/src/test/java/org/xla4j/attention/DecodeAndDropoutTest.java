package org.xla4j.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Rng;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionInputs;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.AttentionResult;
import org.xla4j.models.attention.KVMemory;
import org.xla4j.models.attention.Memory;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/** DECODE against full causal attention, returned weights, and dropout's statistics. */
class DecodeAndDropoutTest {
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  /** Prefill 7 tokens, then decode 3 one at a time (unrolled) and 3 more in a fori_loop: rows equal full causal attention. */
  @Test
  void decodeWithCacheEqualsLastRowsOfCausalAttention() {
    int b = 2;
    int s = 13;
    int h = 4;
    int hkv = 2;
    int d = 8;
    int prefill = 7;
    int cache = 16;
    Random r = new Random(7);
    HostTensor qh = AttentionHarness.random(r, DType.F32, b, s, h, d);
    HostTensor kh = AttentionHarness.random(r, DType.F32, b, s, hkv, d);
    HostTensor vh = AttentionHarness.random(r, DType.F32, b, s, hkv, d);
    Graph g = new Graph("decode");
    Tensor q = g.parameter(qh.type());
    Tensor k = g.parameter(kh.type());
    Tensor v = g.parameter(vh.type());
    AttentionOptions causal = AttentionOptions.builder().causal(true).build();
    AttentionOptions dec = causal.withMechanism(Mechanism.DECODE);
    Tensor full = Attention.apply(causal, q, k, v);

    KVMemory mem = KVMemory.empty(g, DType.F32, b, cache, hkv, d);
    AttentionResult pre = Attention.compute(dec, q.slice(1, 0, prefill), k.slice(1, 0, prefill), v.slice(1, 0, prefill),
        AttentionInputs.none().withMemory(mem));
    List<Tensor> rows = new ArrayList<>();
    rows.add(pre.output());
    mem = pre.memory();
    for (int t = prefill; t < prefill + 3; t++) {
      AttentionResult st = Attention.compute(dec, q.slice(1, t, t + 1), k.slice(1, t, t + 1), v.slice(1, t, t + 1),
          AttentionInputs.none().withMemory(mem));
      rows.add(st.output());
      mem = st.memory();
    }
    // the remaining tokens in a loop carrying the cache tree (k, step, v in flatten order) and the outputs
    int rest = s - prefill - 3;
    Tensor outs0 = g.zeros(DType.F32, b, rest, h, d);
    Tree<Tensor> mem0 = mem.tree();
    List<String> memPaths = mem0.paths();
    List<Tensor> carry0 = new ArrayList<>(mem0.leaves());
    carry0.add(outs0);
    List<Tensor> loop = Lax.foriLoop(0, rest, carry0, (i, c) -> {
      Tensor t = i.add((long) (prefill + 3));
      KVMemory m = KVMemory.of(Tree.unflatten(memPaths, c.subList(0, memPaths.size())));
      AttentionResult st = Attention.compute(dec, q.dynamicSlice(1, t, 1), k.dynamicSlice(1, t, 1),
          v.dynamicSlice(1, t, 1), AttentionInputs.none().withMemory(m));
      Tensor zero = g.scalar(0L, DType.I32);
      List<Tensor> next = new ArrayList<>(st.memory().tree().leaves());
      next.add(c.getLast().dynamicUpdateSlice(st.output(), zero, i, zero, zero));
      return next;
    });
    KVMemory last = KVMemory.of(Tree.unflatten(memPaths, loop.subList(0, memPaths.size())));
    rows.add(loop.getLast());
    Tensor decoded = org.xla4j.dsl.Jnp.concat(1, rows);
    List<HostTensor> res = AttentionHarness.run(cpu, g, List.of(qh, kh, vh), full, decoded, last.step(), last.k());
    float[] want = res.get(0).toFloatArray();
    double[] w = new double[want.length];
    for (int i = 0; i < w.length; i++) w[i] = want[i];
    AttentionHarness.assertClose("decoded rows vs full causal", w, res.get(1), 1e-5, 1e-4);
    assertEquals(s, res.get(2).toIntArray()[0], "step after the last token");
    // the cache holds k at positions < s and zeros after
    float[] kc = res.get(3).toFloatArray();
    float[] kk = kh.toFloatArray();
    for (int bi = 0; bi < b; bi++) {
      for (int j = 0; j < cache; j++) {
        for (int x = 0; x < hkv * d; x++) {
          float got = kc[(bi * cache + j) * hkv * d + x];
          float exp = j < s ? kk[(bi * s + j) * hkv * d + x] : 0f;
          assertEquals(exp, got, "cache k at batch " + bi + " position " + j);
        }
      }
    }
  }

  /**
   * One decode step of a 2-layer model as a program whose {@link Memory} comes in and goes out by path
   * ({@code layers/<i>/k}, {@code .../step}, {@code .../v}): host caches are built per path, results read per
   * path. Layer i's cache holds {@code steps[i]} positions; the new token must attend exactly those plus itself
   * ({@link AttentionOracle}, causal at offset step), and the returned cache has the new key at row step.
   */
  @Test
  void decodeProgramTakesAndReturnsTheMemoryByPath() {
    int b = 2;
    int h = 4;
    int hkv = 2;
    int d = 8;
    int cache = 8;
    int[] steps = {3, 5};
    Random r = new Random(23);
    Tree<TensorType> memTypes = Memory.types(steps.length, DType.F32, b, cache, hkv, d, false);
    Tree<HostTensor> memHost = memTypes.mapWithPath((path, t) -> path.endsWith("/step")
        ? HostTensor.ofInts(new int[] {steps[Integer.parseInt(Tree.split(path).get(1))]})
        : AttentionHarness.random(r, DType.F32, t.shape().dims()));
    HostTensor qh = AttentionHarness.random(r, DType.F32, b, 1, h, d);
    HostTensor kh = AttentionHarness.random(r, DType.F32, b, 1, hkv, d);
    HostTensor vh = AttentionHarness.random(r, DType.F32, b, 1, hkv, d);

    Graph g = new Graph("decode_step");
    Memory mem = Memory.of(g.parameters(memTypes)); // arguments 0..5 in the tree's flatten order
    Tensor q = g.parameter(qh.type());
    Tensor k = g.parameter(kh.type());
    Tensor v = g.parameter(vh.type());
    AttentionOptions dec = AttentionOptions.builder().causal(true).mechanism(Mechanism.DECODE).build();
    List<Tensor> outs = new ArrayList<>();
    for (int i = 0; i < steps.length; i++) {
      AttentionResult st = Attention.compute(dec, q, k, v, AttentionInputs.none().withMemory(mem.layer(i)));
      outs.add(st.output());
      mem = mem.with(i, st.memory());
    }
    Tree<Tensor> memOut = mem.tree();
    outs.addAll(memOut.leaves());
    List<HostTensor> args = new ArrayList<>(memHost.leaves());
    args.addAll(List.of(qh, kh, vh));
    List<HostTensor> res = AttentionHarness.run(cpu, g, args, outs.toArray(Tensor[]::new));
    Tree<HostTensor> memRes = Tree.unflatten(memOut.paths(), res.subList(steps.length, res.size()));

    for (int i = 0; i < steps.length; i++) {
      String layer = "layers/" + i + "/";
      float[] kc = memHost.get(layer + "k").toFloatArray();
      float[] vc = memHost.get(layer + "v").toFloatArray();
      for (int bi = 0; bi < b; bi++) {
        System.arraycopy(kh.toFloatArray(), bi * hkv * d, kc, (bi * cache + steps[i]) * hkv * d, hkv * d);
        System.arraycopy(vh.toFloatArray(), bi * hkv * d, vc, (bi * cache + steps[i]) * hkv * d, hkv * d);
      }
      AttentionOracle o = new AttentionOracle(b, 1, cache, h, hkv, d, d);
      o.causal = true;
      o.qOffset = steps[i];
      AttentionHarness.assertClose("layer " + i + " output", o.run(qh.toFloatArray(), kc, vc), res.get(i), 1e-5, 1e-4);
      assertArrayEquals(new int[] {steps[i] + 1}, memRes.get(layer + "step").toIntArray(), layer + "step");
      assertArrayEquals(kc, memRes.get(layer + "k").toFloatArray(), layer + "k: the new key at row " + steps[i]);
      assertArrayEquals(vc, memRes.get(layer + "v").toFloatArray(), layer + "v");
    }
  }

  /**
   * Grok-style per-row steps: rows of prompt lengths 4 and 6 prefilled together (scalar step 0, padding
   * mask), then 3 one-token steps with step [4, 6] advancing per row. Each decoded row equals full causal
   * attention over that row's own sequence at its position.
   */
  @Test
  void perRowStepsDecodeRaggedRows() {
    int b = 2;
    int s = 9;
    int h = 4;
    int hkv = 2;
    int d = 8;
    int cache = 12;
    int[] len = {4, 6};
    Random r = new Random(17);
    HostTensor qh = AttentionHarness.random(r, DType.F32, b, s, h, d);
    HostTensor kh = AttentionHarness.random(r, DType.F32, b, s, hkv, d);
    HostTensor vh = AttentionHarness.random(r, DType.F32, b, s, hkv, d);
    float[] pad = new float[b * cache];
    for (int bi = 0; bi < b; bi++) for (int j = 0; j < cache; j++) pad[bi * cache + j] = j < len[bi] || j >= 6 ? 1 : 0;
    HostTensor padh = HostTensor.of(DType.PRED, Shape.of(b, cache), pad);
    Graph g = new Graph("ragged");
    Tensor q = g.parameter(qh.type());
    Tensor k = g.parameter(kh.type());
    Tensor v = g.parameter(vh.type());
    Tensor padT = g.parameter(padh.type());
    AttentionOptions causal = AttentionOptions.builder().causal(true).build();
    AttentionOptions dec = causal.withMechanism(Mechanism.DECODE);
    Tensor full = Attention.apply(causal, q, k, v);
    AttentionResult pre = Attention.compute(dec, q.slice(1, 0, 6), k.slice(1, 0, 6), v.slice(1, 0, 6),
        AttentionInputs.none().withMemory(KVMemory.empty(g, DType.F32, b, cache, hkv, d)).withMask(padT));
    KVMemory mem = new KVMemory(pre.memory().k(), pre.memory().v(), g.constant(len, b));
    List<Tensor> outs = new ArrayList<>(List.of(full));
    for (int i = 0; i < 3; i++) {
      int t0 = len[0] + i;
      int t1 = len[1] + i;
      Tensor qi = org.xla4j.dsl.Jnp.concat(0, q.slice(new long[] {0, t0, 0, 0}, new long[] {1, t0 + 1, h, d}),
          q.slice(new long[] {1, t1, 0, 0}, new long[] {2, t1 + 1, h, d}));
      Tensor ki = org.xla4j.dsl.Jnp.concat(0, k.slice(new long[] {0, t0, 0, 0}, new long[] {1, t0 + 1, hkv, d}),
          k.slice(new long[] {1, t1, 0, 0}, new long[] {2, t1 + 1, hkv, d}));
      Tensor vi = org.xla4j.dsl.Jnp.concat(0, v.slice(new long[] {0, t0, 0, 0}, new long[] {1, t0 + 1, hkv, d}),
          v.slice(new long[] {1, t1, 0, 0}, new long[] {2, t1 + 1, hkv, d}));
      AttentionResult st = Attention.compute(dec, qi, ki, vi, AttentionInputs.none().withMemory(mem));
      outs.add(st.output());
      mem = st.memory();
    }
    outs.add(mem.step());
    List<HostTensor> res = AttentionHarness.run(cpu, g, List.of(qh, kh, vh, padh), outs.toArray(Tensor[]::new));
    float[] f = res.get(0).toFloatArray();
    for (int i = 0; i < 3; i++) {
      double[] want = new double[b * h * d];
      for (int bi = 0; bi < b; bi++) {
        int t = len[bi] + i;
        for (int x = 0; x < h * d; x++) want[bi * h * d + x] = f[(bi * s + t) * h * d + x];
      }
      AttentionHarness.assertClose("per-row decode step " + i, want, res.get(1 + i), 1e-5, 1e-4);
    }
    assertArrayEquals(new int[] {7, 9}, res.get(4).toIntArray(), "steps advance per row");
  }

  @Test
  void vanillaReturnsWeights() {
    Random r = new Random(3);
    HostTensor qh = AttentionHarness.random(r, DType.F32, 1, 5, 4, 8);
    HostTensor kh = AttentionHarness.random(r, DType.F32, 1, 6, 2, 8);
    HostTensor vh = AttentionHarness.random(r, DType.F32, 1, 6, 2, 8);
    Graph g = new Graph("weights");
    Tensor q = g.parameter(qh.type());
    Tensor k = g.parameter(kh.type());
    Tensor v = g.parameter(vh.type());
    AttentionResult res = Attention.compute(AttentionOptions.builder().causal(true).returnWeights(true).build(), q, k, v,
        AttentionInputs.none());
    assertEquals(Shape.of(1, 4, 5, 6), res.weights().shape());
    List<HostTensor> out = AttentionHarness.run(cpu, g, List.of(qh, kh, vh), res.output(), res.weights());
    AttentionOracle o = new AttentionOracle(1, 5, 6, 4, 2, 8, 8);
    o.causal = true;
    double[] w = new double[4 * 5 * 6];
    double[] y = o.run(qh.toFloatArray(), kh.toFloatArray(), vh.toFloatArray(), w);
    AttentionHarness.assertClose("output", y, out.get(0), 1e-5, 1e-4);
    AttentionHarness.assertClose("weights", w, out.get(1), 1e-6, 1e-4);
  }

  /**
   * q = 0 makes every weight 1/Sk; v[j] = e_j makes out[..., j] = keep_ij / (Sk (1 - rate)). So the
   * output shows each keep decision, for VANILLA and BLOCKWISE.
   */
  @Test
  void dropoutKeyRateAndKeptFraction() {
    int b = 2;
    int s = 64;
    int h = 2;
    double rate = 0.3;
    HostTensor qh = HostTensor.zeros(org.xla4j.types.TensorType.of(DType.F32, b, s, h, 8));
    float[] onehot = new float[b * s * h * s];
    for (int bi = 0; bi < b; bi++) {
      for (int j = 0; j < s; j++) {
        for (int hi = 0; hi < h; hi++) onehot[((bi * s + j) * h + hi) * s + j] = 1;
      }
    }
    HostTensor kh = AttentionHarness.random(new Random(1), DType.F32, b, s, h, 8);
    HostTensor vh = HostTensor.of(DType.F32, Shape.of(b, s, h, s), onehot);
    Graph g = new Graph("dropout");
    Tensor q = g.parameter(qh.type());
    Tensor k = g.parameter(kh.type());
    Tensor v = g.parameter(vh.type());
    Tensor key1 = Rng.key(g, 1);
    Tensor key2 = Rng.key(g, 2);
    AttentionOptions drop = AttentionOptions.builder().dropout(rate).build();
    AttentionOptions bdrop = drop.toBuilder().mechanism(Mechanism.BLOCKWISE).chunks(16, 16).build();
    Tensor a1 = Attention.apply(drop, q, k, v, AttentionInputs.none().withDropoutKey(key1));
    Tensor a1again = Attention.apply(drop, q, k, v, AttentionInputs.none().withDropoutKey(key1));
    Tensor a2 = Attention.apply(drop, q, k, v, AttentionInputs.none().withDropoutKey(key2));
    Tensor plain = Attention.apply(AttentionOptions.defaults(), q, k, v);
    Tensor rate0 = Attention.apply(drop.toBuilder().dropout(0).build(), q, k, v, AttentionInputs.none().withDropoutKey(key1));
    Tensor det = Attention.apply(drop.toBuilder().deterministic(true).build(), q, k, v);
    Tensor b1 = Attention.apply(bdrop, q, k, v, AttentionInputs.none().withDropoutKey(key1));
    Tensor b1again = Attention.apply(bdrop, q, k, v, AttentionInputs.none().withDropoutKey(key1));
    Tensor b2 = Attention.apply(bdrop, q, k, v, AttentionInputs.none().withDropoutKey(key2));
    List<HostTensor> out = AttentionHarness.run(cpu, g, List.of(qh, kh, vh), a1, a1again, a2, plain, rate0, det, b1,
        b1again, b2);
    assertArrayEquals(out.get(0).toFloatArray(), out.get(1).toFloatArray(), "VANILLA: same key, same result");
    assertNotEquals(0.0, AttentionHarness.maxAbsDiff(out.get(0), out.get(2)), "VANILLA: another key, another mask");
    assertArrayEquals(out.get(3).toFloatArray(), out.get(4).toFloatArray(), "rate 0 is no dropout");
    assertArrayEquals(out.get(3).toFloatArray(), out.get(5).toFloatArray(), "deterministic is no dropout");
    assertArrayEquals(out.get(6).toFloatArray(), out.get(7).toFloatArray(), "BLOCKWISE: same key, same result");
    assertNotEquals(0.0, AttentionHarness.maxAbsDiff(out.get(6), out.get(8)), "BLOCKWISE: another key, another mask");
    double kept = 1.0 / (s * (1 - rate));
    for (int idx : new int[] {0, 6}) {
      float[] y = out.get(idx).toFloatArray();
      int nKept = 0;
      for (float x : y) {
        if (x != 0) {
          nKept++;
          assertEquals(kept, x, 1e-6, "a kept weight is 1/Sk scaled by 1/(1-rate)");
        }
      }
      double frac = (double) nKept / y.length;
      // 16384 Bernoulli(0.7) draws: standard deviation 0.0036; allow 5 sigma
      assertTrue(Math.abs(frac - (1 - rate)) < 0.02, "kept fraction " + frac + " should be near " + (1 - rate));
    }
  }
}
