package org.xla4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xla4j.cli.MoeBench.Settings;
import org.xla4j.cli.MoeBench.Toggle;
import org.xla4j.cli.MoeBench.Weights;
import org.xla4j.cli.MoeBenchPrograms.Shape;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options of {@code xla4j bench moe}, e.g.
 * {@code xla4j bench moe --backend pjrt --shape 8192,2048,5632 --impl all --capacity-factor 1.0,1.25}.
 */
final class MoeBenchOptions {
  @Option(names = "--shape", paramLabel = "T,D,F", description = "moe: tokens, model width, expert hidden width.")
  String shape;

  @Option(names = "--experts", defaultValue = "8", description = "moe: experts (default ${DEFAULT-VALUE}).")
  int experts;

  @Option(names = "--top-k", defaultValue = "2", description = "moe: experts per token (default ${DEFAULT-VALUE}).")
  int topK;

  @Option(names = "--impl", defaultValue = "all", split = ",",
      description = "moe: dense, dropless, dropless-tiles, capacity, capacity-checked, few-tokens, auto or all"
          + " (comma-separated;"
          + " default ${DEFAULT-VALUE}; 'all' runs few-tokens only up to 64 token copies).")
  List<String> impls;

  @Option(names = "--capacity-factor", defaultValue = "1.0,1.25,1.5,2.0", split = ",",
      description = "moe capacity and capacity-checked: capacity factors (default ${DEFAULT-VALUE}; a factor below 1"
          + " makes capacity-checked run its dropless fallback).")
  List<Double> capacityFactors;

  @Option(names = "--tile-size", defaultValue = "0", split = ",",
      description = "moe dropless tiled form: rows per tile (0: automatic, N·K/E within [8, 128]; default ${DEFAULT-VALUE}).")
  List<Integer> tileSizes;

  @Option(names = "--ragged-dot-fusion", defaultValue = "both", paramLabel = "on|off|both",
      description = "moe dropless on a GPU: XLA's cuDNN ragged-dot fusion (default ${DEFAULT-VALUE}).")
  String raggedFusion;

  @Option(names = "--dynamic-slice-fusion", defaultValue = "both", paramLabel = "on|off|both",
      description = "moe few-tokens slice forms and dropless-tiles on a GPU: xla_gpu_enable_dynamic_slice_fusion"
          + " (default ${DEFAULT-VALUE}).")
  String sliceFusion;

  @Option(names = "--few-tokens", defaultValue = "gather,slice,slice-loop,reduce", split = ",",
      description = "moe few-tokens: forms gather, slice, slice-loop, reduce, and the bench-only gather-slice-fusion"
          + " (gather, dynamic-slice fusion on) and reduce-minor (reduce over weights stored contraction axis minor)"
          + " (default ${DEFAULT-VALUE}; 'all' runs reduce only up to T 4).")
  List<String> fewTokens;

  @Option(names = "--weights", defaultValue = "bf16", split = ",",
      description = "moe: bf16, int8-dequantize, int8-scale-after (comma-separated; default ${DEFAULT-VALUE}).")
  List<String> weights;

  @Option(names = "--xla-flag", paramLabel = "NAME=VALUE",
      description = "moe: an XLA debug option for every variant's compile (repeatable).")
  List<String> xlaFlags = new ArrayList<>();

  @Option(names = "--peak-tflops", defaultValue = "0",
      description = "moe: bf16 matmul peak for the floor (default: measured with an 8192^3 matmul; 512^3 on the CPU).")
  double peakTflops;

  @Option(names = "--bandwidth-gbs", defaultValue = "0",
      description = "moe: copy bandwidth, read + write, for the floor (default: measured, 4 GiB; 16 MiB on the CPU).")
  double bandwidthGbs;

  @Option(names = "--runs", defaultValue = "5", description = "moe: timed runs, median reported (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--seed", defaultValue = "1", description = "moe: seed of the random inputs (default ${DEFAULT-VALUE}).")
  long seed;

  /** The checked settings; a bad value is a ParameterException naming the option. */
  Settings settings(CommandSpec spec) {
    if (shape == null) throw new ParameterException(spec.commandLine(), "bench moe needs --shape T,D,F (e.g. 8192,2048,5632)");
    String[] p = shape.split(",");
    long[] s = new long[3];
    if (p.length != 3) throw bad(spec, "--shape", shape, "three numbers T,D,F");
    for (int i = 0; i < 3; i++) {
      try {
        s[i] = Long.parseLong(p[i].strip());
      } catch (NumberFormatException e) {
        throw bad(spec, "--shape", shape, "three numbers T,D,F");
      }
      if (s[i] < 1) throw bad(spec, "--shape", shape, "positive T, D and F");
    }
    if (s[0] * s[1] > Integer.MAX_VALUE - 8) throw bad(spec, "--shape", shape, "T·D that fits one Java array");
    OptionChecks.positive(spec, "--experts", experts);
    if (topK < 1 || topK > experts) throw bad(spec, "--top-k", Integer.toString(topK), "1 <= top-k <= --experts (" + experts + ")");
    OptionChecks.positive(spec, "--runs", runs);
    for (String i : impls) {
      if (!i.equals("all") && !MoeBench.IMPLS.contains(i)) {
        throw bad(spec, "--impl", i, "one of " + String.join(", ", MoeBench.IMPLS) + " or all");
      }
    }
    for (double cf : capacityFactors) {
      if (!(cf > 0 && Double.isFinite(cf))) throw bad(spec, "--capacity-factor", Double.toString(cf), "finite factors > 0");
    }
    for (int m : tileSizes) OptionChecks.nonNegative(spec, "--tile-size", m, "automatic");
    if (peakTflops < 0) throw bad(spec, "--peak-tflops", Double.toString(peakTflops), ">= 0 (0: measure)");
    if (bandwidthGbs < 0) throw bad(spec, "--bandwidth-gbs", Double.toString(bandwidthGbs), ">= 0 (0: measure)");
    List<MoeBenchForm> forms = new ArrayList<>();
    for (String f : fewTokens) forms.add(parse(spec, "--few-tokens", MoeBenchForm.class, f));
    List<Weights> ws = new ArrayList<>();
    for (String w : weights) ws.add(parse(spec, "--weights", Weights.class, w));
    Map<String, String> flags = new LinkedHashMap<>();
    for (String f : xlaFlags) {
      int eq = f.indexOf('=');
      if (eq < 1) throw bad(spec, "--xla-flag", f, "NAME=VALUE");
      flags.put(f.substring(0, eq).strip(), f.substring(eq + 1).strip());
    }
    return new Settings(new Shape(s[0], s[1], s[2], experts, topK), List.copyOf(impls), List.copyOf(capacityFactors),
        List.copyOf(tileSizes), parse(spec, "--ragged-dot-fusion", Toggle.class, raggedFusion),
        parse(spec, "--dynamic-slice-fusion", Toggle.class, sliceFusion), forms, ws, flags, peakTflops, bandwidthGbs,
        runs, seed);
  }

  private static <E extends Enum<E>> E parse(CommandSpec spec, String option, Class<E> type, String value) {
    try {
      return Enum.valueOf(type, value.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      List<String> names = new ArrayList<>();
      for (E c : type.getEnumConstants()) names.add(c.name().toLowerCase(Locale.ROOT).replace('_', '-'));
      throw bad(spec, option, value, "one of " + String.join(", ", names));
    }
  }

  private static ParameterException bad(CommandSpec spec, String option, String value, String want) {
    return new ParameterException(spec.commandLine(), option + " must be " + want + ", got '" + value + "'");
  }
}
