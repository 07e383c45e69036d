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
  public static int[] fullForwardArgmax(Backend be, CausalLm model, Tree<HostTensor> w, int[] seq, int promptLength) {
    // w is in the parameter tree's own layout: a model that stores experts transposed reads it as the plain model does
    CausalLm lm = model instanceof CausalLm.Grok gk && gk.expertsMinor() ? new CausalLm.Grok(gk.config(), gk.options()) : model;
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

  /**
   * Writes {@code w} ({@link Grok1Config#parameterTypes()} paths, bf16 format) as a Hugging Face Grok-1
   * directory: torch's [out, in] matrices, one tensor per expert, config.json with the config's sizes.
   */
  public static java.nio.file.Path writeGrokHfDir(java.nio.file.Path dir, Grok1Config c, java.util.Map<String, HostTensor> w)
      throws java.io.IOException {
    java.util.Map<String, HostTensor> out = new java.util.LinkedHashMap<>();
    for (var e : w.entrySet()) {
      String p = e.getKey();
      HostTensor t = e.getValue();
      if (p.equals("language_model/in_out_embed/embeddings")) out.put("transformer.in_out_embed.weight", t);
      else if (p.equals("language_model/rms_norm/scale")) out.put("transformer.rms_norm.weight", t);
      else {
        String[] parts = p.split("/");
        String pre = "transformer.decoder_layer." + parts[1].substring("decoder_layer_".length()) + ".";
        String module = String.join(".", java.util.Arrays.copyOfRange(parts, 2, parts.length - 1));
        if (p.endsWith("/scale")) out.put(pre + module + ".weight", t);
        else if (parts[2].equals("moe")) {
          for (int x = 0; x < t.shape().dim(0); x++) {
            out.put(pre + "moe." + x + "." + parts[3] + ".weight", transpose(t, x));
          }
        } else out.put(pre + module + ".weight", transpose(t, -1));
      }
    }
    java.nio.file.Files.createDirectories(dir);
    org.xla4j.runtime.Safetensors.write(dir.resolve("model.safetensors"), out);
    java.nio.file.Files.writeString(dir.resolve("config.json"), String.format(java.util.Locale.ROOT,
        "{\"architectures\": [\"Grok1ModelForCausalLM\"], \"model_type\": \"grok-1\", \"vocab_size\": %d,"
            + " \"hidden_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d,"
            + " \"num_key_value_heads\": %d, \"head_dim\": %d, \"intermediate_size\": %d, \"num_experts\": %d,"
            + " \"num_experts_per_tok\": %d, \"max_position_embeddings\": %d}",
        c.vocabSize(), c.embeddingSize(), c.numLayers(), c.numQHeads(), c.numKvHeads(), c.keySize(), c.ffnSize(),
        c.numExperts(), c.numSelectedExperts(), c.contextLength()));
    return dir;
  }

  /** Matrix {@code [in, out]} (or slice {@code index} of a stack {@code [E, in, out]}) as {@code [out, in]}, same dtype. */
  private static HostTensor transpose(HostTensor t, int index) {
    int r = t.shape().rank();
    int in = (int) t.shape().dim(r - 2);
    int out = (int) t.shape().dim(r - 1);
    float[] all = t.toFloatArray();
    int base = index < 0 ? 0 : index * in * out;
    float[] tr = new float[in * out];
    for (int i = 0; i < in; i++) for (int o = 0; o < out; o++) tr[o * in + i] = all[base + i * out + o];
    return HostTensor.of(t.dtype(), org.xla4j.types.Shape.of(out, in), tr);
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
