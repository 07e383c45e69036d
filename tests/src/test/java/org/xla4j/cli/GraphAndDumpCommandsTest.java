package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;

/** {@code xla4j graph}, {@code graph diff}, {@code exec --dump} and the failure bundle of {@code exec} on CPU. */
class GraphAndDumpCommandsTest {
  @TempDir Path tmp;

  private static final String EXP = """
      module @e {
        func.func public @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
          %0 = "stablehlo.exponential"(%arg0) : (tensor<4xf32>) -> tensor<4xf32> loc("blk/exponential"("M.java":3:0))
          "func.return"(%0) : (tensor<4xf32>) -> ()
        }
      }
      """;

  private static final String BAD = """
      module @bad {
        func.func public @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
          %0 = "stablehlo.custom_call"(%arg0) <{api_version = 2 : i32, call_target_name = "no_such_target"}> : (tensor<4xf32>) -> tensor<4xf32>
          "func.return"(%0) : (tensor<4xf32>) -> ()
        }
      }
      """;

  private static String stdout(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Main.run(args));
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void graphWritesHtmlAndDotAndDiffComparesKinds() throws Exception {
    Path a = Files.writeString(tmp.resolve("a.mlir"), EXP);
    Path b = Files.writeString(tmp.resolve("b.mlir"), BAD);
    assertEquals(0, Main.run("graph", a.toString(), "--html", tmp.resolve("a.html").toString(), "--dot",
        tmp.resolve("a.dot").toString()));
    assertTrue(Files.readString(tmp.resolve("a.html")).contains("\"s\":\"blk\""));
    assertTrue(Files.readString(tmp.resolve("a.dot")).contains("cluster_blk"));
    String diff = stdout("graph", "diff", a.toString(), b.toString());
    assertTrue(diff.matches("(?s).*stablehlo.exponential\\s+1\\s+0\\s+-1.*"), diff);
    assertTrue(diff.matches("(?s).*no_such_target\\s+0\\s+1\\s+\\+1.*"), diff);
  }

  @Test
  void execDumpWritesTheBundle() throws Exception {
    Path m = Files.writeString(tmp.resolve("e.mlir"), EXP);
    Path in = tmp.resolve("x.safetensors");
    Safetensors.write(in, Map.of("x", HostTensor.of(new float[] {0, 1, 2, 3}, 4)));
    Path dump = tmp.resolve("dump");
    stdout("exec", m.toString(), "--input", "x=" + in, "--dump", dump.toString());
    try (Stream<Path> s = Files.list(dump)) {
      assertEquals(List.of("01-program.txt", "02-stablehlo.mlir", "03-compile-options.txt", "04-optimized-hlo.txt",
          "05-cost-and-memory.txt", "06-graph.dot", "06-graph.html"),
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertEquals(EXP, Files.readString(dump.resolve("02-stablehlo.mlir")));
  }

  @Test
  void execFailureWritesABundleWhoseReplayCommandRunsTheSameModule() throws Exception {
    Path m = Files.writeString(tmp.resolve("bad.mlir"), BAD);
    Path in = tmp.resolve("x.safetensors");
    Safetensors.write(in, Map.of("x", HostTensor.of(new float[] {0, 1, 2, 3}, 4)));
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc = Main.run("exec", m.toString(), "--input", "x=" + in, "--dump", tmp.resolve("d").toString());
    } finally {
      System.setErr(oldErr);
    }
    assertEquals(1, rc);
    String msg = err.toString(StandardCharsets.UTF_8);
    assertTrue(msg.contains("failure bundle: " + tmp.resolve("d/failures")), msg);
    String replay = msg.substring(msg.indexOf("replay: ") + "replay: ".length()).strip();
    String[] words = replay.split(" ");
    assertEquals("xla4j", words[0]);
    Path bundle = Path.of(words[2]).getParent();
    assertEquals(BAD, Files.readString(bundle.resolve("module.mlir")));
    assertEquals(List.of(0f, 1f, 2f, 3f), List.of(
        Safetensors.read(bundle.resolve("inputs.safetensors"), "arg0").toFloatArray()[0],
        Safetensors.read(bundle.resolve("inputs.safetensors"), "arg0").toFloatArray()[1],
        Safetensors.read(bundle.resolve("inputs.safetensors"), "arg0").toFloatArray()[2],
        Safetensors.read(bundle.resolve("inputs.safetensors"), "arg0").toFloatArray()[3]));
    // the replay command, as printed, reaches the same compile failure
    PrintStream e2 = System.err;
    ByteArrayOutputStream err2 = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err2, true, StandardCharsets.UTF_8));
    try {
      assertEquals(1, Main.run(java.util.Arrays.copyOfRange(words, 1, words.length)));
    } finally {
      System.setErr(e2);
    }
    assertTrue(err2.toString(StandardCharsets.UTF_8).contains("no_such_target"), err2.toString(StandardCharsets.UTF_8));
  }

  /**
   * XLA's dump, asked for at process start, gives the CPU bundle its optimized HLO, and the op metadata in it
   * names our scope path, op kind, Java file and line (run in a child JVM: XLA_FLAGS is read once per process).
   */
  @Test
  void cpuOptimizedHloCarriesTheLocationsAsOpMetadata() throws Exception {
    Path m = Files.writeString(tmp.resolve("e.mlir"), EXP);
    Path in = tmp.resolve("x.safetensors");
    Safetensors.write(in, Map.of("x", HostTensor.of(new float[] {0, 1, 2, 3}, 4)));
    Path dump = tmp.resolve("dump");
    Path jvm = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(jvm.toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
        System.getProperty("java.class.path"), "org.xla4j.cli.Main", "exec", m.toString(), "--input", "x=" + in,
        "--dump", dump.toString());
    pb.environment().put("XLA_FLAGS", "--xla_dump_to=" + tmp.resolve("xla") + " --xla_dump_hlo_as_text");
    pb.redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS), "child JVM did not finish");
    assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("child.log")));
    String hlo = Files.readString(dump.resolve("04-optimized-hlo.txt"));
    assertTrue(hlo.contains("ENTRY"), hlo);
    assertTrue(hlo.contains("op_name=\"blk/exponential\" source_file=\"M.java\" source_line=3"), hlo);
  }

  /**
   * {@code --dump} with {@code --xla-dump-passes} in a process of its own (as the CLI runs): the CPU bundle gets
   * XLA's optimized HLO without any XLA_FLAGS from the user, XLA's per-pass files land in DUMP/xla, and
   * {@code graph diff} of the bundle against its module shows the compiled side (fusions) for the bundle only.
   */
  @Test
  void dumpPassesOnCpuAndDiffOfABundle() throws Exception {
    Path m = Files.writeString(tmp.resolve("e.mlir"), EXP);
    Path in = tmp.resolve("x.safetensors");
    Safetensors.write(in, Map.of("x", HostTensor.of(new float[] {0, 1, 2, 3}, 4)));
    Path dump = tmp.resolve("dump");
    Path jvm = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder pb = new ProcessBuilder(jvm.toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
        System.getProperty("java.class.path"), "org.xla4j.cli.Main", "exec", m.toString(), "--input", "x=" + in,
        "--dump", dump.toString(), "--xla-dump-passes", "fusion");
    pb.environment().remove("XLA_FLAGS");
    pb.redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS), "child JVM did not finish");
    assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("child.log")));
    assertTrue(Files.readString(dump.resolve("04-optimized-hlo.txt")).contains("ENTRY"));
    try (Stream<Path> s = Files.list(dump.resolve("xla"))) {
      List<String> names = s.map(f -> f.getFileName().toString()).toList();
      assertTrue(names.stream().anyMatch(n -> n.contains("after_fusion")), names.toString());
    }
    String diff = stdout("graph", "diff", dump.toString(), m.toString());
    assertTrue(diff.matches("(?s).*\\n  fusions\\s+\\d+\\s+-\\s+-.*"), diff);
    assertTrue(diff.contains("peak live bytes"), diff);
  }

  /** {@code graph --model tiny-grok}: the forward pass built with locations, scopes per decoder layer in the viewer. */
  @Test
  void graphOfAModelPreset() throws Exception {
    Path html = tmp.resolve("g.html");
    assertEquals(0, Main.run("graph", "--model", "tiny-grok", "--seq", "4", "--html", html.toString()));
    String page = Files.readString(html);
    assertTrue(page.contains("\"s\":\"decoder_layer_1/multi_head_attention"), "no scope of layer 1's attention");
    // with no user frame, ops point at the model code that built them, not at the CLI's launcher
    assertTrue(page.contains("\"f\":\"Grok1.java\""), "no op located in Grok1.java");
    assertTrue(!page.contains("CommandLine.java"), "an op located in picocli's CommandLine");
    assertEquals(2, Main.run("graph", "--model", "no-such-model"));
  }

  /** {@code attention compare --explain}: a diff per mechanism against VANILLA, naming the loop BLOCKWISE adds. */
  @Test
  void attentionCompareExplainDiffsEachMechanismAgainstVanilla() {
    String out = stdout("attention", "compare", "--causal", "--seq", "64", "--chunk-q", "16", "--chunk-k", "16",
        "--mechanisms", "vanilla,blockwise", "--runs", "1", "--iters", "1", "--explain");
    assertTrue(out.contains("why BLOCKWISE differs from VANILLA"), out);
    // the blockwise loop is a Lax.scan: the diff shows it as one (printed as a while, located as a scan)
    assertTrue(out.matches("(?s).*xla4j.scan\\s+0\\s+1\\s+\\+1.*"), out);
    assertTrue(out.contains("ops inside scan/while/if/case bodies are not in the static counts"), out);
  }
}
