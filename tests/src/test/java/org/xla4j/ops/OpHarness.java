package org.xla4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.xla4j.ir.FunctionBuilder;
import org.xla4j.ir.HloModule;
import org.xla4j.ir.ModuleBuilder;
import org.xla4j.ir.Value;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.HalfFloats;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * Builds a small program with the raw IR, prints it, compiles it on one shared backend and runs it.
 * Every run also checks the third tier of STYLE.md point 13: the result types our shape rules inferred
 * equal the compiled executable's signature and the types of the tensors that come back.
 *
 * <pre>{@code
 * static OpHarness h;
 * @BeforeAll static void open() { h = OpHarness.cpu(); }
 * @AfterAll static void close() { h.close(); }
 * HostTensor y = h.run1(List.of(F32_4), (fb, a) -> List.of(fb.emit1(new Op.Unary(UnaryKind.EXP, a.get(0)))), x);
 * }</pre>
 */
final class OpHarness implements AutoCloseable {
  private final Backend backend;

  private OpHarness(Backend backend) { this.backend = backend; }

  /** The embedded XLA CPU backend. */
  static OpHarness cpu() { return new OpHarness(Backends.open("cpu")); }

  Backend backend() { return backend; }

  @Override
  public void close() { backend.close(); }

  /** The body of {@code @main}: gets the builder and its arguments, returns the results. */
  @FunctionalInterface
  interface Body {
    List<Value> build(FunctionBuilder fb, List<Value> args);
  }

  /** Like {@link Body}, with the module builder too (to add and call helper functions). */
  @FunctionalInterface
  interface ModuleBody {
    List<Value> build(ModuleBuilder mb, FunctionBuilder main, List<Value> args);
  }

  /** A program and the result types the IR inferred for it. */
  record Program(org.xla4j.program.Program program, List<TensorType> argTypes, List<TensorType> resultTypes) {
    /** Its one-device text, for failure messages. */
    String text() { return program.text(); }
  }

  static Program program(List<TensorType> argTypes, Body body) {
    return program(argTypes, (mb, fb, args) -> body.build(fb, args));
  }

  static Program program(List<TensorType> argTypes, ModuleBody body) {
    ModuleBuilder mb = new ModuleBuilder("op_test");
    FunctionBuilder fb = mb.function("main");
    for (TensorType t : argTypes) fb.arg(t);
    List<Value> results = body.build(mb, fb, fb.args());
    fb.ret(results.toArray(Value[]::new));
    HloModule m = mb.build();
    return new Program(org.xla4j.program.Program.of(m), argTypes,
        results.stream().map(Value::type).toList());
  }

  /** A compiled program that checks every execution's results against the inferred types. */
  final class Compiled implements AutoCloseable {
    final Program program;
    final Executable exe;

    private Compiled(Program program) {
      this.program = program;
      this.exe = backend.compile(program.program());
      assertEquals(program.argTypes(), exe.signature().args(), "executable argument types\n" + program.text());
      assertEquals(program.resultTypes(), exe.signature().results(), "executable result types\n" + program.text());
    }

    List<HostTensor> run(HostTensor... args) {
      List<HostTensor> out = exe.execute(List.of(args));
      assertEquals(program.resultTypes(), out.stream().map(HostTensor::type).toList(),
          "types of the returned tensors\n" + program.text());
      return out;
    }

    HostTensor run1(HostTensor... args) {
      List<HostTensor> out = run(args);
      assertEquals(1, out.size(), "result count");
      return out.get(0);
    }

    @Override
    public void close() { exe.close(); }
  }

  Compiled compile(List<TensorType> argTypes, Body body) {
    return new Compiled(program(argTypes, body));
  }

  Compiled compile(List<TensorType> argTypes, ModuleBody body) {
    return new Compiled(program(argTypes, body));
  }

  /** Builds, compiles, runs once. */
  List<HostTensor> run(List<TensorType> argTypes, Body body, HostTensor... args) {
    try (Compiled c = compile(argTypes, body)) {
      return c.run(args);
    }
  }

  HostTensor run1(List<TensorType> argTypes, Body body, HostTensor... args) {
    try (Compiled c = compile(argTypes, body)) {
      return c.run1(args);
    }
  }

  // ------------------------------------------------------------------ inputs and index math

  static TensorType t(DType d, long... dims) { return TensorType.of(d, dims); }

  static TensorType scalar(DType d) { return TensorType.scalar(d); }

  /** {@code n} uniform floats in [lo, hi), already rounded to {@code d} (so oracles see what the device sees). */
  static float[] uniform(Random rnd, int n, double lo, double hi, DType d) {
    float[] r = new float[n];
    for (int i = 0; i < n; i++) r[i] = round(d, (float) (lo + (hi - lo) * rnd.nextDouble()));
    return r;
  }

  static float[] uniform(Random rnd, int n, double lo, double hi) { return uniform(rnd, n, lo, hi, DType.F32); }

  static int[] ints(Random rnd, int n, int lo, int hiExclusive) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) r[i] = lo + rnd.nextInt(hiExclusive - lo);
    return r;
  }

  /** A float value as the device stores it in {@code d} (round to nearest even for bf16/f16). */
  static float round(DType d, float x) {
    return switch (d) {
      case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(x));
      case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(x));
      default -> x;
    };
  }

  static HostTensor tensor(DType d, float[] data, long... dims) { return HostTensor.of(d, Shape.of(dims), data); }

  static HostTensor f32(float[] data, long... dims) { return HostTensor.of(data, dims); }

  static HostTensor i32(int[] data, long... dims) { return HostTensor.ofInts(data, dims); }

  static HostTensor i32Scalar(int v) { return HostTensor.ofInts(new int[] {v}); }

  static HostTensor pred(boolean... v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) f[i] = v[i] ? 1 : 0;
    return HostTensor.of(DType.PRED, Shape.of(v.length), f);
  }

  static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) d[i] = f[i];
    return d;
  }

  static double[] toDouble(int[] v) { return Arrays.stream(v).asDoubleStream().toArray(); }

  /** Row-major strides of {@code dims}. */
  static int[] strides(long... dims) {
    int[] s = new int[dims.length];
    int acc = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= (int) dims[i];
    }
    return s;
  }

  /** Multi-index of a row-major flat index. */
  static int[] unravel(int flat, long... dims) {
    int[] idx = new int[dims.length];
    for (int i = dims.length - 1; i >= 0; i--) {
      idx[i] = (int) (flat % dims[i]);
      flat /= (int) dims[i];
    }
    return idx;
  }

  static int ravel(int[] idx, long... dims) {
    int flat = 0;
    for (int i = 0; i < dims.length; i++) flat = flat * (int) dims[i] + idx[i];
    return flat;
  }

  static int numel(long... dims) {
    int n = 1;
    for (long d : dims) n *= (int) d;
    return n;
  }
}
