package org.xla4j.models.generate;

import org.xla4j.dsl.Graph;
import java.util.List;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.OpException;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Next-token sampling inside a program, so only token ids reach the host each step. Per row: temperature
 * 0 (or below) is greedy argmax of the raw logits; otherwise logits / temperature, then top-k (0 = off),
 * then top-p with Grok-1's {@code top_p_filter} semantics, then a categorical draw by Gumbel-max from the
 * row's Threefry bits. Each row's result depends only on that row's inputs. What work a program does is
 * its {@link Mode}: a host that knows its requests' parameters picks the least mode that serves them
 * (a batch of greedy rows does no sampling work; the sort behind top-k and top-p runs only where some
 * row filters), with no conditional in the program. {@link Mode#DEVICE} decides on the device with two
 * {@code lax.cond}s instead; a GPU runtime reads a conditional's predicate on the host, which stalls the
 * host until the device reaches it, so the decode loop's programs use the host-picked modes.
 *
 * <p>Top-p (Grok-1 {@code runners.py}): sort the row ascending, softmax, cumulative sum; the first index
 * where the sum reaches {@code 1 - p} gives the threshold, and logits at or above it are kept (so ties
 * with the threshold stay). One deviation: where rounding keeps the sum below {@code 1 - p} everywhere
 * (p near 0), Grok's argmax of an all-false mask picks index 0 and keeps every token; here the last
 * index is used, keeping only the largest. Top-k keeps logits at or above the k-th largest (ties with it
 * stay), as Hugging Face's filter does.
 *
 * <pre>{@code
 * Tensor logits = ...;                                   // [B, V] f32, the last position's
 * Sampler.Sampled s = Sampler.sample(logits, temperature, topK, topP, key);
 * // s.ids(): [B] i32 to return; s.nextKey(): [B, 2] ui32 for the next step
 * }</pre>
 */
public final class Sampler {
  private Sampler() {}

  /**
   * The sampled ids and the keys for the next step.
   *
   * @param ids [B] i32
   * @param nextKey [B, 2] ui32
   */
  public record Sampled(Tensor ids, Tensor nextKey) {}

  /** The argument types {@link #sample} takes for a batch of {@code batch} rows of {@code vocab} logits, in its order. */
  public static List<TensorType> argumentTypes(long batch, long vocab) {
    return List.of(TensorType.of(DType.F32, batch, vocab), TensorType.of(DType.F32, batch),
        TensorType.of(DType.I32, batch), TensorType.of(DType.F32, batch), TensorType.of(DType.U32, batch, 2));
  }

  /**
   * Samples one token per row.
   *
   * @param logits [B, V], f32 (bf16 and f16 are widened to f32 first)
   * @param temperature [B] f32; at or below 0 the row is greedy
   * @param topK [B] i32; 0 (or at least V) keeps every token
   * @param topP [B] f32; at or above 1 keeps every token
   * @param key [B, 2] ui32, one Threefry key per row; the draw uses {@code split(key, 1)}, the next key is
   *     {@code split(key, 0)}
   */
  public static Sampled sample(Tensor logits, Tensor temperature, Tensor topK, Tensor topP, Tensor key) {
    return sample(logits, temperature, topK, topP, key, Mode.DEVICE);
  }

  /**
   * The work a sampling program does. Every mode gives each row the same id and next key as {@link #DEVICE}
   * for the rows it serves (see {@link #serves}), so a host may switch modes between calls.
   */
  public enum Mode {
    /** Argmax only: serves greedy rows. */
    GREEDY,
    /** Temperature draws without top-k/top-p: serves greedy rows and unfiltered sampling rows. */
    SAMPLE,
    /** Temperature draws with top-k and top-p (a sort of every row): serves every row. */
    FILTERED,
    /** Decides per call on the device (two conditionals): serves every row. */
    DEVICE;

    /** The least mode that serves a request with {@code p} over a vocabulary of {@code vocab} tokens. */
    public static Mode of(SamplingParams p, long vocab) {
      if (p.temperature() <= 0) return GREEDY;
      boolean filters = (p.topK() > 0 && p.topK() < vocab) || p.topP() < 1;
      return filters ? FILTERED : SAMPLE;
    }

    /** Whether this mode serves every row that {@code other} serves. */
    public boolean serves(Mode other) {
      return this == DEVICE || this == FILTERED || other.ordinal() <= ordinal();
    }

    /** This mode if it serves {@code other}, else {@code other}: the lesser mode that serves both. */
    public Mode join(Mode other) {
      return serves(other) ? this : other;
    }
  }

  /**
   * As {@link #sample(Tensor, Tensor, Tensor, Tensor, Tensor)}, doing only {@code mode}'s work: rows the mode
   * does not serve get less than they ask for (GREEDY: the argmax; SAMPLE: a draw without top-k/top-p).
   */
  public static Sampled sample(Tensor logits, Tensor temperature, Tensor topK, Tensor topP, Tensor key, Mode mode) {
    check(logits, temperature, topK, topP, key);
    Tensor x = logits.astype(DType.F32);
    Tensor greedy = x.argmax(-1);
    // the key advances alike in every mode, so switching modes between calls leaves each row's stream intact
    Tensor drawKey = Threefry.split(key, 1);
    Tensor nextKey = Threefry.split(key, 0);
    Tensor sampling = temperature.gt(0.0);
    Tensor ids = switch (mode) {
      case GREEDY -> greedy;
      case SAMPLE -> draw(x, greedy, sampling, temperature, drawKey, y -> null);
      case FILTERED -> draw(x, greedy, sampling, temperature, drawKey, y -> keepMask(y, topK, topP));
      case DEVICE -> {
        // a batch of greedy rows skips the sort, softmax and random bits; the sort runs only if some row filters
        Tensor anySampling = sampling.astype(DType.I32).max().gt(0L);
        long v = x.dim(1);
        Tensor anyFilter = topK.gt(0L).and(topK.lt(v)).or(topP.lt(1.0)).and(sampling).astype(DType.I32).max().gt(0L);
        yield Lax.cond(anySampling,
            ops -> List.of(draw(x, greedy, sampling, temperature, drawKey, y -> Lax.cond(anyFilter,
                o -> List.of(keepMask(y, topK, topP)),
                o -> List.of(y.graph().ones(y.type().withDType(DType.PRED))), List.of()).get(0))),
            ops -> List.of(greedy), List.of()).get(0);
      }
    };
    return new Sampled(ids.astype(DType.I32), nextKey);
  }

  /**
   * Sampling rows draw among the tokens {@code keep} marks of their scaled logits (null: all) by Gumbel-max;
   * greedy rows keep their argmax.
   */
  private static Tensor draw(Tensor x, Tensor greedy, Tensor sampling, Tensor temperature, Tensor drawKey,
      java.util.function.UnaryOperator<Tensor> keep) {
    long v = x.dim(1);
    Tensor t = Jnp.where(sampling, temperature, 1.0);
    Tensor y = x.div(t.expandDims(-1));
    Tensor kept = keep.apply(y);
    Tensor noisy = y.add(Threefry.gumbel(drawKey, v));
    if (kept != null) noisy = Jnp.where(kept, noisy, Double.NEGATIVE_INFINITY);
    return Jnp.where(sampling, noisy.argmax(-1), greedy);
  }

  /**
   * Which tokens of scaled logits {@code y [B, V]} survive top-k and top-p (pred {@code [B, V]}). Public
   * so a caller can inspect the kept set; {@link #sample} draws only among it.
   */
  public static Tensor keepMask(Tensor y, Tensor topK, Tensor topP) {
    Graph g = y.graph();
    long v = y.dim(1);
    double ninf = Double.NEGATIVE_INFINITY;
    Tensor sorted = y.sort(-1, false);

    // top-k: the k-th largest is sorted[V - k]; off when k is 0 or at least V
    Tensor k = topK.astype(DType.I32);
    Tensor kOn = k.gt(0L).and(k.lt(v));
    Tensor kIdx = k.neg().add(v).clamp(0, v - 1);
    Tensor kThr = Jnp.where(kOn, pick(sorted, kIdx), ninf).expandDims(-1);
    Tensor sortedK = Jnp.where(sorted.ge(kThr), sorted, ninf);

    // top-p over what top-k kept (masked entries sort first with probability 0)
    Tensor cum = sortedK.softmax(-1).cumsum(-1);
    Tensor reach = cum.ge(topP.astype(DType.F32).rsub(1.0).expandDims(-1));
    Tensor any = reach.astype(DType.I32).max(-1).gt(0L);
    Tensor first = reach.astype(DType.I32).argmax(-1);
    Tensor pIdx = Jnp.where(any, first, g.full(first.type(), v - 1));
    Tensor pThr = pick(sortedK, pIdx).expandDims(-1);

    return y.ge(kThr).and(y.ge(pThr));
  }

  /** {@code rows[b, idx[b]]} for each row: {@code [B, V]} and {@code [B]} i32 to {@code [B]}. */
  private static Tensor pick(Tensor rows, Tensor idx) {
    Graph g = rows.graph();
    Tensor col = g.iota(rows.type().withDType(DType.I32), 1);
    return Jnp.where(col.eq(idx.expandDims(-1)), rows, Double.NEGATIVE_INFINITY).max(-1);
  }

  private static void check(Tensor logits, Tensor temperature, Tensor topK, Tensor topP, Tensor key) {
    if (logits.rank() != 2 || !logits.dtype().isFloat()) {
      throw error("requires float logits [B, V], got " + logits.type());
    }
    long b = logits.dim(0);
    expect("temperature", temperature, TensorType.of(DType.F32, b));
    expect("topK", topK, TensorType.of(DType.I32, b));
    expect("topP", topP, TensorType.of(DType.F32, b));
    expect("key", key, TensorType.of(DType.U32, b, 2));
  }

  private static void expect(String name, Tensor t, TensorType want) {
    if (!t.type().equals(want)) throw error("requires " + name + " of type " + want + ", got " + t.type());
  }

  private static OpException error(String detail) {
    return new OpException("Sampler.sample", detail, CallSite.find(""));
  }
}
