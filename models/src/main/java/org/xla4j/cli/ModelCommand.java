package org.xla4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.xla4j.checkpoint.CheckpointTensor;
import org.xla4j.models.checkpoint.Grok1HfNames;
import org.xla4j.models.checkpoint.ModelDir;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.llama.LlamaCheckpoint;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.PartitionRules;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code xla4j model info|load}: a model directory's (or preset's) parameters as the model's tree, or all of
 * them uploaded to a device with a progress bar.
 *
 * <pre>
 * ./xla4j model info tiny-llama --json
 * ./xla4j model info grok-1 --rules grok1 --mesh data=2,model=4
 * ./xla4j model info /models/grok-1-hf --rules grok1 --mesh data=1,model=8
 * ./xla4j model load /models/Llama-3.2-1B --backend pjrt
 * ./xla4j model compile --preset grok-1 --backend pjrt --moe dropless
 * </pre>
 */
@Command(name = "model", mixinStandardHelpOptions = true,
    description = "Model directories (config.json + safetensors): list parameters, load them; compile a preset's program.",
    subcommands = {ModelCommand.Info.class, ModelCommand.Load.class, ModelCompileCommand.class})
final class ModelCommand implements Callable<Integer> {
  /** Presets that need no directory. */
  static final List<String> PRESETS = List.of("tiny-llama", "tiny-grok", "grok-1");

  @Override
  public Integer call() {
    System.out.println("usage: xla4j model info DIR|tiny-llama|tiny-grok|grok-1 [--rules grok1] [--mesh data=2,model=4] [--json] | "
        + "xla4j model load DIR [--backend cpu|pjrt] | xla4j model compile --preset grok-1|tiny-grok [--backend cpu|pjrt]; see --help");
    return 0;
  }

  @Command(name = "info", mixinStandardHelpOptions = true,
      description = "Every parameter: tree path, checkpoint name, dtype, shape in the model's layout, bytes, and the "
          + "PartitionSpec the rules give.")
  static final class Info implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR|PRESET", description = "A model directory, or a preset: tiny-llama, tiny-grok, grok-1.")
    String model;

    @Option(names = "--rules", defaultValue = "none", paramLabel = "none|grok1",
        description = "Partition rules (default: ${DEFAULT-VALUE}, every parameter replicated).")
    String rules;

    @Option(names = "--mesh", paramLabel = "AXIS=N,...", description = "Check the specs on this mesh, e.g. data=2,model=4.")
    String mesh;

    @Option(names = "--json", description = "Print {\"params\": [{path, name, dtype, shape, bytes, spec}], \"total_bytes\": N}.")
    boolean json;

    @Override
    public Integer call() {
      PartitionRules r = switch (rules.toLowerCase(Locale.ROOT)) {
        case "none" -> null;
        case "grok1" -> PartitionRules.grok1();
        default -> throw new IllegalArgumentException("--rules must be none or grok1, got '" + rules + "'");
      };
      Mesh m = mesh == null ? null : MeshOption.parse(mesh);
      ModelInfo info = describe(model, r, m);
      System.out.print(json ? info.json() + "\n" : info.table());
      return 0;
    }
  }

  /** The parameters of a preset or directory. */
  static ModelInfo describe(String model, PartitionRules rules, Mesh mesh) {
    List<ModelInfo.Row> rows = new ArrayList<>();
    if (PRESETS.contains(model) && !Files.isDirectory(Path.of(model))) {
      boolean llama = model.equals("tiny-llama");
      Tree<TensorType> types = llama ? LlamaConfig.tiny().parameterTypes()
          : (model.equals("grok-1") ? Grok1Config.full() : Grok1Config.tiny()).parameterTypes();
      for (Tree.Leaf<TensorType> l : types) {
        String name = llama ? LlamaCheckpoint.nameOf(l.path()) : Grok1HfNames.nameOf(l.path(), l.value());
        rows.add(new ModelInfo.Row(l.path(), name, l.value(), ModelInfo.spec(l.path(), l.value(), rules, mesh)));
      }
      return new ModelInfo(model + " (" + (llama ? "LLAMA" : "GROK1") + " preset)", rows);
    }
    if (!Files.isDirectory(Path.of(model))) {
      throw new IllegalArgumentException("'" + model + "' is neither a model directory nor a preset " + PRESETS);
    }
    try (ModelDir dir = ModelDir.open(Path.of(model))) {
      for (Tree.Leaf<CheckpointTensor> l : dir.parameters()) {
        TensorType t = l.value().type();
        rows.add(new ModelInfo.Row(l.path(), ModelDir.checkpointName(l.value()), t, ModelInfo.spec(l.path(), t, rules, mesh)));
      }
      return new ModelInfo(dir.dir() + " (" + dir.type() + ", " + dir.reader().files().size() + " file(s))", rows);
    }
  }

  @Command(name = "load", mixinStandardHelpOptions = true,
      description = "Upload every parameter of a model directory to one device, with a progress bar; prints the rate.")
  static final class Load implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "A model directory (config.json + safetensors).")
    Path model;

    @Option(names = "--backend", defaultValue = "cpu", paramLabel = "cpu|pjrt[:PLUGIN]",
        description = "Backend (default: ${DEFAULT-VALUE}).")
    String backend;

    @Override
    public Integer call() {
      try (ModelDir dir = ModelDir.open(model); Backend b = Backends.open(backend)) {
        Tree<CheckpointTensor> params = dir.parameters();
        long t0 = System.nanoTime();
        Tree<DeviceBuffer> w = ModelDir.upload(params, b, b.devices().get(0), new ConsoleProgress(System.err));
        double secs = (System.nanoTime() - t0) / 1e9;
        long bytes = ModelDir.totalBytes(params);
        w.leaves().forEach(DeviceBuffer::close);
        System.out.printf(Locale.ROOT, "%s: %d parameters, %d bytes uploaded to %s in %.3f s (%.2f GB/s)%n", dir.type(),
            params.size(), bytes, b.devices().get(0), secs, bytes / secs / 1e9);
      }
      return 0;
    }
  }
}
