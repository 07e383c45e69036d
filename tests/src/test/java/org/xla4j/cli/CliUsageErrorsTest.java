package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;

/**
 * What a user sees for a bad option value or a wrong file: exit code 2 (usage) before any work, and one
 * message naming the option or the file and what was expected. Each case failed before (an internal
 * error, a half table, a decoder's "Input length = 3", or no error at all).
 */
class CliUsageErrorsTest {
  private static final Path RES = Path.of("src/test/resources/jax");

  @TempDir
  Path tmp;

  /** Exit code, stdout and stderr of one CLI run. */
  record Result(int rc, String out, String err) {}

  static Result run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc = Main.run(args);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    return new Result(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "attention compare --seq 0|--seq must be >= 1, got 0",
      "attention compare --head-dim 0|--head-dim must be >= 1, got 0",
      "attention compare --batch 0|--batch must be >= 1, got 0",
      "attention compare --heads 0|--heads must be >= 1, got 0",
      "attention compare --kv-heads 0|--kv-heads must be >= 1, got 0",
      "attention compare --heads 8 --kv-heads 3|--heads (8) must be a multiple of --kv-heads (3)",
      "attention compare --chunk-q -1|--chunk-q must be >= 0",
      "attention compare --chunk-k -2|--chunk-k must be >= 0",
      "attention compare --runs 0|--runs must be >= 1",
      "attention compare --dtype i32|--dtype must be f32, bf16 or f16, got 'i32'",
      "attention compare --batch 4096 --seq 65536 --heads 32 --head-dim 128|more than one Java array holds",
      "attention compare --mechanisms RING|Invalid value for option '--mechanisms'",
      "attention compare --reference DECODE|Invalid value for option '--reference'",
      "bench call --calls 0|--calls must be >= 1, got 0",
      "bench call --calls -5|--calls must be >= 1, got -5",
      "bench emit --iters 0|--iters must be >= 1, got 0",
      "bench nothing|unknown benchmark 'nothing'",
      "emit softmax --sharding shardy|'softmax' has no shardings",
      "emit softmax --sharding gspmd|'softmax' has no shardings",
      "emit nothing|no example program 'nothing'",
  })
  void badOptionValuesAreUsageErrorsNamingTheOption(String args, String expected) {
    Result r = run(args.split(" "));
    assertEquals(2, r.rc(), r.err());
    assertTrue(r.err().contains(expected), r.err());
    assertFalse(r.out().contains("mechanism"), "no half table: " + r.out());
    assertFalse(r.err().contains("Exception"), r.err());
  }

  @Test
  void shardingFlagIsHonouredWhereThereAreShardings() {
    Result shardy = run("emit", "sharded", "--sharding", "shardy");
    assertEquals(0, shardy.rc(), shardy.err());
    assertTrue(shardy.out().contains("sdy.mesh @mesh"), shardy.out());
    Result gspmd = run("emit", "sharded", "--sharding", "GSPMD");
    assertEquals(0, gspmd.rc(), gspmd.err());
    assertTrue(gspmd.out().contains("mhlo.sharding"), gspmd.out());
    assertFalse(gspmd.out().contains("sdy."), gspmd.out());
  }

  @Test
  void enumOptionsTakeAnyCaseAndListOnlyWhatRuns() {
    Result r = run("attention", "compare", "--batch", "1", "--seq", "8", "--heads", "2", "--kv-heads", "1",
        "--head-dim", "4", "--runs", "1", "--iters", "1", "--mechanisms", "vanilla,Blockwise", "--reference", "blockwise");
    assertEquals(0, r.rc(), r.err());
    assertTrue(r.out().contains("VANILLA") && r.out().contains("BLOCKWISE"), r.out());
    for (String cmd : new String[] {"run", "compare"}) {
      String help = run("attention", cmd, "--help").out().replaceAll("\\s+", " ");
      assertTrue(help.contains("VANILLA, BLOCKWISE, CUDNN, DECODE"), help);
      assertFalse(help.contains("RING") || help.contains("CUSTOM"), help);
    }
    Result ring = run("attention", "run", "--mechanism", "ring", "--input", "q=a,k=b,v=c", "--output", "o");
    assertEquals(2, ring.rc(), ring.err());
    assertTrue(ring.err().contains("VANILLA, BLOCKWISE, CUDNN, DECODE"), ring.err());
  }

  @Test
  void cudnnOnCpuSaysHowToRunIt() throws Exception {
    Path q = tmp.resolve("q.safetensors");
    Random rnd = new Random(1);
    float[] x = new float[2 * 4 * 2 * 4];
    for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat();
    Safetensors.write(q, Map.of("q", HostTensor.of(x, 2, 4, 2, 4)));
    Result r = run("attention", "run", "--mechanism", "cudnn", "--input", "q=" + q + "#q,k=" + q + "#q,v=" + q + "#q",
        "--output", tmp.resolve("o.safetensors").toString());
    assertEquals(2, r.rc(), r.err());
    assertTrue(r.err().contains("--backend pjrt"), r.err());
    assertTrue(r.err().contains("--mechanism VANILLA or BLOCKWISE"), r.err());
    assertFalse(r.err().contains("Backends.open"), "Java-API advice to a CLI user: " + r.err());
  }

  @Test
  void shardedModuleOnCpuGivesCliAdvice() throws Exception {
    Path m = tmp.resolve("sharded.mlir");
    Files.writeString(m, """
        module @m attributes {mhlo.num_partitions = 2 : i32} {
          func.func public @main(%arg0: tensor<4xf32> {mhlo.sharding = "{devices=[2]0,1}"}) -> tensor<4xf32> {
            %0 = "stablehlo.add"(%arg0, %arg0) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
            "func.return"(%0) : (tensor<4xf32>) -> ()
          }
        }
        """);
    Path x = tmp.resolve("x.safetensors");
    Safetensors.write(x, Map.of("x", HostTensor.of(new float[] {1, 2, 3, 4}, 4)));
    Result r = run("exec", m.toString(), "--input", "x=" + x);
    assertEquals(1, r.rc(), r.err());
    assertTrue(r.err().contains("2 partition(s)") && r.err().contains("--backend pjrt"), r.err());
    assertFalse(r.err().contains("Backends.open"), "Java-API advice to a CLI user: " + r.err());
  }

  @Test
  void outputIntoAMissingFolderFailsBeforeTheRun() {
    Path in = RES.resolve("mlp_softmax.in.safetensors");
    Path out = tmp.resolve("no/such/folder/out.safetensors");
    Result r = run("exec", RES.resolve("mlp_softmax.mlir").toString(), "--input", "x=" + in + "#a0",
        "--input", "w=" + in + "#a1", "--input", "b=" + in + "#a2", "--output", out.toString());
    assertEquals(2, r.rc(), r.err());
    assertTrue(r.err().contains("does not exist"), r.err());
    assertFalse(r.err().contains("ran "), "ran before failing: " + r.err());
    Result att = run("attention", "run", "--mechanism", "vanilla", "--input", "q=" + in + "#a0,k=a,v=b",
        "--output", out.toString());
    assertEquals(2, att.rc(), att.err());
    assertTrue(att.err().contains("does not exist"), att.err());
    Result dir = run("exec", RES.resolve("mlp_softmax.mlir").toString(), "--output", tmp.toString());
    assertEquals(2, dir.rc(), dir.err());
    assertTrue(dir.err().contains("is a folder"), dir.err());
  }

  @Test
  void aWrongInputTypeNamesTheFileWithoutNull() throws Exception {
    Path x = tmp.resolve("x.safetensors");
    Safetensors.write(x, Map.of("x", HostTensor.of(new float[] {1, 2, 3, 4}, 4)));
    Path in = RES.resolve("mlp_softmax.in.safetensors");
    Result r = run("exec", RES.resolve("mlp_softmax.mlir").toString(), "--input", "x=" + x,
        "--input", "w=" + in + "#a1", "--input", "b=" + in + "#a2");
    assertEquals(2, r.rc(), r.err());
    assertTrue(r.err().contains("from " + x), r.err());
    assertFalse(r.err().contains(":null"), r.err());
  }

  @Test
  void randomBytesAreNamedForWhatTheyAreNot() throws Exception {
    byte[] junk = new byte[64];
    new Random(3).nextBytes(junk);
    junk[0] = (byte) 0xC3; // a UTF-8 lead byte followed by a non-continuation byte
    junk[1] = 0x41;
    Path mlir = tmp.resolve("junk.mlir");
    Files.write(mlir, junk);
    Result r = run("exec", mlir.toString());
    assertEquals(2, r.rc(), r.err());
    assertTrue(r.err().contains("is not a StableHLO text module: byte 0 is not UTF-8 text"), r.err());
    assertFalse(r.err().contains("Input length"), r.err());

    Path x4j = tmp.resolve("junk.x4j");
    Files.write(x4j, junk);
    Result a = run("exec", x4j.toString());
    assertEquals(2, a.rc(), a.err());
    assertTrue(a.err().contains("is not a .x4j compiled-program artifact"), a.err());

    byte[] body = junk.clone();
    body[4] = 'X';
    body[5] = '4';
    body[6] = 'J';
    body[7] = '1';
    Path corrupt = tmp.resolve("corrupt.x4j");
    Files.write(corrupt, body);
    Result c = run("exec", corrupt.toString());
    assertEquals(2, c.rc(), c.err());
    assertTrue(c.err().contains("corrupt xla4j compiled-program artifact"), c.err());
    assertFalse(c.err().contains("IndexOutOfBounds"), c.err());
  }
}
