package org.xla4j.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xla4j.llama.LlamaReferenceTest.assertClose;

import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.llama.Llama;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.models.llama.LlamaRandomWeights;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;

/**
 * xlstm-jax's Llama attention options on the CPU backend: qk_norm, bidirectional attention and segment ids
 * against scripts/llama_reference.py (numpy, float64) on its {@code qknorm}, {@code packed} and {@code bidir}
 * fixtures; dropout by its properties (evaluation is the identity, training is reproducible per key and
 * differs across keys).
 *
 * <p>Tolerance: f32 |ours - oracle| <= 2e-5 + 2e-5·|oracle| (f32 rounding over 2 layers, logits up to ~3.6),
 * as in {@link LlamaReferenceTest}.
 */
class LlamaAttentionOptionsTest {
  static final double ABS = 2e-5;
  static final double REL = 2e-5;
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  static HostTensor run(LlamaReferenceTest.Run r, LlamaConfig c, Tree<HostTensor> w, boolean segments, Llama.Options o) {
    return LlamaRunner.logits(cpu, c, w, r.io().get("tokens"), r.io().get("attention_mask"),
        segments ? r.io().get("segment_ids") : null, null, o);
  }

  @Test
  void qkNormMatchesTheOracle() throws Exception {
    LlamaReferenceTest.Run r = LlamaReferenceTest.load("qknorm");
    assertTrue(r.config().qkNorm() && r.config().causal());
    assertTrue(r.config().parameterTypes().find("model/layers/1/self_attn/k_norm/scale").isPresent());
    HostTensor want = r.io().get("logits");
    assertClose("qknorm VANILLA", want, run(r, r.config(), r.weights(), false, Llama.Options.defaults()), ABS, REL);
    assertClose("qknorm BLOCKWISE", want, run(r, r.config(), r.weights(), false,
        Llama.Options.defaults().withAttention(Mechanism.BLOCKWISE)), ABS, REL);
    // negative control: unit scales (the learned ones ignored) give other logits
    Tree<HostTensor> ones = r.weights().mapWithPath((path, t) -> path.endsWith("_norm/scale") && path.contains("self_attn")
        ? ones(t) : t);
    double d = LlamaRunner.maxDiff(want, run(r, r.config(), ones, false, Llama.Options.defaults()));
    assertTrue(d > 1e-3, "the q/k norm scales should change the logits, max diff " + d);
  }

  @Test
  void segmentIdsMatchTheOracle() throws Exception {
    LlamaReferenceTest.Run r = LlamaReferenceTest.load("packed");
    assertTrue(r.io().containsKey("segment_ids"));
    HostTensor want = r.io().get("logits");
    assertClose("packed VANILLA", want, run(r, r.config(), r.weights(), true, Llama.Options.defaults()), ABS, REL);
    assertClose("packed BLOCKWISE", want, run(r, r.config(), r.weights(), true,
        Llama.Options.defaults().withAttention(Mechanism.BLOCKWISE)), ABS, REL);
    // negative control: without segment ids the documents see each other
    double d = LlamaRunner.maxDiff(want, run(r, r.config(), r.weights(), false, Llama.Options.defaults()));
    assertTrue(d > 1e-2, "segment ids should change the logits, max diff " + d);
  }

  @Test
  void bidirectionalWithQkNormAndSegmentsMatchesTheOracle() throws Exception {
    LlamaReferenceTest.Run r = LlamaReferenceTest.load("bidir");
    assertFalse(r.config().causal());
    HostTensor want = r.io().get("logits");
    assertClose("bidir VANILLA", want, run(r, r.config(), r.weights(), true, Llama.Options.defaults()), ABS, REL);
    assertClose("bidir BLOCKWISE", want, run(r, r.config(), r.weights(), true,
        Llama.Options.defaults().withAttention(Mechanism.BLOCKWISE)), ABS, REL);
    // negative control: causal attention on the same weights differs
    LlamaConfig causal = r.config().toBuilder().causal(true).build();
    double d = LlamaRunner.maxDiff(want, run(r, causal, r.weights(), true, Llama.Options.defaults()));
    assertTrue(d > 1e-2, "causal should change the logits, max diff " + d);
  }

  @Test
  void dropoutIsOffInEvaluationAndReproduciblePerKeyInTraining() {
    LlamaConfig plain = LlamaConfig.tiny();
    LlamaConfig drop = plain.toBuilder().attentionDropout(0.3).hiddenDropout(0.2).build();
    Tree<HostTensor> w = Tree.of(LlamaRandomWeights.generate(plain, 3));
    HostTensor tokens = HostTensor.ofInts(new int[] {5, 9, 2, 33, 17, 8, 1, 40, 11, 3, 62, 7, 19, 4, 28, 6}, 2, 8);
    Llama.Options eval = Llama.Options.defaults();
    Llama.Options train = eval.withTraining(true);

    HostTensor reference = LlamaRunner.logits(cpu, plain, w, tokens, null, null, null, eval);
    // evaluation: the rates change nothing
    assertArrayEquals(reference.toFloatArray(), LlamaRunner.logits(cpu, drop, w, tokens, null, null, null, eval)
        .toFloatArray());
    // training with rate 0: identity too, whatever the key
    assertArrayEquals(reference.toFloatArray(), LlamaRunner.logits(cpu, plain, w, tokens, null, null,
        LlamaRunner.key(1), train).toFloatArray());

    HostTensor a1 = LlamaRunner.logits(cpu, drop, w, tokens, null, null, LlamaRunner.key(1), train);
    HostTensor a2 = LlamaRunner.logits(cpu, drop, w, tokens, null, null, LlamaRunner.key(1), train);
    HostTensor b = LlamaRunner.logits(cpu, drop, w, tokens, null, null, LlamaRunner.key(2), train);
    assertArrayEquals(a1.toFloatArray(), a2.toFloatArray(), "one key, one draw");
    assertTrue(LlamaRunner.maxDiff(a1, b) > 1e-2, "another key, another draw");
    assertTrue(LlamaRunner.maxDiff(a1, reference) > 1e-2, "training dropout changes the logits");
    for (float f : a1.toFloatArray()) assertTrue(Float.isFinite(f), "finite logits in training");

    // each rate on its own has an effect (attention probabilities; attention and MLP outputs)
    for (LlamaConfig one : new LlamaConfig[] {plain.toBuilder().attentionDropout(0.3).build(),
        plain.toBuilder().hiddenDropout(0.2).build()}) {
      HostTensor x = LlamaRunner.logits(cpu, one, w, tokens, null, null, LlamaRunner.key(1), train);
      assertTrue(LlamaRunner.maxDiff(x, reference) > 1e-3, "dropout of " + one.attentionDropout() + "/"
          + one.hiddenDropout() + " should change the logits");
    }
    // BLOCKWISE draws its own attention masks, reproducibly
    Llama.Options bw = train.withAttention(Mechanism.BLOCKWISE);
    assertArrayEquals(LlamaRunner.logits(cpu, drop, w, tokens, null, null, LlamaRunner.key(5), bw).toFloatArray(),
        LlamaRunner.logits(cpu, drop, w, tokens, null, null, LlamaRunner.key(5), bw).toFloatArray());
  }

  private static HostTensor ones(HostTensor t) {
    float[] f = new float[Math.toIntExact(t.shape().numElements())];
    Arrays.fill(f, 1f);
    return HostTensor.of(t.dtype(), t.shape(), f);
  }
}
