package org.xla4j.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xla4j.cli.MoeBenchPrograms.Shape;
import org.xla4j.cli.MoeBenchPrograms.WeightsKind;
import org.xla4j.models.moe.FewTokensForm;
import org.xla4j.models.moe.MoeAutoTable;
import org.xla4j.models.moe.MoeCost;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.CompiledMemoryStats;
import org.xla4j.runtime.CostAnalysis;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.Platform;

/**
 * {@code xla4j bench moe}: the MoE layer's implementations timed on one backend at one shape, each against the
 * floor of {@link MoeCost} (useful FLOPs over the matmul peak, fewest bytes over the copy bandwidth, both
 * measured here unless given), with the dropped fraction, the error against DENSE on the same inputs, and the
 * weight-sized buffers XLA writes (a few-token path must write none). Inputs are made on the device.
 *
 * <p>Timing as {@code scripts/moe_jax.py} does it: inputs resident on the device; two warm-up calls; then
 * {@code runs} runs of {@code iters} calls queued and one wait for the last, the run's time / iters
 * (iters sized so a run takes about 50 ms); the median over runs.
 */
final class MoeBench {
  private MoeBench() {}

  /** Whether a flag's variants run with it off, on, or both. */
  enum Toggle {
    OFF, ON, BOTH;

    List<Boolean> settings() {
      return switch (this) {
        case OFF -> List.of(false);
        case ON -> List.of(true);
        case BOTH -> List.of(false, true);
      };
    }
  }

  /** How the weights are stored and where int8 scales apply. */
  enum Weights {
    BF16(WeightsKind.BF16, QuantMode.DEQUANTIZE), INT8_DEQUANTIZE(WeightsKind.INT8, QuantMode.DEQUANTIZE),
    INT8_SCALE_AFTER(WeightsKind.INT8, QuantMode.SCALE_AFTER);

    final WeightsKind kind;
    final QuantMode quant;

    Weights(WeightsKind kind, QuantMode quant) {
      this.kind = kind;
      this.quant = quant;
    }

    String label() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }
  }

  /** Which implementations, by their CLI names: dense, dropless, dropless-tiles, capacity, capacity-checked, few-tokens, auto. */
  static final List<String> IMPLS = List.of("dense", "dropless", "dropless-tiles", "capacity", "capacity-checked",
      "few-tokens", "auto");

  /** 'all' runs few-tokens only up to this many token copies (it runs one row per copy). */
  static final long ALL_FEW_TOKENS_MAX_COPIES = 64;

  /**
   * 'all' leaves out the gather form where its gathered copy of weights ({@code N·K·3·D·F} elements) would pass
   * this many bytes: at Grok-1's layer and T 32 it would be 77 GB of the H200's 141.
   */
  static final double ALL_GATHER_MAX_BYTES = 16e9;

  /** 'all' runs the reduce form only up to this many tokens (one unrolled reduction chain per copy: decode). */
  static final long ALL_REDUCE_MAX_TOKENS = 4;

  static final String RAGGED_FUSION = "xla_gpu_experimental_use_ragged_dot_fusion";
  static final String SLICE_FUSION = "xla_gpu_enable_dynamic_slice_fusion";

  /** Everything the command was given, checked. peakTflops/bandwidthGbs 0: measure here. */
  record Settings(Shape shape, List<String> impls, List<Double> capacityFactors, List<Integer> tileSizes,
      Toggle raggedFusion, Toggle sliceFusion, List<MoeBenchForm> fewTokens, List<Weights> weights,
      Map<String, String> xlaFlags, double peakTflops, double bandwidthGbs, int runs, long seed) {}

  /**
   * One compiled-and-timed configuration; {@code minorLayout}: the experts' weights stored with the contraction axis
   * minor and transposed back in the program ({@link MoeBenchForm#REDUCE_MINOR}).
   */
  record Variant(String impl, String label, Weights weights, MoeOptions options, Map<String, String> debug,
      boolean minorLayout) {}

  record Timing(double medianMs, double minMs, int iters) {}

  /** The variants the settings ask for on this platform, DENSE first for each weights kind (the reference). */
  static List<Variant> variants(Settings s, Platform platform, String platformName) {
    boolean cpu = platform == Platform.CPU;
    List<String> impls = new ArrayList<>();
    boolean all = s.impls().contains("all");
    for (String i : all ? IMPLS : s.impls()) {
      if (all && i.equals("dropless-tiles") && cpu) continue;          // on the CPU, dropless is the tiled form
      if (all && i.equals("few-tokens") && s.shape().tokens() * s.shape().topK() > ALL_FEW_TOKENS_MAX_COPIES) continue;
      if (!impls.contains(i)) impls.add(i);
    }
    impls.sort((a, b) -> Boolean.compare(!a.equals("dense"), !b.equals("dense")));
    List<Variant> out = new ArrayList<>();
    for (Weights w : s.weights()) {
      MoeOptions base = MoeOptions.builder().topK(s.shape().topK()).platform(platformName).quant(w.quant).build();
      for (String i : impls) {
        switch (i) {
          case "dense" -> out.add(v(s, i, "dense", w, base.withImplementation(MoeImplementation.DENSE), Map.of()));
          case "dropless" -> {
            MoeOptions o = base.toBuilder().implementation(MoeImplementation.DROPLESS).raggedDot(!cpu).build();
            if (cpu) {
              for (int m : s.tileSizes()) {
                out.add(v(s, i, "dropless (tiled" + tile(m) + "; no ragged_dot on this CPU XLA)", w,
                    o.toBuilder().tileSize(m).build(), Map.of()));
              }
            } else {
              for (boolean on : s.raggedFusion().settings()) {
                out.add(v(s, i, "dropless ragged_dot, cuDNN fusion " + (on ? "on" : "off"), w, o,
                    Map.of(RAGGED_FUSION, Boolean.toString(on))));
              }
            }
          }
          case "dropless-tiles" -> {
            // each loop step slices one expert's weights: the same question as few-tokens' slices
            for (int m : s.tileSizes()) {
              MoeOptions o = base.toBuilder().implementation(MoeImplementation.DROPLESS).raggedDot(false).tileSize(m).build();
              for (boolean on : s.sliceFusion().settings()) {
                out.add(v(s, i, "dropless tiled" + tile(m) + ", dynamic-slice fusion " + (on ? "on" : "off"), w, o,
                    Map.of(SLICE_FUSION, Boolean.toString(on))));
              }
            }
          }
          case "capacity" -> {
            for (double cf : s.capacityFactors()) {
              out.add(v(s, i, String.format(Locale.ROOT, "capacity cf %.2f", cf), w,
                  base.toBuilder().implementation(MoeImplementation.CAPACITY).capacityFactor(cf).build(), Map.of()));
            }
          }
          case "capacity-checked" -> {
            // its dropless branch is the tiled form (first --tile-size), sliced like dropless-tiles: with
            // --dynamic-slice-fusion on, compiled with the flag as those are
            boolean fusion = !cpu && s.sliceFusion() == Toggle.ON;
            for (double cf : s.capacityFactors()) {
              out.add(v(s, i, String.format(Locale.ROOT, "capacity-checked cf %.2f", cf)
                  + (fusion ? ", dynamic-slice fusion on" : ""), w,
                  base.toBuilder().implementation(MoeImplementation.CAPACITY_CHECKED).capacityFactor(cf)
                      .tileSize(s.tileSizes().get(0)).build(), fusion ? Map.of(SLICE_FUSION, "true") : Map.of()));
            }
          }
          case "few-tokens" -> {
            for (MoeBenchForm bf : s.fewTokens()) {
              FewTokensForm f = bf.form;
              if (all && f == FewTokensForm.GATHER && gatherBytes(s.shape(), w) > ALL_GATHER_MAX_BYTES) continue;
              if (all && f == FewTokensForm.REDUCE && s.shape().tokens() > ALL_REDUCE_MAX_TOKENS) continue;
              MoeOptions o = base.toBuilder().implementation(MoeImplementation.FEW_TOKENS).fewTokens(f).build();
              String name = "few-tokens " + bf.label();
              if (bf == MoeBenchForm.GATHER_SLICE_FUSION) {
                out.add(v(s, i, name, w, o, Map.of(SLICE_FUSION, "true")));
              } else if (bf == MoeBenchForm.REDUCE_MINOR) {
                out.add(v(s, i, name, w, o, Map.of(), true));
              } else if (cpu || f == FewTokensForm.GATHER || f == FewTokensForm.REDUCE) {
                // the dynamic-slice fusion flag concerns slices feeding dots: gather and reduce have none
                out.add(v(s, i, name, w, o, Map.of()));
              } else {
                for (boolean on : s.sliceFusion().settings()) {
                  out.add(v(s, i, name + ", dynamic-slice fusion " + (on ? "on" : "off"), w, o,
                      Map.of(SLICE_FUSION, Boolean.toString(on))));
                }
              }
            }
          }
          case "auto" -> out.add(v(s, i, "auto (" + autoPick(s.shape(), platformName) + ")", w,
              base.withImplementation(MoeImplementation.AUTO), Map.of()));
          default -> throw new IllegalArgumentException("bench moe: unknown implementation '" + i + "'; use one of "
              + IMPLS + " or all");
        }
      }
    }
    return out;
  }

  /** What AUTO runs at this shape on this platform, e.g. {@code dropless tile 512} (the table's pick, for the label). */
  static String autoPick(Shape sh, String platformName) {
    MoeAutoTable.Choice c = MoeAutoTable.choose(platformName, sh.tokens(), sh.model(), sh.hidden(), sh.experts(), sh.topK());
    String name = c.implementation().name().toLowerCase(Locale.ROOT).replace('_', '-');
    return switch (c.implementation()) {
      case FEW_TOKENS -> name + " " + c.fewTokens().name().toLowerCase(Locale.ROOT).replace('_', '-');
      case DROPLESS, CAPACITY_CHECKED -> name + (c.implementation() == MoeImplementation.CAPACITY_CHECKED
          ? ", fallback dropless" : "") + (c.raggedDot() && platformName != null && !platformName.equalsIgnoreCase("cpu")
          ? " ragged_dot" : c.tileSize() > 0 ? " tile " + c.tileSize() : " tile auto");
      case DENSE, CAPACITY, AUTO -> name;
    };
  }

  /** Bytes of the gather form's copy of the chosen experts' weights. */
  static double gatherBytes(Shape sh, Weights w) {
    return (double) sh.tokens() * sh.topK() * 3 * sh.model() * sh.hidden() * (w.kind == WeightsKind.BF16 ? 2 : 1);
  }

  private static String tile(int m) { return m == 0 ? "" : ", tile " + m; }

  private static Variant v(Settings s, String impl, String label, Weights w, MoeOptions o, Map<String, String> debug) {
    return v(s, impl, label, w, o, debug, false);
  }

  private static Variant v(Settings s, String impl, String label, Weights w, MoeOptions o, Map<String, String> debug,
      boolean minorLayout) {
    Map<String, String> d = new LinkedHashMap<>(s.xlaFlags());
    d.putAll(debug);
    return new Variant(impl, label + (w == Weights.BF16 ? "" : " [" + w.label() + "]"), w, o, d, minorLayout);
  }

  /** Runs every variant on {@code b} and prints a line and a {@code JSON} line for each, then a table. */
  static void run(Backend b, Settings s, PrintStream out) {
    Shape sh = s.shape();
    Platform platform = b.platform();
    out.printf(Locale.ROOT, "bench moe on %s (%s): %s, bf16 activations, %d runs%n", b.platformName(),
        b.platformVersion(), sh, s.runs());
    double peak = s.peakTflops() > 0 ? s.peakTflops() * 1e12 : measurePeak(b, platform, out);
    double bw = s.bandwidthGbs() > 0 ? s.bandwidthGbs() * 1e9 : measureBandwidth(b, platform, out);
    out.printf(Locale.ROOT, "ceilings: %.1f TFLOP/s bf16 matmul%s, %.1f GB/s copy (read + write)%s%n", peak / 1e12,
        s.peakTflops() > 0 ? " (given)" : " (measured)", bw / 1e9, s.bandwidthGbs() > 0 ? " (given)" : " (measured)");
    List<Variant> variants = variants(s, platform, b.platformName());
    if (s.impls().contains("all") && variants.stream().noneMatch(v -> v.impl().equals("few-tokens"))) {
      out.printf(Locale.ROOT, "(few-tokens left out: N·K = %d token copies > %d; ask for it with --impl few-tokens)%n",
          sh.tokens() * sh.topK(), ALL_FEW_TOKENS_MAX_COPIES);
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    for (WeightsKind kind : WeightsKind.values()) {
      List<Variant> mine = variants.stream().filter(v -> v.weights().kind == kind).toList();
      if (mine.isEmpty()) continue;
      List<DeviceBuffer> in = runInputs(b, MoeBenchPrograms.inputs(sh, kind, s.seed()));
      // the same values with the experts' weights stored contraction-minor, made once if a variant asks for them
      List<DeviceBuffer> minor = mine.stream().anyMatch(Variant::minorLayout)
          ? runInputs(b, MoeBenchPrograms.inputs(sh, kind, s.seed(), true)) : List.of();
      try {
        float[] reference = null;
        for (Variant v : mine) {
          Map<String, Object> row = measure(b, s, v, v.minorLayout() ? minor : in, reference, peak, bw);
          if (reference == null && v.impl().equals("dense") && row.get("output") instanceof float[] y) reference = y;
          row.remove("output");
          rows.add(row);
          out.println(line(row));
          out.println("JSON " + json(row));
          out.flush();
        }
      } finally {
        in.forEach(DeviceBuffer::close);
        minor.forEach(DeviceBuffer::close);
      }
    }
    out.println();
    out.println(table(rows));
  }

  private static Map<String, Object> measure(Backend b, Settings s, Variant v, List<DeviceBuffer> in, float[] reference,
      double peak, double bw) {
    Shape sh = s.shape();
    MoeCost cost = v.weights().kind == WeightsKind.BF16
        ? MoeCost.bf16(sh.tokens(), sh.model(), sh.hidden(), sh.experts(), sh.topK())
        : MoeCost.int8(sh.tokens(), sh.model(), sh.hidden(), sh.experts(), sh.topK());
    double floorMs = cost.floorSeconds(peak, bw) * 1e3;
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("who", "xla4j");
    row.put("what", "moe");
    row.put("platform", b.platformName());
    row.put("impl", v.impl());
    row.put("variant", v.label());
    row.put("T", sh.tokens());
    row.put("D", sh.model());
    row.put("F", sh.hidden());
    row.put("E", sh.experts());
    row.put("K", sh.topK());
    row.put("weights", v.weights().label());
    row.put("xla_flags", v.debug().toString());
    row.put("useful_flops", cost.usefulFlops());
    row.put("min_bytes", cost.minBytes());
    row.put("floor_ms", floorMs);
    row.put("floor_bound", cost.memoryBound(peak, bw) ? "bytes" : "flops");
    try {
      Program p = MoeBenchPrograms.layer(sh, v.weights().kind, v.options(), v.minorLayout());
      long t0 = System.nanoTime();
      try (Executable exe = b.compile(p, CompileOptions.builder().debugOptions(v.debug()).build())) {
        row.put("compile_s", (System.nanoTime() - t0) / 1e9);
        Timing t = time(exe, in, s.runs());
        row.put("ms", t.medianMs());
        row.put("min_ms", t.minMs());
        row.put("iters", t.iters());
        row.put("useful_tflops", cost.usefulFlops() / (t.medianMs() * 1e-3) / 1e12);
        row.put("fraction_of_floor", floorMs / t.medianMs());
        List<DeviceBuffer> r = exe.executeBuffers(in);
        try {
          float[] y = r.get(0).toHost().toFloatArray();
          int dropped = r.get(1).toHost().toIntArray()[0];
          int[] experts = r.get(2).toHost().toIntArray();
          row.put("dropped_fraction", dropped / (double) (sh.tokens() * sh.topK()));
          row.put("fallback", r.get(3).toHost().toIntArray()[0]);
          routing(row, experts, sh);
          for (float f : y) {
            if (!Float.isFinite(f)) throw new IllegalStateException("the output has a non-finite value: " + f);
          }
          row.put("rel_l2_vs_dense", reference == null ? null : relL2(y, reference));
          row.put("output", y);
        } finally {
          r.forEach(DeviceBuffer::close);
        }
        compiled(row, exe, sh, cost);
      }
    } catch (RuntimeException e) {
      // one variant failing (an XLA without the flag, memory) must not cost the rest of the round
      String m = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      row.put("error", e.getClass().getSimpleName() + ": " + (m.length() > 300 ? m.substring(0, 300) + "..." : m));
    }
    return row;
  }

  /** Expert load: the busiest expert's copies over the mean, and how many experts were chosen at all. */
  private static void routing(Map<String, Object> row, int[] experts, Shape sh) {
    long[] load = new long[(int) sh.experts()];
    for (int e : experts) load[e]++;
    long max = Arrays.stream(load).max().orElse(0);
    row.put("max_load_over_mean", max / ((double) experts.length / sh.experts()));
    row.put("experts_touched", Arrays.stream(load).filter(c -> c > 0).count());
  }

  /** XLA's own view: temp bytes, cost analysis, and weight-sized buffers it writes. */
  private static void compiled(Map<String, Object> row, Executable exe, Shape sh, MoeCost cost) {
    exe.compiledMemoryStats().map(CompiledMemoryStats::temp).ifPresent(t -> {
      row.put("temp_bytes", t);
      row.put("temp_over_touched_weights", t / (cost.touchedExperts() * cost.expertBytes()));
    });
    exe.costAnalysis().ifPresent(c -> {
      c.flops().ifPresent(f -> row.put("xla_flops", f));
      c.bytesAccessed().ifPresent(f -> row.put("xla_bytes_accessed", f));
    });
    exe.optimizedHlo().ifPresent(h -> {
      List<String> w = HloWeightBuffers.find(h, sh.model(), sh.hidden());
      row.put("weight_sized_buffers", w.size());
      row.put("weight_sized_buffer_list", String.join("; ", w.subList(0, Math.min(6, w.size()))));
    });
  }

  /** Median and fastest ms per call (see the class comment). */
  static Timing time(Executable exe, List<DeviceBuffer> in, int runs) {
    for (int i = 0; i < 2; i++) closeAll(exe.executeBuffers(in));
    long t0 = System.nanoTime();
    closeAll(exe.executeBuffers(in));
    double est = (System.nanoTime() - t0) / 1e6;
    int iters = (int) Math.max(1, Math.min(200, Math.ceil(50 / Math.max(est, 1e-3))));
    double[] t = new double[runs];
    for (int r = 0; r < runs; r++) {
      List<List<DeviceBuffer>> outs = new ArrayList<>(iters);
      long s = System.nanoTime();
      for (int i = 0; i < iters; i++) outs.add(exe.executeBuffers(in));
      outs.get(iters - 1).get(0).awaitReady();
      t[r] = (System.nanoTime() - s) / 1e6 / iters;
      outs.forEach(MoeBench::closeAll);       // after the clock: freeing waits for the computation
    }
    Arrays.sort(t);
    return new Timing(t[runs / 2], t[0], iters);
  }

  private static void closeAll(List<DeviceBuffer> bs) {
    bs.get(0).awaitReady();
    bs.forEach(DeviceBuffer::close);
  }

  private static List<DeviceBuffer> runInputs(Backend b, Program p) {
    try (Executable exe = b.compile(p)) {
      List<DeviceBuffer> r = exe.executeBuffers(List.of());
      r.forEach(DeviceBuffer::awaitReady);
      return r;
    }
  }

  private static double measurePeak(Backend b, Platform platform, PrintStream out) {
    long n = platform == Platform.CPU ? 512 : 8192;
    List<DeviceBuffer> in = runInputs(b, MoeBenchPrograms.matmulInputs(n));
    try (Executable exe = b.compile(MoeBenchPrograms.matmul(n))) {
      Timing t = time(exe, in, 5);
      double peak = 2.0 * n * n * n / (t.medianMs() * 1e-3);
      out.printf(Locale.ROOT, "JSON {\"who\":\"xla4j\",\"what\":\"matmul\",\"n\":%d,\"dtype\":\"bf16\",\"ms\":%.4f,"
          + "\"tflops\":%.2f}%n", n, t.medianMs(), peak / 1e12);
      return peak;
    } finally {
      in.forEach(DeviceBuffer::close);
    }
  }

  private static double measureBandwidth(Backend b, Platform platform, PrintStream out) {
    long elements = platform == Platform.CPU ? 1L << 22 : 1L << 30;     // f32: 16 MiB, 4 GiB
    List<DeviceBuffer> in = runInputs(b, MoeBenchPrograms.copyInput(elements));
    try (Executable exe = b.compile(MoeBenchPrograms.copy(elements))) {
      Timing t = time(exe, in, 5);
      double bw = 2.0 * elements * 4 / (t.medianMs() * 1e-3);
      out.printf(Locale.ROOT, "JSON {\"who\":\"xla4j\",\"what\":\"copy\",\"bytes\":%d,\"ms\":%.4f,"
          + "\"gbs_read_plus_write\":%.1f}%n", elements * 4, t.medianMs(), bw / 1e9);
      return bw;
    } finally {
      in.forEach(DeviceBuffer::close);
    }
  }

  static double relL2(float[] y, float[] ref) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < y.length; i++) {
      double d = (double) y[i] - ref[i];
      num += d * d;
      den += (double) ref[i] * ref[i];
    }
    return Math.sqrt(num / den);
  }

  private static String line(Map<String, Object> r) {
    if (r.containsKey("error")) return String.format(Locale.ROOT, "%-58s failed: %s", r.get("variant"), r.get("error"));
    return String.format(Locale.ROOT, "%-58s %9.3f ms  %7.3g useful TFLOP/s  floor %.3f ms (%s)  %.2f of floor"
        + "  dropped %.2f%%%s  err %s  load %.2f  weight-sized buffers %s  compile %.1f s",
        r.get("variant"), (Double) r.get("ms"), (Double) r.get("useful_tflops"), (Double) r.get("floor_ms"),
        r.get("floor_bound"), (Double) r.get("fraction_of_floor"), 100 * (Double) r.get("dropped_fraction"),
        Integer.valueOf(1).equals(r.get("fallback")) ? " (dropless fallback ran)" : "", r.get("rel_l2_vs_dense") == null ? "-" : String.format(Locale.ROOT, "%.2e", (Double) r.get("rel_l2_vs_dense")),
        (Double) r.get("max_load_over_mean"), r.getOrDefault("weight_sized_buffers", "n/a"), (Double) r.get("compile_s"));
  }

  private static String table(List<Map<String, Object>> rows) {
    StringBuilder sb = new StringBuilder(
        "| shape | variant | ms | useful TFLOP/s | of floor | dropped | rel L2 vs dense | weight-sized buffers |\n"
            + "|---|---|---|---|---|---|---|---|\n");
    for (Map<String, Object> r : rows) {
      String shape = "T" + r.get("T") + " D" + r.get("D") + " F" + r.get("F");
      if (r.containsKey("error")) {
        sb.append("| ").append(shape).append(" | ").append(r.get("variant")).append(" | failed: ")
            .append(r.get("error").toString().replace('|', '/')).append(" | | | | | |\n");
        continue;
      }
      sb.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %.3g | %.2f | %.2f%% | %s | %s |%n", shape,
          r.get("variant") + (Integer.valueOf(1).equals(r.get("fallback")) ? " (dropless fallback ran)" : ""), (Double) r.get("ms"), (Double) r.get("useful_tflops"), (Double) r.get("fraction_of_floor"),
          100 * (Double) r.get("dropped_fraction"),
          r.get("rel_l2_vs_dense") == null ? "-" : String.format(Locale.ROOT, "%.2e", (Double) r.get("rel_l2_vs_dense")),
          r.getOrDefault("weight_sized_buffers", "n/a")));
    }
    return sb.toString();
  }

  /** One JSON object of strings, numbers (non-finite as null), booleans and nulls. */
  static String json(Map<String, Object> m) {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, Object> e : m.entrySet()) {
      if (sb.length() > 1) sb.append(',');
      sb.append(quote(e.getKey())).append(':');
      Object v = e.getValue();
      switch (v) {
        case null -> sb.append("null");
        case Double d when !Double.isFinite(d) -> sb.append("null");
        case Number n -> sb.append(n);
        case Boolean bo -> sb.append(bo);
        default -> sb.append(quote(v.toString()));
      }
    }
    return sb.append('}').toString();
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        default -> {
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    return sb.append('"').toString();
  }
}
