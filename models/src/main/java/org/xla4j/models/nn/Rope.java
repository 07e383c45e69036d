package org.xla4j.models.nn;

import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.OpException;
import org.xla4j.types.DType;

/**
 * Rotary position embeddings (RoFormer). Frequencies {@code theta^(-2i/dim)} for i < dim/2; position
 * {@code p} rotates pair i by angle {@code p·theta^(-2i/dim)}. Two pairings are in use:
 * <ul>
 *   <li>{@link #applyRotaryEmb}: adjacent pairs (x[2i], x[2i+1]), as LLaMA's complex multiply and GPT-J's
 *       rotate_every_two (what BPT uses);</li>
 *   <li>{@link #applyRotaryHalf}: pairs (x[i], x[i + d/2]) via {@link #rotateHalf}, as GPT-NeoX / HF LLaMA.</li>
 * </ul>
 * Tables are f32; the rotation computes in f32 (f64 for f64 x) and returns x's dtype. When the table covers fewer
 * dims than the head ({@code rotary_dim < head_dim}, GPT-J), the remaining dims pass through.
 *
 * <pre>{@code
 * Rope.Freqs f = Rope.precomputeFreqs(g, 64, 2048, 10000);   // [2048, 32] cos and sin
 * Tensor qr = Rope.applyRotaryEmb(q, f.take(positions));     // q [B, S, H, D], positions [S] or [B, S]
 * }</pre>
 */
public final class Rope {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private Rope() {}

  /** cos and sin tables of shape [..., positions, dim/2] (f32). */
  public record Freqs(Tensor cos, Tensor sin) {
    /** Rows for {@code positions} (integer [S] or [B, S]): tables [S, dim/2] or [B, S, dim/2]. */
    public Freqs take(Tensor positions) {
      return new Freqs(cos.take(positions.astype(DType.I32), 0), sin.take(positions.astype(DType.I32), 0));
    }

    /** The first {@code n} positions (rows). */
    public Freqs slice(long n) { return new Freqs(cos.slice(0, 0, n), sin.slice(0, 0, n)); }

    /** Rotary dims covered: twice the table's last axis. */
    public long rotaryDim() { return 2 * cos.dim(-1); }
  }

  /** Tables for positions 0 .. maxLength-1: {@code precompute_freqs_cis(dim, max_length, theta)}. */
  public static Freqs precomputeFreqs(Graph g, int dim, int maxLength, double theta) {
    return precomputeFreqs(g.arange(maxLength, DType.F32), dim, theta);
  }

  /** Tables for explicit positions (any shape, e.g. [S] or [B, S]): [..., dim/2]. */
  public static Freqs precomputeFreqs(Tensor positions, int dim, double theta) {
    if (dim <= 0 || dim % 2 != 0) throw error("precomputeFreqs", "requires an even dim > 0, got " + dim);
    if (!(theta > 0)) throw error("precomputeFreqs", "requires theta > 0, got " + theta);
    Graph g = positions.graph();
    // inv_freq[i] = theta^(-2i/dim) = exp(-(2i/dim) ln theta)
    Tensor inv = g.arange(0, dim, 2, DType.F32).mul(-Math.log(theta) / dim).exp();
    Tensor pos = positions.astype(DType.F32).expandDims(-1);
    Tensor ang = pos.mul(inv);
    return new Freqs(ang.cos(), ang.sin());
  }

  /**
   * Rotates adjacent pairs of {@code x [B, S, H, D]} by the table {@code f} ([S, r/2] or [B, S, r/2],
   * r <= D even); dims r..D-1 pass through.
   */
  public static Tensor applyRotaryEmb(Tensor x, Freqs f) {
    long r = check("applyRotaryEmb", x, f);
    Tensor rot = r == x.dim(3) ? x : x.slice(3, 0, r);
    Tensor xf = rot.astype(Norms.compute(x)).reshape(x.dim(0), x.dim(1), x.dim(2), r / 2, 2);
    Tensor x0 = xf.slice(4, 0, 1).squeeze(4);
    Tensor x1 = xf.slice(4, 1, 2).squeeze(4);
    Tensor cos = heads(f.cos());
    Tensor sin = heads(f.sin());
    Tensor o0 = x0.mul(cos).sub(x1.mul(sin));
    Tensor o1 = x0.mul(sin).add(x1.mul(cos));
    Tensor out = Jnp.stack(4, o0, o1).reshape(x.dim(0), x.dim(1), x.dim(2), r).astype(x.dtype());
    return r == x.dim(3) ? out : Jnp.concat(3, out, x.slice(3, r, x.dim(3)));
  }

  /** {@code rotate_half}: [x1, x2] -> [-x2, x1] over the last axis (even length). */
  public static Tensor rotateHalf(Tensor x) {
    long d = x.dim(-1);
    if (d % 2 != 0) throw error("rotateHalf", "requires an even last axis, got " + x.type());
    Tensor a = x.slice(x.rank() - 1, 0, d / 2);
    Tensor b = x.slice(x.rank() - 1, d / 2, d);
    return Jnp.concat(-1, b.neg(), a);
  }

  /** NeoX-style rotation: {@code x·cos + rotate_half(x)·sin} with the table repeated over both halves. */
  public static Tensor applyRotaryHalf(Tensor x, Freqs f) {
    long r = check("applyRotaryHalf", x, f);
    Tensor rot = (r == x.dim(3) ? x : x.slice(3, 0, r)).astype(Norms.compute(x));
    Tensor cos = heads(Jnp.concat(-1, f.cos(), f.cos()));
    Tensor sin = heads(Jnp.concat(-1, f.sin(), f.sin()));
    Tensor out = rot.mul(cos).add(rotateHalf(rot).mul(sin)).astype(x.dtype());
    return r == x.dim(3) ? out : Jnp.concat(3, out, x.slice(3, r, x.dim(3)));
  }

  /** [S, k] or [B, S, k] -> broadcastable against [B, S, H, k]. */
  static Tensor heads(Tensor t) {
    return t.expandDims(t.rank() - 1);
  }

  private static long check(String op, Tensor x, Freqs f) {
    long r = f.rotaryDim();
    if (x.rank() != 4) throw error(op, "requires x of shape [B, S, H, D], got " + x.type());
    long s = f.cos().rank() >= 2 ? f.cos().dim(-2) : -1;
    if (r > x.dim(3) || s != x.dim(1)) {
      throw error(op, "requires a table of [S, r/2] or [B, S, r/2] with S = " + x.dim(1) + " and r <= " + x.dim(3)
          + ", got " + f.cos().type() + " for x " + x.type());
    }
    return r;
  }

  static OpException error(String op, String detail) {
    return new OpException(op, detail, CallSite.find(""));
  }
}
