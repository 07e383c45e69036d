package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;

/**
 * {@code --dump} and {@code --xla-dump-passes} come from one mixin ({@link XlaDumpOptions}): every command that
 * compiles and dumps lists both in its help, and rejects a bad regex or passes without {@code --dump} as a usage
 * error with the same message, before any backend opens.
 */
class XlaDumpOptionsTest {
  @TempDir
  Path tmp;

  /** Each command's arguments that reach the dump options' check (the options under test are appended). */
  private List<List<String>> commands;

  @BeforeEach
  void commands() throws Exception {
    Path module = Files.writeString(tmp.resolve("e.mlir"), """
        module @e {
          func.func public @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
            %0 = "stablehlo.exponential"(%arg0) : (tensor<4xf32>) -> tensor<4xf32>
            "func.return"(%0) : (tensor<4xf32>) -> ()
          }
        }
        """);
    Path x = tmp.resolve("x.safetensors");
    Safetensors.write(x, Map.of("x", HostTensor.of(new float[] {0, 1, 2, 3}, 4)));
    Path qkv = tmp.resolve("qkv.safetensors");
    HostTensor t = HostTensor.of(new float[8], 1, 2, 1, 4);
    Safetensors.write(qkv, Map.of("q", t, "k", t, "v", t));
    String out = tmp.resolve("out.safetensors").toString();
    commands = List.of(
        List.of("exec", module.toString(), "--input", "x=" + x),
        List.of("compile", module.toString(), "-o", tmp.resolve("p.x4j").toString()),
        List.of("attention", "compare", "--batch", "1", "--seq", "2", "--heads", "1", "--kv-heads", "1",
            "--head-dim", "4"),
        List.of("attention", "run", "--mechanism", "vanilla", "--input", "q=" + qkv + "#q,k=" + qkv + "#k,v=" + qkv
            + "#v", "--output", out),
        List.of("logits", "--model", "tiny-llama", "--tokens", "1,2", "--output", out));
  }

  private static CliUsageErrorsTest.Result run(List<String> command, String... more) {
    List<String> args = new ArrayList<>(command);
    args.addAll(List.of(more));
    return CliUsageErrorsTest.run(args.toArray(String[]::new));
  }

  @Test
  void everyDumpingCommandListsBothOptions() {
    for (List<String> c : commands) {
      List<String> name = c.subList(0, c.get(0).equals("attention") ? 2 : 1);
      String help = run(name, "--help").out();
      assertTrue(help.contains("--dump=DIR"), name + ": " + help);
      assertTrue(help.contains("--xla-dump-passes=REGEX"), name + ": " + help);
    }
  }

  @Test
  void aBadRegexIsAUsageErrorNamingTheOption() {
    String dump = tmp.resolve("dump").toString();
    for (List<String> c : commands) {
      CliUsageErrorsTest.Result r = run(c, "--dump", dump, "--xla-dump-passes", "fus(ion");
      assertEquals(2, r.rc(), c + ": " + r.err());
      assertTrue(r.err().contains("--xla-dump-passes: not a valid regex 'fus(ion': Unclosed group"), c + ": " + r.err());
      assertFalse(r.err().contains("Exception"), r.err());
      assertFalse(Files.exists(Path.of(dump)), c + ": nothing dumped for a usage error");
    }
  }

  @Test
  void passesWithoutDumpIsAUsageError() {
    for (List<String> c : commands) {
      CliUsageErrorsTest.Result r = run(c, "--xla-dump-passes", "fusion");
      assertEquals(2, r.rc(), c + ": " + r.err());
      assertTrue(r.err().contains("--xla-dump-passes needs --dump DIR: XLA writes the module after each matching pass"
          + " into DIR/xla"), c + ": " + r.err());
    }
  }
}
