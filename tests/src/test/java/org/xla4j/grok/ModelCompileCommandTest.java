package org.xla4j.grok;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xla4j.cli.Main;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.grok.Grok1Flops;
import org.xla4j.models.grok.WeightFormat;
import org.xla4j.types.TensorType;

/** {@code xla4j model compile --preset tiny-grok} on the CPU: the figures it prints agree with the config and a hand count. */
class ModelCompileCommandTest {

  @Test
  void tinyGrokCompilesOnTheCpuAndItsFiguresAddUp() {
    Map<String, String> r = run("model", "compile", "--preset", "tiny-grok", "--seq", "8", "--moe", "dropless");
    Grok1Config c = Grok1Config.tiny();
    long count = 0;
    long bytes = 0;
    for (TensorType t : c.parameterTypes().leaves()) {
      count += t.numElements();
      bytes += t.byteSize();
    }
    assertEquals(count, Long.parseLong(r.get("parameters")));
    assertEquals(bytes, Long.parseLong(r.get("parameter_bytes")));
    // by hand, tiny: D 64, 2 layers, Hq 4 / Hkv 2 of K 16, F 88, 4 experts top-2, vocab 128, T 8, 2 FLOPs per MAC:
    //   projections 2·64·64 + 2·2·64·32 + 2·64·64 = 24576; scores 4·(4·16)·8 = 2048; router 2·64·4 = 512;
    //   experts 2·(3·2·64·88) = 67584; per layer 94720, two layers 189440; lm head 2·64·128 = 16384
    assertTrue(r.get("flops_per_token").startsWith("205824 "), r.get("flops_per_token"));
    assertTrue(Double.parseDouble(r.get("compile_s")) > 0, "compiled");
    assertTrue(Double.parseDouble(r.get("emit_s").split(" ")[0]) > 0, "emitted");
    assertTrue(Long.parseLong(r.get("text_chars")) > 1000, "a program was printed");
  }

  @Test
  void flopsFormulaMatchesTheHandCountAndScalesWithTheSequence() {
    Grok1Flops f = Grok1Flops.perToken(Grok1Config.tiny(), 8);
    assertEquals(2 * 24576, f.attentionProjections());
    assertEquals(2 * 2048, f.attentionScores());
    assertEquals(2 * 512, f.router());
    assertEquals(2 * 67584, f.experts());
    assertEquals(16384, f.lmHead());
    assertEquals(205824, f.total());
    // only the scores depend on T; twice T, twice the scores
    assertEquals(f.total() + f.attentionScores(), Grok1Flops.perToken(Grok1Config.tiny(), 16).total());
    // Grok-1 is the 314B-parameter model
    Grok1Config full = Grok1Config.full();
    long params = 0;
    for (TensorType t : full.parameterTypes().leaves()) params += t.numElements();
    assertTrue(params > 314e9 && params < 317e9, "grok-1 parameters " + params);
  }

  @Test
  void int8WeightsCountTheirScales() {
    Map<String, String> r = run("model", "compile", "--preset", "tiny-grok", "--weights", "int8", "--no-compile");
    long bytes = Grok1Config.tiny().withWeightFormat(WeightFormat.INT8).parameterBytes();
    assertEquals(bytes, Long.parseLong(r.get("parameter_bytes")));
    assertTrue(bytes < Grok1Config.tiny().parameterBytes(), "int8 is smaller than bf16");
    assertTrue(!r.containsKey("compile_s"), "--no-compile does not compile");
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertEquals(2, Main.run("model", "compile", "--preset", "grok-2"));
    assertEquals(2, Main.run("model", "compile", "--preset", "tiny-grok", "--moe", "magic", "--no-compile"));
    assertEquals(2, Main.run("model", "compile", "--preset", "tiny-grok", "--seq", "0", "--no-compile"));
  }

  /** Runs the CLI and reads its {@code key: value} stdout lines. */
  private static Map<String, String> run(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int rc;
    try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      System.setOut(p);
      rc = Main.run(args);
    } finally {
      System.setOut(old);
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    System.out.print(out);
    assertEquals(0, rc, out);
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      int i = line.indexOf(": ");
      if (i > 0) m.put(line.substring(0, i), line.substring(i + 2).trim());
    }
    return m;
  }
}
