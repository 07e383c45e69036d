package org.xla4j.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.xla4j.ir.Precision;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.grok.Grok1;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.models.train.AdamW;
import org.xla4j.models.train.GrokTraining;
import org.xla4j.models.train.TinyModels;
import org.xla4j.models.train.TokenStream;
import org.xla4j.models.train.TrainStep;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.CompileDump;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code xla4j train}: a training loop whose step (forward, gradient, global-norm clipping, AdamW) is one program,
 * compiled once and called with the parameters and optimizer state donated. The model is a tiny preset with
 * random weights ({@code tiny-mlp}, {@code tiny-llama}, {@code tiny-grok}) or a Grok-1 checkpoint directory
 * (bf16, Hugging Face layout), trained with an f32 master copy and bf16 compute ({@link GrokTraining}; or f32
 * compute at HIGHEST precision with {@code --compute f32}, to compare losses with JAX: equal to f32 rounding at first,
 * then parting as two JAX forms of one function part, scripts/train_report.py). Prints
 * the loss and time of every step and a timing summary, plots the curve, and with {@code --output} writes both
 * as JSON (the form {@code scripts/train_jax.py} writes for the JAX side).
 *
 * <pre>
 * ./xla4j train --model tiny-llama --steps 100 --lr 3e-3 --plot loss.png
 * ./xla4j train --model /tmp/grok-1.6b/bf16 --backend pjrt --data tokens.safetensors --fixed-batch --batch 8 --seq 513 \
 *     --steps 10 --lr 1e-3 --weight-decay 0.1 --clip 1 --output losses.json
 * ./xla4j train --model /tmp/grok-1.6b/bf16 --backend pjrt --compute f32 ...   # the agreement run
 * </pre>
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a tiny preset or a Grok-1 checkpoint with AdamW; print the loss and time per step, plot the curve.")
final class TrainCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--model", defaultValue = "tiny-mlp", paramLabel = "tiny-mlp|tiny-llama|tiny-grok|DIR",
      description = "A preset with random weights, or a Grok-1 checkpoint directory (config.json + bf16 safetensors, "
          + "Hugging Face layout) trained with f32 master weights and bf16 compute (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--steps", defaultValue = "50") int steps;

  @Option(names = "--lr", defaultValue = "1e-2") double lr;

  @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW's decoupled weight decay, on every "
      + "parameter (optax.adamw without a mask).")
  double weightDecay;

  @Option(names = "--clip", defaultValue = "1.0", description = "Gradient clipping by global norm (0: off).")
  double clip;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the presets' weights and of the random batch.")
  long seed;

  @Option(names = "--batch", defaultValue = "2") int batch;

  @Option(names = "--seq", defaultValue = "16", description = "Tokens per row: the model sees seq-1 of them and "
      + "predicts the next of each (tiny-mlp: examples = batch*seq).")
  int seq;

  @Option(names = "--plot", defaultValue = "train-loss.png", paramLabel = "FILE.png|FILE.svg",
      description = "Where the loss curve goes (default: ${DEFAULT-VALUE}).")
  Path plot;

  @Option(names = "--output", paramLabel = "FILE.json",
      description = "Also write the run as JSON: settings, loss and milliseconds per step, compile seconds, median "
          + "step, tokens/s.")
  Path output;

  @Option(names = "--backend", defaultValue = "cpu", paramLabel = "cpu|pjrt[:PLUGIN]") String backend;

  @Option(names = "--data", paramLabel = "FILE.txt|FILE.safetensors",
      description = "Train the language models on this data instead of one random batch: text at the character level"
          + " (each distinct byte an id from 1; fewer distinct bytes than the vocabulary), or a .safetensors file with"
          + " a 1-D integer tensor 'tokens'. Step i takes the next --batch windows of --seq tokens.")
  Path data;

  @Option(names = "--fixed-batch", description = "With --data: every step trains on the data's first batch "
      + "(memorization) instead of walking through it.")
  boolean fixedBatch;

  @Option(names = "--moe", paramLabel = "dense|capacity|capacity-checked|dropless|auto",
      description = "--model DIR: the MoE implementation (default: dense, every expert on every token; auto: the "
          + "measured pick for the shape and backend, never one that drops).")
  String moe;

  @Option(names = "--capacity-factor", paramLabel = "F",
      description = "--model DIR with --moe capacity or capacity-checked: capacity per expert"
          + " ceil(tokens·top-k/experts · F) (default 1.25); capacity drops (and counts) copies beyond it, capacity-checked"
          + " runs dropless instead where an expert would overflow.")
  Double capacityFactor;

  @Option(names = "--moe-capacity", paramLabel = "F1,F2,...", split = ",",
      description = "--model DIR with --moe capacity-checked or auto: the capacity factors of capacity-checked's ladder,"
          + " increasing (default: 1.25,1.5,2,3; with --capacity-factor F: F,2F); each layer runs the first rung that"
          + " holds its most loaded expert, else dropless. Each step prints the rung each layer ran (moe rungs).")
  List<Double> moeCapacity;

  /**
   * The training step's default capacity-checked ladder. H200, 1.59B Grok-shaped model, batch 8 x 513, bf16 (scripts/
   * device-round9.sh, bench/results/train-h200-2026-12-02-round9b.md): a training router grows unbalanced within a few
   * steps (layers past factor 2.5, most past 3), and a layer's cost is the rung it lands on; 1.25,1.5,2,3: median step
   * 77.3 ms (JAX's best, capacity at factor 4, 74.9); 1.25,2.5: 85.1 ms. Steps whose layers all fit a capacity rung
   * ran 61-63 ms; the slow ones have DROPLESS layers.
   */
  static final List<Double> TRAIN_LADDER = List.of(1.25, 1.5, 2.0, 3.0);

  @Option(names = "--compute", paramLabel = "bf16|f32",
      description = "--model DIR: the activations' type (default: bf16, Grok-1's mixed precision). f32: no casts, "
          + "every dot at HIGHEST precision (no TF32 on a GPU), the same math as scripts/train_jax.py --compute f32, "
          + "so the two sides' first steps agree to f32 rounding (later steps part as two JAX forms of one function do).")
  String compute;

  @Option(names = "--mechanism", paramLabel = "vanilla|blockwise",
      description = "--model DIR: the attention mechanism (default: vanilla).")
  String mechanism;

  @Option(names = "--dump", paramLabel = "DIR",
      description = "Also write the step's compile dump bundle (program, StableHLO, optimized HLO, costs) to DIR.")
  Path dump;

  /** What the loop trains: the step, its size, and the batch of each step. */
  private record Job(String label, String kind, TrainStep step, long parameters, long tokensPerStep,
      IntFunction<Tree<HostTensor>> batches, String dtypePolicy, List<Double> moeLadder) {}

  @Override
  public Integer call() throws IOException {
    if (steps < 1) throw new ParameterException(spec.commandLine(), "--steps requires >= 1, got " + steps);
    if (fixedBatch && data == null) {
      throw new ParameterException(spec.commandLine(), "--fixed-batch needs --data (without it every step already "
          + "trains on one random batch)");
    }
    OptionChecks.writableOutput(spec, "--output", output);
    AdamW opt = new AdamW(lr, 0.9, 0.999, 1e-8, weightDecay, clip);
    boolean preset = TinyModels.NAMES.contains(model) && !Files.isDirectory(Path.of(model));
    if (preset && (moe != null || capacityFactor != null || moeCapacity != null || mechanism != null
        || compute != null)) {
      throw new ParameterException(spec.commandLine(), "--moe, --capacity-factor, --moe-capacity, --mechanism and "
          + "--compute apply to --model DIR (a Grok-1 checkpoint), not to the preset " + model);
    }
    CompileOptions opts = CompileOptions.builder().debugOptions(XlaDumps.prepare(dump, null, backend)).build();
    double[] loss;
    if (preset) {
      TinyModels.Model m = TinyModels.get(model, batch, seq, seed);
      IntFunction<Tree<HostTensor>> batches = i -> m.batch();
      if (data != null) {
        if (!m.batchTypes().contains("tokens")) {
          throw new IllegalArgumentException("--data is for the language models (tiny-llama, tiny-grok), not " + m.name());
        }
        batches = dataBatches(m.vocabSize());
      }
      long t0 = System.nanoTime();
      TrainStep step = TrainStep.build(m.paramTypes(), m.batchTypes(), m.loss(), opt);
      long params = m.paramTypes().leaves().stream().mapToLong(t -> t.numElements()).sum();
      Job job = new Job(m.name(), "preset", step, params, m.name().equals("tiny-mlp") ? 0 : (long) batch * (seq - 1),
          batches, "the preset's dtypes", List.of());
      try (Backend b = Backends.open(backend); TrainStep.Loop loop = startFromHost(b, step, m.init(), opts)) {
        loss = train(job, b, loop, opts, (System.nanoTime() - t0) / 1e9, 0);
      }
    } else {
      loss = trainCheckpoint(opt, opts);
    }
    try {
      LossPlot.write(plot, "xla4j train " + model + " (lr " + lr + ")", loss);
      System.out.println("loss curve: " + plot);
    } catch (LinkageError e) {
      // the small runtime carried to GPU machines (scripts/device-jre.sh) has no java.desktop: the run still counts
      System.out.println("loss curve not written: this Java runtime lacks java.desktop (" + e + ")");
    }
    return 0;
  }

  private static TrainStep.Loop startFromHost(Backend b, TrainStep step, Tree<HostTensor> init, CompileOptions opts) {
    List<DeviceBuffer> up = new ArrayList<>();
    try {
      for (HostTensor h : init.leaves()) up.add(b.toDevice(h));
      return step.start(b, Tree.unflatten(init.paths(), up), opts);
    } finally {
      up.forEach(DeviceBuffer::close);
    }
  }

  /** --model DIR: a Grok-1 checkpoint, f32 master weights made on the device from the uploaded bf16 ones. */
  private double[] trainCheckpoint(AdamW opt, CompileOptions opts) throws IOException {
    try (CliModel m = CliModel.open(spec, "--model", model, seed)) {
      if (!(m.config() instanceof ModelConfig.Grok(Grok1Config c))) {
        throw new ParameterException(spec.commandLine(), "--model " + model + ": train takes Grok-1 checkpoints; "
            + m.label() + " is not one");
      }
      if (m.config().int8()) {
        throw new ParameterException(spec.commandLine(), "--model " + model + ": an int8 checkpoint cannot be trained; "
            + "give its bf16 original");
      }
      if (seq < 2 || batch < 1) {
        throw new ParameterException(spec.commandLine(), "--batch must be >= 1 and --seq >= 2 (inputs and next-token "
            + "targets), got --batch " + batch + " --seq " + seq);
      }
      if (seq - 1 > c.contextLength()) {
        throw new ParameterException(spec.commandLine(), "--seq " + seq + " gives the model " + (seq - 1)
            + " tokens per row; " + m.label() + " takes at most " + c.contextLength() + " (its context length)");
      }
      MoeImplementation impl = moe == null ? MoeImplementation.DENSE : LogitsCommand.parseEnum(MoeImplementation.class,
          moe, "--moe", List.of(MoeImplementation.DENSE, MoeImplementation.CAPACITY, MoeImplementation.CAPACITY_CHECKED,
          MoeImplementation.DROPLESS, MoeImplementation.AUTO));
      Mechanism mech = mechanism == null ? Mechanism.VANILLA : LogitsCommand.parseEnum(Mechanism.class, mechanism,
          "--mechanism", List.of(Mechanism.VANILLA, Mechanism.BLOCKWISE));
      if (moeCapacity != null) checkLadder(impl);
      boolean capacity = impl == MoeImplementation.CAPACITY || impl == MoeImplementation.CAPACITY_CHECKED;
      if (capacityFactor != null && (!capacity || !(capacityFactor > 0))) {
        throw new ParameterException(spec.commandLine(), "--capacity-factor applies to --moe capacity and capacity-checked"
            + " and must be > 0, "
            + "got " + capacityFactor + " with --moe " + impl.name().toLowerCase(Locale.ROOT));
      }
      DType act = compute == null ? DType.BF16 : switch (compute.toLowerCase(Locale.ROOT)) {
        case "bf16" -> DType.BF16;
        case "f32" -> DType.F32;
        default -> throw new ParameterException(spec.commandLine(), "--compute takes bf16 or f32, got '" + compute + "'");
      };
      Precision precision = act == DType.F32 ? Precision.HIGHEST : Precision.DEFAULT;
      IntFunction<Tree<HostTensor>> batches = data != null ? dataBatches(c.vocabSize()) : randomBatch(c.vocabSize());
      try (Backend b = Backends.open(backend)) {
        MoeOptions.Builder mo = MoeOptions.builder().implementation(impl).platform(b.platformName());
        if (capacityFactor != null) mo.capacityFactor(capacityFactor);
        if (moeCapacity != null) mo.capacityRungs(moeCapacity);
        else if (capacityFactor == null) mo.capacityRungs(TRAIN_LADDER);
        MoeOptions moeOptions = mo.build();
        GrokTraining t = new GrokTraining(c, new Grok1.Options(moeOptions, mech, QuantMode.DEQUANTIZE)
            .withCompute(act, precision));
        System.out.printf(Locale.ROOT, "building the step program (MoE %s, attention %s, %s compute, dots at %s "
            + "precision) ...%n", impl, mech, act.name().toLowerCase(Locale.ROOT), precision);
        long tokensPerStep = (long) batch * (seq - 1);
        List<Double> ladder = moeOptions.ladder(tokensPerStep, c.numExperts(), c.numSelectedExperts());
        if (impl == MoeImplementation.CAPACITY_CHECKED || impl == MoeImplementation.AUTO) {
          System.out.println("capacity-checked ladder (where it runs), " + tokensPerStep + " tokens: " + ladder.stream()
              .map(f -> "factor " + f + " (capacity " + MoeOptions.capacity(tokensPerStep, c.numExperts(),
                  c.numSelectedExperts(), f) + ")").collect(Collectors.joining(", "))
              + ", then dropless" + (ladder.size() < moeOptions.ladder().size() ? " (of " + moeOptions.ladder()
              + ": a rung not below " + tokensPerStep + " copies is left out)" : "") + "; 'moe rungs' per step: the "
              + "rung each layer ran, " + ladder.size() + " = dropless");
        }
        long t0 = System.nanoTime();
        TrainStep step = TrainStep.buildWithMetrics(t.masterTypes(), t.batchTypes(batch, seq), t::lossWithMetrics, opt);
        String text = step.text(); // printed once here, so the compile below times XLA alone
        System.out.printf(Locale.ROOT, "built in %.1f s (%,d characters of StableHLO); loading %s ...%n",
            (System.nanoTime() - t0) / 1e9, text.length(), m.label());
        long l0 = System.nanoTime();
        List<DeviceBuffer> w = m.upload(b, b.devices().get(0), Progress.loading());
        double loadSeconds = (System.nanoTime() - l0) / 1e9;
        System.out.printf(Locale.ROOT, "loaded in %.1f s; compiling on %s ...%n", loadSeconds, b.platformName());
        long params = t.masterTypes().leaves().stream().mapToLong(x -> x.numElements()).sum();
        Job job = new Job(m.label(), "grok1 " + impl.name().toLowerCase(Locale.ROOT) + " moe, "
            + mech.name().toLowerCase(Locale.ROOT) + " attention", step, params, (long) batch * (seq - 1), batches,
            act == DType.F32 ? "f32 master weights and AdamW state, f32 compute, HIGHEST dot precision"
                : "f32 master weights and AdamW state, bf16 compute", ladder);
        TrainStep.Loop loop;
        try {
          loop = step.start(b, Tree.unflatten(c.parameterTypes().paths(), w), opts);
        } finally {
          w.forEach(DeviceBuffer::close); // the f32 master copy is made on the device: the bf16 upload is done with
        }
        try (loop) {
          return train(job, b, loop, opts, (System.nanoTime() - t0) / 1e9 - loadSeconds, loadSeconds);
        }
      }
    }
  }

  /** --moe-capacity: for a capacity-checked ladder, increasing factors > 0, not beside --capacity-factor. */
  private void checkLadder(MoeImplementation impl) {
    if (impl != MoeImplementation.CAPACITY_CHECKED && impl != MoeImplementation.AUTO) {
      throw new ParameterException(spec.commandLine(), "--moe-capacity applies to --moe capacity-checked and auto, "
          + "got --moe " + impl.name().toLowerCase(Locale.ROOT));
    }
    if (capacityFactor != null) {
      throw new ParameterException(spec.commandLine(), "--moe-capacity sets the whole ladder; give it or "
          + "--capacity-factor, not both");
    }
    double previous = 0;
    for (double f : moeCapacity) {
      if (!(f > previous && Double.isFinite(f))) {
        throw new ParameterException(spec.commandLine(), "--moe-capacity requires finite factors > 0, increasing, got "
            + moeCapacity);
      }
      previous = f;
    }
  }

  /** Steps of --data: the next windows each step, or the first batch every step with --fixed-batch. */
  private IntFunction<Tree<HostTensor>> dataBatches(int vocab) throws IOException {
    TokenStream stream = TokenStream.read(data, vocab);
    stream.batch(0, batch, seq); // fails early when shorter than one window
    System.out.println("data: " + stream.source() + (fixedBatch ? ", the first batch every step" : ""));
    return i -> Tree.of(Map.of("tokens", stream.batch(fixedBatch ? 0 : i, batch, seq)));
  }

  /** One batch of ids uniform in [1, vocab) from --seed, every step (it should be memorized). */
  private IntFunction<Tree<HostTensor>> randomBatch(int vocab) {
    Random r = new Random(seed);
    int[] ids = new int[batch * seq];
    for (int i = 0; i < ids.length; i++) ids[i] = 1 + r.nextInt(vocab - 1);
    Tree<HostTensor> b = Tree.of(Map.of("tokens", HostTensor.ofInts(ids, batch, seq)));
    return i -> b;
  }

  /** Runs the steps, printing each; writes --output and --dump; returns the losses. */
  private double[] train(Job job, Backend b, TrainStep.Loop loop, CompileOptions opts, double buildAndCompileSeconds,
      double loadSeconds) throws IOException {
    System.out.printf(Locale.ROOT, "train %s (%s): %,d parameters, batch %s, AdamW lr %g b1 0.9 b2 0.999 eps 1e-8 "
        + "wd %g clip %g, on %s (step compiled in %.1f s; built and started in %.1f s)%n", job.label(), job.kind(),
        job.parameters(), job.step().batchTypes().leaves(), lr, weightDecay, clip, b.platformName(),
        loop.compileSeconds(), buildAndCompileSeconds);
    double[] loss = new double[steps];
    double[] ms = new double[steps];
    List<Long> dropped = new ArrayList<>();
    List<int[]> rungs = new ArrayList<>();
    int done = 0;
    for (int i = 0; i < steps; i++) {
      Tree<HostTensor> bt = job.batches().apply(i);
      long s0 = System.nanoTime();
      TrainStep.StepOut out = loop.run(bt);
      ms[i] = (System.nanoTime() - s0) / 1e6;
      loss[i] = out.loss();
      done = i + 1;
      String extra = "";
      if (out.metrics().contains("dropped")) {
        long d = out.metrics().get("dropped").toLongArray()[0];
        dropped.add(d);
        extra = "  dropped " + d;
      }
      if (out.metrics().contains("moe_rungs")) {
        int[] r = out.metrics().get("moe_rungs").toIntArray();
        if (Arrays.stream(r).anyMatch(x -> x >= 0)) { // -1: no layer has a ladder
          rungs.add(r);
          extra += "  moe rungs " + Arrays.stream(r).mapToObj(String::valueOf).collect(Collectors.joining(" "));
        }
      }
      System.out.printf(Locale.ROOT, "step %4d  loss %.6f  %.1f ms%s%n", i + 1, loss[i], ms[i], extra);
      if (!Double.isFinite(loss[i])) {
        System.out.println("loss is not finite; stopping");
        break;
      }
    }
    loss = Arrays.copyOf(loss, done);
    ms = Arrays.copyOf(ms, done);
    // the first step may include one-time work (the CPU backend compiles there): the median is of the others
    double[] warm = done > 1 ? Arrays.copyOfRange(ms, 1, done) : ms.clone();
    Arrays.sort(warm);
    double median = warm.length % 2 == 1 ? warm[warm.length / 2] : (warm[warm.length / 2 - 1] + warm[warm.length / 2]) / 2;
    double tokensPerSecond = job.tokensPerStep() / (median / 1e3);
    System.out.printf(Locale.ROOT, "%d steps; loss %.6f -> %.6f | compile %.2f s%s | first step %.1f ms | median step "
        + "%.1f ms (steps 2..%d)%s%n", done, loss[0], loss[done - 1], loop.compileSeconds(),
        b.platformName().equalsIgnoreCase("cpu") ? " (the CPU backend compiles in the first step)" : "", ms[0], median,
        done, job.tokensPerStep() > 0 ? String.format(Locale.ROOT, " | %.0f tokens/s", tokensPerSecond) : "");
    java.util.Optional<org.xla4j.runtime.CompiledMemoryStats> mem = loop.executable().compiledMemoryStats();
    mem.ifPresent(x -> System.out.printf(Locale.ROOT, "compiled step memory: arguments %.2f GiB, aliased with results "
        + "%.2f GiB (donated), temp %.2f GiB%n", x.arguments() / GIB, x.aliased() / GIB, x.temp() / GIB));
    if (output != null) {
      JsonObject o = new JsonObject();
      mem.ifPresent(x -> {
        JsonObject j = new JsonObject();
        j.addProperty("arguments", x.arguments());
        j.addProperty("outputs", x.outputs());
        j.addProperty("aliased", x.aliased());
        j.addProperty("temp", x.temp());
        j.addProperty("peak", x.peak());
        o.add("memory", j);
      });
      o.addProperty("who", "xla4j");
      o.addProperty("model", job.label());
      o.addProperty("kind", job.kind());
      o.addProperty("backend", b.platformName());
      o.addProperty("parameters", job.parameters());
      o.addProperty("batch", batch);
      o.addProperty("seq", seq);
      o.addProperty("tokens_per_step", job.tokensPerStep());
      o.addProperty("dtype_policy", job.dtypePolicy());
      AdamW a = loop.optimizer();
      o.addProperty("lr", a.lr());
      o.addProperty("b1", a.beta1());
      o.addProperty("b2", a.beta2());
      o.addProperty("eps", a.eps());
      o.addProperty("weight_decay", a.weightDecay());
      o.addProperty("clip", a.clipNorm());
      o.addProperty("data", data == null ? "random batch, seed " + seed : data + (fixedBatch ? " (first batch)" : ""));
      o.addProperty("load_s", loadSeconds);
      o.addProperty("compile_s", loop.compileSeconds());
      o.addProperty("first_step_ms", ms[0]);
      o.addProperty("median_step_ms", median);
      o.addProperty("tokens_per_s", tokensPerSecond);
      o.add("losses", array(loss));
      o.add("step_ms", array(ms));
      if (!dropped.isEmpty()) {
        JsonArray d = new JsonArray();
        dropped.forEach(d::add);
        o.add("dropped", d);
      }
      if (!rungs.isEmpty()) {
        JsonArray all = new JsonArray();
        for (int[] r : rungs) {
          JsonArray step = new JsonArray();
          for (int x : r) step.add(x);
          all.add(step);
        }
        o.add("moe_rungs", all);
        JsonArray ladder = new JsonArray();
        job.moeLadder().forEach(ladder::add);
        o.add("moe_ladder", ladder);
      }
      Files.writeString(output, new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n");
      System.out.println("run: " + output);
    }
    if (dump != null) {
      List<Path> files = CompileDump.write(dump, job.step().program(), opts, loop.executable());
      System.out.println("dumped " + files.size() + " files to " + dump);
    }
    return loss;
  }

  private static final double GIB = 1 << 30;

  private static JsonArray array(double[] xs) {
    JsonArray a = new JsonArray();
    for (double x : xs) a.add(x);
    return a;
  }
}
