package org.xla4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.models.generate.CausalLm;
import org.xla4j.models.generate.DecodePrograms;
import org.xla4j.models.llama.Llama;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;

/**
 * xlstm-jax's attention options through the KV cache: with qk_norm, biases and (inactive, evaluation) dropout
 * rates, cached greedy generation equals the full forward's argmax at every step (exact ids, as in
 * {@link CachedForwardTest}); what a cache cannot compute the same way (bidirectional attention, training
 * dropout) is refused when the program is built.
 */
class LlamaCachedOptionsTest {
  @BeforeAll
  static void open() { CachedForwardTest.cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { CachedForwardTest.cpu.close(); }

  static final LlamaConfig QK = GenHarness.LLAMA.toBuilder().qkNorm(true).useBias(true).attentionDropout(0.2)
      .hiddenDropout(0.1).build();

  @Test
  void qkNormCachedGreedyEqualsFullForward() {
    CausalLm lm = new CausalLm.LlamaLm(QK, Llama.Options.defaults());
    Tree<HostTensor> w = GenHarness.weights(lm, 11);
    assertTrue(w.contains("model/layers/0/self_attn/q_norm/scale"));
    List<List<Integer>> got = CachedForwardTest.generate(lm, w, 2, 32, 8);
    for (int r = 0; r < CachedForwardTest.PROMPTS.length; r++) {
      int[] prompt = CachedForwardTest.PROMPTS[r];
      int[] seq = GenHarness.concat(prompt, got.get(r).subList(0, CachedForwardTest.STEPS - 1));
      int[] want = GenHarness.fullForwardArgmax(CachedForwardTest.cpu, lm, w, seq, prompt.length);
      assertArrayEquals(want, got.get(r).stream().mapToInt(Integer::intValue).toArray(),
          "row " + r + ": cached greedy tokens with qk_norm vs the full forward's argmax");
    }
  }

  @Test
  void whatACacheCannotTakeIsRefused() {
    CausalLm bidir = new CausalLm.LlamaLm(QK.toBuilder().causal(false).build(), Llama.Options.defaults());
    String m = assertThrows(IllegalArgumentException.class, () -> new DecodePrograms(bidir, 2, 32).prefill(8))
        .getMessage();
    assertTrue(m.contains("requires a causal config, got causal=false"), m);
    CausalLm train = new CausalLm.LlamaLm(QK, Llama.Options.defaults().withTraining(true));
    m = assertThrows(IllegalArgumentException.class, () -> new DecodePrograms(train, 2, 32).decode()).getMessage();
    assertTrue(m.contains("Options.training=true"), m);
  }
}
