package org.xla4j.attention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
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
 * Mask tensors are read by dtype: a float mask is additive (0 keeps, -1e9 hides: EasyDeL's form), a bool mask
 * keeps where true, an integer mask keeps where non-zero. Checked against {@link AttentionOracle} (plain Java,
 * double) with the float mask's values (as the device holds them) added to the logits. Before the fix a float
 * mask was read as "non-zero keeps", which inverts it (the first assertion fails by ~1 there).
 *
 * <p>Tolerances as in {@link AttentionMechanismsTest}: f32 1e-5 abs + 1e-4 rel; bf16 2e-2 abs + 2e-2 rel. A
 * -1e9 logit underflows exp to exactly 0 in f32 and in the oracle, so the hidden keys add no error.
 */
class AttentionMaskFormsTest {
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  static Stream<DType> dtypes() { return Stream.of(DType.F32, DType.BF16); }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dtypes")
  void floatMasksAreAdditiveBoolAndIntegerMasksKeep(DType dt) {
    int b = 2;
    int s = 10;
    int h = 4;
    int hkv = 2;
    int d = 8;
    int cache = 16;
    Random r = new Random(7 + dt.ordinal());
    HostTensor qh = AttentionHarness.random(r, dt, b, s, h, d);
    HostTensor kh = AttentionHarness.random(r, dt, b, s, hkv, d);
    HostTensor vh = AttentionHarness.random(r, dt, b, s, hkv, d);
    // padding: batch 0 hides keys >= 7, batch 1 hides keys 2 and 5
    float[] add = new float[b * s];
    float[] keep = new float[b * s];
    for (int i = 0; i < add.length; i++) {
      int bi = i / s;
      int j = i % s;
      boolean hidden = bi == 0 ? j >= 7 : j == 2 || j == 5;
      add[i] = hidden ? -1e9f : 0f;
      keep[i] = hidden ? 0 : 1;
    }
    HostTensor addh = HostTensor.of(dt, Shape.of(b, s), add);
    HostTensor boolh = HostTensor.of(DType.PRED, Shape.of(b, s), keep);
    int[] ints = new int[b * s];
    for (int i = 0; i < ints.length; i++) ints[i] = (int) keep[i];
    HostTensor inth = HostTensor.ofInts(ints, b, s);
    // a per-query additive mask [B, 1, Sq, Sk] (key 0 always kept, so no row is hidden entirely) and a bias
    float[] perQ = new float[b * s * s];
    for (int i = 0; i < perQ.length; i++) perQ[i] = i % s != 0 && r.nextInt(3) == 0 ? -1e9f : 0f;
    HostTensor perQh = HostTensor.of(dt, Shape.of(b, 1, s, s), perQ);
    HostTensor biash = AttentionHarness.random(r, DType.F32, 1, h, s, s);
    // the cache form (B, max_len) of the padding for DECODE; unwritten positions are hidden anyway
    float[] cadd = new float[b * cache];
    for (int bi = 0; bi < b; bi++) for (int j = 0; j < s; j++) cadd[bi * cache + j] = add[bi * s + j];
    HostTensor caddh = HostTensor.of(dt, Shape.of(b, cache), cadd);

    Graph g = new Graph("mask_forms");
    Tensor q = g.parameter(qh.type());
    Tensor k = g.parameter(kh.type());
    Tensor v = g.parameter(vh.type());
    Tensor addT = g.parameter(addh.type());
    Tensor boolT = g.parameter(boolh.type());
    Tensor intT = g.parameter(inth.type());
    Tensor perQT = g.parameter(perQh.type());
    Tensor biasT = g.parameter(biash.type());
    Tensor caddT = g.parameter(caddh.type());
    AttentionOptions causal = AttentionOptions.builder().causal(true).build();
    AttentionOptions plain = AttentionOptions.defaults();
    AttentionOptions blockwise = causal.toBuilder().mechanism(Mechanism.BLOCKWISE).chunks(4, 3).build();
    List<Tensor> outs = new ArrayList<>();
    List<String> names = new ArrayList<>();
    List<double[]> wants = new ArrayList<>();

    AttentionOracle padded = new AttentionOracle(b, s, s, h, hkv, d, d);
    padded.causal = true;
    padded.bias = expand(addh.toFloatArray(), b, h, s, s, false);
    double[] wantPadded = padded.run(qh.toFloatArray(), kh.toFloatArray(), vh.toFloatArray());
    AttentionInputs addIn = AttentionInputs.none().withMask(addT);
    add(outs, names, wants, "VANILLA float (B, Sk) additive", Attention.apply(causal, q, k, v, addIn), wantPadded);
    add(outs, names, wants, "BLOCKWISE 4x3 float additive", Attention.apply(blockwise, q, k, v, addIn), wantPadded);
    add(outs, names, wants, "VANILLA float [B,1,1,Sk] additive",
        Attention.apply(causal, q, k, v, AttentionInputs.none().withMask(addT.reshape(b, 1, 1, s))), wantPadded);
    add(outs, names, wants, "DECODE prefill float (B, max_len) additive",
        Attention.apply(causal.withMechanism(Mechanism.DECODE), q, k, v, AttentionInputs.none()
            .withMemory(KVMemory.empty(g, dt, b, cache, hkv, d)).withMask(caddT)), wantPadded);

    // the same padding as keep-masks: bool true keeps, integer non-zero keeps
    AttentionOracle kept = new AttentionOracle(b, s, s, h, hkv, d, d);
    kept.causal = true;
    kept.mask = new boolean[b * h * s * s];
    for (int i = 0; i < kept.mask.length; i++) kept.mask[i] = keep[(i / (h * s * s)) * s + i % s] != 0;
    double[] wantKept = kept.run(qh.toFloatArray(), kh.toFloatArray(), vh.toFloatArray());
    add(outs, names, wants, "VANILLA bool mask", Attention.apply(causal, q, k, v, AttentionInputs.none().withMask(boolT)),
        wantKept);
    add(outs, names, wants, "VANILLA i32 mask", Attention.apply(causal, q, k, v, AttentionInputs.none().withMask(intT)),
        wantKept);

    // a per-query additive mask together with a per-head bias: both are added
    AttentionOracle both = new AttentionOracle(b, s, s, h, hkv, d, d);
    double[] m = expand(perQh.toFloatArray(), b, h, s, s, true);
    float[] bf = biash.toFloatArray();
    for (int i = 0; i < m.length; i++) m[i] += bf[i % bf.length];
    both.bias = m;
    double[] wantBoth = both.run(qh.toFloatArray(), kh.toFloatArray(), vh.toFloatArray());
    AttentionInputs bothIn = AttentionInputs.none().withMask(perQT).withBias(biasT);
    add(outs, names, wants, "VANILLA [B,1,Sq,Sk] additive + bias", Attention.apply(plain, q, k, v, bothIn), wantBoth);
    add(outs, names, wants, "BLOCKWISE 3x4 [B,1,Sq,Sk] additive + bias",
        Attention.apply(plain.toBuilder().mechanism(Mechanism.BLOCKWISE).chunks(3, 4).build(), q, k, v, bothIn), wantBoth);

    List<HostTensor> res = AttentionHarness.run(cpu, g, List.of(qh, kh, vh, addh, boolh, inth, perQh, biash, caddh),
        outs.toArray(Tensor[]::new));
    double abs = dt == DType.F32 ? 1e-5 : 2e-2;
    double rel = dt == DType.F32 ? 1e-4 : 2e-2;
    for (int i = 0; i < res.size(); i++) {
      AttentionHarness.assertClose(dt.mlir() + " " + names.get(i), wants.get(i), res.get(i), abs, rel);
    }
    // the padding changes the answer: a mask that were ignored (or inverted) could not pass the checks above
    double diff = 0;
    AttentionOracle unmasked = new AttentionOracle(b, s, s, h, hkv, d, d);
    unmasked.causal = true;
    double[] open = unmasked.run(qh.toFloatArray(), kh.toFloatArray(), vh.toFloatArray());
    for (int i = 0; i < open.length; i++) diff = Math.max(diff, Math.abs(open[i] - wantPadded[i]));
    assertTrue(diff > 0.1, "the padding must matter for this test, max change " + diff);
  }

  /** [B, Sk] (or [B, 1, Sq, Sk] when {@code perQuery}) values as [B, H, Sq, Sk]. */
  private static double[] expand(float[] m, int b, int h, int sq, int sk, boolean perQuery) {
    double[] out = new double[b * h * sq * sk];
    for (int i = 0; i < out.length; i++) {
      int j = i % sk;
      int qi = (i / sk) % sq;
      int bi = i / (h * sq * sk);
      out[i] = perQuery ? m[(bi * sq + qi) * sk + j] : m[bi * sk + j];
    }
    return out;
  }

  private static void add(List<Tensor> outs, List<String> names, List<double[]> wants, String name, Tensor t,
      double[] want) {
    outs.add(t);
    names.add(name);
    wants.add(want);
  }
}
