package org.xla4j.generate;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.generate.CausalLm;
import org.xla4j.models.grok.Grok1;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.grok.Grok1RandomWeights;
import org.xla4j.models.llama.Llama;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.models.llama.LlamaRandomWeights;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/** Tiny models with random weights and the uncached reference for generation tests. */
public final class GenHarness {
  private GenHarness() {}

  static final Grok1Config GROK = Grok1Config.tiny().toBuilder().vocabSize(300).contextLength(64).build();
  static final LlamaConfig LLAMA = LlamaConfig.tiny().toBuilder().vocabSize(300).maxPositions(64).padTokenId(0).build();

  static CausalLm grok() { return new CausalLm.Grok(GROK, Grok1.Options.defaults()); }

  static CausalLm llama() { return new CausalLm.LlamaLm(LLAMA, Llama.Options.defaults()); }

  static Tree<HostTensor> weights(CausalLm lm, long seed) {
    return switch (lm) {
      case CausalLm.Grok g -> Tree.of(Grok1RandomWeights.generate(g.config(), seed));
      case CausalLm.LlamaLm l -> Tree.of(LlamaRandomWeights.generate(l.config(), seed));
    };
  }

  /**
   * The greedy continuation the full forward pass (no cache) implies for {@code seq} = prompt + generated: the
   * argmax of the logits at positions {@code promptLength - 1 .. seq.length - 2}.
   */
  public static int[] fullForwardArgmax(Backend be, CausalLm lm, Tree<HostTensor> w, int[] seq, int promptLength) {
    Graph g = new Graph("full");
    Tree<Tensor> params = g.parameters(lm.parameterTypes().prefixed("params")).subtree("params");
    Tensor tokens = g.parameter("tokens", org.xla4j.types.TensorType.of(DType.I32, 1, seq.length));
    Program p = g.program(lm.fullLogits(params, tokens).argmax(-1).astype(DType.I32));
    try (Executable exe = be.compile(p)) {
      Tree<HostTensor> args = Tree.<HostTensor>builder().putAll("params", w).put("tokens", HostTensor.ofInts(seq, 1, seq.length))
          .build();
      int[] all = exe.executeTree(args).leaves().get(0).toIntArray();
      int[] out = new int[seq.length - promptLength + 1];
      for (int i = 0; i < out.length; i++) out[i] = all[promptLength - 1 + i];
      return out;
    }
  }

  static int[] concat(int[] a, List<Integer> b) {
    int[] out = java.util.Arrays.copyOf(a, a.length + b.size());
    for (int i = 0; i < b.size(); i++) out[a.length + i] = b.get(i);
    return out;
  }

  static List<Integer> list(int[] a) {
    List<Integer> out = new ArrayList<>();
    for (int x : a) out.add(x);
    return out;
  }
}
