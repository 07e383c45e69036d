package org.xla4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Rng;
import org.xla4j.dsl.RngResult;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.moe.Moe;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.moe.MoeResult;
import org.xla4j.models.moe.MoeWeights;
import org.xla4j.models.quant.Weight;
import org.xla4j.program.Program;
import org.xla4j.types.DType;

/**
 * The programs {@code xla4j bench moe} runs: the layer's random inputs made on the device (so a 10 GB layer
 * needs no host upload), the layer itself, and the two ceilings (a bf16 matmul and a copy).
 */
final class MoeBenchPrograms {
  private MoeBenchPrograms() {}

  /** The layer's sizes. */
  record Shape(long tokens, long model, long hidden, long experts, int topK) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "T%d D%d F%d E%d top-%d", tokens, model, hidden, experts, topK);
    }
  }

  /** How the experts' weights are stored. */
  enum WeightsKind {
    BF16, INT8;

    /** Arguments after x and the router: linear, linear_v, linear_1, each with its scales for INT8. */
    int weightArgs() { return this == BF16 ? 3 : 6; }
  }

  /** Grok-1's scale blocks: linear and linear_v one per output channel, linear_1 eight over its inputs. */
  static final long BLOCKS = 1;
  static final long BLOCKS_1 = 8;

  /**
   * Random inputs: x bf16 {@code [N, D]} of unit variance; router f32 {@code [D, E]} with variance 1/D, so the
   * logits have unit variance and routing spreads over the experts as a trained router's does (no expert
   * takes all tokens); expert weights with variance 1/in (bf16, or int8 in [-127, 127] with positive bf16
   * scales of that size). Uniform draws, never zeros.
   */
  static Program inputs(Shape s, WeightsKind kind, long seed) { return inputs(s, kind, seed, false); }

  /**
   * {@link #inputs(Shape, WeightsKind, long)}, with {@code minor}: the same values, each expert weight (int8: its
   * quantized values; scales as they are) stored transposed, {@code [E, out, in]}, the contraction axis minor.
   */
  static Program inputs(Shape s, WeightsKind kind, long seed, boolean minor) {
    Graph g = new Graph("moe_inputs");
    Tensor key = Rng.key(g, seed);
    List<Tensor> outs = new ArrayList<>();
    RngResult r = uniform(key, 1.0, s.tokens(), s.model());
    outs.add(r.value().astype(DType.BF16));
    r = uniform(r.state(), 1.0 / Math.sqrt(s.model()), s.model(), s.experts());
    outs.add(r.value());
    long[][] shapes = {{s.experts(), s.model(), s.hidden()}, {s.experts(), s.model(), s.hidden()},
        {s.experts(), s.hidden(), s.model()}};
    long[] blocks = {BLOCKS, BLOCKS, BLOCKS_1};
    for (int i = 0; i < 3; i++) {
      long[] sh = shapes[i];
      double std = 1.0 / Math.sqrt(sh[1]);
      switch (kind) {
        case BF16 -> {
          r = uniform(r.state(), std, sh);
          outs.add(stored(r.value().astype(DType.BF16), minor));
        }
        case INT8 -> {
          r = Rng.uniform(r.state(), DType.F32, -127.49, 127.49, sh);
          outs.add(stored(r.value().round().astype(DType.I8), minor));
          // |q| averages ~73 (std of uniform on [-127, 127]): scale so that q · scale has about std
          r = Rng.uniform(r.state(), DType.F32, 0.5, 1.5, sh[0], blocks[i], sh[2]);
          outs.add(r.value().mul(std / 73.3).astype(DType.BF16));
        }
      }
    }
    return g.program(outs.toArray(Tensor[]::new));
  }

  /** An expert weight {@code [E, in, out]} as stored: transposed to {@code [E, out, in]} when {@code minor}. */
  private static Tensor stored(Tensor w, boolean minor) { return minor ? w.transpose(0, 2, 1) : w; }

  /** Uniform with mean 0 and standard deviation {@code std}, f32. */
  private static RngResult uniform(Tensor key, double std, long... shape) {
    double a = std * Math.sqrt(3);
    return Rng.uniform(key, DType.F32, -a, a, shape);
  }

  /** The layer: (x, router, weights...) -> (y bf16 [N, D], dropped i32, experts i32 [N, K], fallback i32). */
  static Program layer(Shape s, WeightsKind kind, MoeOptions o) { return layer(s, kind, o, false); }

  /**
   * {@link #layer(Shape, WeightsKind, MoeOptions)} over weights stored as {@link #inputs(Shape, WeightsKind, long,
   * boolean)} makes them: with {@code minor}, each expert weight parameter is {@code [E, out, in]} and transposed to
   * the layer's {@code [E, in, out]} in the program, where XLA may fold the transpose into its consumers' layout.
   */
  static Program layer(Shape s, WeightsKind kind, MoeOptions o, boolean minor) {
    Graph g = new Graph("moe_" + o.implementation().name().toLowerCase(Locale.ROOT));
    Tensor x = g.parameter(DType.BF16, s.tokens(), s.model());
    Tensor router = g.parameter(DType.F32, s.model(), s.experts());
    Weight[] w = new Weight[3];
    long[][] shapes = {{s.experts(), s.model(), s.hidden()}, {s.experts(), s.model(), s.hidden()},
        {s.experts(), s.hidden(), s.model()}};
    long[] blocks = {BLOCKS, BLOCKS, BLOCKS_1};
    for (int i = 0; i < 3; i++) {
      long[] sh = shapes[i];
      long[] st = minor ? new long[] {sh[0], sh[2], sh[1]} : sh;
      w[i] = switch (kind) {
        case BF16 -> Weight.of(stored(g.parameter(DType.BF16, st), minor));
        case INT8 -> Weight.int8(stored(g.parameter(DType.I8, st), minor), g.parameter(DType.BF16, sh[0], blocks[i], sh[2]));
      };
    }
    MoeResult r = Moe.apply(o, x, new MoeWeights(router, w[0], w[1], w[2]));
    return g.program(r.output(), r.dropped(), r.experts(), r.fallback());
  }

  /** Two random bf16 {@code [n, n]} matrices. */
  static Program matmulInputs(long n) {
    Graph g = new Graph("matmul_inputs");
    RngResult a = uniform(Rng.key(g, 11), 1.0, n, n);
    RngResult b = uniform(a.state(), 1.0, n, n);
    return g.program(a.value().astype(DType.BF16), b.value().astype(DType.BF16));
  }

  /** {@code a · b}, bf16 {@code [n, n]}: 2n³ FLOPs. */
  static Program matmul(long n) {
    Graph g = new Graph("matmul");
    Tensor a = g.parameter(DType.BF16, n, n);
    Tensor b = g.parameter(DType.BF16, n, n);
    return g.program(a.matmul(b));
  }

  /** A random f32 vector of {@code elements}. */
  static Program copyInput(long elements) {
    Graph g = new Graph("copy_input");
    return g.program(uniform(Rng.key(g, 12), 1.0, elements).value());
  }

  /**
   * {@code -x} in f32: one read and one write of every element, which XLA cannot elide as it could a plain copy
   * (f32, not bf16: the CPU converts bf16 element by element, which would measure that instead of memory).
   */
  static Program copy(long elements) {
    Graph g = new Graph("copy");
    return g.program(g.parameter(DType.F32, elements).neg());
  }
}
