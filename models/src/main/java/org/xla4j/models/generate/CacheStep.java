package org.xla4j.models.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.Block;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.FunctionBuilder;
import org.xla4j.ir.Op;
import org.xla4j.ir.ScatterDims;
import org.xla4j.ir.OpException;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionInputs;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * One model call against a {@link KvCache} while a graph is built: where the new tokens go, their RoPE
 * positions, which slots each query sees, and the updated cache. Three kinds of call:
 * <ul>
 *   <li>{@link #fresh} over all rows: a batch prefill from an empty cache; tokens [B, T] at positions 0..T-1.</li>
 *   <li>{@link #freshRow}: a one-row prefill into row {@code row} of a batched cache (continuous batching):
 *       the row's earlier contents become invalid.</li>
 *   <li>{@link #next}: every row continues at its own {@code step} (decode: T = 1).</li>
 * </ul>
 * Rows are right-padded: {@code lengths[r]} of the T tokens are real; the rest are written but marked
 * invalid, and {@code step} advances by the length only, so the next token overwrites them.
 *
 * <p>Writes go into the incoming buffers, a {@code dynamic_update_slice} for a prefill and one row-wise
 * {@code scatter} (replace) when rows continue at their own steps, so with the cache donated XLA updates
 * it in place; nothing selects over the whole cache.
 *
 * <pre>{@code
 * CacheStep cs = CacheStep.next(cache, tokens, lengths, OptionalInt.of(0));
 * Tensor out = cs.attend(layer, q, k, v, options);   // q, k, v after RoPE at cs.positions()
 * Tree<Tensor> updated = cs.finish();
 * }</pre>
 */
public final class CacheStep {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private final Tree<Tensor> cache;
  private final Tensor tokens;
  private final Tensor lengths;
  private final Tensor row; // null: all rows
  private final boolean fresh;
  private final Tensor start; // [R] first position written, per row
  private final Tensor positions; // [T] (fresh) or [R, T]
  private final Tensor newValid; // [R, T] pred
  private final Tensor valid; // [B, S] after this call's write
  private final Tree.Builder<Tensor> out = Tree.builder();
  private int nextLayer;

  private CacheStep(Tree<Tensor> cache, Tensor tokens, Tensor lengths, Tensor row, boolean fresh, OptionalInt pad) {
    check(cache, tokens, lengths, row);
    this.cache = cache;
    this.tokens = tokens.astype(DType.I32);
    this.lengths = lengths.astype(DType.I32);
    this.row = row == null ? null : row.astype(DType.I32);
    this.fresh = fresh;
    Graph g = tokens.graph();
    long r = tokens.dim(0);
    long t = tokens.dim(1);
    long s = maxLength();
    Tensor step = cache.get("step");
    Tensor arangeT = g.arange(t, DType.I32);
    Tensor real = arangeT.reshape(1, t).lt(this.lengths.reshape(r, 1));
    this.newValid = pad.isPresent() ? real.and(this.tokens.ne((long) pad.getAsInt())) : real;
    if (fresh) {
      this.start = g.zeros(DType.I32, r);
      this.positions = arangeT;
      // the row's whole validity is replaced: slots beyond the prompt hold an earlier request's keys
      Tensor rowValid = t == s ? newValid
          : newValid.astype(DType.I32).pad(new long[] {0, 0}, new long[] {0, s - t}, 0).ne(0L);
      this.valid = this.row == null ? rowValid : cache.get("valid").dynamicUpdateSlice(rowValid, this.row, zero(g));
    } else {
      this.start = step;
      this.positions = step.reshape(r, 1).add(arangeT.reshape(1, t));
      this.valid = writeRows(cache.get("valid"), newValid);
    }
  }

  /** A prefill of every row from an empty cache: tokens [B, T] (T <= maxLength), {@code lengths} [B] real tokens per row. */
  public static CacheStep fresh(Tree<Tensor> cache, Tensor tokens, Tensor lengths, OptionalInt pad) {
    return new CacheStep(cache, tokens, lengths, null, true, pad);
  }

  /** A prefill of one row ({@code row}, an i32 scalar) of a batched cache: tokens [1, T], {@code lengths} [1]. */
  public static CacheStep freshRow(Tree<Tensor> cache, Tensor row, Tensor tokens, Tensor lengths, OptionalInt pad) {
    return new CacheStep(cache, tokens, lengths, row, true, pad);
  }

  /** Every row continues at its own step: tokens [B, T], {@code lengths} [B] (decode: T = 1, lengths 1). */
  public static CacheStep next(Tree<Tensor> cache, Tensor tokens, Tensor lengths, OptionalInt pad) {
    return new CacheStep(cache, tokens, lengths, null, false, pad);
  }

  /** The new tokens, i32 [R, T]. */
  public Tensor tokens() { return tokens; }

  /** Real tokens per row, i32 [R]. */
  public Tensor lengths() { return lengths; }

  /** RoPE positions of the new tokens: [T] for a prefill (0..T-1), [R, T] when rows continue. */
  public Tensor positions() { return positions; }

  /** Cache length (the longest sequence). */
  public long maxLength() { return cache.get("valid").dim(1); }

  /**
   * Writes layer {@code layer}'s new keys and values ({@code [R, T, Hkv, D]}, after RoPE) into the cache and
   * returns the attention of {@code q [R, T, Hq, D]} over what each query may see: in a prefill, the real
   * new tokens up to its own position (the same call as the model's full forward pass, with
   * {@code options} causal); when rows continue, the row's valid slots up to its position. Layers are
   * attended in order 0, 1, ....
   */
  public Tensor attend(int layer, Tensor q, Tensor k, Tensor v, AttentionOptions options) {
    if (layer != nextLayer) throw error("attend", "requires layers in order, expected " + nextLayer + ", got " + layer);
    nextLayer++;
    String p = KvCache.layer(layer);
    Tensor kc = cache.get(p + "/k");
    Tensor vc = cache.get(p + "/v");
    if (!k.dtype().equals(kc.dtype())) k = k.astype(kc.dtype());
    if (!v.dtype().equals(vc.dtype())) v = v.astype(vc.dtype());
    Tensor kOut = write(kc, k);
    Tensor vOut = write(vc, v);
    out.put(p + "/k", kOut);
    out.put(p + "/v", vOut);
    if (fresh) {
      AttentionOptions o = options.toBuilder().causal(true).build();
      return Attention.apply(o, q, k, v, AttentionInputs.none().withMask(newValid));
    }
    long r = q.dim(0);
    long t = q.dim(1);
    long s = maxLength();
    Tensor slots = q.graph().iota(TensorType.of(DType.I32, 1, 1, s), 2);
    Tensor visible = slots.le(positions.reshape(r, t, 1)).and(valid.reshape(r, 1, s)).reshape(r, 1, t, s);
    AttentionOptions o = options.toBuilder().causal(false).build();
    return Attention.apply(o, q, kOut, vOut, AttentionInputs.none().withMask(visible));
  }

  /**
   * The updated cache: every layer attended, {@code step} advanced by the lengths (a prefill sets it to
   * them), {@code valid} marking the real new tokens.
   *
   * @throws OpException when not every layer of the cache was attended
   */
  public Tree<Tensor> finish() {
    int layers = (int) cache.paths().stream().filter(s -> s.endsWith("/k")).count();
    if (nextLayer != layers) throw error("finish", "requires all " + layers + " layers attended, got " + nextLayer);
    Tensor step = cache.get("step");
    Tensor next;
    if (!fresh) next = step.add(lengths);
    else if (row == null) next = lengths;
    else next = step.dynamicUpdateSlice(lengths, row);
    out.put("step", next);
    out.put("valid", valid);
    return out.build();
  }

  /**
   * {@code h [R, T, D]} at each row's last real new token (position {@code lengths[r] - 1}): {@code [R, 1, D]}.
   * A select and a sum with one non-zero term, so the values are exactly h's.
   */
  public Tensor lastReal(Tensor h) {
    long r = h.dim(0);
    long t = h.dim(1);
    if (t == 1) return h;
    Tensor at = h.graph().arange(t, DType.I32).reshape(1, t, 1).eq(lengths.sub(1L).reshape(r, 1, 1));
    return org.xla4j.dsl.Jnp.where(at, h, 0.0).sum(new int[] {1}, true);
  }

  private Tensor write(Tensor c, Tensor upd) {
    Graph g = c.graph();
    if (!fresh) return writeRows(c, upd);
    Tensor first = row == null ? zero(g) : row;
    Tensor[] at = new Tensor[c.rank()];
    at[0] = first;
    for (int i = 1; i < at.length; i++) at[i] = zero(g);
    return c.dynamicUpdateSlice(upd, at);
  }

  /**
   * Row b of {@code upd [R, T, ...]} written at (b, start[b], 0, ...) of {@code c [R, S, ...]}: one scatter
   * that replaces (unique, sorted indices), which XLA runs in place on a donated buffer. A row whose window
   * would run past the cache's end is not written (scatter's bounds rule).
   */
  private Tensor writeRows(Tensor c, Tensor upd) {
    Graph g = c.graph();
    long r = upd.dim(0);
    Tensor index = org.xla4j.dsl.Jnp.stack(1, g.arange(r, DType.I32), start.astype(DType.I32)); // [R, 2]
    List<Integer> window = new ArrayList<>();
    for (int i = 1; i < c.rank(); i++) window.add(i);
    ScatterDims dims = new ScatterDims(window, List.of(0), List.of(), List.of(), List.of(0, 1), 1);
    TensorType s = TensorType.scalar(c.dtype());
    FunctionBuilder fb = g.raw();
    Block replace = fb.region(List.of(s, s), true, v -> List.of(v.get(1)));
    return g.wrap(fb.emit1(new Op.Scatter(List.of(c.value()), index.value(), List.of(upd.astype(c.dtype()).value()), dims,
        replace, true, true)));
  }

  private static Tensor zero(Graph g) { return g.scalar(0L, DType.I32); }

  private static void check(Tree<Tensor> cache, Tensor tokens, Tensor lengths, Tensor row) {
    if (!cache.contains("step") || !cache.contains("valid")) {
      throw error("CacheStep", "requires a cache tree with 'step' and 'valid' (KvCache.types()), got " + cache.paths());
    }
    Tensor step = cache.get("step");
    Tensor valid = cache.get("valid");
    long b = step.dim(0);
    if (tokens.rank() != 2 || !tokens.dtype().isInteger()) {
      throw error("CacheStep", "requires integer tokens [rows, T], got " + tokens.type());
    }
    long rows = row == null ? b : 1;
    if (tokens.dim(0) != rows || lengths.rank() != 1 || lengths.dim(0) != rows) {
      throw error("CacheStep", "requires tokens [" + rows + ", T] and lengths [" + rows + "] for a cache of batch " + b
          + ", got " + tokens.type() + " and " + lengths.type());
    }
    if (tokens.dim(1) > valid.dim(1)) {
      throw error("CacheStep", "requires at most maxLength " + valid.dim(1) + " new tokens, got " + tokens.type());
    }
    if (row != null && row.rank() != 0) throw error("CacheStep", "requires a scalar row index, got " + row.type());
  }

  private static OpException error(String op, String detail) {
    return new OpException("CacheStep." + op, detail, CallSite.find(""));
  }
}
