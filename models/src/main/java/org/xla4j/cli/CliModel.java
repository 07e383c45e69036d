package org.xla4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xla4j.checkpoint.CheckpointTensor;
import org.xla4j.models.checkpoint.LoadProgress;
import org.xla4j.models.checkpoint.ModelDir;
import org.xla4j.models.grok.Grok1RandomWeights;
import org.xla4j.models.llama.LlamaRandomWeights;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Device;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * A model named by a CLI {@code --model}, with its weights: a preset with fixed-seed random weights ({@code tiny-grok},
 * {@code tiny-llama}) or a model directory {@link ModelDir} opens (Grok-1 HF bf16 or int8, Llama HF). Opening
 * reads the config ({@link ModelConfig}, all a caller without weights needs) and checks every tensor's name, shape and
 * dtype; the weights are read only by {@link #upload}.
 *
 * <pre>{@code
 * try (CliModel m = CliModel.open(spec, "--model", "tiny-llama", 0)) {
 *   List<DeviceBuffer> w = m.upload(backend, device, Progress.loading());   // in parameterTypes() order
 * }
 * }</pre>
 */
record CliModel(String label, ModelConfig config, Weights weights) implements AutoCloseable {
  /** Presets that need no directory. */
  static final List<String> PRESETS = List.of("tiny-grok", "tiny-llama");

  /** Where the weights come from. */
  sealed interface Weights {
    record Random(Tree<HostTensor> tensors) implements Weights {}

    record Checkpoint(ModelDir dir, Tree<CheckpointTensor> params) implements Weights {}
  }

  /**
   * Opens a preset or a directory.
   *
   * @throws ParameterException naming {@code option} when {@code model} is neither, or the directory cannot be
   *     opened as a model (its layout is unknown, a tensor is missing or misshaped, ...)
   */
  static CliModel open(CommandSpec spec, String option, String model, long seed) {
    Path p = Path.of(model);
    if (PRESETS.contains(model) && !Files.isDirectory(p)) {
      ModelConfig c = ModelConfig.preset(model).orElseThrow();
      return new CliModel(model, c, new Weights.Random(Tree.of(switch (c) {
        case ModelConfig.Grok g -> Grok1RandomWeights.generate(g.c(), seed);
        case ModelConfig.Llama l -> LlamaRandomWeights.generate(l.c(), seed);
      })));
    }
    if (!Files.isDirectory(p)) {
      throw new ParameterException(spec.commandLine(), option + " '" + model + "' is neither a model directory nor a preset "
          + PRESETS + (Files.exists(p) ? " (it is a file; give the folder holding config.json)" : ""));
    }
    ModelDir dir;
    try {
      dir = ModelDir.open(p);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), option + " " + model + ": " + e.getMessage(), e, null, model);
    }
    try {
      ModelConfig c = ModelConfig.of(dir);
      Tree<CheckpointTensor> params = dir.parameters(c.parameterTypes());
      return new CliModel(dir.dir() + " (" + dir.type() + (c.int8() ? ", int8" : "") + ")", c,
          new Weights.Checkpoint(dir, params));
    } catch (RuntimeException e) {
      dir.close();
      if (e instanceof IllegalArgumentException) {
        throw new ParameterException(spec.commandLine(), option + " " + model + ": " + e.getMessage(), e, null, model);
      }
      throw e;
    }
  }

  /** The weights on {@code device}, in {@link ModelConfig#parameterTypes()} order; progress in bytes. */
  List<DeviceBuffer> upload(Backend backend, Device device, LoadProgress progress) {
    Tree<TensorType> types = config.parameterTypes();
    List<DeviceBuffer> out = new ArrayList<>();
    switch (weights) {
      case Weights.Checkpoint ck -> {
        Tree<DeviceBuffer> w = ModelDir.upload(ck.params(), backend, device, progress);
        for (String path : types.paths()) out.add(w.get(path));
      }
      case Weights.Random r -> {
        long total = r.tensors().leaves().stream().mapToLong(t -> t.type().byteSize()).sum();
        progress.start("uploading " + label, total);
        try {
          for (String path : types.paths()) {
            HostTensor t = r.tensors().get(path);
            out.add(backend.toDevice(t, device));
            progress.advance(path, t.type().byteSize());
          }
        } catch (RuntimeException | Error e) {
          out.forEach(DeviceBuffer::close);
          throw e;
        } finally {
          progress.finish();
        }
      }
    }
    return out;
  }

  @Override
  public void close() {
    if (weights instanceof Weights.Checkpoint ck) ck.dir().close();
  }
}
