package org.xla4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionInputs;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.KVMemory;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.MemoryStats;
import org.xla4j.runtime.Safetensors;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code xla4j attention compare|run}: every attention mechanism on the same inputs, or one mechanism on
 * the user's tensors.
 *
 * <pre>
 * ./xla4j attention compare --batch 2 --seq 512 --heads 8 --kv-heads 2 --head-dim 64 --dtype bf16 --causal
 * ./xla4j attention run --mechanism BLOCKWISE --causal --input q=q.safetensors,k=k.safetensors,v=v.safetensors --output out.safetensors
 * </pre>
 */
@Command(name = "attention", mixinStandardHelpOptions = true,
    description = "Attention mechanisms: compare them on random inputs, or run one on your tensors.",
    subcommands = {AttentionCommand.Compare.class, AttentionCommand.Run.class})
final class AttentionCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.out.println("usage: xla4j attention compare [options] | xla4j attention run --mechanism M [options]; "
        + "see --help");
    return 0;
  }

  /** Options every attention subcommand shares. */
  static final class Common {
    @Option(names = "--causal", description = "Causal mask (query i sees keys j <= i).")
    boolean causal;

    @Option(names = "--chunk-q", defaultValue = "0", description = "BLOCKWISE query chunk (0: seq/4 within [512, 2048]); "
        + "its backward (--grad) uses one block, the smaller of the two chunks (0: seq/8 within [512, 1024]).")
    int chunkQ;

    @Option(names = "--chunk-k", defaultValue = "0", description = "BLOCKWISE key chunk (0: seq/4 within [512, 2048]); "
        + "its backward (--grad) uses one block, the smaller of the two chunks (0: seq/8 within [512, 1024]).")
    int chunkK;

    @Option(names = "--step-mib", defaultValue = "0", paramLabel = "MIB", description = "BLOCKWISE differentiated "
        + "(--grad), causal: the most MiB of f32 block scores one step computes at once (0: no bound).")
    long stepMib;

    @Option(names = "--scale", defaultValue = "NaN", description = "Softmax scale (default 1/sqrt(head_dim)).")
    double scale;

    @Option(names = "--soft-cap", defaultValue = "0", description = "Logit soft-cap c: c*tanh(x/c) (0: off).")
    double softCap;

    @Option(names = "--output-multiplier", defaultValue = "1", description = "attn_output_multiplier.")
    double multiplier;

    @Option(names = "--float32-logits", description = "q.k with f32 results.")
    boolean float32Logits;

    @Mixin
    BackendOption backend = new BackendOption();

    /** Option values valid whatever the inputs; checked before any work. */
    void check(CommandSpec spec) {
      OptionChecks.nonNegative(spec, "--chunk-q", chunkQ, "seq/4 within [512, 2048]");
      OptionChecks.nonNegative(spec, "--chunk-k", chunkK, "seq/4 within [512, 2048]");
      OptionChecks.nonNegative(spec, "--step-mib", stepMib, "no bound");
    }

    /**
     * CLI advice for a mechanism the backend cannot run (the library's message names Java calls).
     * CUDNN is the only CLI mechanism that does not run everywhere.
     */
    static void checkRuns(CommandSpec spec, Mechanism m, String platform) {
      if (!m.runsOn(platform)) {
        throw new ParameterException(spec.commandLine(), "--mechanism " + m + " cannot run on the " + platform
            + " backend: " + cudnnAdvice());
      }
    }

    static String cudnnAdvice() {
      return "cuDNN fused attention needs a CUDA GPU; pass --backend pjrt (or pjrt:/path/to/plugin.so) on a machine "
          + "with an NVIDIA GPU, or use --mechanism VANILLA or BLOCKWISE, which run on every backend";
    }

    @Mixin
    XlaDumpOptions dumps = new XlaDumpOptions();

    private org.xla4j.runtime.CompileOptions compileOptions = org.xla4j.runtime.CompileOptions.defaults();

    /** Before the backend opens: XLA's own dump (CPU: process-wide; PJRT: per compile, in {@link #compileOptions()}). */
    void prepareDump() {
      compileOptions = dumps.compileOptions(backend.spec);
    }

    /** What each compile gets: XLA dump overrides when asked for. */
    org.xla4j.runtime.CompileOptions compileOptions() { return compileOptions; }

    /** Writes the compile's bundle under DIR/MECHANISM when --dump was given. */
    void dump(String name, Program program, Executable exe) {
      if (!dumps.on()) return;
      Path where = dumps.dir.resolve(name);
      XlaDumpOptions.report(org.xla4j.runtime.CompileDump.write(where, program, compileOptions, exe), where);
    }

    AttentionOptions options(Mechanism m, String platform) {
      return AttentionOptions.builder().mechanism(m).causal(causal).chunks(chunkQ, chunkK).blockwiseStepBytes(stepMib << 20).softmaxScale(scale)
          .logitSoftCap(softCap).attnOutputMultiplier(multiplier).float32Logits(float32Logits).platform(platform)
          .build();
    }
  }

  /**
   * The module for one mechanism on q, k, v (DECODE: a prefill of the whole sequence into a cache of the
   * same length, which equals full attention), with an optional padding mask (B, Sk).
   */
  static Program module(AttentionOptions o, TensorType q, TensorType k, TensorType v, TensorType mask) {
    Graph g = new Graph("attention_" + o.mechanism().name().toLowerCase(Locale.ROOT));
    Tensor qt = g.parameter("q", q);
    Tensor kt = g.parameter("k", k);
    Tensor vt = g.parameter("v", v);
    AttentionInputs in = AttentionInputs.none();
    if (mask != null) in = in.withMask(g.parameter("mask", mask));
    if (o.mechanism() == Mechanism.DECODE) {
      in = in.withMemory(new KVMemory(g.zeros(k), g.zeros(v), g.scalar(0L, DType.I32)));
    }
    return g.program(Attention.apply(o, qt, kt, vt, in));
  }

  // ------------------------------------------------------------------------------------------ compare

  @Command(name = "compare", mixinStandardHelpOptions = true,
      description = "Run every mechanism the backend supports on the same random inputs: max abs error vs "
          + "VANILLA computed in f32, median time per call, device memory where the backend reports it.")
  static final class Compare implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Common common = new Common();

    @Option(names = "--batch", defaultValue = "2") int batch;

    @Option(names = "--seq", defaultValue = "256") int seq;

    @Option(names = "--heads", defaultValue = "8") int heads;

    @Option(names = "--kv-heads", defaultValue = "2") int kvHeads;

    @Option(names = "--head-dim", defaultValue = "64") int headDim;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32, bf16 or f16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--runs", defaultValue = "5", description = "Timed runs; the median is reported.")
    int runs;

    @Option(names = "--iters", defaultValue = "3", description = "Calls per timed run.")
    int iters;

    @Option(names = "--seed", defaultValue = "0") long seed;

    @Option(names = "--mechanisms", split = ",", paramLabel = "M",
        description = "Only these, any case: ${COMPLETION-CANDIDATES} (default: all the backend supports).")
    List<CliMechanism> only;

    @Option(names = "--reference", defaultValue = "VANILLA",
        description = "Mechanism computing the f32 reference: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; "
            + "BLOCKWISE for long sequences, where f32 VANILLA logits would not fit).")
    ReferenceMechanism referenceOption;

    @Option(names = "--grad", description = "Also compare gradients: dq, dk, dv of sum(out * ct) for a random ct "
        + "against the f32 reference's, pass/fail per dtype tolerance, forward+backward time.")
    boolean grad;

    @Option(names = "--explain", description = "After the table, say why the mechanisms differ in time and memory: a graph"
        + " diff of each against VANILLA (or the first one run): ops by kind, FLOPs, peak-live estimate, and the compiled"
        + " side where the backend gives it (fusions, custom calls, XLA temp bytes).")
    boolean explain;

    /** A compiled mechanism as the diff sees it: its graph, optimized HLO and XLA temp bytes where the backend gives them. */
    private static org.xla4j.graph.GraphDiff.Side side(Program p, Executable exe) {
      java.util.Optional<org.xla4j.graph.HloSummary> hlo = java.util.Optional.empty();
      try {
        hlo = exe.optimizedHlo().map(org.xla4j.graph.HloSummary::read);
      } catch (RuntimeException e) {
        System.err.println("(--explain: no optimized HLO: " + firstLine(e) + ")");
      }
      java.util.OptionalLong temp = exe.compiledMemoryStats()
          .map(m -> java.util.OptionalLong.of(m.temp())).orElse(java.util.OptionalLong.empty());
      return new org.xla4j.graph.GraphDiff.Side(org.xla4j.graph.OpGraph.of(p), hlo, temp);
    }

    private static void explain(java.util.Map<Mechanism, org.xla4j.graph.GraphDiff.Side> sides) {
      if (sides.size() < 2) {
        System.out.println("(--explain: fewer than two mechanisms ran; nothing to compare)");
        return;
      }
      Mechanism base = sides.containsKey(Mechanism.VANILLA) ? Mechanism.VANILLA : sides.keySet().iterator().next();
      for (var e : sides.entrySet()) {
        if (e.getKey() == base) continue;
        System.out.println();
        System.out.println("why " + e.getKey() + " differs from " + base + " (A = " + base + ", B = " + e.getKey() + "):");
        System.out.print(org.xla4j.graph.GraphDiff.text(sides.get(base), e.getValue()));
      }
      if (sides.values().stream().allMatch(sd -> sd.optimized().isEmpty())) {
        System.out.println("(compiled side: this backend gave no optimized HLO; on the CPU backend run the command in a"
            + " process of its own with --dump DIR, or use --backend pjrt)");
      }
    }

    @Override
    public Integer call() {
      DType dt = check();
      Mechanism reference = referenceOption.mechanism();
      TensorType qt = TensorType.of(dt, batch, seq, heads, headDim);
      TensorType kt = TensorType.of(dt, batch, seq, kvHeads, headDim);
      Random r = new Random(seed);
      HostTensor q = random(r, qt);
      HostTensor k = random(r, kt);
      HostTensor v = random(r, kt);
      if (explain && !common.dumps.on()) XlaDumps.cpuDumpForAnalysis(common.backend.spec);
      common.prepareDump();
      try (Backend b = Backends.open(common.backend.spec)) {
        String platform = b.platformName();
        System.out.printf(Locale.ROOT, "attention compare: B=%d S=%d H=%d Hkv=%d D=%d %s%s%s on %s (%s)%n", batch, seq,
            heads, kvHeads, headDim, dt.mlir(), common.causal ? " causal" : "",
            " chunks " + chunk(common.chunkQ, seq) + "x" + chunk(common.chunkK, seq), platform, b.platformVersion());
        List<Mechanism> ms = only == null || only.isEmpty()
            ? List.of(Mechanism.CUDNN, Mechanism.BLOCKWISE, Mechanism.DECODE, Mechanism.VANILLA)
            : only.stream().map(CliMechanism::mechanism).distinct().toList();
        // Mechanisms run first, smallest first, so each allocator peak says something; the f32 reference
        // (the largest program) runs last and the errors are computed once it is known.
        List<Row> rows = new ArrayList<>();
        java.util.Map<Mechanism, org.xla4j.graph.GraphDiff.Side> sides = new java.util.LinkedHashMap<>();
        long peakBefore = peak(b);
        float[] ref = null;
        String refNote = "";
        // one unit per mechanism, one for the reference: long sequences take minutes on the CPU backend
        try (Progress progress = Progress.bar("attention compare", ms.size() + 1)) {
          for (Mechanism m : ms) {
            progress.message(m.name());
            if (!m.runsOn(b.platform())) {
              rows.add(Row.skipped(m, "not on " + platform + " ("
                  + (m == Mechanism.CUDNN ? "needs a CUDA GPU backend: --backend pjrt on an NVIDIA GPU" : "not implemented")
                  + ")"));
              progress.step();
              continue;
            }
            Program text;
            try {
              text = module(common.options(m, platform), qt, kt, kt, null);
            } catch (IllegalArgumentException e) {
              rows.add(Row.skipped(m, "rejected: " + e.getMessage()));
              progress.step();
              continue;
            }
            try (Executable exe = b.compile(text, common.compileOptions())) {
              long inUse = inUse(b);
              float[] out = exe.execute(q, k, v).get(0).toFloatArray();
              common.dump(m.name(), text, exe); // after a run: the CPU backend compiles at the first one
              if (explain) sides.put(m, side(text, exe));
              double msPerCall = time(b, exe, List.of(q, k, v));
              long p = peak(b);
              String mem = p < 0 ? "n/a" : p > peakBefore ? String.format(Locale.ROOT, "%,d B", p - inUse)
                  : "<= earlier peak";
              peakBefore = Math.max(peakBefore, p);
              rows.add(new Row(m, out, msPerCall, mem, ""));
            } catch (org.xla4j.runtime.XlaException e) {
              // e.g. VANILLA's S x S logits not fitting the device: report it and go on with the others
              rows.add(Row.skipped(m, "failed: " + firstLine(e)));
            }
            progress.step();
          }
          // the reference: VANILLA (or --reference) on the same values in f32
          progress.message("f32 " + reference + " reference");
          List<HostTensor> f32 = List.of(q.astype(DType.F32), k.astype(DType.F32), v.astype(DType.F32));
          Program refText = module(common.options(reference, platform), f32.get(0).type(), f32.get(1).type(),
              f32.get(2).type(), null);
          try (Executable exe = b.compile(refText, common.compileOptions())) {
            ref = exe.execute(f32).get(0).toFloatArray();
          } catch (org.xla4j.runtime.XlaException e) {
            refNote = "the f32 " + reference + " reference failed (" + firstLine(e) + "); try --reference BLOCKWISE";
          }
          progress.step();
        }
        System.out.printf(Locale.ROOT, "%-10s %26s %16s %22s  %s%n", "mechanism", "max|err| vs f32 " + reference,
            "ms/call (median)", "device memory", "note");
        for (Row row : rows) {
          if (row.out() == null) {
            System.out.printf(Locale.ROOT, "%-10s %26s %16s %22s  %s%n", row.mechanism(), "-", "-", "-", row.note());
          } else {
            String err = ref == null ? "-" : String.format(Locale.ROOT, "%.3e", maxAbs(ref, row.out()));
            System.out.printf(Locale.ROOT, "%-10s %26s %16.3f %22s  %s%n", row.mechanism(), err, row.msPerCall(),
                row.memory(), row.note());
          }
        }
        if (!refNote.isEmpty()) System.out.println("(" + refNote + ")");
        if (peakBefore < 0) {
          System.out.println("(device memory: n/a, the " + platform + " backend does not report allocator statistics; "
              + "on PJRT it is the allocator's peak above the resident inputs, mechanisms run smallest first)");
        } else {
          System.out.println("(device memory: the allocator's peak above the resident inputs while the mechanism ran,"
              + " including the results of the " + iters + " queued timed calls; mechanisms run smallest first,"
              + " the f32 reference last)");
        }
        if (explain) explain(sides);
        if (grad) {
          gradients(b, platform, ms, dt, List.of(q, k, v),
              List.of(q.astype(DType.F32), k.astype(DType.F32), v.astype(DType.F32)), qt, reference);
        }
      }
      return 0;
    }

    /** Every option value, before any work: a bad one is a usage error naming the option. */
    private DType check() {
      OptionChecks.positive(spec, "--batch", batch);
      OptionChecks.positive(spec, "--seq", seq);
      OptionChecks.positive(spec, "--heads", heads);
      OptionChecks.positive(spec, "--kv-heads", kvHeads);
      OptionChecks.positive(spec, "--head-dim", headDim);
      OptionChecks.positive(spec, "--runs", runs);
      OptionChecks.positive(spec, "--iters", iters);
      common.check(spec);
      if (heads % kvHeads != 0) {
        throw new ParameterException(spec.commandLine(), "--heads (" + heads + ") must be a multiple of --kv-heads ("
            + kvHeads + "): each key/value head serves heads/kv-heads query heads");
      }
      long elements = (long) batch * seq * Math.max(heads, kvHeads) * headDim;
      if (elements > Integer.MAX_VALUE - 8) {
        throw new ParameterException(spec.commandLine(), "--batch x --seq x --heads x --head-dim = " + elements
            + " elements per tensor, more than one Java array holds (" + (Integer.MAX_VALUE - 8) + ")");
      }
      DType dt;
      try {
        dt = DType.fromMlir(dtype.toLowerCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        dt = null;
      }
      if (dt == null || !dt.isFloat()) {
        throw new ParameterException(spec.commandLine(), "--dtype must be f32, bf16 or f16, got '" + dtype + "'");
      }
      return dt;
    }

    /** The --grad table: each mechanism's dq, dk, dv against the f32 reference's. */
    private void gradients(Backend b, String platform, List<Mechanism> ms, DType dt, List<HostTensor> qkv,
        List<HostTensor> f32, TensorType qt, Mechanism reference) {
      HostTensor ct = AttentionGrad.cotangent(seed, qt);
      List<AttentionGrad.Result> rows = new ArrayList<>();
      for (Mechanism m : ms) {
        if (!m.runsOn(b.platform())) {
          rows.add(AttentionGrad.Result.none(m, "not on " + platform));
          continue;
        }
        rows.add(AttentionGrad.run(b, common.options(m, platform), qkv, ct, (exe, args) -> time(b, exe, args)));
      }
      AttentionGrad.Result ref = AttentionGrad.run(b, common.options(reference, platform), f32, ct, null);
      System.out.println();
      if (ms.contains(Mechanism.BLOCKWISE) || reference == Mechanism.BLOCKWISE) {
        System.out.println("BLOCKWISE's backward: its own blockwise VJP, block " + Attention.blockwiseGradBlock(
            common.chunkQ, common.chunkK, seq, seq, common.causal) + (common.causal ? " (causal blocks skipped)" : ""));
      }
      AttentionGrad.print(rows, ref, dt, reference.name());
    }

    private static long chunk(int c, int s) { return Attention.blockwiseChunk(c, s); }

    /** One line of the table; {@code out} is null for a mechanism that did not run. */
    private record Row(Mechanism mechanism, float[] out, double msPerCall, String memory, String note) {
      static Row skipped(Mechanism m, String note) { return new Row(m, null, 0, "-", note); }
    }

    private static String firstLine(Exception e) {
      String msg = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      return msg.length() > 120 ? msg.substring(0, 120) + "..." : msg;
    }

    /**
     * Median over runs of (time of {@code iters} calls)/iters, with the inputs resident on the device:
     * {@code iters} calls are queued, then one wait (as JAX's timing does); results are freed after the
     * clock stops, since freeing a result still being computed would wait for it and serialize the calls.
     */
    private double time(Backend b, Executable exe, List<HostTensor> args) {
      double[] t = new double[runs];
      List<DeviceBuffer> in = new ArrayList<>();
      try {
        for (HostTensor h : args) in.add(b.toDevice(h));
        for (int r = 0; r < runs; r++) {
          List<List<DeviceBuffer>> outs = new ArrayList<>();
          long t0 = System.nanoTime();
          for (int i = 0; i < iters; i++) outs.add(exe.executeBuffers(in));
          outs.get(iters - 1).get(0).awaitReady();
          t[r] = (System.nanoTime() - t0) / 1e6 / iters;
          outs.forEach(o -> o.forEach(DeviceBuffer::close));
        }
      } finally {
        in.forEach(DeviceBuffer::close);
      }
      Arrays.sort(t);
      return t[runs / 2];
    }

    private static long peak(Backend b) {
      return b.memoryStats(b.devices().get(0)).map(MemoryStats::peakBytesInUse).orElse(-1L);
    }

    private static long inUse(Backend b) {
      return b.memoryStats(b.devices().get(0)).map(MemoryStats::bytesInUse).orElse(-1L);
    }
  }

  static HostTensor random(Random r, TensorType t) {
    float[] f = new float[(int) t.numElements()];
    for (int i = 0; i < f.length; i++) f[i] = r.nextFloat() * 2 - 1;
    return HostTensor.of(t.dtype(), t.shape(), f);
  }

  static double maxAbs(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      double d = Math.abs(a[i] - b[i]);
      if (Double.isNaN(d)) return Double.NaN;
      m = Math.max(m, d);
    }
    return m;
  }

  // ------------------------------------------------------------------------------------------ run

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Run one mechanism on q, k, v (BTNH) from safetensors files; writes 'out'.")
  static final class Run implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Common common = new Common();

    @Option(names = "--mechanism", required = true, paramLabel = "M",
        description = "Any case: ${COMPLETION-CANDIDATES}.")
    CliMechanism mechanismOption;

    @Option(names = "--input", required = true, split = ",", paramLabel = InputSpec.SYNTAX,
        description = "q=..., k=..., v=... and optionally mask=... (a (B, Sk) padding mask: bool or integer keeps where "
            + "non-zero, float is additive, 0 keeps and -1e9 hides); comma-separated or repeated. " + InputSpec.HELP)
    List<String> inputs;

    @Option(names = "--output", required = true, paramLabel = "OUT.safetensors") Path output;

    @Override
    public Integer call() throws IOException {
      common.check(spec);
      OptionChecks.writableOutput(spec, "--output", output);
      Mechanism mechanism = mechanismOption.mechanism();
      Map<String, HostTensor> in = new LinkedHashMap<>();
      for (String s : inputs) {
        InputSpec input = InputSpec.parse(s);
        if (!List.of("q", "k", "v", "mask").contains(input.name())) {
          throw new IllegalArgumentException("--input names are q, k, v and mask, got '" + input.name() + "'");
        }
        in.put(input.name(), input.read());
      }
      for (String need : List.of("q", "k", "v")) {
        if (!in.containsKey(need)) throw new IllegalArgumentException("--input requires q, k and v, missing " + need);
      }
      common.prepareDump();
      try (Backend b = Backends.open(common.backend.spec)) {
        Common.checkRuns(spec, mechanism, b.platformName());
        AttentionOptions o = common.options(mechanism, b.platformName());
        HostTensor mask = in.get("mask");
        Program text = module(o, in.get("q").type(), in.get("k").type(), in.get("v").type(),
            mask == null ? null : mask.type());
        List<HostTensor> args = new ArrayList<>(List.of(in.get("q"), in.get("k"), in.get("v")));
        if (mask != null) args.add(mask);
        long t0 = System.nanoTime();
        try (Executable exe = b.compile(text, common.compileOptions())) {
          HostTensor out = exe.execute(args).get(0);
          common.dump(mechanism.name(), text, exe); // after the run: the CPU backend compiles at the first one
          Safetensors.write(output, Map.of("out", out));
          System.err.printf(Locale.ROOT, "ran %s attention on %s: out %s -> %s (%.1f ms with compile)%n", mechanism,
              b.platformName(), out.type(), output, (System.nanoTime() - t0) / 1e6);
        }
      }
      return 0;
    }
  }
}
