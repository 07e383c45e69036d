package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;

/** Issue 8 item 12: one NAME=FILE[#TENSOR] parser for every command, unambiguous for HF names and ':' in files. */
class InputSpecTest {
  @TempDir Path dir;

  @Test
  void splitsNameAtTheFirstEqualsAndTensorAtTheLastHash() {
    assertEquals(new InputSpec("x", Path.of("a.safetensors"), Optional.empty()), InputSpec.parse("x=a.safetensors"));
    assertEquals(new InputSpec("w", Path.of("ckpt/run:3.safetensors"), Optional.of("model.layers.0.self_attn/q_proj.weight")),
        InputSpec.parse("w=ckpt/run:3.safetensors#model.layers.0.self_attn/q_proj.weight"));
    assertEquals(new InputSpec("x", Path.of("a=b.safetensors"), Optional.of("t:1")), InputSpec.parse("x=a=b.safetensors#t:1"));
    assertEquals(new InputSpec("x", Path.of("my#file.safetensors"), Optional.empty()), InputSpec.parse("x=my#file.safetensors#"));
    assertEquals(new InputSpec("x", Path.of("my#file.safetensors"), Optional.of("t")), InputSpec.parse("x=my#file.safetensors#t"));
    for (String bad : new String[] {"x", "=a.safetensors", "x=", "x=#t"}) {
      var e = assertThrows(IllegalArgumentException.class, () -> InputSpec.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("--input must look like NAME=FILE[#TENSOR], got '" + bad + "'"), e.getMessage());
    }
  }

  @Test
  void readsSlashedAndDottedNamesFromFilesWithColons() throws IOException {
    Path f = dir.resolve("run:3.safetensors");
    Map<String, HostTensor> t = new LinkedHashMap<>();
    t.put("model.layers.0/attn.q", HostTensor.of(new float[] {1, 2}, 2));
    t.put("x", HostTensor.of(new float[] {3}, 1));
    Safetensors.write(f, t);
    assertArrayEquals(new float[] {1, 2}, InputSpec.parse("q=" + f + "#model.layers.0/attn.q").read().toFloatArray());
    assertArrayEquals(new float[] {3}, InputSpec.parse("x=" + f).read().toFloatArray(), "the tensor named NAME");
    var e = assertThrows(IllegalArgumentException.class, () -> InputSpec.parse("y=" + f).read());
    assertTrue(e.getMessage().contains("holds [model.layers.0/attn.q, x]; name one with y=" + f + "#TENSOR"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> InputSpec.parse("y=" + f + "#nope").read());
    assertTrue(e.getMessage().contains("has no tensor 'nope'"), e.getMessage());
  }

  @Test
  void theOldColonFormGetsAHint() throws IOException {
    Path f = dir.resolve("w.safetensors");
    Safetensors.write(f, Map.of("weight", HostTensor.of(new float[] {1}, 1)));
    var e = assertThrows(IllegalArgumentException.class, () -> InputSpec.parse("w=" + f + ":weight").read());
    assertTrue(e.getMessage().contains("file not found: " + f + ":weight (to name a tensor, write w=" + f + "#weight)"), e.getMessage());
  }

  @Test
  void execAndAttentionHelpShowTheOneSyntax() {
    for (String[] cmd : new String[][] {{"exec", "--help"}, {"attention", "run", "--help"}}) {
      PrintStream old = System.out;
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      try {
        Main.run(cmd);
      } finally {
        System.setOut(old);
      }
      String help = out.toString(StandardCharsets.UTF_8).replaceAll("\\s+", " "); // undo the help text's wrapping
      assertTrue(help.contains("NAME=FILE[#TENSOR]") && help.contains("after the last '#'"), String.join(" ", cmd) + ":\n" + help);
    }
  }

  @Test
  void execReadsAnInputFromAShardedCheckpointDirectory() throws IOException {
    Path mlir = Files.writeString(dir.resolve("neg.mlir"), """
        func.func public @main(%a: tensor<2xf32>) -> tensor<2xf32> {
          %0 = "stablehlo.negate"(%a) : (tensor<2xf32>) -> tensor<2xf32>
          return %0 : tensor<2xf32>
        }
        """);
    Path ckpt = Files.createDirectory(dir.resolve("ckpt"));
    Safetensors.write(ckpt.resolve("s1.safetensors"), Map.of("model.a/b", HostTensor.of(new float[] {1, -2}, 2)));
    Files.writeString(ckpt.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"model.a/b\": \"s1.safetensors\"}}");
    Path out = dir.resolve("out.safetensors");
    assertEquals(0, Main.run("exec", mlir.toString(), "--input", "a=" + ckpt + "#model.a/b", "--output", out.toString()));
    assertArrayEquals(new float[] {-1, 2}, Safetensors.read(out, "out0").toFloatArray());
  }
}
