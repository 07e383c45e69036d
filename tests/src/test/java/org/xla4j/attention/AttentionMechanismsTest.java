package org.xla4j.attention;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionInputs;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.KVMemory;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/**
 * Every composed mechanism against {@link AttentionOracle} on the CPU backend. One program per case
 * returns VANILLA, BLOCKWISE with dividing chunks, BLOCKWISE with non-dividing chunks and DECODE (a
 * prefill into a longer cache), so each case compiles once.
 *
 * <p>Tolerances (inputs in [-1, 1), outputs of size ~0.3): f32 1e-5 abs + 1e-4 rel (f32 softmax and
 * accumulation over at most 16 keys); bf16 2e-2 abs + 2e-2 rel: logits computed from bf16 inputs with bf16
 * results (float32Logits off, |s| up to ~3 so ~1e-2 absolute), weights rounded to bf16 before the second
 * matmul, the output rounded to bf16 (2^-9 relative).
 */
class AttentionMechanismsTest {
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  /** A case: GQA or not, mask terms, dtype. */
  record Case(String name, DType dtype, int heads, int kvHeads, boolean causal, boolean padding, boolean bias,
      boolean segments, boolean extras) {
    @Override
    public String toString() { return name + "/" + dtype.mlir(); }
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (DType dt : List.of(DType.F32, DType.BF16)) {
      out.add(Arguments.of(new Case("plain", dt, 4, 4, false, false, false, false, false)));
      out.add(Arguments.of(new Case("gqa-causal", dt, 4, 2, true, false, false, false, false)));
      out.add(Arguments.of(new Case("gqa-padding", dt, 4, 1, false, true, false, false, false)));
      out.add(Arguments.of(new Case("causal-bias", dt, 4, 2, true, false, true, false, false)));
      out.add(Arguments.of(new Case("segments", dt, 4, 2, false, false, false, true, false)));
      out.add(Arguments.of(new Case("all", dt, 4, 2, true, true, true, true, true)));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void mechanismsMatchOracle(Case c) {
    int b = 2;
    int s = 12;
    int d = 8;
    int cache = 16;
    Random r = new Random(c.name().hashCode() * 31L + c.dtype().ordinal());
    HostTensor qh = AttentionHarness.random(r, c.dtype(), b, s, c.heads(), d);
    HostTensor kh = AttentionHarness.random(r, c.dtype(), b, s, c.kvHeads(), d);
    HostTensor vh = AttentionHarness.random(r, c.dtype(), b, s, c.kvHeads(), d);
    AttentionOracle oracle = new AttentionOracle(b, s, s, c.heads(), c.kvHeads(), d, d);
    oracle.causal = c.causal();

    Graph g = new Graph("attention_case");
    Tensor q = g.parameter(qh.type());
    Tensor k = g.parameter(kh.type());
    Tensor v = g.parameter(vh.type());
    List<HostTensor> args = AttentionHarness.list(qh, kh, vh);
    AttentionInputs in = AttentionInputs.none();
    Tensor cacheMask = null;
    if (c.padding()) {
      // batch 0 keeps 9 keys, batch 1 keeps all; the [B,1,1,S] form for the main call
      float[] m = new float[b * s];
      boolean[] full = new boolean[b * c.heads() * s * s];
      for (int bi = 0; bi < b; bi++) {
        for (int j = 0; j < s; j++) m[bi * s + j] = bi == 0 && j >= 9 ? 0 : 1;
      }
      for (int i = 0; i < full.length; i++) {
        int j = i % s;
        int bi = i / (c.heads() * s * s);
        full[i] = m[bi * s + j] != 0;
      }
      oracle.mask = full;
      HostTensor mh = HostTensor.of(DType.PRED, Shape.of(b, 1, 1, s), m);
      Tensor mt = g.parameter(mh.type());
      args.add(mh);
      in = in.withMask(mt);
      // the cache form: (B, max_len), positions past the prompt true (they are hidden as unwritten anyway)
      float[] cm = new float[b * cache];
      for (int bi = 0; bi < b; bi++) {
        for (int j = 0; j < cache; j++) cm[bi * cache + j] = j < s ? m[bi * s + j] : 1;
      }
      HostTensor cmh = HostTensor.of(DType.PRED, Shape.of(b, cache), cm);
      cacheMask = g.parameter(cmh.type());
      args.add(cmh);
    }
    if (c.bias()) {
      // per-head bias [1, H, S, S]
      HostTensor bh = AttentionHarness.random(r, DType.F32, 1, c.heads(), s, s);
      float[] bf = bh.toFloatArray();
      double[] full = new double[b * c.heads() * s * s];
      for (int i = 0; i < full.length; i++) full[i] = bf[i % bf.length];
      oracle.bias = full;
      args.add(bh);
      in = in.withBias(g.parameter(bh.type()));
    }
    if (c.segments()) {
      int[] seg = new int[b * s];
      for (int i = 0; i < seg.length; i++) seg[i] = (i % s) < 5 ? 0 : (i % s) < 10 ? 1 : 2;
      oracle.qSeg = seg;
      oracle.kSeg = seg;
      HostTensor sh = HostTensor.ofInts(seg, b, s);
      args.add(sh);
      in = in.withSegmentIds(g.parameter(sh.type()));
    }
    AttentionOptions.Builder ob = AttentionOptions.builder().causal(c.causal());
    if (c.extras()) {
      ob.softmaxScale(0.5).logitSoftCap(2.0).attnOutputMultiplier(0.75).float32Logits(true);
      oracle.scale = 0.5;
      oracle.softCap = 2.0;
      oracle.multiplier = 0.75;
    }
    AttentionOptions base = ob.build();
    Tensor vanilla = Attention.apply(base, q, k, v, in);
    Tensor blockDiv = Attention.apply(base.toBuilder().mechanism(Mechanism.BLOCKWISE).chunks(4, 6).build(), q, k, v, in);
    Tensor blockOdd = Attention.apply(base.toBuilder().mechanism(Mechanism.BLOCKWISE).chunks(5, 7).build(), q, k, v, in);
    List<Tensor> outs = new ArrayList<>(List.of(vanilla, blockDiv, blockOdd));
    boolean decode = !c.segments() && !c.bias();
    if (decode) {
      // prefill the whole sequence into a longer cache: DECODE is position-causal when causal is set
      KVMemory mem = KVMemory.empty(g, c.dtype(), b, cache, c.kvHeads(), d);
      AttentionInputs din = AttentionInputs.none().withMemory(mem);
      if (cacheMask != null) din = din.withMask(cacheMask);
      outs.add(Attention.apply(base.withMechanism(Mechanism.DECODE), q, k, v, din));
    }
    List<HostTensor> res = AttentionHarness.run(cpu, g, args, outs.toArray(Tensor[]::new));
    double[] want = oracle.run(qh.toFloatArray(), kh.toFloatArray(), vh.toFloatArray());
    double abs = c.dtype() == DType.F32 ? 1e-5 : 2e-2;
    double rel = c.dtype() == DType.F32 ? 1e-4 : 2e-2;
    String[] names = {"VANILLA", "BLOCKWISE 4x6", "BLOCKWISE 5x7 (non-dividing)", "DECODE prefill"};
    for (int i = 0; i < res.size(); i++) AttentionHarness.assertClose(c + " " + names[i], want, res.get(i), abs, rel);
  }

  /**
   * Cross attention (Sq 7, Sk 12, top-left causal), GQA 6/2, a (B, Sk) padding mask, a [B, 1, 1, Sk] bias, and
   * different q and kv segment ids; BLOCKWISE with non-dividing chunks, a chunk equal to Sk and chunks
   * larger than both sequences (cut to the sequence).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("dtypes")
  void crossAttentionMaskFormsAndChunkEdges(DType dt) {
    int b = 2;
    int sq = 7;
    int sk = 12;
    int h = 6;
    int hkv = 2;
    int d = 8;
    Random r = new Random(99 + dt.ordinal());
    HostTensor qh = AttentionHarness.random(r, dt, b, sq, h, d);
    HostTensor kh = AttentionHarness.random(r, dt, b, sk, hkv, d);
    HostTensor vh = AttentionHarness.random(r, dt, b, sk, hkv, d);
    float[] pad = new float[b * sk];
    for (int i = 0; i < pad.length; i++) pad[i] = (i / sk == 1 && i % sk >= 8) ? 0 : 1;
    HostTensor padh = HostTensor.of(DType.PRED, Shape.of(b, sk), pad);
    HostTensor biash = AttentionHarness.random(r, DType.F32, b, 1, 1, sk);
    int[] qs = new int[b * sq];
    int[] ks = new int[b * sk];
    for (int i = 0; i < qs.length; i++) qs[i] = (i % sq) < 4 ? 1 : 2;
    for (int i = 0; i < ks.length; i++) ks[i] = (i % sk) < 6 ? 1 : 2;
    HostTensor qsh = HostTensor.ofInts(qs, b, sq);
    HostTensor ksh = HostTensor.ofInts(ks, b, sk);

    AttentionOracle o = new AttentionOracle(b, sq, sk, h, hkv, d, d);
    o.causal = true;
    o.qSeg = qs;
    o.kSeg = ks;
    o.mask = new boolean[b * h * sq * sk];
    o.bias = new double[b * h * sq * sk];
    float[] bf = biash.toFloatArray();
    for (int i = 0; i < o.mask.length; i++) {
      int j = i % sk;
      int bi = i / (h * sq * sk);
      o.mask[i] = pad[bi * sk + j] != 0;
      o.bias[i] = bf[bi * sk + j];
    }

    Graph g = new Graph("cross");
    Tensor q = g.parameter(qh.type());
    Tensor k = g.parameter(kh.type());
    Tensor v = g.parameter(vh.type());
    Tensor padT = g.parameter(padh.type());
    Tensor biasT = g.parameter(biash.type());
    Tensor qsT = g.parameter(qsh.type());
    Tensor ksT = g.parameter(ksh.type());
    AttentionInputs in = AttentionInputs.none().withMask(padT).withBias(biasT).withSegmentIds(qsT, ksT);
    AttentionOptions base = AttentionOptions.builder().causal(true).numHeads(h).numKvHeads(hkv).build();
    List<Tensor> outs = new ArrayList<>();
    outs.add(Attention.apply(base, q, k, v, in));
    for (int[] c : new int[][] {{4, 5}, {3, 12}, {16, 16}, {1, 1}}) {
      outs.add(Attention.apply(base.toBuilder().mechanism(Mechanism.BLOCKWISE).chunks(c[0], c[1]).build(), q, k, v, in));
    }
    // the [B, 1, 1, Sk] mask form gives the same as the (B, Sk) form
    outs.add(Attention.apply(base, q, k, v, in.withMask(padT.reshape(b, 1, 1, sk))));
    List<HostTensor> res = AttentionHarness.run(cpu, g, List.of(qh, kh, vh, padh, biash, qsh, ksh),
        outs.toArray(Tensor[]::new));
    double[] want = o.run(qh.toFloatArray(), kh.toFloatArray(), vh.toFloatArray());
    double abs = dt == DType.F32 ? 1e-5 : 2e-2;
    double rel = dt == DType.F32 ? 1e-4 : 2e-2;
    String[] names = {"VANILLA", "BLOCKWISE 4x5", "BLOCKWISE 3x12", "BLOCKWISE 16x16 (> seq)", "BLOCKWISE 1x1",
        "VANILLA [B,1,1,Sk] mask"};
    for (int i = 0; i < res.size(); i++) AttentionHarness.assertClose(dt.mlir() + " " + names[i], want, res.get(i), abs, rel);
  }

  static Stream<DType> dtypes() { return Stream.of(DType.F32, DType.BF16); }
}
