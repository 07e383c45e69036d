package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/**
 * {@code xla4j logits --model DIR|tiny-llama} end to end through the CLI, against the numpy oracles' logits
 * (scripts/grok_reference.py, scripts/llama_reference.py), never against our own forward pass.
 *
 * <p>Tolerances: Grok-1 (bf16 activations, f32 logits up to ~41): 0.3 absolute + 2% relative on every position
 * that sees at least one non-pad key, and a root-mean-square difference below 0.05, as Grok1ReferenceTest states
 * them; Llama base (f32 throughout): 2e-5 absolute + 2e-5 relative, as LlamaReferenceTest.
 */
class LogitsModelDirTest {
  @TempDir
  Path tmp;

  static TinyCheckpoints.Run cli(List<String> args) { return TinyCheckpoints.cli(args); }

  private HostTensor logits(Path model, String out, String... more) throws IOException {
    return logits(model.toString(), out, TinyCheckpoints.tokenOptions(TinyCheckpoints.grokIo("tokens")), more);
  }

  private HostTensor logits(String model, String out, String[] tokens, String... more) throws IOException {
    Path file = tmp.resolve(out);
    List<String> a = new ArrayList<>(List.of("logits", "--model", model, "--output", file.toString()));
    a.addAll(Arrays.asList(tokens));
    a.addAll(Arrays.asList(more));
    TinyCheckpoints.Run r = cli(a);
    assertEquals(0, r.rc(), r.err());
    Map<String, HostTensor> all = Safetensors.read(file);
    assertEquals(List.of("logits"), List.copyOf(all.keySet()), "one tensor named logits");
    assertEquals(DType.F32, all.get("logits").dtype());
    return all.get("logits");
  }

  @Test
  void grokBf16DirectoryMatchesNumpy() throws IOException {
    Path dir = TinyCheckpoints.grokHf(tmp.resolve("grok-bf16"), false);
    HostTensor got = logits(dir, "bf16.safetensors");
    assertEquals(Shape.of(2, 8, 128), got.shape());
    assertGrokClose("bf16 dense vanilla", TinyCheckpoints.grokIo("logits_bf16"), got);
    assertGrokClose("bf16 dropless blockwise", TinyCheckpoints.grokIo("logits_bf16"),
        logits(dir, "bf16-dropless.safetensors", "--moe", "dropless", "--mechanism", "blockwise"));
  }

  @Test
  void grokInt8DirectoryMatchesNumpyBothQuantModes() throws IOException {
    Path dir = TinyCheckpoints.grokHf(tmp.resolve("grok-int8"), true);
    HostTensor want = TinyCheckpoints.grokIo("logits_int8");
    assertGrokClose("int8 dequantize", want, logits(dir, "int8.safetensors"));
    assertGrokClose("int8 scale-after few-tokens", want, logits(dir, "int8-sa.safetensors", "--quant", "scale-after",
        "--moe", "few-tokens"));
    // capacity 4: every expert takes every token copy, nothing dropped
    assertGrokClose("int8 capacity", want, logits(dir, "int8-cap.safetensors", "--moe", "capacity", "--capacity-factor", "4"));
  }

  @Test
  void llamaDirectoryMatchesNumpy() throws IOException {
    Path dir = TinyCheckpoints.llama("base");
    Map<String, HostTensor> io = Safetensors.read(dir.resolve("io.safetensors"));
    // the fixture's attention_mask is tokens != 0, the CLI's padding rule
    int[] ids = io.get("tokens").toIntArray();
    int[] mask = io.get("attention_mask").toIntArray();
    for (int i = 0; i < ids.length; i++) assertEquals(ids[i] != 0 ? 1 : 0, mask[i], "fixture mask at " + i);
    HostTensor got = logits(dir.toString(), "llama.safetensors", TinyCheckpoints.tokenOptions(io.get("tokens")));
    assertEquals(io.get("logits").shape(), got.shape());
    float[] e = io.get("logits").toFloatArray();
    float[] a = got.toFloatArray();
    for (int i = 0; i < e.length; i++) {
      double tol = 2e-5 + 2e-5 * Math.abs(e[i]);
      if (!(Math.abs(a[i] - e[i]) <= tol)) fail("llama base: element " + i + " is " + a[i] + ", numpy " + e[i]);
    }
  }

  @Test
  void tinyLlamaPresetIsSeededRandomWeights() throws IOException {
    String[] rows = {"--tokens", "5,17,3,0", "--tokens", "9,2,4,1"};
    HostTensor a = logits("tiny-llama", "a.safetensors", rows);
    HostTensor b = logits("tiny-llama", "b.safetensors", rows);
    HostTensor c = logits("tiny-llama", "c.safetensors", rows, "--seed", "1");
    assertEquals(Shape.of(2, 4, 64), a.shape());
    for (float v : a.toFloatArray()) assertTrue(Float.isFinite(v));
    assertTrue(Arrays.equals(a.toFloatArray(), b.toFloatArray()), "same seed, same logits");
    assertFalse(Arrays.equals(a.toFloatArray(), c.toFloatArray()), "another seed, other weights");
  }

  @Test
  void dumpWritesTheCompileBundle() throws IOException {
    Path dump = tmp.resolve("dump");
    logits("tiny-llama", "d.safetensors", new String[] {"--tokens", "5,17,3"}, "--dump", dump.toString());
    for (String f : List.of("01-program.txt", "02-stablehlo.mlir", "03-compile-options.txt", "04-optimized-hlo.txt",
        "05-cost-and-memory.txt", "06-graph.html", "06-graph.dot")) {
      assertTrue(Files.isRegularFile(dump.resolve(f)) && Files.size(dump.resolve(f)) > 0, f + " in " + dump);
    }
    assertTrue(Files.readString(dump.resolve("02-stablehlo.mlir")).contains("stablehlo.dot_general"));
    assertTrue(Files.readString(dump.resolve("01-program.txt")).contains("model/layers/0/self_attn/q_proj/w"));
  }

  @Test
  void badInputIsAUsageErrorNamingTheOption() throws IOException {
    Path grok = TinyCheckpoints.grokHf(tmp.resolve("g"), false);
    Path out = tmp.resolve("x.safetensors");
    TinyCheckpoints.Run vocab = cli(List.of("logits", "--model", grok.toString(), "--tokens", "1,128", "--output", out.toString()));
    assertEquals(2, vocab.rc());
    assertTrue(vocab.err().contains("--tokens row 1: id 128 is outside the model's vocabulary [0, 128)"), vocab.err());
    TinyCheckpoints.Run rows = cli(List.of("logits", "--model", "tiny-llama", "--tokens", "1,2", "--tokens", "3", "--output", out.toString()));
    assertEquals(2, rows.rc());
    assertTrue(rows.err().contains("--tokens rows must have one length"), rows.err());

    String longRow = String.join(",", java.util.Collections.nCopies(65, "1"));
    TinyCheckpoints.Run context = cli(List.of("logits", "--model", grok.toString(), "--tokens", longRow, "--output",
        out.toString()));
    assertEquals(2, context.rc());
    assertTrue(context.err().contains("--tokens rows have 65 tokens;") && context.err().contains("takes at most 64"),
        context.err());

    Path unknown = Files.createDirectories(tmp.resolve("unknown"));
    Files.writeString(unknown.resolve("config.json"), "{\"model_type\": \"bert\"}");
    Safetensors.write(unknown.resolve("model.safetensors"), Map.of("encoder.layer.0.weight", HostTensor.of(new float[] {1}, 1)));
    TinyCheckpoints.Run layout = cli(List.of("logits", "--model", unknown.toString(), "--tokens", "1", "--output", out.toString()));
    assertEquals(2, layout.rc());
    assertTrue(layout.err().contains("--model " + unknown) && layout.err().contains("cannot tell the model type"), layout.err());

    TinyCheckpoints.Run none = cli(List.of("logits", "--model", tmp.resolve("nowhere").toString(), "--tokens", "1", "--output", out.toString()));
    assertEquals(2, none.rc());
    assertTrue(none.err().contains("neither a model directory nor a preset"), none.err());

    TinyCheckpoints.Run moe = cli(List.of("logits", "--model", "tiny-llama", "--tokens", "1", "--moe", "dropless", "--output", out.toString()));
    assertEquals(2, moe.rc());
    assertTrue(moe.err().contains("--moe applies to Grok-1 models"), moe.err());
    TinyCheckpoints.Run quant = cli(List.of("logits", "--model", grok.toString(), "--tokens", "1", "--quant", "scale-after", "--output",
        out.toString()));
    assertEquals(2, quant.rc());
    assertTrue(quant.err().contains("--quant applies to int8 checkpoints"), quant.err());
    TinyCheckpoints.Run mech = cli(List.of("logits", "--model", "tiny-grok", "--tokens", "1", "--mechanism", "cudnn", "--output", out.toString()));
    assertEquals(2, mech.rc());
    assertTrue(mech.err().contains("--mechanism cudnn cannot run on the cpu backend"), mech.err());
    assertFalse(Files.exists(out), "nothing written on a usage error");
  }

  static void assertGrokClose(String what, HostTensor expected, HostTensor actual) throws IOException {
    TinyCheckpoints.assertGrokClose(what, expected, actual);
  }
}
