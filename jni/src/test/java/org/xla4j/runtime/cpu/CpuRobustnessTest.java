package org.xla4j.runtime.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.xla4j.runtime.CompileException;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.XlaException;

/**
 * What used to kill, hang or bloat the process on the CPU backend (issue 8, items 1, 2, 17): a deep
 * dependency chain, a program that never ends on zeros, a program whose run needs more memory than
 * exists, and idle native threads per compiled program.
 */
class CpuRobustnessTest {
  static final CompileOptions OPTS = CompileOptions.defaults();

  /**
   * {@code x = x + y}, {@code n} times, in generic form. y is an argument, not a constant, so XLA
   * cannot fold the chain (it reassociates {@code (x + 1) + 1} into {@code x + 2}).
   */
  static String chain(int n) {
    String t = "tensor<8xf32>";
    StringBuilder sb = new StringBuilder("module @chain {\n  func.func public @main(%arg0: " + t + ", %arg1: " + t
        + ") -> " + t + " {\n");
    String prev = "%arg0";
    for (int i = 0; i < n; i++) {
      sb.append("    %").append(i).append(" = \"stablehlo.add\"(").append(prev).append(", %arg1) : (").append(t)
          .append(", ").append(t).append(") -> ").append(t).append('\n');
      prev = "%" + i;
    }
    return sb.append("    \"func.return\"(").append(prev).append(") : (").append(t).append(") -> ()\n  }\n}\n").toString();
  }

  /**
   * Deeper than the ~1,400 ops that overflowed the default thread stack (SIGSEGV, JVM gone). Measured
   * on the 2-core build machine: 5,000 ops compile in ~7 s, 20,000 in ~20 s, 50,000 in ~260 s (XLA's
   * own passes grow faster than linearly), so the test stays at 5,000.
   */
  @Test
  void deepChainCompilesAndRunsOnTheCallersSmallStack() throws Exception {
    int n = 5_000;
    String text = chain(n);
    float[] ones = new float[8];
    java.util.Arrays.fill(ones, 1f);
    // a 512 KiB caller stack: the native work must not run on it
    CompletableFuture<float[]> f = new CompletableFuture<>();
    Thread small = new Thread(null, () -> {
      try (CpuBackend cpu = new CpuBackend(); Executable exe = cpu.compile(text, OPTS)) {
        float[] first = exe.execute(HostTensor.of(new float[8], 8), HostTensor.of(ones, 8)).get(0).toFloatArray();
        // later runs stay on this small stack: running compiled code must not recurse along the chain
        float[] again = exe.execute(HostTensor.of(new float[8], 8), HostTensor.of(ones, 8)).get(0).toFloatArray();
        assertEquals(first[0], again[0]);
        f.complete(first);
      } catch (Throwable e) {
        f.completeExceptionally(e);
      }
    }, "small-stack", 512 << 10);
    small.start();
    float[] got = f.get(300, TimeUnit.SECONDS);
    for (float v : got) assertEquals(n, v, 0f, "x + n*1 from x = 0, exact in f32");
  }

  static final String DOUBLE_UNTIL_100 = """
      module @doubling {
        func.func public @main(%arg0: tensor<f32>) -> tensor<f32> {
          %c = "stablehlo.constant"() <{value = dense<1.000000e+02> : tensor<f32>}> : () -> tensor<f32>
          %0 = "stablehlo.while"(%arg0) ({
          ^bb0(%x: tensor<f32>):
            %p = "stablehlo.compare"(%x, %c) <{comparison_direction = #stablehlo<comparison_direction LT>}> : (tensor<f32>, tensor<f32>) -> tensor<i1>
            "stablehlo.return"(%p) : (tensor<i1>) -> ()
          }, {
          ^bb0(%x: tensor<f32>):
            %d = "stablehlo.add"(%x, %x) : (tensor<f32>, tensor<f32>) -> tensor<f32>
            "stablehlo.return"(%d) : (tensor<f32>) -> ()
          }) : (tensor<f32>) -> tensor<f32>
          "func.return"(%0) : (tensor<f32>) -> ()
        }
      }
      """;

  /** {@code while x < 100: x = x + x} never ends from x = 0: compile must not run it. */
  @Test
  void compileDoesNotRunTheProgram() throws Exception {
    try (CpuBackend cpu = new CpuBackend()) {
      CompletableFuture<Executable> f = CompletableFuture.supplyAsync(() -> cpu.compile(DOUBLE_UNTIL_100, OPTS));
      Executable exe = f.get(60, TimeUnit.SECONDS); // before: never returned (and spun a core)
      assertEquals(128f, exe.execute(HostTensor.scalar(1f)).get(0).toFloatArray()[0]);
      exe.close();
    }
  }

  /** Its result alone is 4 TiB: the run runs out of memory, the compile must not. */
  static final String FOUR_TIB = """
      module @huge {
        func.func public @main(%arg0: tensor<f32>) -> tensor<1048576x1048576xf32> {
          %0 = "stablehlo.broadcast_in_dim"(%arg0) <{broadcast_dimensions = array<i64>}> : (tensor<f32>) -> tensor<1048576x1048576xf32>
          "func.return"(%0) : (tensor<1048576x1048576xf32>) -> ()
        }
      }
      """;

  @Test
  void outOfMemoryIsARunTimeErrorNotACompileError() {
    try (CpuBackend cpu = new CpuBackend(); Executable exe = cpu.compile(FOUR_TIB, OPTS)) {
      XlaException e = assertThrows(XlaException.class, () -> exe.execute(HostTensor.scalar(1f)));
      assertFalse(e instanceof CompileException, e.toString());
      assertEquals(XlaException.Code.RESOURCE_EXHAUSTED, e.code(), e.getMessage());
    }
  }

  /** A module that parses but that XLA cannot compile fails at the first run, as a CompileException. */
  @Test
  void xlaCompileFailureAtFirstRunIsACompileException() {
    String cudnnOnly = """
        module @m {
          func.func public @main(%arg0: tensor<2xf32>) -> tensor<2xf32> {
            %0 = "stablehlo.custom_call"(%arg0) <{api_version = 2 : i32, call_target_name = "__xla4j_no_such_target"}> : (tensor<2xf32>) -> tensor<2xf32>
            "func.return"(%0) : (tensor<2xf32>) -> ()
          }
        }
        """;
    try (CpuBackend cpu = new CpuBackend(); Executable exe = cpu.compile(cudnnOnly, OPTS)) {
      CompileException e = assertThrows(CompileException.class, () -> exe.execute(HostTensor.of(new float[2], 2)));
      assertTrue(e.getMessage().contains("__xla4j_no_such_target"), e.getMessage());
    }
  }

  static String addConstant(int k) {
    return "module @m {\n  func.func public @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {\n"
        + "    %c = \"stablehlo.constant\"() <{value = dense<" + k + ".0> : tensor<4xf32>}> : () -> tensor<4xf32>\n"
        + "    %0 = \"stablehlo.add\"(%arg0, %c) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>\n"
        + "    \"func.return\"(%0) : (tensor<4xf32>) -> ()\n  }\n}\n";
  }

  static int threads() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/task"))) {
      return (int) s.count();
    }
  }

  /**
   * Before: every compiled program held its own TF session, whose XLA compiler kept 10 idle threads
   * (40 programs: +400 threads). Now programs share a session per {@value SessionGroup#PROGRAMS_PER_SESSION}.
   */
  @Test
  void fortyProgramsDoNotGrowTheThreadCountPerProgram() throws IOException {
    try (CpuBackend cpu = new CpuBackend()) {
      cpu.compile(addConstant(-1), OPTS).execute(HostTensor.of(new float[4], 4)); // TF's own process-wide threads
      int before = threads();
      List<Executable> keep = new ArrayList<>();
      for (int k = 0; k < 40; k++) {
        Executable e = cpu.compile(addConstant(k), OPTS);
        assertEquals(k, e.execute(HostTensor.of(new float[4], 4)).get(0).toFloatArray()[2]);
        keep.add(e);
      }
      int grown = threads() - before;
      // 40 programs fill 3 sessions of 16: at most 3 x 10 compiler threads, plus a few large-stack workers
      assertTrue(grown <= 40, "40 programs added " + grown + " threads");
      keep.forEach(Executable::close);
    }
  }
}
