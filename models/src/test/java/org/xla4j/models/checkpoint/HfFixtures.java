package org.xla4j.models.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.xla4j.models.llama.LlamaCheckpoint;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/** Tiny Hugging Face checkpoints written in tests: Llama from a config, Grok-1's conversion (bf16 or int8). */
final class HfFixtures {
  private HfFixtures() {}

  static final String LLAMA_CONFIG = """
      {"model_type": "llama", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
       "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "max_position_embeddings": 128,
       "torch_dtype": "float32"}
      """;

  /** Random tensors under the HF names of {@code c}'s parameters, torch layout ([out, in] matrices). */
  static Map<String, HostTensor> llamaTensors(LlamaConfig c, long seed) {
    Random r = new Random(seed);
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Tree.Leaf<TensorType> l : c.parameterTypes()) {
      long[] d = l.value().shape().dims();
      boolean matrix = l.path().endsWith("/w");
      long[] torch = matrix ? new long[] {d[1], d[0]} : d;
      out.put(LlamaCheckpoint.nameOf(l.path()), random(r, l.value().dtype(), torch));
    }
    return out;
  }

  static HostTensor random(Random r, DType dtype, long... dims) {
    float[] f = new float[(int) Shape.of(dims).numElements()];
    for (int i = 0; i < f.length; i++) f[i] = r.nextFloat() * 2 - 1;
    return HostTensor.of(dtype, Shape.of(dims), f);
  }

  static HostTensor int8(Random r, long... dims) {
    byte[] b = new byte[(int) Shape.of(dims).numElements()];
    r.nextBytes(b);
    return HostTensor.ofBytes(DType.I8, Shape.of(dims), b);
  }

  /** Writes config.json and model.safetensors into {@code dir}. */
  static Path write(Path dir, String config, Map<String, HostTensor> tensors) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), config);
    Safetensors.write(dir.resolve("model.safetensors"), tensors);
    return dir;
  }

  /** Grok-1 sizes of the fixture: D 16, 2 layers, 4 query / 2 kv heads of 8, 2 experts, FFN 24, vocab 32. */
  static final int D = 16, LAYERS = 2, HQ = 4, HKV = 2, KS = 8, E = 2, F = 24, V = 32;

  /**
   * Grok-1's HF conversion: matrices [out, in]; int8 ones as NAME.weight I8 + NAME.scales BF16 [nb, out]
   * (nb 1 for query/key/value/linear/linear_v, 8 for the attention linear and linear_1).
   */
  static Map<String, HostTensor> grokTensors(boolean int8, long seed) {
    Random r = new Random(seed);
    Map<String, HostTensor> t = new LinkedHashMap<>();
    t.put("transformer.in_out_embed.weight", random(r, DType.F32, V, D));
    t.put("transformer.rms_norm.weight", random(r, DType.F32, D));
    for (int l = 0; l < LAYERS; l++) {
      String pre = "transformer.decoder_layer." + l + ".";
      matrix(t, r, int8, pre + "multi_head_attention.query", HQ * KS, D, 1);
      matrix(t, r, int8, pre + "multi_head_attention.key", HKV * KS, D, 1);
      matrix(t, r, int8, pre + "multi_head_attention.value", HKV * KS, D, 1);
      matrix(t, r, int8, pre + "multi_head_attention.linear", D, HQ * KS, 8);
      t.put(pre + "router.weight", random(r, DType.F32, E, D));
      for (int e = 0; e < E; e++) {
        matrix(t, r, int8, pre + "moe." + e + ".linear", F, D, 1);
        matrix(t, r, int8, pre + "moe." + e + ".linear_v", F, D, 1);
        matrix(t, r, int8, pre + "moe." + e + ".linear_1", D, F, 8);
      }
      for (String n : new String[] {"rms_norm", "rms_norm_1", "rms_norm_2", "rms_norm_3"}) {
        t.put(pre + n + ".weight", random(r, DType.F32, D));
      }
    }
    return t;
  }

  private static void matrix(Map<String, HostTensor> t, Random r, boolean int8, String name, long out, long in, int nb) {
    if (int8) {
      t.put(name + ".weight", int8(r, out, in));
      t.put(name + ".scales", random(r, DType.BF16, nb, out));
    } else {
      t.put(name + ".weight", random(r, DType.BF16, out, in));
    }
  }

  static final String GROK_CONFIG = """
      {"vocab_size": 32, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4,
       "num_key_value_heads": 2, "head_dim": 8, "intermediate_size": 24, "num_experts": 2, "num_experts_per_tok": 2,
       "max_position_embeddings": 64, "rope_theta": 10000, "embedding_multiplier_scale": 4.0,
       "output_multiplier_scale": 0.5773502691896257, "attn_output_multiplier": 0.3535533905932738,
       "max_attn_value": 30.0, "rms_norm_eps": 1e-5}
      """;
}
