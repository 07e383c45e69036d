package org.xla4j.readme;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.OpException;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Keeps README's DSL example and error example true: the code between the markers below is the code
 * README shows (checked line by line), it runs, and its result is checked against plain Java; the error
 * README quotes is the one the DSL throws, up to the call site.
 */
class ReadmeExampleTest {
  static final Path README = Path.of("..", "README.md");

  @Test
  void theDslExampleRunsAndGivesSoftmaxOfXW() {
    float[] y;
    // README example begins
    Graph g = new Graph("softmax_xw");
    Tensor x = g.parameter("x", TensorType.of(DType.F32, 2, 3));
    Tensor w = g.parameter("w", TensorType.of(DType.F32, 3, 4));
    Program prog = g.program(x.matmul(w).softmax(-1));     // fluent ops, NumPy broadcasting, jnp names
    System.out.println(prog.text());                        // the StableHLO that gets compiled

    try (Backend cpu = Backends.open("cpu");                // Backends.open("pjrt") on a GPU machine
         Executable exe = cpu.compile(prog)) {
      HostTensor xs = HostTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
      HostTensor ws = HostTensor.of(new float[] {1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1}, 3, 4);
      y = exe.execute(xs, ws).get(0).toFloatArray();       // 2 rows of 4 probabilities
    }
    // README example ends
    float[][] xv = {{1, 2, 3}, {4, 5, 6}};
    float[][] wv = {{1, 0, 0, 1}, {0, 1, 0, 1}, {0, 0, 1, 1}};
    float[] want = new float[8];
    for (int i = 0; i < 2; i++) {
      double[] z = new double[4];
      double sum = 0;
      for (int j = 0; j < 4; j++) {
        for (int k = 0; k < 3; k++) z[j] += xv[i][k] * wv[k][j];
      }
      double max = java.util.Arrays.stream(z).max().orElseThrow();
      for (int j = 0; j < 4; j++) sum += Math.exp(z[j] - max);
      for (int j = 0; j < 4; j++) want[i * 4 + j] = (float) (Math.exp(z[j] - max) / sum);
    }
    assertArrayEquals(want, y, 1e-6f, "f32 softmax(x·w) against plain Java");
  }

  @Test
  void readmeShowsTheExampleVerbatim() throws IOException {
    List<String> src = Files.readAllLines(Path.of("src/test/java/org/xla4j/readme/ReadmeExampleTest.java"));
    int from = src.indexOf("    // README example begins") + 1;
    int to = src.indexOf("    // README example ends");
    String readme = Files.readString(README);
    for (String line : src.subList(from, to)) {
      String l = line.length() >= 4 ? line.substring(4) : line.strip();
      assertTrue(readme.contains(l), "README.md lacks the example line: " + l);
    }
  }

  @Test
  void readmeQuotesTheErrorTheDslThrows() throws IOException {
    Graph g = new Graph("bad");
    Tensor x = g.parameter("x", TensorType.of(DType.F32, 4, 8));
    Tensor w = g.parameter("w", TensorType.of(DType.F32, 9, 16));
    OpException e = assertThrows(OpException.class, () -> x.matmul(w));
    String msg = e.getMessage();
    assertTrue(msg.contains("ReadmeExampleTest.java:"), "the message names the caller's line: " + msg);
    String shown = msg.replaceAll("\\(at .*\\)$", "(at Model.forward(Model.java:42))");
    String readme = Files.readString(README);
    assertTrue(readme.contains(shown), "README.md should quote the DSL's error as it is printed now:\n" + shown);
    assertEquals(1, readme.lines().filter(s -> s.contains("(at Model.forward(Model.java:42))")).count());
  }
}
