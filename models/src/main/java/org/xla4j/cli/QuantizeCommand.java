package org.xla4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.xla4j.models.checkpoint.Grok1Int8Export;
import org.xla4j.models.checkpoint.ModelDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code xla4j quantize}: a bf16 (or f16/f32) Grok-1 Hugging Face directory written as Grok-1's int8 layout
 * ({@link Grok1Int8Export}), which {@code xla4j logits --model DIR2} and {@code model info/load} read.
 *
 * <pre>
 * ./xla4j quantize --model /models/grok-1-bf16 --out /models/grok-1-int8 --shard-size 5000000000
 * </pre>
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
    description = "Write a float Grok-1 HF checkpoint as int8 weights with bf16 scales (NAME.weight I8 [out, in] + "
        + "NAME.scales BF16 [nb, out]); copies config.json and tokenizer files.")
final class QuantizeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "A bf16/f16/f32 Grok-1 HF directory.")
  Path model;

  @Option(names = "--out", required = true, paramLabel = "DIR2", description = "The new directory (created; must hold no checkpoint).")
  Path out;

  @Option(names = "--shard-size", defaultValue = "" + Grok1Int8Export.DEFAULT_SHARD_SIZE, paramLabel = "BYTES",
      description = "Largest shard file; above it the checkpoint is split with a model.safetensors.index.json "
          + "(default: ${DEFAULT-VALUE}).")
  long shardSize;

  @Override
  public Integer call() throws Exception {
    OptionChecks.positive(spec, "--shard-size", shardSize);
    ModelDir in;
    try {
      in = ModelDir.open(model);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--model " + model + ": " + e.getMessage(), e, null, model.toString());
    }
    try (in) {
      long t0 = System.nanoTime();
      Grok1Int8Export.Summary s = Grok1Int8Export.write(in, out, shardSize, Progress.loading());
      double secs = (System.nanoTime() - t0) / 1e9;
      int shards = (int) s.files().stream().filter(f -> f.toString().endsWith(".safetensors")).count();
      System.out.printf(Locale.ROOT, "quantized %d matrices, copied %d tensors: %s -> %s in %d file(s) in %.1f s -> %s%n",
          s.quantized(), s.copied(), ModelInfo.human(s.inputBytes()), ModelInfo.human(s.outputBytes()), shards, secs, out);
    }
    return 0;
  }
}
