package org.xla4j.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;

/**
 * A DSL program whose dependency chain is far deeper than the ~1,400 ops that used to overflow the
 * native stack and kill the JVM (issue 8, item 1), built, printed, compiled and run from a thread
 * with a 512 KiB stack. Sizes measured on the 2-core build machine (compile time): 5,000 ops 7 s,
 * 20,000 ops 20 s, 50,000 ops 260 s (XLA's passes), hence 10,000 here.
 */
class DeepProgramTest {
  @Test
  void tenThousandChainedAddsBuildCompileAndRun() throws Exception {
    int n = 10_000;
    CompletableFuture<float[]> f = new CompletableFuture<>();
    Thread small = new Thread(null, () -> {
      try {
        Graph g = new Graph("chain");
        Tensor x = g.parameter(DType.F32, 8);
        Tensor y = g.parameter(DType.F32, 8); // an argument, so XLA cannot fold the chain into one add
        for (int i = 0; i < n; i++) x = x.add(y);
        String text = StableHloPrinter.print(g.build(x), EmitOptions.unsharded());
        float[] ones = new float[8];
        Arrays.fill(ones, 1f);
        try (Backend cpu = Backends.open("cpu"); Executable exe = cpu.compile(text, CompileOptions.defaults())) {
          f.complete(exe.execute(HostTensor.of(new float[8], 8), HostTensor.of(ones, 8)).get(0).toFloatArray());
        }
      } catch (Throwable e) {
        f.completeExceptionally(e);
      }
    }, "small-stack", 512 << 10);
    small.start();
    float[] got = f.get(300, TimeUnit.SECONDS);
    for (float v : got) assertEquals(n, v, 0f, "0 + n * 1, exact in f32");
  }
}
