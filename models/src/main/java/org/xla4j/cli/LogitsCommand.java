package org.xla4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.grok.Grok1;
import org.xla4j.models.llama.Llama;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.CompileDump;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Device;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.types.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code xla4j logits}: one forward pass over a batch of token rows, writing the f32 logits {@code [B, T, vocab]}
 * as the safetensors tensor {@code logits}. The model is a directory {@link org.xla4j.models.checkpoint.ModelDir}
 * opens (Grok-1 HF bf16 or int8, Llama HF) or a preset with fixed-seed random weights ({@code tiny-grok},
 * {@code tiny-llama}). Token id 0 is the pad id for every model: its keys are hidden from attention.
 *
 * <pre>
 * ./xla4j logits --model /models/grok-1-int8 --tokens 5,17,3 --tokens 9,2,0 --output out.safetensors --quant scale-after
 * ./xla4j logits --model tiny-llama --tokens 5,17,3 --output out.safetensors --dump dump/
 * </pre>
 */
@Command(name = "logits", mixinStandardHelpOptions = true,
    description = "One forward pass of a Grok-1 or Llama model over rows of token ids; writes F32 'logits' [B, T, vocab].")
final class LogitsCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR|tiny-grok|tiny-llama",
      description = "A model directory (config.json + safetensors: Grok-1 HF bf16 or int8, Llama HF), or a preset with "
          + "random weights: tiny-grok, tiny-llama.")
  String model;

  @Option(names = "--tokens", required = true, split = ";", paramLabel = "ID,ID,...",
      description = "One row of comma-separated token ids (repeat for a batch; rows of equal length; 0 is the pad id).")
  List<String> rows;

  @Option(names = "--output", required = true, paramLabel = "OUT.safetensors", description = "Where to write the logits.")
  Path output;

  @Mixin
  BackendOption backend = new BackendOption();

  @Option(names = "--moe", paramLabel = "auto|dense|dropless|capacity|few-tokens",
      description = "Grok-1 only: the MoE implementation; auto: the measured pick for the shape and backend (default: dense).")
  String moe;

  @Option(names = "--capacity-factor", paramLabel = "F",
      description = "Grok-1 with --moe capacity: capacity per expert ceil(tokens·top-k/experts · F) (default: 1.25).")
  Double capacityFactor;

  @Option(names = "--quant", paramLabel = "dequantize|scale-after",
      description = "Int8 checkpoints only: dequantize the weights before the matmul (default) or apply the scales after it.")
  String quant;

  @Option(names = "--mechanism", defaultValue = "vanilla", paramLabel = "vanilla|blockwise|cudnn",
      description = "Attention mechanism (default: ${DEFAULT-VALUE}; cudnn needs a CUDA GPU).")
  String mechanism;

  @Option(names = "--seed", defaultValue = "0", description = "Presets: seed of the random weights (default: ${DEFAULT-VALUE}).")
  long seed;

  @Mixin
  XlaDumpOptions dumps = new XlaDumpOptions();

  @Override
  public Integer call() throws Exception {
    OptionChecks.writableOutput(spec, "--output", output);
    Mechanism mech = parseEnum(Mechanism.class, mechanism, "--mechanism", List.of(Mechanism.VANILLA, Mechanism.BLOCKWISE,
        Mechanism.CUDNN));
    MoeImplementation impl = moe == null ? MoeImplementation.DENSE : parseEnum(MoeImplementation.class, moe, "--moe",
        List.of(MoeImplementation.values()));
    QuantMode qm = quant == null ? QuantMode.DEQUANTIZE : parseEnum(QuantMode.class, quant, "--quant",
        List.of(QuantMode.values()));
    if (capacityFactor != null && !(capacityFactor > 0)) {
      throw new ParameterException(spec.commandLine(), "--capacity-factor must be > 0, got " + capacityFactor);
    }
    // before the backend opens: the CPU backend reads XLA's dump flags once per process
    CompileOptions opts = dumps.compileOptions(backend.spec);
    try (CliModel m = CliModel.open(spec, "--model", model, seed)) {
      checkModelOptions(m);
      int[][] ids = parse(rows, m.config().vocabSize());
      int b = ids.length;
      int t = ids[0].length;
      if (t > m.config().contextLength()) {
        throw new ParameterException(spec.commandLine(), "--tokens rows have " + t + " tokens; " + m.label()
            + " takes at most " + m.config().contextLength() + " (its context length)");
      }
      int[] flat = new int[b * t];
      int[] keep = new int[b * t];
      for (int i = 0; i < b; i++) System.arraycopy(ids[i], 0, flat, i * t, t);
      for (int i = 0; i < flat.length; i++) keep[i] = flat[i] != 0 ? 1 : 0;
      try (Backend be = Backends.open(backend.spec)) {
        if (!mech.runsOn(be.platformName())) {
          throw new ParameterException(spec.commandLine(), "--mechanism " + mechanism + " cannot run on the "
              + be.platformName() + " backend: " + AttentionCommand.Common.cudnnAdvice());
        }
        Built built = build(m.config(), b, t, mech, impl, qm, be.platformName());
        Device dev = be.devices().get(0);
        List<DeviceBuffer> args = new ArrayList<>(m.upload(be, dev, Progress.loading()));
        try {
          args.add(be.toDevice(HostTensor.ofInts(flat, b, t), dev));
          if (built.withMask()) args.add(be.toDevice(HostTensor.ofInts(keep, b, t), dev));
          run(be, built, args, m, opts);
        } finally {
          args.forEach(DeviceBuffer::close);
        }
      }
    }
    return 0;
  }

  /** A model's program: parameters, then tokens, then (Llama) the padding mask; results logits and dropped. */
  private record Built(Program program, boolean withMask, boolean countsDrops) {}

  private Built build(ModelConfig c, int b, int t, Mechanism mech, MoeImplementation impl, QuantMode qm,
      String platform) {
    return switch (c) {
      case ModelConfig.Grok g -> {
        MoeOptions.Builder mo = MoeOptions.builder().implementation(impl).platform(platform).quant(qm);
        if (capacityFactor != null) mo.capacityFactor(capacityFactor);
        Graph graph = new Graph("grok1_logits");
        Grok1.Output out = Grok1.build(graph, g.c(), b, t, new Grok1.Options(mo.build(), mech, qm));
        yield new Built(graph.program(out.logits(), out.dropped()), false, true);
      }
      case ModelConfig.Llama l -> {
        Graph graph = new Graph("llama_logits");
        Tensor logits = Llama.build(graph, l.c(), b, t, true, Llama.Options.defaults().withAttention(mech));
        yield new Built(graph.program(logits), true, false);
      }
    };
  }

  private void run(Backend be, Built built, List<DeviceBuffer> args, CliModel m, CompileOptions opts) throws Exception {
    try (Progress p = Progress.stage("compile and run " + m.label());
        Executable exe = be.compile(built.program(), opts)) {
      List<DeviceBuffer> out = exe.executeBuffers(args);
      HostTensor logits;
      int dropped;
      try {
        logits = out.get(0).toHost();
        dropped = built.countsDrops() ? out.get(1).toHost().toIntArray()[0] : 0;
      } finally {
        out.forEach(DeviceBuffer::close);
      }
      p.close();
      Safetensors.write(output, Map.of("logits", logits.type().dtype() == DType.F32 ? logits : logits.astype(DType.F32)));
      System.out.println("logits " + logits.type() + " of " + m.label() + " -> " + output
          + (dropped > 0 ? " (" + dropped + " token copies dropped for capacity; raise --capacity-factor)" : ""));
      if (dumps.on()) { // after the run: the CPU backend compiles at the first one
        XlaDumpOptions.report(CompileDump.write(dumps.dir, built.program(), opts, exe), dumps.dir);
      }
    }
  }

  /** --moe, --capacity-factor and --quant only where they mean something. */
  private void checkModelOptions(CliModel m) {
    boolean grok = m.config() instanceof ModelConfig.Grok;
    if (!grok && (moe != null || capacityFactor != null)) {
      throw new ParameterException(spec.commandLine(), (moe != null ? "--moe" : "--capacity-factor") + " applies to "
          + "Grok-1 models (Mixture of Experts); " + m.label() + " is a Llama model without experts");
    }
    if (quant != null && !m.config().int8()) {
      throw new ParameterException(spec.commandLine(), "--quant applies to int8 checkpoints (NAME.weight I8 + NAME.scales); "
          + m.label() + " has float weights (make an int8 one with 'xla4j quantize')");
    }
  }

  /** Rows of ids, all of one length, each in [0, vocab). */
  static int[][] parse(List<String> rows, int vocab) {
    int[][] out = new int[rows.size()][];
    for (int i = 0; i < out.length; i++) {
      String[] parts = rows.get(i).trim().split(",");
      out[i] = new int[parts.length];
      for (int j = 0; j < parts.length; j++) {
        try {
          out[i][j] = Integer.parseInt(parts[j].trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--tokens row " + (i + 1) + " '" + rows.get(i) + "': '" + parts[j]
              + "' is not a token id");
        }
        if (out[i][j] < 0 || out[i][j] >= vocab) {
          throw new IllegalArgumentException("--tokens row " + (i + 1) + ": id " + out[i][j] + " is outside the model's "
              + "vocabulary [0, " + vocab + ")");
        }
      }
      if (out[i].length != out[0].length) {
        throw new IllegalArgumentException("--tokens rows must have one length (pad with 0), got " + out[0].length
            + " and " + out[i].length + " (row " + (i + 1) + ")");
      }
    }
    return out;
  }

  /** {@code value} as any constant of {@code type} (see {@link #parseEnum(Class, String, String, List)}). */
  static <E extends Enum<E>> E parseEnum(Class<E> type, String value, String option) {
    return parseEnum(type, value, option, List.of(type.getEnumConstants()));
  }

  /** {@code value} as one of {@code allowed} (any case, '-' for '_'), or an error naming the option and the choices. */
  static <E extends Enum<E>> E parseEnum(Class<E> type, String value, String option, List<E> allowed) {
    String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (E e : allowed) if (e.name().equals(v)) return e;
    throw new IllegalArgumentException(option + " '" + value + "' is not one of "
        + allowed.stream().map(x -> x.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList());
  }
}
