package org.xla4j.cli;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.DotDims;
import org.xla4j.ir.FunctionBuilder;
import org.xla4j.ir.HloModule;
import org.xla4j.ir.ModuleBuilder;
import org.xla4j.ir.Op;
import org.xla4j.ir.Precision;
import org.xla4j.ir.UnaryKind;
import org.xla4j.ir.Value;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code xla4j bench}: emission time of a large program; per-call overhead of a backend. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks: 'emit' (build + print a program of --ops ops), 'call' (per-call overhead of a tiny program),"
        + " 'attention-modules' (write the GPU attention benchmark's modules to --out, for scripts/attention_gpu_bench.py),"
        + " 'upload' (host-to-device GB/s of --bytes from heap, mapped-file and DMA-mapped memory; with --checkpoint, the"
        + " whole checkpoint load from open to all buffers ready; with --make-checkpoint, write a synthetic one),"
        + " 'moe' (the MoE layer's implementations at --shape T,D,F against the FLOP/byte floor and each other),"
        + " 'moe-grad' (the same implementations' gradients: custom backward vs autodiff of the forward, vs DENSE).")
final class BenchCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "emit|call|attention-modules|upload|moe|moe-grad")
  String what;

  @Option(names = "--ops", defaultValue = "10000", description = "Ops in the emitted program (default ${DEFAULT-VALUE}).")
  int ops;

  @Option(names = "--iters", defaultValue = "20", description = "Measured repetitions for emit (default ${DEFAULT-VALUE}).")
  int iters;

  @Option(names = "--calls", defaultValue = "10000", description = "Measured executes for call (default ${DEFAULT-VALUE}).")
  int calls;

  @Option(names = "--bytes", defaultValue = "268435456", description = "upload: tensor size in bytes (default ${DEFAULT-VALUE}).")
  long bytes;

  @Option(names = "--checkpoint", description = "upload: time loading this checkpoint (file, index or directory) onto the device.")
  java.nio.file.Path checkpoint;

  @Option(names = "--path", defaultValue = "AUTO",
      description = "upload --checkpoint: route, AUTO (by file size), DMA (wherever the backend allows) or STAGED (default ${DEFAULT-VALUE}).")
  org.xla4j.checkpoint.CheckpointUpload.Policy path;

  @Option(names = "--repeat", defaultValue = "1", description = "upload --checkpoint: loads in a row (default ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--make-checkpoint",
      description = "upload: write a synthetic bf16 checkpoint of about --bytes in --shards files (~--tensors tensors) to this folder.")
  java.nio.file.Path makeCheckpoint;

  @Option(names = "--tensors", defaultValue = "27", description = "make-checkpoint: about this many tensors (default ${DEFAULT-VALUE}).")
  int tensors;

  @Option(names = "--shards", defaultValue = "2", description = "make-checkpoint: shard files (default ${DEFAULT-VALUE}).")
  int shards;

  @Option(names = "--backend", defaultValue = "cpu")
  String backend;

  @Option(names = "--out", defaultValue = "bench/attention-mlir", description = "Folder for attention-modules.")
  java.nio.file.Path out;

  @Option(names = "--sweep", description = "attention-modules: also write BLOCKWISE chunk-size variants at long sequences.")
  boolean sweep;

  @picocli.CommandLine.Mixin
  MoeBenchOptions moe = new MoeBenchOptions();

  @Override
  public Integer call() {
    switch (what) {
      case "emit" -> {
        OptionChecks.positive(spec, "--ops", ops);
        OptionChecks.positive(spec, "--iters", iters);
        emit();
      }
      case "call" -> {
        OptionChecks.positive(spec, "--calls", calls);
        callOverhead();
      }
      case "attention-modules" -> AttentionBenchModules.write(out, sweep);
      case "upload" -> {
        OptionChecks.positive(spec, "--bytes", bytes);
        upload();
      }
      case "moe" -> {
        MoeBench.Settings settings = moe.settings(spec);
        try (Backend b = Backends.open(backend)) {
          MoeBench.run(b, settings, System.out);
        }
      }
      case "moe-grad" -> {
        MoeBench.Settings settings = moe.settings(spec);
        try (Backend b = Backends.open(backend)) {
          MoeGradBench.run(b, settings, System.out);
        }
      }
      default -> throw new ParameterException(spec.commandLine(),
          "unknown benchmark '" + what + "'; use emit, call, attention-modules, upload, moe or moe-grad");
    }
    return 0;
  }

  private void upload() {
    try {
      if (makeCheckpoint != null) {
        SyntheticCheckpoint.write(makeCheckpoint, bytes, tensors, shards, System.out);
        if (checkpoint == null) return;
      }
      try (Backend b = Backends.open(backend)) {
        if (checkpoint != null) CheckpointBench.run(b, checkpoint, path, repeat, System.out);
        else UploadBench.run(b, bytes, Math.min(iters, 20), System.out);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A chain of elementwise ops with a matmul every 50 ops: the shape of a transformer's op mix. */
  static HloModule bigProgram(int n) {
    ModuleBuilder mb = new ModuleBuilder("big");
    FunctionBuilder fb = mb.function("main");
    Value x = fb.arg(TensorType.of(DType.F32, 64, 64));
    Value w = fb.arg(TensorType.of(DType.F32, 64, 64));
    Value h = x;
    for (int i = 0; i < n; i++) {
      h = switch (i % 50) {
        case 0 -> fb.emit1(new Op.DotGeneral(h, w, DotDims.matmul(), Precision.DEFAULT, Precision.DEFAULT, null));
        case 1, 7, 13 -> fb.emit1(new Op.Unary(UnaryKind.TANH, h));
        default -> fb.emit1(new Op.Binary(i % 2 == 0 ? BinaryKind.ADD : BinaryKind.MULTIPLY, h, x));
      };
    }
    fb.ret(h);
    return mb.build();
  }

  private void emit() {
    long[] build = new long[iters];
    long[] print = new long[iters];
    int chars = 0;
    for (int i = -5; i < iters; i++) {
      long t0 = System.nanoTime();
      HloModule m = bigProgram(ops);
      long t1 = System.nanoTime();
      String text = StableHloPrinter.print(m, EmitOptions.unsharded());
      long t2 = System.nanoTime();
      chars = text.length();
      if (i >= 0) {
        build[i] = t1 - t0;
        print[i] = t2 - t1;
      }
    }
    System.out.printf("emit: %d ops, %d chars of text; build median %.2f ms (min %.2f), print median %.2f ms (min %.2f),"
        + " over %d runs after 5 warm-up%n", ops, chars, ms(median(build)), ms(min(build)), ms(median(print)),
        ms(min(print)), iters);
  }

  private void callOverhead() {
    ModuleBuilder mb = new ModuleBuilder("tiny");
    FunctionBuilder fb = mb.function("main");
    Value a = fb.arg(TensorType.of(DType.F32, 4));
    Value b = fb.arg(TensorType.of(DType.F32, 4));
    fb.ret(fb.emit1(new Op.Binary(BinaryKind.ADD, a, b)));
    Program program = Program.of(mb.build());
    HostTensor x = HostTensor.of(new float[] {1, 2, 3, 4}, 4);
    List<HostTensor> args = List.of(x, x);
    try (Backend be = Backends.open(backend); Executable exe = be.compile(program)) {
      for (int i = 0; i < 2000; i++) exe.execute(args);
      long[] t = new long[calls];
      for (int i = 0; i < calls; i++) {
        long t0 = System.nanoTime();
        exe.execute(args);
        t[i] = System.nanoTime() - t0;
      }
      double mean = Arrays.stream(t).average().orElse(0) / 1e3;
      Arrays.sort(t);
      System.out.printf("call on %s (%s): f32[4]+f32[4] host->host, %d calls after 2000 warm-up: median %.1f us,"
          + " p90 %.1f us, mean %.1f us%n", be.platformName(), be.platformVersion(), calls, t[calls / 2] / 1e3,
          t[calls * 9 / 10] / 1e3, mean);
    }
  }

  private static long median(long[] v) {
    long[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }

  private static long min(long[] v) {
    return Arrays.stream(v).min().orElse(0);
  }

  private static double ms(long ns) {
    return ns / 1e6;
  }
}
