package org.xla4j.cli;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.xla4j.dsl.Graph;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.grok.Grok1;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.grok.Grok1Flops;
import org.xla4j.models.grok.WeightFormat;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.CompiledMemoryStats;
import org.xla4j.runtime.CostAnalysis;
import org.xla4j.runtime.Executable;
import org.xla4j.types.TensorType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code xla4j model compile}: builds a preset's whole forward program with every parameter as an
 * argument (no weights are read or made) and compiles it, never executing. Prints, one {@code key: value}
 * a line on stdout: emit time and text size, compile time, parameter count and bytes, analytic FLOPs per
 * token ({@link Grok1Flops}) and, where the backend reports them, XLA's cost-analysis FLOPs and compiled
 * memory statistics. Progress of the long steps goes to stderr ({@link Progress}: on a terminal only).
 *
 * <pre>
 * ./xla4j model compile --preset grok-1 --backend pjrt --batch 1 --seq 8 --moe dropless
 * </pre>
 */
@Command(name = "compile", mixinStandardHelpOptions = true,
    description = "Build a preset model's forward program (parameters as arguments) and compile it; print sizes, times, FLOPs.")
final class ModelCompileCommand implements Callable<Integer> {
  @Option(names = "--preset", required = true, paramLabel = "grok-1|tiny-grok", description = "The model preset.")
  String preset;

  @Option(names = "--backend", defaultValue = "cpu", paramLabel = "cpu|pjrt[:PLUGIN]", description = "Backend (default: ${DEFAULT-VALUE}).")
  String backend;

  @Option(names = "--batch", defaultValue = "1", description = "Batch size B (default: ${DEFAULT-VALUE}).")
  long batch;

  @Option(names = "--seq", defaultValue = "8", description = "Sequence length T (default: ${DEFAULT-VALUE}).")
  long seq;

  @Option(names = "--moe", defaultValue = "dense", paramLabel = "auto|dense|dropless|capacity|few-tokens",
      description = "MoE implementation; auto: the measured pick for the shape and backend (default: ${DEFAULT-VALUE}).")
  String moe;

  @Option(names = "--mechanism", defaultValue = "vanilla", paramLabel = "vanilla|blockwise|cudnn",
      description = "Attention mechanism (default: ${DEFAULT-VALUE}).")
  String mechanism;

  @Option(names = "--weights", defaultValue = "bf16", paramLabel = "bf16|int8", description = "Weight format (default: ${DEFAULT-VALUE}).")
  String weights;

  @Option(names = "--no-compile", description = "Only build and print the program (emit figures, sizes, FLOPs).")
  boolean noCompile;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Grok1Config base = switch (preset) {
      case "grok-1" -> Grok1Config.full();
      case "tiny-grok" -> Grok1Config.tiny();
      default -> throw new IllegalArgumentException("unknown --preset '" + preset + "'; available: grok-1, tiny-grok");
    };
    OptionChecks.positive(spec, "--batch", batch);
    OptionChecks.positive(spec, "--seq", seq);
    Grok1Config c = base.withWeightFormat(LogitsCommand.parseEnum(WeightFormat.class, weights, "--weights"));
    MoeImplementation impl = LogitsCommand.parseEnum(MoeImplementation.class, moe, "--moe");
    Mechanism mech = LogitsCommand.parseEnum(Mechanism.class, mechanism, "--mechanism");
    PrintStream out = System.out;
    long count = 0;
    long bytes = 0;
    for (TensorType t : c.parameterTypes().leaves()) {
      count += t.numElements();
      bytes += t.byteSize();
    }
    Grok1Flops f = Grok1Flops.perToken(c, seq);
    out.println("preset: " + preset + " (" + c.numLayers() + " layers, D " + c.embeddingSize() + ", " + c.numExperts()
        + " experts top-" + c.numSelectedExperts() + ", FFN " + c.ffnSize() + ", vocab " + c.vocabSize() + ")");
    out.println("shape: batch " + batch + " seq " + seq + ", moe " + impl.name().toLowerCase(Locale.ROOT) + ", mechanism "
        + mech.name().toLowerCase(Locale.ROOT) + ", weights " + c.weightFormat().name().toLowerCase(Locale.ROOT));
    out.println("parameters: " + count);
    out.println("parameter_bytes: " + bytes);
    out.printf(Locale.ROOT, "flops_per_token: %d (attention projections %d, attention scores %d, router %d, experts %d, lm head %d)%n",
        f.total(), f.attentionProjections(), f.attentionScores(), f.router(), f.experts(), f.lmHead());
    // the compile-only figures must not come from (or leave) a compile-cache entry
    String cacheSetting = System.getProperty("xla4j.cache");
    System.setProperty("xla4j.cache", "off");
    try (Backend be = Backends.open(backend)) {
      out.println("backend: " + be + " (platform " + be.platformName() + ")");
      Grok1.Options o = new Grok1.Options(MoeOptions.builder().implementation(impl).platform(be.platformName()).build(),
          mech, QuantMode.DEQUANTIZE);
      Emitted e = emit(c, o);
      out.println(e.timing());
      Program p = e.program();
      String text = p.text();
      out.println("text_chars: " + text.length());
      if (noCompile) return 0;
      Progress compiling = Progress.stage("compile on " + be.platformName() + " (compile only)");
      long t4 = System.nanoTime();
      try (Executable exe = be.compile(p)) {
        long t5 = System.nanoTime();
        compiling.close();
        out.printf(Locale.ROOT, "compile_s: %.2f%n", (t5 - t4) / 1e9);
        exe.costAnalysis().ifPresentOrElse(ca -> report(out, ca, batch * seq),
            () -> out.println("xla_flops: (not reported by this backend)"));
        exe.compiledMemoryStats().ifPresentOrElse(m -> report(out, m),
            () -> out.println("memory: (not reported by this backend)"));
      } finally {
        compiling.close();
      }
    } finally {
      if (cacheSetting == null) System.clearProperty("xla4j.cache");
      else System.setProperty("xla4j.cache", cacheSetting);
    }
    return 0;
  }

  /** The program built and printed (its text kept by the Program), with the emit timing line. */
  private record Emitted(Program program, String timing) {}

  private Emitted emit(Grok1Config c, Grok1.Options o) {
    try (Progress _ = Progress.stage("emit " + c.numLayers() + " layers")) {
      // this thread's CPU time beside the wall clock: on a shared machine the wall clock also counts waiting
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      long c0 = mx.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      Graph g = new Graph(preset.replace('-', '_'));
      Grok1.Output r = Grok1.build(g, c, batch, seq, o);
      long t1 = System.nanoTime();
      Program p = g.program(r.logits());
      long t2 = System.nanoTime();
      p.text();
      long t3 = System.nanoTime();
      long c3 = mx.getCurrentThreadCpuTime();
      return new Emitted(p, String.format(Locale.ROOT,
          "emit_s: %.2f (build %.2f, module %.2f, print %.2f; this thread's CPU %.2f)", (t3 - t0) / 1e9,
          (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (c3 - c0) / 1e9));
    }
  }

  private static void report(PrintStream out, CostAnalysis ca, long tokens) {
    if (ca.flops().isPresent()) {
      double fl = ca.flops().getAsDouble();
      out.printf(Locale.ROOT, "xla_flops: %.6g (%.6g per token)%n", fl, fl / tokens);
    } else {
      out.println("xla_flops: (absent from the cost analysis)");
    }
    ca.bytesAccessed().ifPresent(b -> out.printf(Locale.ROOT, "xla_bytes_accessed: %.6g%n", b));
  }

  private static void report(PrintStream out, CompiledMemoryStats m) {
    out.printf(Locale.ROOT, "memory: arguments %d, outputs %d, aliased %d, temp %d, generated code %d, peak %d, device bytes needed %d%n",
        m.arguments(), m.outputs(), m.aliased(), m.temp(), m.generatedCode(), m.peak(), m.deviceBytesNeeded());
  }
}
