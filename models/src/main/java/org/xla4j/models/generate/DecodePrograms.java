package org.xla4j.models.generate;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.program.Program;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * The generation programs of one model at one batch size and cache length. Every program takes the
 * parameters ({@code params/...}) and the decode state ({@code state/...}: the KV cache, each row's last
 * token, its sampling parameters and its threefry key), donates the state and returns the new state and
 * the chosen ids ({@code tokens}), so one copy of the cache lives on the device and only ids reach the
 * host:
 * <ul>
 *   <li>{@link #init()}: an empty state (no arguments);</li>
 *   <li>{@link #prefill(int)}: every row's prompt, right-padded to a bucket length, from an empty cache;</li>
 *   <li>{@link #prefillRow(int)}: one row's prompt into row {@code input/row} of a running batch
 *       (continuous batching);</li>
 *   <li>{@link #decode()}: one token for every row, each at its own position;</li>
 *   <li>{@link #decodeLoop(int)}: N tokens per row in one call ({@code while} on the device).</li>
 * </ul>
 * The decode programs also come per {@link Sampler.Mode} ({@link #decode(Sampler.Mode)}): a host that knows
 * its rows' sampling parameters calls the one doing the least work, with no conditional in the program.
 *
 * <pre>{@code
 * DecodePrograms p = new DecodePrograms(lm, 4, 256);
 * Program step = p.decode();    // params/..., state/... (donated) -> state/..., tokens [4]
 * }</pre>
 */
public final class DecodePrograms {
  /** The result holding the chosen ids. */
  public static final String TOKENS = "tokens";

  private final CausalLm model;
  private final CausalLm decodeModel;
  private final long batch;
  private final long maxLength;

  /**
   * @throws IllegalArgumentException when {@code maxLength} exceeds the model's context or a size is not positive
   */
  public DecodePrograms(CausalLm model, long batch, long maxLength) {
    this(model, model, batch, maxLength);
  }

  /**
   * As {@link #DecodePrograms(CausalLm, long, long)}, with {@link #decode()} and {@link #decodeLoop} evaluating
   * {@code decodeModel} (the same parameters and cache; e.g. {@code model.withMoe(FEW_TOKENS)}, which reads
   * only the chosen experts' weights for the few tokens of a step).
   */
  public DecodePrograms(CausalLm model, CausalLm decodeModel, long batch, long maxLength) {
    this.model = java.util.Objects.requireNonNull(model, "model");
    this.decodeModel = java.util.Objects.requireNonNull(decodeModel, "decodeModel");
    if (!decodeModel.parameterTypes().equals(model.parameterTypes())) {
      throw new IllegalArgumentException("DecodePrograms: the decode model must have the model's parameters");
    }
    if (batch < 1 || maxLength < 1 || maxLength > model.contextLength()) {
      throw new IllegalArgumentException("DecodePrograms requires batch >= 1 and 1 <= maxLength <= the model's context "
          + model.contextLength() + ", got batch " + batch + " and maxLength " + maxLength);
    }
    this.batch = batch;
    this.maxLength = maxLength;
  }

  public CausalLm model() { return model; }

  public long batch() { return batch; }

  public long maxLength() { return maxLength; }

  /** The KV cache part of the state. */
  public KvCache cache() { return model.cache(batch, maxLength); }

  /**
   * The state's leaves: {@code cache/...} ({@link KvCache}), {@code last} i32 [B] (each row's latest token),
   * {@code key} u32 [B, 2], {@code sampling/temperature} f32 [B], {@code sampling/top_k} i32 [B],
   * {@code sampling/top_p} f32 [B].
   */
  public Tree<TensorType> stateTypes() {
    return Tree.<TensorType>builder().putAll("cache", cache().types())
        .put("last", TensorType.of(DType.I32, batch))
        .put("key", TensorType.of(DType.U32, batch, 2))
        .put("sampling/temperature", TensorType.of(DType.F32, batch))
        .put("sampling/top_k", TensorType.of(DType.I32, batch))
        .put("sampling/top_p", TensorType.of(DType.F32, batch))
        .build();
  }

  /** The per-row inputs of a prefill of {@code rows} rows of {@code bucket} tokens. */
  public Tree<TensorType> inputTypes(long rows, int bucket) {
    return Tree.<TensorType>builder()
        .put("tokens", TensorType.of(DType.I32, rows, bucket))
        .put("lengths", TensorType.of(DType.I32, rows))
        .put("key", TensorType.of(DType.U32, rows, 2))
        .put("temperature", TensorType.of(DType.F32, rows))
        .put("top_k", TensorType.of(DType.I32, rows))
        .put("top_p", TensorType.of(DType.F32, rows))
        .build();
  }

  /** An empty state: zero cache, nothing valid, steps 0. */
  public Program init() {
    Graph g = new Graph(name("init"));
    Tree<Tensor> state = stateTypes().map(t -> t.dtype() == DType.PRED ? g.zeros(DType.I32, t.shape().dims()).ne(0L)
        : g.zeros(t));
    return g.program(state.prefixed("state"));
  }

  /** Every row's prompt (right-padded to {@code bucket} tokens) from an empty cache; samples each row's first token. */
  public Program prefill(int bucket) {
    checkBucket(bucket);
    Graph g = new Graph(name("prefill_" + bucket));
    Tree<Tensor> params = g.parameters(model.parameterTypes().prefixed("params")).subtree("params");
    Tree<Tensor> state = g.parameters(stateTypes().prefixed("state")).subtree("state");
    Tree<Tensor> in = g.parameters(inputTypes(batch, bucket).prefixed("input")).subtree("input");
    CausalLm.Step s = model.forward(params, CacheStep.fresh(state.subtree("cache"), in.get("tokens"), in.get("lengths"),
        model.padId()));
    DeviceSampling.Sampled d = DeviceSampling.sample(s.logits(), in.get("temperature"), in.get("top_k"), in.get("top_p"),
        in.get("key"));
    Tree<Tensor> next = Tree.<Tensor>builder().putAll("cache", s.cache()).put("last", d.ids()).put("key", d.nextKey())
        .put("sampling/temperature", in.get("temperature")).put("sampling/top_k", in.get("top_k"))
        .put("sampling/top_p", in.get("top_p")).build();
    return finish(g, next, d.ids());
  }

  /**
   * One row's prompt (right-padded to {@code bucket} tokens) into row {@code input/row} (i32 scalar) of the
   * running batch; the other rows are untouched. Samples the row's first token.
   */
  public Program prefillRow(int bucket) {
    checkBucket(bucket);
    Graph g = new Graph(name("prefill_row_" + bucket));
    Tree<Tensor> params = g.parameters(model.parameterTypes().prefixed("params")).subtree("params");
    Tree<Tensor> state = g.parameters(stateTypes().prefixed("state")).subtree("state");
    Tree<Tensor> in = g.parameters(inputTypes(1, bucket).prefixed("input")
        .with("input/row", TensorType.scalar(DType.I32))).subtree("input");
    Tensor row = in.get("row");
    CausalLm.Step s = model.forward(params, CacheStep.freshRow(state.subtree("cache"), row, in.get("tokens"),
        in.get("lengths"), model.padId()));
    DeviceSampling.Sampled d = DeviceSampling.sample(s.logits(), in.get("temperature"), in.get("top_k"), in.get("top_p"),
        in.get("key"));
    Tensor zero = g.scalar(0L, DType.I32);
    Tree<Tensor> next = Tree.<Tensor>builder().putAll("cache", s.cache())
        .put("last", state.get("last").dynamicUpdateSlice(d.ids(), row))
        .put("key", state.get("key").dynamicUpdateSlice(d.nextKey(), row, zero))
        .put("sampling/temperature", state.get("sampling/temperature").dynamicUpdateSlice(in.get("temperature"), row))
        .put("sampling/top_k", state.get("sampling/top_k").dynamicUpdateSlice(in.get("top_k"), row))
        .put("sampling/top_p", state.get("sampling/top_p").dynamicUpdateSlice(in.get("top_p"), row))
        .build();
    return finish(g, next, d.ids());
  }

  /** One token per row: each row's last token at its own position; returns {@code tokens} i32 [B]. */
  public Program decode() {
    return decode(Sampler.Mode.DEVICE);
  }

  /** As {@link #decode()}, sampling with {@code mode}'s work only (see {@link Sampler#sample(Tensor, Tensor, Tensor, Tensor, Tensor, Sampler.Mode)}). */
  public Program decode(Sampler.Mode mode) {
    Graph g = new Graph(name("decode" + suffix(mode)));
    Tree<Tensor> params = g.parameters(model.parameterTypes().prefixed("params")).subtree("params");
    Tree<Tensor> state = g.parameters(stateTypes().prefixed("state")).subtree("state");
    Tree<Tensor> next = step(params, state, mode);
    return finish(g, next, next.get("last"));
  }

  /** {@code n} tokens per row in one call (a device loop of {@link #decode()}'s step); {@code tokens} i32 [B, n]. */
  public Program decodeLoop(int n) {
    return decodeLoop(n, Sampler.Mode.DEVICE);
  }

  /** As {@link #decodeLoop(int)}, sampling with {@code mode}'s work only. */
  public Program decodeLoop(int n, Sampler.Mode mode) {
    if (n < 1) throw new IllegalArgumentException("decodeLoop requires n >= 1, got " + n);
    Graph g = new Graph(name("decode_loop_" + n + suffix(mode)));
    Tree<Tensor> params = g.parameters(model.parameterTypes().prefixed("params")).subtree("params");
    Tree<Tensor> state = g.parameters(stateTypes().prefixed("state")).subtree("state");
    List<String> pp = params.paths();
    List<String> sp = state.paths();
    List<Tensor> init = new ArrayList<>();
    init.add(g.scalar(0L, DType.I32));
    init.addAll(params.leaves());
    init.addAll(state.leaves());
    init.add(g.zeros(DType.I32, batch, n));
    int np = pp.size();
    int ns = sp.size();
    List<Tensor> r = Lax.whileLoop(init, c -> c.get(0).lt((long) n), c -> {
      Tensor i = c.get(0);
      Tree<Tensor> p = Tree.unflatten(pp, c.subList(1, 1 + np));
      Tree<Tensor> s = Tree.unflatten(sp, c.subList(1 + np, 1 + np + ns));
      Tree<Tensor> s2 = step(p, s, mode);
      Tensor out = c.get(1 + np + ns).dynamicUpdateSlice(s2.get("last").reshape(batch, 1), g.scalar(0L, DType.I32), i);
      List<Tensor> next = new ArrayList<>();
      next.add(i.add(1L));
      next.addAll(c.subList(1, 1 + np));
      for (String path : sp) next.add(s2.get(path));
      next.add(out);
      return next;
    });
    Tree<Tensor> next = Tree.unflatten(sp, r.subList(1 + np, 1 + np + ns));
    return finish(g, next, r.get(1 + np + ns));
  }

  private static String suffix(Sampler.Mode mode) {
    return mode == Sampler.Mode.DEVICE ? "" : "_" + mode.name().toLowerCase(java.util.Locale.ROOT);
  }

  private Tree<Tensor> step(Tree<Tensor> params, Tree<Tensor> state, Sampler.Mode mode) {
    Graph g = state.get("last").graph();
    Tensor tokens = state.get("last").reshape(batch, 1);
    CausalLm.Step s = decodeModel.forward(params, CacheStep.next(state.subtree("cache"), tokens,
        g.ones(DType.I32, batch), model.padId()));
    DeviceSampling.Sampled d = DeviceSampling.sample(s.logits(), state.get("sampling/temperature"),
        state.get("sampling/top_k"), state.get("sampling/top_p"), state.get("key"), mode);
    return Tree.<Tensor>builder().putAll("cache", s.cache()).put("last", d.ids()).put("key", d.nextKey())
        .put("sampling/temperature", state.get("sampling/temperature")).put("sampling/top_k", state.get("sampling/top_k"))
        .put("sampling/top_p", state.get("sampling/top_p")).build();
  }

  private Program finish(Graph g, Tree<Tensor> state, Tensor tokens) {
    Tree<Tensor> out = Tree.<Tensor>builder().putAll("state", state).put(TOKENS, tokens).build();
    Program p = g.program(out);
    return p.withDonated(stateTypes().prefixed("state").paths().toArray(String[]::new));
  }

  private void checkBucket(int bucket) {
    if (bucket < 1 || bucket > maxLength) {
      throw new IllegalArgumentException("prefill bucket must be in [1, maxLength " + maxLength + "], got " + bucket);
    }
  }

  private String name(String what) {
    return (model instanceof CausalLm.Grok ? "grok1_" : "llama_") + what + "_b" + batch + "_s" + maxLength;
  }
}
