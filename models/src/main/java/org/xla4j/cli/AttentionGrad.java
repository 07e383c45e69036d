package org.xla4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionInputs;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.KVMemory;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.XlaException;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * The gradient columns of {@code attention compare --grad} (EasyDeL's attention test): per mechanism, dq,
 * dk and dv of the scalar loss {@code sum(out · ct)} for a fixed random f32 cotangent {@code ct}, against
 * the same loss's gradients of the f32 reference; pass or fail by a per-dtype tolerance; forward+backward
 * time. A mechanism whose ops do not differentiate is reported as "no gradient: reason", not thrown.
 */
final class AttentionGrad {
  private AttentionGrad() {}

  /** Times one executable on its arguments (median ms per call). */
  @FunctionalInterface
  interface Timer {
    double msPerCall(Executable exe, List<HostTensor> args);
  }

  /**
   * Tolerance on max|Δ| of each gradient, relative to max(1, max|reference gradient|): the inputs are
   * rounded to the dtype and every product and accumulation may be too, so it scales with the dtype's
   * epsilon times a small factor for the S-term sums (f32 2^-23, bf16 2^-8, f16 2^-11).
   */
  static double tolerance(DType d) {
    return switch (d) {
      case F64 -> 1e-9;
      case F32 -> 1e-4;
      case F16 -> 1e-2;
      case BF16 -> 5e-2;
      default -> throw new IllegalArgumentException("attention compare --grad: requires a float dtype, got " + d);
    };
  }

  /** out, dq, dk, dv of {@code sum(out · ct)} for one mechanism; ct is f32 of out's shape. */
  static String module(AttentionOptions o, TensorType q, TensorType k, TensorType v) {
    Graph g = new Graph("attention_grad_" + o.mechanism().name().toLowerCase(Locale.ROOT));
    Tree<Tensor> p = Tree.of(Map.of("q", g.parameter(q), "k", g.parameter(k), "v", g.parameter(v)));
    Tensor ct = g.parameter(TensorType.of(DType.F32, q.shape().dims()));
    Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(t -> {
      AttentionInputs in = AttentionInputs.none();
      if (o.mechanism() == Mechanism.DECODE) {
        in = in.withMemory(new KVMemory(g.zeros(k), g.zeros(v), g.scalar(0L, DType.I32)));
      }
      return Attention.apply(o, t.get("q"), t.get("k"), t.get("v"), in).astype(DType.F32).mul(ct).sum();
    }).apply(p);
    return StableHloPrinter.print(g.build(vg.value(), vg.grad().get("q"), vg.grad().get("k"), vg.grad().get("v")),
        EmitOptions.unsharded());
  }

  /** One mechanism's gradients (dq, dk, dv as f32) or the reason it has none. */
  record Result(Mechanism mechanism, float[][] grads, double msPerCall, String note, long tempBytes) {
    static Result none(Mechanism m, String why) { return new Result(m, null, 0, why, -1); }
  }

  /** Runs the gradient program of {@code m} at {@code q, k, v}'s dtype with cotangent {@code ct}. */
  static Result run(Backend b, AttentionOptions o, List<HostTensor> qkv, HostTensor ct, Timer timer) {
    Mechanism m = o.mechanism();
    String text;
    try {
      text = module(o, qkv.get(0).type(), qkv.get(1).type(), qkv.get(2).type());
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      return Result.none(m, "no gradient: " + firstLine(e));
    }
    List<HostTensor> args = new ArrayList<>(qkv);
    args.add(ct);
    try (Executable exe = b.compile(text, CompileOptions.defaults())) {
      List<HostTensor> out = exe.execute(args);
      float[][] grads = {out.get(1).toFloatArray(), out.get(2).toFloatArray(), out.get(3).toFloatArray()};
      double ms = timer == null ? 0 : timer.msPerCall(exe, args);
      // the forward+backward program's scratch memory, as XLA sized it (-1 where the backend does not say)
      long temp = exe.compiledMemoryStats().map(org.xla4j.runtime.CompiledMemoryStats::temp).orElse(-1L);
      return new Result(m, grads, ms, "", temp);
    } catch (XlaException e) {
      return Result.none(m, "failed: " + firstLine(e));
    }
  }

  /** A random f32 cotangent of out's (= q's) shape, from its own seed so the forward inputs do not shift. */
  static HostTensor cotangent(long seed, TensorType q) {
    return AttentionCommand.random(new Random(seed ^ 0x5DEECE66DL), TensorType.of(DType.F32, q.shape().dims()));
  }

  /** Prints the gradient table; returns how many mechanisms with a gradient failed the tolerance. */
  static int print(List<Result> rows, Result ref, DType dt, String refName) {
    double tol = tolerance(dt);
    System.out.printf(Locale.ROOT, "gradients of sum(out * ct) vs f32 %s; pass: max|d| <= %.0e * max(1, max|ref|) "
        + "per gradient (%s)%n", refName, tol, dt.mlir());
    System.out.printf(Locale.ROOT, "%-10s %11s %11s %11s %11s %11s %11s %14s %16s  %s%n", "mechanism", "sum|ddq|",
        "max|ddq|", "sum|ddk|", "max|ddk|", "sum|ddv|", "max|ddv|", "fwd+bwd ms", "XLA temp bytes", "result");
    int failed = 0;
    for (Result r : rows) {
      if (r.grads() == null || ref == null || ref.grads() == null) {
        String why = r.grads() == null ? r.note() : "reference: " + (ref == null ? "none" : ref.note());
        System.out.printf(Locale.ROOT, "%-10s %11s %11s %11s %11s %11s %11s %14s %16s  %s%n", r.mechanism(), "-", "-", "-",
            "-", "-", "-", r.grads() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.msPerCall()), temp(r), why);
        continue;
      }
      StringBuilder cols = new StringBuilder();
      boolean pass = true;
      for (int i = 0; i < 3; i++) {
        double[] sm = sumMax(ref.grads()[i], r.grads()[i]);
        double scale = Math.max(1, maxAbs(ref.grads()[i]));
        pass &= sm[1] <= tol * scale; // NaN fails
        cols.append(String.format(Locale.ROOT, " %11.3e %11.3e", sm[0], sm[1]));
      }
      if (!pass) failed++;
      System.out.printf(Locale.ROOT, "%-10s%s %14.3f %16s  %s%n", r.mechanism(), cols, r.msPerCall(), temp(r),
          pass ? "PASS" : "FAIL");
    }
    return failed;
  }

  private static String temp(Result r) {
    return r.tempBytes() < 0 ? "n/a" : String.format(Locale.ROOT, "%,d", r.tempBytes());
  }

  static double[] sumMax(float[] ref, float[] got) {
    double sum = 0;
    double max = 0;
    for (int i = 0; i < ref.length; i++) {
      double d = Math.abs((double) ref[i] - got[i]);
      if (Double.isNaN(d)) return new double[] {Double.NaN, Double.NaN};
      sum += d;
      max = Math.max(max, d);
    }
    return new double[] {sum, max};
  }

  private static double maxAbs(float[] a) {
    double m = 0;
    for (float f : a) m = Math.max(m, Math.abs(f));
    return m;
  }

  private static String firstLine(Exception e) {
    String msg = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    return msg.length() > 160 ? msg.substring(0, 160) + "..." : msg;
  }
}
