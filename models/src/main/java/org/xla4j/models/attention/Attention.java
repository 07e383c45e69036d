package org.xla4j.models.attention;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.OpException;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/**
 * The attention entry point: validates an {@link AttentionOptions} against the tensors once,
 * normalizes masks and bias, and dispatches to one implementation of a sealed set. VANILLA is the
 * composed reference every other mechanism is tested against.
 *
 * <p>Layout is BTNH as in {@code jax.nn.dot_product_attention}: {@code q [batch, q_seq, heads, head_dim]},
 * {@code k, v [batch, kv_seq, kv_heads, head_dim]}; the output is {@code [batch, q_seq, heads, v_head_dim]}
 * in q's dtype. Logits are {@code scale * q·k}, then soft-capped, then biased; the softmax is f32.
 * A query row with no visible key yields zeros (not NaN, not a uniform average).
 *
 * <p>Masks by dtype (see {@link AttentionInputs}): a bool mask is true where a query may attend a key; an
 * integer mask keeps non-zero entries; a float mask is additive (0 keeps, a large negative such as -1e9 or
 * -inf hides, EasyDeL's form) and is added to the logits with the bias.
 *
 * <pre>{@code
 * Tensor out = Attention.apply(AttentionOptions.builder().causal(true).build(), q, k, v);
 * Tensor out2 = Attention.apply(AttentionOptions.builder().mechanism(Mechanism.BLOCKWISE).chunks(64, 64).build(),
 *     q, k, v, AttentionInputs.none().withMask(padding).withBias(alibi));
 * AttentionResult step = Attention.compute(decodeOptions, q1, k1, v1, AttentionInputs.none().withMemory(cache));
 * }</pre>
 */
public final class Attention {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private Attention() {}

  /**
   * The BLOCKWISE chunk used along a sequence of length {@code len} for a chunk option (0: the automatic
   * choice, a quarter of the sequence within [512, 2048]; never more than the sequence).
   */
  public static long blockwiseChunk(int option, long len) { return BlockwiseAttention.chunk(option, len); }

  /**
   * The block size of BLOCKWISE's own backward (when differentiated without dropout and without a mask or
   * bias that varies along the queries) for the chunk options and lengths: with causal, one size for queries and keys, the smaller
   * of the two options; 0 picks S/8 within [512, 1024]; never more than the sequence, and at most 32 steps.
   *
   * <pre>{@code
   * long c = Attention.blockwiseGradBlock(0, 0, 8192, 8192, true);   // 512
   * }</pre>
   */
  public static long blockwiseGradBlock(int queryChunk, int keyChunk, long qLength, long keyLength, boolean causal) {
    return BlockwiseVjp.block(queryChunk, keyChunk, qLength, keyLength, causal);
  }

  /** Attention output for q, k, v with no mask tensors. */
  public static Tensor apply(AttentionOptions options, Tensor q, Tensor k, Tensor v) {
    return compute(options, q, k, v, AttentionInputs.NONE).output();
  }

  /** Attention output with masks, bias, segment ids, dropout key or cache. */
  public static Tensor apply(AttentionOptions options, Tensor q, Tensor k, Tensor v, AttentionInputs inputs) {
    return compute(options, q, k, v, inputs).output();
  }

  /** Output plus the weights (when asked for) and the updated cache (DECODE). */
  public static AttentionResult compute(AttentionOptions options, Tensor q, Tensor k, Tensor v, AttentionInputs inputs) {
    AttentionProblem p = validate(options, q, k, v, inputs == null ? AttentionInputs.NONE : inputs);
    AttentionImpl impl = switch (options.mechanism()) {
      case VANILLA -> new VanillaAttention();
      case BLOCKWISE -> new BlockwiseAttention();
      case CUDNN -> new CudnnAttention();
      case DECODE -> new DecodeAttention();
      case CUSTOM -> new CustomAttention(options.custom());
      case RING -> throw error("RING (sequence-sharded ring attention) is not implemented yet; on one device use "
          + "VANILLA, BLOCKWISE or DECODE");
    };
    return q.graph().scope("attention_" + options.mechanism().name().toLowerCase(java.util.Locale.ROOT),
        () -> impl.compute(p));
  }

  /** The mechanisms that can run on a platform ({@code cpu}, {@code cuda}, ...), CUSTOM and RING excluded. */
  public static List<Mechanism> supportedOn(String platform) {
    List<Mechanism> out = new ArrayList<>();
    for (Mechanism m : Mechanism.values()) {
      if (m != Mechanism.CUSTOM && m != Mechanism.RING && m.runsOn(platform)) out.add(m);
    }
    return out;
  }

  /** Throws the error {@link Attention#apply} would give when {@code m} cannot run on {@code platform}. */
  public static void checkPlatform(Mechanism m, String platform) {
    if (platform != null && !m.runsOn(platform)) {
      throw error(m + " cannot run on platform '" + platform + "'"
          + (m == Mechanism.CUDNN ? " (cuDNN fused attention needs a CUDA GPU backend, e.g. Backends.open(\"pjrt\"))" : "")
          + "; mechanisms for '" + platform + "': " + supportedOn(platform));
    }
  }

  // ---- validation ----

  static OpException error(String detail) {
    return new OpException("attention", detail, CallSite.find(""));
  }

  private static AttentionProblem validate(AttentionOptions o, Tensor q, Tensor k, Tensor v, AttentionInputs in) {
    if (q == null || k == null || v == null) throw error("requires q, k and v, got a null");
    if (q.graph() != k.graph() || q.graph() != v.graph()) throw error("requires q, k, v of one Graph");
    String qkv = "q " + q.type() + ", k " + k.type() + ", v " + v.type();
    if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
      throw error("requires rank-4 q, k, v in BTNH layout [batch, seq, heads, head_dim], got " + qkv);
    }
    if (!q.dtype().isFloat() || q.dtype() != k.dtype() || q.dtype() != v.dtype()) {
      throw error("requires q, k, v of one float dtype, got " + qkv);
    }
    long b = q.dim(0);
    long sq = q.dim(1);
    long h = q.dim(2);
    long d = q.dim(3);
    long sk = k.dim(1);
    long hkv = k.dim(2);
    long dv = v.dim(3);
    if (k.dim(0) != b || v.dim(0) != b) throw error("requires one batch size, got " + qkv);
    if (v.dim(1) != sk) throw error("requires k and v of one sequence length, got " + qkv);
    if (v.dim(2) != hkv) throw error("requires k and v with the same number of heads, got " + qkv);
    if (k.dim(3) != d) throw error("requires q and k of one head_dim, got " + qkv);
    if (hkv == 0 || h % hkv != 0) {
      throw error("requires kv heads dividing query heads (grouped-query attention), got " + h + " query heads and "
          + hkv + " kv heads: " + qkv);
    }
    if (o.numHeads() != 0 && o.numHeads() != h) {
      throw error("requires numHeads " + o.numHeads() + " to match q's head axis, got " + q.type());
    }
    if (o.numKvHeads() != 0 && o.numKvHeads() != hkv) {
      throw error("requires numKvHeads " + o.numKvHeads() + " to match k's head axis, got " + k.type());
    }
    double scale = Double.isNaN(o.softmaxScale()) ? 1.0 / Math.sqrt(d) : o.softmaxScale();
    if (!Double.isFinite(scale)) throw error("requires a finite softmaxScale, got " + o.softmaxScale());
    if (!(o.logitSoftCap() >= 0) || Double.isInfinite(o.logitSoftCap())) {
      throw error("requires logitSoftCap >= 0 (0 = off), got " + o.logitSoftCap());
    }
    if (!(o.dropoutRate() >= 0 && o.dropoutRate() < 1)) {
      throw error("requires a dropout rate in [0, 1), got " + o.dropoutRate());
    }
    if (!Double.isFinite(o.attnOutputMultiplier())) {
      throw error("requires a finite attnOutputMultiplier, got " + o.attnOutputMultiplier());
    }
    if (o.queryChunkSize() < 0 || o.keyChunkSize() < 0) {
      throw error("requires chunk sizes >= 0 (0 = automatic), got queryChunkSize " + o.queryChunkSize()
          + ", keyChunkSize " + o.keyChunkSize());
    }
    if (o.returnWeights() && o.mechanism() != Mechanism.VANILLA) {
      throw error("returnWeights requires mechanism VANILLA (" + o.mechanism() + " never builds the full weights)");
    }
    if (o.mechanism() == Mechanism.CUSTOM && o.custom() == null) {
      throw error("mechanism CUSTOM requires a kernel (AttentionOptions.builder().custom(...))");
    }
    checkPlatform(o.mechanism(), o.platform());

    for (Tensor t : new Tensor[] {in.mask(), in.bias(), in.qSegmentIds(), in.kvSegmentIds(), in.dropoutKey()}) {
      if (t != null && t.graph() != q.graph()) throw error("requires inputs of q's Graph, got " + t.type() + " of " + t.graph());
    }
    if (in.memory() != null && (in.memory().k().graph() != q.graph() || in.memory().step().graph() != q.graph())) {
      throw error("requires a KVMemory of q's Graph");
    }
    Tensor key = null;
    if (o.dropoutActive()) {
      key = in.dropoutKey();
      if (key == null) {
        throw error("dropout rate " + o.dropoutRate() + " requires a dropoutKey (Rng.key(g, seed)) or deterministic(true)");
      }
      if (key.dtype() != DType.U64 || !key.shape().equals(Shape.of(2))) {
        throw error("requires a ui64[2] dropoutKey (Rng.key), got " + key.type());
      }
    }

    // DECODE attends over the cache: its length is what masks and bias index
    KVMemory mem = in.memory();
    long keyLen = sk;
    if (o.mechanism() == Mechanism.DECODE) {
      if (mem == null) throw error("mechanism DECODE requires a KVMemory (AttentionInputs.withMemory)");
      Shape want = Shape.of(b, mem.k().dim(1), hkv, d);
      Shape wantV = Shape.of(b, mem.k().dim(1), hkv, dv);
      if (mem.k().rank() != 4 || !mem.k().shape().equals(want) || !mem.v().shape().equals(wantV)
          || mem.k().dtype() != k.dtype() || mem.v().dtype() != v.dtype()) {
        throw error("requires a KVMemory of k " + k.dtype().mlir() + want + " and v " + wantV
            + " for new keys " + k.type() + ", got k " + mem.k().type() + ", v " + mem.v().type());
      }
      boolean perRow = mem.step().rank() == 1 && mem.step().dim(0) == b;
      if (!(mem.step().rank() == 0 || perRow) || !mem.step().dtype().isInteger()) {
        throw error("requires an integer KVMemory step, a scalar or one per batch row [" + b + "], got "
            + mem.step().type());
      }
      if (perRow && sq != 1) {
        throw error("a per-row KVMemory step [" + b + "] requires one new token per call, got " + sq
            + " (prefill with a scalar step 0 and a padding mask)");
      }
      if (sk != sq) throw error("DECODE requires one new key per query (k seq == q seq), got " + qkv);
      if (sq > mem.maxLength()) {
        throw error("DECODE requires at most max_len " + mem.maxLength() + " new positions, got " + sq);
      }
      keyLen = mem.maxLength();
      if (in.qSegmentIds() != null || in.kvSegmentIds() != null) {
        throw error("DECODE does not take segment ids; mask the cache with a (B, max_len) mask instead");
      }
    } else if (mem != null) {
      throw error("a KVMemory is only used by mechanism DECODE, got mechanism " + o.mechanism());
    }

    long g = h / hkv;
    Tensor mask = null;
    Tensor additive = null;
    if (in.mask() != null) {
      Tensor m = in.mask();
      if (m.rank() == 2) {
        if (m.dim(0) != b || m.dim(1) != keyLen) {
          throw error("requires a rank-2 padding mask of shape (batch, kv_seq) = [" + b + ", " + keyLen + "], got "
              + m.type());
        }
        m = m.reshape(b, 1, 1, keyLen);
      }
      // a float mask is EasyDeL's additive form (0 keeps, -1e9 or -inf hides): it joins the bias; reading it
      // as "non-zero keeps" would invert it
      if (m.dtype().isFloat()) {
        additive = rank5("mask", m, b, h, hkv, g, sq, keyLen);
      } else {
        if (!m.dtype().isBool()) m = m.ne(0L);
        mask = rank5("mask", m, b, h, hkv, g, sq, keyLen);
      }
    }
    Tensor bias = in.bias() == null ? null : rank5("bias", in.bias(), b, h, hkv, g, sq, keyLen);
    if (bias != null && !bias.dtype().isFloat()) throw error("requires a float bias, got " + in.bias().type());
    if (additive != null) bias = bias == null ? additive : bias.astype(DType.F32).add(additive.astype(DType.F32));

    Tensor qs = in.qSegmentIds();
    Tensor ks = in.kvSegmentIds();
    if (qs == null && ks != null) throw error("kvSegmentIds requires qSegmentIds");
    if (qs != null) {
      if (ks == null) ks = qs;
      if (!qs.dtype().isInteger() || qs.rank() != 2 || qs.dim(0) != b || qs.dim(1) != sq) {
        throw error("requires integer qSegmentIds of shape [" + b + ", " + sq + "], got " + qs.type());
      }
      if (!ks.dtype().isInteger() || ks.rank() != 2 || ks.dim(0) != b || ks.dim(1) != keyLen) {
        throw error("requires integer kvSegmentIds of shape [" + b + ", " + keyLen + "], got " + ks.type());
      }
      qs = qs.astype(DType.I32);
      ks = ks.astype(DType.I32);
    }
    return new AttentionProblem(o, q, k, v, b, sq, keyLen, h, hkv, g, d, dv, scale, mask, bias, qs, ks, key, mem);
  }

  /** A mask or bias broadcastable to [B, H, Sq, Sk] as [b, hkv, g, sq, sk]. */
  private static Tensor rank5(String what, Tensor t, long b, long h, long hkv, long g, long sq, long sk) {
    if (t.rank() > 4) {
      throw error("requires a " + what + " broadcastable to [B, H, Sq, Sk] = [" + b + ", " + h + ", " + sq + ", " + sk
          + "], got " + t.type());
    }
    long[] d = new long[4];
    Arrays.fill(d, 1);
    long[] own = t.shape().dims();
    System.arraycopy(own, 0, d, 4 - own.length, own.length);
    long[] full = {b, h, sq, sk};
    for (int i = 0; i < 4; i++) {
      if (d[i] != 1 && d[i] != full[i]) {
        throw error("requires a " + what + " broadcastable to [B, H, Sq, Sk] = " + Arrays.toString(full) + ", got "
            + t.type());
      }
    }
    boolean perHead = d[1] != 1;
    return t.reshape(d[0], perHead ? hkv : 1, perHead ? g : 1, d[2], d[3]);
  }

  /** The graph of a problem (for implementations). */
  static Graph graph(AttentionProblem p) { return p.q().graph(); }
}
