package org.xla4j.models.generate;

import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.Literal;
import org.xla4j.ir.Op;
import org.xla4j.ir.OpException;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Threefry-2x32 (20 rounds) in DSL integer ops on u32 tensors, vectorized over any leading axes: the
 * counter-based generator of JAX's default PRNG, so per-request randomness lives on the device and
 * depends only on the request's key. A key is a u32 tensor {@code [..., 2]}; {@link ThreefryHost} is the
 * same function in plain Java (host seeding and the tests' oracle).
 *
 * <p>Key derivation follows JAX with {@code jax_threefry_partitionable} (its default since 0.5):
 * {@code fold_in(key, d)} hashes counter {@code (0, d)}; key {@code i} of a split is {@code fold_in(key, i)};
 * the 32-bit word {@code j} of a draw is the xor of the two output words of counter {@code (0, j)}.
 *
 * <pre>{@code
 * Tensor key = g.parameter(DType.U32, batch, 2);      // one key per row
 * Tensor sub = Threefry.split(key, 1);                 // this step's draws
 * Tensor next = Threefry.split(key, 0);                // the key for the next step
 * Tensor u = Threefry.uniform(sub, vocab);             // [batch, vocab] f32 in [0, 1)
 * }</pre>
 */
public final class Threefry {
  private Threefry() {}

  /** The two output words of the cipher. */
  public record Words(Tensor w0, Tensor w1) {}

  /**
   * The cipher on u32 words that broadcast together (NumPy rules): counter {@code (x0, x1)} under key
   * {@code (k0, k1)}. A key of shape {@code [B, 1]} with counters {@code [B, V]} hashes V counters per row.
   */
  public static Words hash(Tensor k0, Tensor k1, Tensor x0, Tensor x1) {
    for (Tensor t : new Tensor[] {k0, k1, x0, x1}) {
      if (t.dtype() != DType.U32) throw error("hash", "requires ui32 words, got " + t.type());
    }
    Tensor k2 = k0.xor(k1).xor(constant(k0, ThreefryHost.PARITY));
    Tensor[] ks = {k0, k1, k2};
    Tensor a = x0.add(k0);
    Tensor b = x1.add(k1);
    if (!a.shape().equals(b.shape())) {
      // both words take the full broadcast shape before the rounds
      a = a.add(Jnp.zerosLike(b));
      b = b.add(Jnp.zerosLike(a));
    }
    for (int r = 0; r < ThreefryHost.ROUNDS; r++) {
      a = a.add(b);
      b = rotateLeft(b, ThreefryHost.ROTATIONS[r % 8]).xor(a);
      if (r % 4 == 3) {
        int s = r / 4 + 1;
        a = a.add(ks[s % 3]);
        b = b.add(ks[(s + 1) % 3]).add(constant(b, s));
      }
    }
    return new Words(a, b);
  }

  /** {@code fold_in}: {@code key [..., 2]} with {@code data} (u32, broadcasting to the key's leading shape). */
  public static Tensor foldIn(Tensor key, Tensor data) {
    checkKey("foldIn", key);
    if (data.dtype() != DType.U32) throw error("foldIn", "requires ui32 data, got " + data.type());
    Tensor k0 = word(key, 0);
    Tensor k1 = word(key, 1);
    Words y = hash(k0, k1, Jnp.zerosLike(data), data);
    return Jnp.stack(-1, y.w0(), y.w1());
  }

  /** {@code fold_in} with a constant: {@code foldIn(key, 7)}. */
  public static Tensor foldIn(Tensor key, long data) {
    checkKey("foldIn", key);
    if (data < 0 || data > 0xFFFF_FFFFL) throw error("foldIn", "requires data in [0, 2^32), got " + data);
    Tensor k0 = word(key, 0);
    return foldIn(key, constant(k0, data));
  }

  /** Key {@code i} of a split of each row's key (JAX's {@code split(key, n)[i]}, for any n > i). */
  public static Tensor split(Tensor key, int i) {
    if (i < 0) throw error("split", "requires a non-negative key index, got " + i);
    return foldIn(key, i);
  }

  /** {@code n} random u32 words per key: {@code key [..., 2] -> [..., n]}. */
  public static Tensor bits(Tensor key, long n) {
    checkKey("bits", key);
    if (n < 1 || n > 0xFFFF_FFFFL) throw error("bits", "requires a count in [1, 2^32), got " + n);
    Tensor k0 = word(key, 0).expandDims(-1);
    Tensor k1 = word(key, 1).expandDims(-1);
    long[] dims = k0.shape().dims().clone();
    dims[dims.length - 1] = n;
    TensorType t = TensorType.of(DType.U32, dims);
    Graph g = key.graph();
    Tensor counter = g.iota(t, dims.length - 1);
    Words y = hash(k0, k1, g.zeros(t), counter);
    return y.w0().xor(y.w1());
  }

  /**
   * {@code n} f32 uniforms in [0, 1) per key, {@code [..., n]}: 23 random bits as the mantissa of a float
   * in [1, 2), minus 1 (JAX's construction), so every value is a multiple of 2^-23.
   */
  public static Tensor uniform(Tensor key, long n) {
    Tensor b = bits(key, n);
    Tensor m = shift(BinaryKind.SHIFT_RIGHT_LOGICAL, b, 9).or(constant(b, 0x3F800000L));
    return m.bitcast(DType.F32).sub(1.0);
  }

  /**
   * {@code n} standard Gumbel samples per key, {@code -log(-log(u))} with u uniform in [tiny, 1) as JAX's
   * {@code random.gumbel} draws it, so the result is finite.
   */
  public static Tensor gumbel(Tensor key, long n) {
    Tensor u = uniform(key, n).maximum((double) Float.MIN_NORMAL);
    return u.log().neg().log().neg();
  }

  // ---- helpers ----

  /** Word {@code i} of keys {@code [..., 2]}, shaped {@code [...]}. */
  static Tensor word(Tensor key, int i) { return key.slice(-1, i, i + 1).squeeze(key.rank() - 1); }

  static void checkKey(String op, Tensor key) {
    if (key.dtype() != DType.U32 || key.rank() < 1 || key.dim(-1) != 2) {
      throw error(op, "requires a key of ui32 [..., 2], got " + key.type());
    }
  }

  private static Tensor rotateLeft(Tensor x, int r) {
    return shift(BinaryKind.SHIFT_LEFT, x, r).or(shift(BinaryKind.SHIFT_RIGHT_LOGICAL, x, 32 - r));
  }

  /** The DSL has no shift methods: emit the raw op with a same-shaped amount. */
  private static Tensor shift(BinaryKind kind, Tensor x, int amount) {
    Graph g = x.graph();
    Tensor s = constant(x, amount);
    return g.wrap(g.raw().emit1(new Op.Binary(kind, x.value(), s.value())));
  }

  /** A u32 splat constant shaped like {@code like}, exact for every value below 2^32. */
  private static Tensor constant(Tensor like, long v) {
    return like.graph().constant(Literal.splatLong(like.type(), v & 0xFFFF_FFFFL));
  }

  private static OpException error(String op, String detail) {
    return new OpException("Threefry." + op, detail, CallSite.find(""));
  }
}
