package org.xla4j.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.checkpoint.CheckpointTensor;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.checkpoint.LoadProgress;
import org.xla4j.models.checkpoint.ModelDir;
import org.xla4j.models.llama.Llama;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/**
 * Llama's logits on the CPU backend against scripts/llama_reference.py (numpy, float64, written from the
 * equations), on the tiny checkpoints it wrote: {@code base} (f32, q/k/v/o biases, pad id 0, right padding),
 * {@code tied} (bf16 weights, tied embeddings, MLP biases, explicit attention mask) and {@code llama3}
 * (f32, rope_scaling llama3 with all three frequency bands in use).
 *
 * <p>Tolerances: f32 |ours - oracle| <= 2e-5 + 2e-5·|oracle| (measured about 1e-6: f32 rounding over 2 layers, logits up to ~3);
 * bf16 <= 0.05 + 2e-2·|oracle| (activations rounded to bf16 at each op, logits up to ~3, oracle in f64).
 */
class LlamaReferenceTest {
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  record Run(LlamaConfig config, Tree<HostTensor> weights, Map<String, HostTensor> io) {}

  static Run load(String variant) throws Exception {
    Path dir = LlamaRunner.fixture(variant);
    Map<String, HostTensor> io = Safetensors.read(dir.resolve("io.safetensors"));
    try (ModelDir m = ModelDir.open(dir)) {
      Tree<CheckpointTensor> params = m.parameters();
      long[] seen = new long[1];
      Tree<HostTensor> w = ModelDir.read(params, new LoadProgress() {
        @Override
        public void start(String what, long total) { assertEquals(ModelDir.totalBytes(params), total); }

        @Override
        public void advance(String path, long bytes) { seen[0] += bytes; }
      });
      assertEquals(ModelDir.totalBytes(params), seen[0], "progress reports every byte");
      // copy out of the mapping: the directory closes here
      return new Run(m.llamaConfig(), w.map(t -> HostTensor.ofBytes(t.dtype(), t.shape(), t.bytes())), io);
    }
  }

  static void assertClose(String what, HostTensor expected, HostTensor actual, double abs, double rel) {
    assertEquals(expected.shape(), actual.shape(), what + " shape");
    float[] e = expected.toFloatArray();
    float[] a = actual.toFloatArray();
    double worst = 0;
    for (int i = 0; i < e.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - e[i]));
      double tol = abs + rel * Math.abs(e[i]);
      if (!(Math.abs(a[i] - e[i]) <= tol)) {
        fail(what + ": element " + i + " is " + a[i] + ", oracle " + e[i] + " (tolerance " + tol + ")");
      }
    }
    System.out.printf("%s: max |ours - oracle| = %.3g%n", what, worst);
  }

  @Test
  void baseF32WithBiasesAndPadIdMatchesTheOracle() throws Exception {
    Run r = load("base");
    assertEquals(DType.F32, r.config.dtype());
    assertEquals(OptionalInt.of(0), r.config.padTokenId());
    HostTensor want = r.io.get("logits");
    // the pad id hides the padded keys (no mask argument)
    HostTensor got = LlamaRunner.logits(cpu, r.config, r.weights, r.io.get("tokens"), null, Llama.Options.defaults());
    assertClose("base VANILLA", want, got, 2e-5, 2e-5);
    // an explicit attention_mask gives the same, and so does BLOCKWISE attention
    assertClose("base with attention_mask", want, LlamaRunner.logits(cpu, r.config, r.weights, r.io.get("tokens"),
        r.io.get("attention_mask"), Llama.Options.defaults()), 2e-5, 2e-5);
    assertClose("base BLOCKWISE", want, LlamaRunner.logits(cpu, r.config, r.weights, r.io.get("tokens"), null,
        Llama.Options.defaults().withAttention(Mechanism.BLOCKWISE)), 2e-5, 2e-5);
    // negative control: without the pad id, padded keys are attended and the padded row differs
    LlamaConfig noPad = r.config.toBuilder().padTokenId(OptionalInt.empty()).build();
    double d = LlamaRunner.maxDiff(want, LlamaRunner.logits(cpu, noPad, r.weights, r.io.get("tokens"), null,
        Llama.Options.defaults()));
    assertTrue(d > 1e-2, "ignoring padding should change the logits, max diff " + d);
  }

  @Test
  void tiedBf16WithMlpBiasMatchesTheOracle() throws Exception {
    Run r = load("tied");
    assertEquals(DType.BF16, r.config.dtype());
    assertTrue(r.config.tieWordEmbeddings() && r.config.mlpBias());
    assertTrue(r.config.parameterTypes().find("lm_head/w").isEmpty(), "tied: no lm_head parameter");
    HostTensor got = LlamaRunner.logits(cpu, r.config, r.weights, r.io.get("tokens"), r.io.get("attention_mask"),
        Llama.Options.defaults());
    assertClose("tied bf16", r.io.get("logits"), got, 0.05, 2e-2);
  }

  @Test
  void llama3RopeScalingMatchesTheOracle() throws Exception {
    Run r = load("llama3");
    assertTrue(r.config.ropeScaling().isPresent());
    HostTensor want = r.io.get("logits");
    HostTensor got = LlamaRunner.logits(cpu, r.config, r.weights, r.io.get("tokens"), r.io.get("attention_mask"),
        Llama.Options.defaults());
    assertClose("llama3", want, got, 2e-5, 2e-5);
    // negative control: unscaled frequencies give other logits
    LlamaConfig plain = r.config.toBuilder().ropeScaling(null).build();
    double d = LlamaRunner.maxDiff(want, LlamaRunner.logits(cpu, plain, r.weights, r.io.get("tokens"),
        r.io.get("attention_mask"), Llama.Options.defaults()));
    assertTrue(d > 1e-3, "rope_scaling should change the logits, max diff " + d);
  }
}
