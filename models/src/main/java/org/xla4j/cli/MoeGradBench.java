package org.xla4j.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.cli.MoeBench.Settings;
import org.xla4j.cli.MoeBench.Timing;
import org.xla4j.cli.MoeBench.Variant;
import org.xla4j.cli.MoeBenchPrograms.Shape;
import org.xla4j.cli.MoeBenchPrograms.WeightsKind;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.moe.Moe;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.moe.MoeWeights;
import org.xla4j.models.quant.Weight;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.CompiledMemoryStats;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/**
 * {@code xla4j bench moe-grad}: the gradient of the MoE layer (of {@code mean(f32(y)²)} with respect to x, the
 * router and the three expert matrices) for each implementation {@code bench moe} would run (bf16 weights only:
 * int8 weights are not differentiated), twice: through the implementation's custom backward and through autodiff
 * of its forward ops ({@link Moe#withForwardAutodiff}). Per row: compile time, time per call (timed as {@code
 * bench moe} times), XLA's temp memory where the backend reports it, and the largest relative L2 difference of a
 * gradient leaf against DENSE's gradient.
 */
final class MoeGradBench {
  private MoeGradBench() {}

  static void run(Backend b, Settings s, PrintStream out) {
    Shape sh = s.shape();
    out.printf(Locale.ROOT, "bench moe-grad on %s (%s): %s, bf16 x and experts, f32 router; d mean(f32(y)^2) / d"
        + " (x, router, linear, linear_v, linear_1); %d runs%n", b.platformName(), b.platformVersion(), sh, s.runs());
    List<Variant> variants = MoeBench.variants(s, b.platform(), b.platformName()).stream()
        .filter(v -> v.weights() == MoeBench.Weights.BF16 && !v.minorLayout()).toList();
    List<DeviceBuffer> in;
    try (Executable exe = b.compile(MoeBenchPrograms.inputs(sh, WeightsKind.BF16, s.seed()))) {
      in = exe.executeBuffers(List.of());
      in.forEach(DeviceBuffer::awaitReady);
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    try {
      List<float[]> reference = null;
      for (Variant v : variants) {
        boolean dense = v.options().implementation() == MoeImplementation.DENSE;
        for (boolean forward : dense ? List.of(true) : List.of(false, true)) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("who", "xla4j");
          row.put("what", "moe-grad");
          row.put("platform", b.platformName());
          row.put("variant", v.label());
          row.put("backward", dense ? "autodiff (reference)" : forward ? "autodiff of the forward" : "custom");
          row.put("T", sh.tokens());
          row.put("D", sh.model());
          row.put("F", sh.hidden());
          row.put("E", sh.experts());
          row.put("K", sh.topK());
          List<float[]> grads = measure(b, s, v, forward, in, row);
          if (grads != null) {
            if (reference == null && dense) reference = grads;
            if (reference != null) row.put("max_rel_l2_vs_dense", maxRelL2(grads, reference));
          }
          rows.add(row);
          out.println("JSON " + MoeBench.json(row));
          out.printf(Locale.ROOT, "%-58s %-24s %s%n", v.label(), row.get("backward"), summary(row));
          out.flush();
        }
      }
    } finally {
      in.forEach(DeviceBuffer::close);
    }
  }

  private static List<float[]> measure(Backend b, Settings s, Variant v, boolean forward, List<DeviceBuffer> in,
      Map<String, Object> row) {
    try {
      Program p = program(s.shape(), v.options(), forward);
      long t0 = System.nanoTime();
      try (Executable exe = b.compile(p, CompileOptions.builder().debugOptions(v.debug()).build())) {
        row.put("compile_s", (System.nanoTime() - t0) / 1e9);
        Timing t = MoeBench.time(exe, in, s.runs());
        row.put("ms", t.medianMs());
        row.put("min_ms", t.minMs());
        exe.compiledMemoryStats().map(CompiledMemoryStats::temp).ifPresent(m -> row.put("temp_bytes", m));
        List<DeviceBuffer> r = exe.executeBuffers(in);
        try {
          List<float[]> g = new ArrayList<>();
          for (DeviceBuffer d : r) g.add(d.toHost().toFloatArray());
          return g;
        } finally {
          r.forEach(DeviceBuffer::close);
        }
      }
    } catch (RuntimeException e) {
      // one variant failing (memory, an unsupported op) must not cost the rest
      String m = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      row.put("error", e.getClass().getSimpleName() + ": " + (m.length() > 300 ? m.substring(0, 300) + "..." : m));
      return null;
    }
  }

  /** The gradient program: inputs in {@code bench moe}'s order (x, router, linear, linear_v, linear_1). */
  static Program program(Shape s, MoeOptions o, boolean forwardAutodiff) {
    Graph g = new Graph("moe_grad_" + o.implementation().name().toLowerCase(Locale.ROOT));
    Tensor x = g.parameter(DType.BF16, s.tokens(), s.model());
    Tensor router = g.parameter(DType.F32, s.model(), s.experts());
    Tensor w = g.parameter(DType.BF16, s.experts(), s.model(), s.hidden());
    Tensor v = g.parameter(DType.BF16, s.experts(), s.model(), s.hidden());
    Tensor w1 = g.parameter(DType.BF16, s.experts(), s.hidden(), s.model());
    Tree<Tensor> params = Tree.of(Map.of("x", x, "router", router, "linear", w, "linear_v", v, "linear_1", w1));
    Supplier<Tree<Tensor>> grad = () -> Autodiff.grad(t -> Moe.apply(o, t.get("x"), new MoeWeights(t.get("router"),
        Weight.of(t.get("linear")), Weight.of(t.get("linear_v")), Weight.of(t.get("linear_1")))).output()
        .astype(DType.F32).square().mean()).apply(params);
    Tree<Tensor> r = forwardAutodiff ? Moe.withForwardAutodiff(grad) : grad.get();
    return g.program(r.leaves().toArray(Tensor[]::new));
  }

  private static double maxRelL2(List<float[]> g, List<float[]> ref) {
    double worst = 0;
    for (int i = 0; i < g.size(); i++) worst = Math.max(worst, MoeBench.relL2(g.get(i), ref.get(i)));
    return worst;
  }

  private static String summary(Map<String, Object> row) {
    if (row.containsKey("error")) return "error: " + row.get("error");
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%9.3f ms  compile %6.2f s", row.get("ms"),
        row.get("compile_s")));
    if (row.get("temp_bytes") instanceof Long t) sb.append(String.format(Locale.ROOT, "  temp %,d B", t));
    if (row.get("max_rel_l2_vs_dense") instanceof Double d) sb.append(String.format(Locale.ROOT, "  rel L2 vs dense %.2e", d));
    return sb.toString();
  }
}
