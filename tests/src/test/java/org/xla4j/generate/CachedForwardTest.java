package org.xla4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.models.generate.CausalLm;
import org.xla4j.models.generate.DecodePrograms;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * The cached forward pass against the full one: greedy tokens produced through the KV cache (batch prefill
 * of right-padded prompts of different lengths, then per-row decode steps) equal, at every step, the argmax of
 * the uncached forward pass over prompt + generated tokens, for tiny Grok-1 (bf16) and tiny Llama (f32).
 * Exact equality of ids: both paths compute the same per-position values, padding slots contributing zero.
 */
class CachedForwardTest {
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  static final int[][] PROMPTS = {{17, 250, 3, 99, 140}, {5, 6, 7, 8, 9, 10, 11, 12}};
  static final int STEPS = 6;

  @Test
  void grokCachedGreedyEqualsFullForward() { check(GenHarness.grok()); }

  @Test
  void llamaCachedGreedyEqualsFullForward() { check(GenHarness.llama()); }

  private void check(CausalLm lm) {
    Tree<HostTensor> w = GenHarness.weights(lm, 7);
    List<List<Integer>> got = generate(lm, w, 2, 32, 8);
    for (int r = 0; r < PROMPTS.length; r++) {
      int[] seq = GenHarness.concat(PROMPTS[r], got.get(r).subList(0, STEPS - 1));
      int[] want = GenHarness.fullForwardArgmax(cpu, lm, w, seq, PROMPTS[r].length);
      assertArrayEquals(want, got.get(r).stream().mapToInt(Integer::intValue).toArray(),
          "row " + r + ": cached greedy tokens vs the full forward's argmax at each position");
    }
  }

  /** Prefill of every row, then STEPS decode calls, on the host (executeTree). */
  static List<List<Integer>> generate(CausalLm lm, Tree<HostTensor> w, int batch, int maxLen, int bucket) {
    DecodePrograms p = new DecodePrograms(lm, batch, maxLen);
    List<List<Integer>> out = new ArrayList<>();
    for (int r = 0; r < batch; r++) out.add(new ArrayList<>());
    try (Executable init = cpu.compile(p.init());
         Executable prefill = cpu.compile(p.prefill(bucket));
         Executable decode = cpu.compile(p.decode())) {
      Tree<HostTensor> state = init.executeTree(Tree.empty()).subtree("state");
      int[] tokens = new int[batch * bucket];
      int[] lengths = new int[batch];
      for (int r = 0; r < batch; r++) {
        System.arraycopy(PROMPTS[r], 0, tokens, r * bucket, PROMPTS[r].length);
        lengths[r] = PROMPTS[r].length;
      }
      Tree<HostTensor> in = Tree.<HostTensor>builder()
          .put("tokens", HostTensor.ofInts(tokens, batch, bucket)).put("lengths", HostTensor.ofInts(lengths, batch))
          .put("key", HostTensor.zeros(TensorType.of(DType.U32, batch, 2)))
          .put("temperature", HostTensor.zeros(TensorType.of(DType.F32, batch)))
          .put("top_k", HostTensor.zeros(TensorType.of(DType.I32, batch)))
          .put("top_p", HostTensor.of(new float[batch], batch)).build();
      Tree<HostTensor> res = prefill.executeTree(Tree.<HostTensor>builder().putAll("params", w).putAll("state", state)
          .putAll("input", in).build());
      collect(out, res);
      for (int s = 1; s < STEPS; s++) {
        res = decode.executeTree(Tree.<HostTensor>builder().putAll("params", w).putAll("state", res.subtree("state"))
            .build());
        collect(out, res);
      }
      int[] step = res.get("state/cache/step").toIntArray();
      for (int r = 0; r < batch; r++) assertEquals(PROMPTS[r].length + STEPS - 1, step[r], "row " + r + " step");
    }
    return out;
  }

  private static void collect(List<List<Integer>> out, Tree<HostTensor> res) {
    int[] ids = res.get(DecodePrograms.TOKENS).toIntArray();
    for (int r = 0; r < ids.length; r++) out.get(r).add(ids[r]);
  }
}
