package org.xla4j.grok;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.llama.Llama;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * The tiny Llama of {@code scripts/llama_reference.py} (float64 numpy from the equations, weights in f32 under
 * their Hugging Face names) against {@link Llama} on the CPU backend. Tolerances on logits of size up to ~3.5:
 * f32 weights 2e-5 absolute + 2e-5 relative (f32 arithmetic over two layers; measured 1e-6); the same weights rounded to
 * bf16 and run in bf16: 0.1 absolute + 3% relative (2^-8 relative rounding at every matmul and norm; measured 0.048).
 */
class LlamaReferenceTest {
  static final Path DIR = Path.of("src/test/resources/llama");
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"F32, VANILLA, 2e-5, 2e-5", "F32, BLOCKWISE, 2e-5, 2e-5", "BF16, VANILLA, 0.1, 0.03"})
  void logitsMatchNumpy(DType dtype, Mechanism mechanism, double abs, double rel) throws IOException {
    LlamaConfig c = LlamaConfig.tiny(dtype);
    Map<String, HostTensor> file = Safetensors.read(DIR.resolve("llama_tiny_f32.safetensors"));
    Tree<TensorType> types = c.parameterTypes();
    assertEquals(types.size(), file.size(), "checkpoint tensors");
    List<HostTensor> args = new ArrayList<>();
    for (Tree.Leaf<TensorType> leaf : types) {
      HostTensor t = file.get(leaf.path().replace('/', '.'));   // HF names: the path with dots
      assertTrue(t != null, "checkpoint has " + leaf.path());
      args.add(t.astype(dtype));
    }
    HostTensor tokens = Safetensors.read(DIR.resolve("llama_tiny_io.safetensors"), "tokens");
    args.add(tokens);
    Graph g = new Graph("llama_tiny");
    Tensor logits = Llama.build(g, c, tokens.shape().dim(0), tokens.shape().dim(1), mechanism);
    float[] got = GrokHarness.run(cpu, g, args, logits).get(0).toFloatArray();
    float[] want = Safetensors.read(DIR.resolve("llama_tiny_io.safetensors"), "logits").toFloatArray();
    System.out.printf("llama tiny %s %s: max |diff| %.6f%n", dtype, mechanism, GrokHarness.maxDiff(want, got, null));
    GrokHarness.assertClose("llama logits", want, got, null, abs, rel);
  }
}
