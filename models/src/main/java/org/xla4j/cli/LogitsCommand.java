package org.xla4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xla4j.dsl.Graph;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.grok.Grok1;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.grok.Grok1RandomWeights;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xla4j logits}: one Grok-1 forward pass over a batch of token rows, writing the f32 logits
 * {@code [B, T, vocab]} as the safetensors tensor {@code logits}. Today's model: {@code tiny-grok}
 * ({@link Grok1Config#tiny()}) with fixed-seed random weights; checkpoints come with the loader.
 *
 * <pre>
 * ./xla4j logits --model tiny-grok --tokens 5,17,3 --tokens 9,2,4 --output out.safetensors --moe dropless
 * </pre>
 */
@Command(name = "logits", mixinStandardHelpOptions = true,
    description = "One forward pass of a Grok-1-style model over rows of token ids; writes F32 'logits' [B, T, vocab].")
final class LogitsCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, paramLabel = "tiny-grok", description = "The model: tiny-grok (random weights).")
  String model;

  @Option(names = "--tokens", required = true, split = ";", paramLabel = "ID,ID,...",
      description = "One row of comma-separated token ids (repeat for a batch; rows of equal length; 0 is the pad id).")
  List<String> rows;

  @Option(names = "--output", required = true, paramLabel = "OUT.safetensors", description = "Where to write the logits.")
  Path output;

  @Option(names = "--backend", defaultValue = "cpu", paramLabel = "cpu|pjrt[:PLUGIN]", description = "Backend (default: ${DEFAULT-VALUE}).")
  String backend;

  @Option(names = "--moe", defaultValue = "dense", paramLabel = "dense|dropless|capacity|few_tokens",
      description = "MoE implementation (default: ${DEFAULT-VALUE}).")
  String moe;

  @Option(names = "--mechanism", defaultValue = "vanilla", paramLabel = "vanilla|blockwise|cudnn",
      description = "Attention mechanism (default: ${DEFAULT-VALUE}).")
  String mechanism;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the random weights (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    if (!model.equals("tiny-grok")) {
      throw new IllegalArgumentException("unknown --model '" + model + "'; available: tiny-grok");
    }
    Grok1Config c = Grok1Config.tiny();
    int[][] ids = parse(rows, c.vocabSize());
    int b = ids.length;
    int t = ids[0].length;
    int[] flat = new int[b * t];
    for (int i = 0; i < b; i++) System.arraycopy(ids[i], 0, flat, i * t, t);
    MoeImplementation impl = parseEnum(MoeImplementation.class, moe, "--moe");
    Mechanism mech = parseEnum(Mechanism.class, mechanism, "--mechanism");
    try (Backend be = Backends.open(backend)) {
      Grok1.Options o = new Grok1.Options(MoeOptions.builder().implementation(impl).platform(be.platformName()).build(),
          mech, org.xla4j.models.quant.QuantMode.DEQUANTIZE);
      Graph g = new Graph("tiny_grok");
      Grok1.Output out = Grok1.build(g, c, b, t, o);
      String text = StableHloPrinter.print(g.build(out.logits()), EmitOptions.unsharded());
      List<HostTensor> args = new ArrayList<>(Grok1RandomWeights.generate(c, seed).values());
      args.add(HostTensor.ofInts(flat, b, t));
      try (Executable exe = be.compile(text, CompileOptions.defaults())) {
        HostTensor logits = exe.execute(args).get(0);
        Safetensors.write(output, Map.of("logits", logits));
        System.out.println("logits " + logits.type() + " -> " + output);
      }
    }
    return 0;
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
          throw new IllegalArgumentException("--tokens row " + (i + 1) + ": id " + out[i][j] + " is outside [0, "
              + vocab + ")");
        }
      }
      if (out[i].length != out[0].length) {
        throw new IllegalArgumentException("--tokens rows must have one length (pad with 0), got " + out[0].length
            + " and " + out[i].length + " (row " + (i + 1) + ")");
      }
    }
    return out;
  }

  static <E extends Enum<E>> E parseEnum(Class<E> type, String value, String option) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + " '" + value + "' is not one of "
          + java.util.Arrays.stream(type.getEnumConstants()).map(x -> x.name().toLowerCase(Locale.ROOT)).toList());
    }
  }
}
