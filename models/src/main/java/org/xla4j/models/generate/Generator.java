package org.xla4j.models.generate;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.models.tokenizer.DecodeStream;
import org.xla4j.models.tokenizer.Tokenizer;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/**
 * Generates text with a {@link LanguageModel}: a fixed batch of rows over one KV cache on the device, each
 * row holding one request at its own position. Requests wait in a queue; a free row takes the next one
 * with a one-row prefill (its prompt right-padded to a length bucket), then every step decodes one token
 * (or {@link Options#tokensPerCall()} tokens in one device loop) for all rows, and a row whose request
 * ends (a stop id or its token budget) takes the next waiting request without recompiling. Only ids come
 * back to the host; the cache is donated to every call, so one copy lives on the device.
 *
 * <p>Each program is compiled once per generator (per prompt bucket) and reused; {@link #close()} releases
 * every executable and device buffer it holds.
 *
 * <pre>{@code
 * try (Backend cpu = Backends.open("cpu");
 *      LanguageModel lm = LanguageModel.load("tiny-grok", cpu, LoadProgress.NONE);
 *      Generator gen = lm.generator()) {
 *   List<Completion> out = gen.generate(List.of("The answer is"), SamplingParams.greedy(16));
 *   gen.generate(List.of("Once"), SamplingParams.greedy(16), e -> System.out.print(e.text()));   // streaming
 * }
 * }</pre>
 */
public final class Generator implements AutoCloseable {
  /**
   * @param batch rows decoded together
   * @param maxLength cache length: prompt plus generated tokens of one request at most (0: the model's context)
   * @param tokensPerCall tokens per decode call: 1 decodes step by step, more runs a device loop of that many
   * @param buckets prompt lengths prefill programs are compiled for, ascending (empty: powers of two from 16
   *     up to maxLength, and maxLength)
   * @param progress told what is being compiled (may be a no-op)
   * @param decodeMoe the MoE implementation of the decode programs (null: the model's own), e.g. FEW_TOKENS
   *     to read only the chosen experts' weights when batch·topK is below the expert count
   * @param prefillAttention the attention mechanism of the prefill programs (null: the model's own), e.g. BLOCKWISE,
   *     whose causal block pairs skip the upper triangle of a long prompt's scores; decode steps keep the model's
   * @param quant how int8 weights' scales apply in every program (null: the model's own, dequantize first)
   */
  public record Options(int batch, int maxLength, int tokensPerCall, List<Integer> buckets, Consumer<String> progress,
      MoeImplementation decodeMoe, Mechanism prefillAttention, QuantMode quant) {
    public Options {
      if (batch < 1) throw new IllegalArgumentException("Generator.Options: batch must be >= 1, got " + batch);
      if (maxLength < 0) throw new IllegalArgumentException("Generator.Options: maxLength must be >= 0, got " + maxLength);
      if (tokensPerCall < 1) {
        throw new IllegalArgumentException("Generator.Options: tokensPerCall must be >= 1, got " + tokensPerCall);
      }
      buckets = List.copyOf(new TreeSet<>(buckets));
      Objects.requireNonNull(progress, "progress");
    }

    /** Batch 4, the model's whole context, one token per call, automatic buckets, no progress. */
    public static Options defaults() { return new Options(4, 0, 1, List.of(), s -> {}, null, null, null); }

    public Options withBatch(int b) {
      return new Options(b, maxLength, tokensPerCall, buckets, progress, decodeMoe, prefillAttention, quant);
    }

    public Options withMaxLength(int n) {
      return new Options(batch, n, tokensPerCall, buckets, progress, decodeMoe, prefillAttention, quant);
    }

    public Options withTokensPerCall(int n) {
      return new Options(batch, maxLength, n, buckets, progress, decodeMoe, prefillAttention, quant);
    }

    public Options withBuckets(List<Integer> b) {
      return new Options(batch, maxLength, tokensPerCall, b, progress, decodeMoe, prefillAttention, quant);
    }

    public Options withProgress(Consumer<String> p) {
      return new Options(batch, maxLength, tokensPerCall, buckets, p, decodeMoe, prefillAttention, quant);
    }

    public Options withDecodeMoe(MoeImplementation m) {
      return new Options(batch, maxLength, tokensPerCall, buckets, progress, m, prefillAttention, quant);
    }

    public Options withPrefillAttention(Mechanism m) {
      return new Options(batch, maxLength, tokensPerCall, buckets, progress, decodeMoe, m, quant);
    }

    public Options withQuant(QuantMode q) {
      return new Options(batch, maxLength, tokensPerCall, buckets, progress, decodeMoe, prefillAttention, q);
    }
  }

  private final LanguageModel lm;
  private final Options options;
  private final DecodePrograms programs;
  private final List<Integer> buckets;
  private final Map<Integer, CompiledProgram> prefill = new LinkedHashMap<>();
  private CompiledProgram init;
  /** Decode programs by sampling mode, compiled as requests need them. */
  private final Map<Sampler.Mode, CompiledProgram> decode = new java.util.EnumMap<>(Sampler.Mode.class);
  private final List<String> paramPaths;
  private final List<DeviceBuffer> paramLeaves;
  private final List<String> statePaths;
  private List<DeviceBuffer> state; // in statePaths' order; null until init runs, or after a failed call
  private GenerationStats stats = GenerationStats.NONE;
  private boolean closed;

  Generator(LanguageModel lm, Options options) {
    this.lm = Objects.requireNonNull(lm, "lm");
    this.options = Objects.requireNonNull(options, "options");
    int maxLen = options.maxLength() == 0 ? lm.model().contextLength() : options.maxLength();
    CausalLm base = options.quant() == null ? lm.model() : lm.model().withQuant(options.quant());
    CausalLm decodeModel = options.decodeMoe() == null ? base : base.withMoe(options.decodeMoe());
    CausalLm prefillModel = options.prefillAttention() == null ? base : base.withAttention(options.prefillAttention());
    this.programs = new DecodePrograms(prefillModel, decodeModel, options.batch(), maxLen);
    this.buckets = options.buckets().isEmpty() ? defaultBuckets(maxLen) : options.buckets();
    this.paramPaths = lm.parameters().paths();
    this.paramLeaves = lm.parameters().leaves();
    this.statePaths = programs.stateTypes().paths();
    for (int b : buckets) {
      if (b < 1 || b > maxLen) throw new IllegalArgumentException("Generator: bucket " + b + " is outside [1, " + maxLen + "]");
    }
  }

  /** Powers of two from 16 below {@code maxLength}, then {@code maxLength}: few compiles, at most 2x padding. */
  static List<Integer> defaultBuckets(int maxLength) {
    List<Integer> out = new ArrayList<>();
    for (int b = 16; b < maxLength; b *= 2) out.add(b);
    out.add(maxLength);
    return out;
  }

  /** The options this generator was made with. */
  public Options options() { return options; }

  /** The cache length: prompt plus generated tokens of one request at most. */
  public int maxLength() { return (int) programs.maxLength(); }

  /** The prompt-length buckets prefill compiles for. */
  public List<Integer> buckets() { return buckets; }

  /** Timings of the last generate call. */
  public GenerationStats stats() { return stats; }

  /** Completions of {@code prompts} (text, encoded with the model's tokenizer), in order. */
  public List<Completion> generate(List<String> prompts, SamplingParams params) {
    return generate(prompts, params, e -> {});
  }

  /** As {@link #generate(List, SamplingParams)}, reporting each token to {@code onToken} as it arrives. */
  public List<Completion> generate(List<String> prompts, SamplingParams params, Consumer<TokenEvent> onToken) {
    List<Request> reqs = new ArrayList<>();
    for (String p : prompts) reqs.add(new Request(lm.encode(p), params));
    return run(reqs, onToken);
  }

  /** Completions of prompts given as token ids. */
  public List<Completion> generateTokens(List<int[]> prompts, SamplingParams params) {
    List<Request> reqs = new ArrayList<>();
    for (int[] p : prompts) reqs.add(new Request(p, params));
    return run(reqs, e -> {});
  }

  /**
   * Runs {@code requests} to completion with continuous batching, reporting each token to {@code onToken}
   * (on this thread, in order per request). Compiles the programs the requests need first (see
   * {@link #compile}).
   *
   * @throws IllegalArgumentException naming the request whose prompt plus token budget exceeds
   *     {@link #maxLength()}, or whose ids are outside the vocabulary
   */
  public List<Completion> run(List<Request> requests, Consumer<TokenEvent> onToken) {
    if (closed) throw new IllegalStateException("this Generator has been closed");
    for (int i = 0; i < requests.size(); i++) check(i, requests.get(i));
    long t0 = System.nanoTime();
    ensureCompiled(requests);
    long compileNanos = System.nanoTime() - t0;

    Deque<Integer> waiting = new ArrayDeque<>();
    for (int i = 0; i < requests.size(); i++) waiting.add(i);
    Completion[] done = new Completion[requests.size()];
    Row[] rows = new Row[options.batch()];
    Timing t = new Timing(System.nanoTime());
    // One decode call stays in flight while the host reads the previous call's ids: the next call needs
    // only the state on the device (the sampled tokens are in it), so the host's work per call (launch,
    // read-back, stop checks, streaming) overlaps the device's step instead of adding to it.
    InFlight pending = null;
    int active = 0;
    try {
    while (!waiting.isEmpty() || active > 0 || pending != null) {
      boolean refill = !waiting.isEmpty() && Arrays.asList(rows).contains(null);
      if (refill && pending != null) {
        // a free row takes its next request after the calls already made, so their ids come first
        InFlight p = pending;
        pending = null;
        active -= t.process(p, rows, onToken, done);
        continue;
      }
      for (int r = 0; refill && r < rows.length && !waiting.isEmpty(); r++) {
        while (rows[r] == null && !waiting.isEmpty()) {
          int i = waiting.poll();
          Request q = requests.get(i);
          long a = System.nanoTime();
          int first = prefillRow(r, q);
          t.prefillNanos += System.nanoTime() - a;
          t.prefillTokens += q.prompt().length;
          if (t.ttft < 0) t.ttft = System.nanoTime() - t.start;
          Row row = new Row(i, q, stops(q.params()), lm.tokenizer().orElse(null));
          if (!accept(row, first, onToken, done)) {
            rows[r] = row;
            active++;
          }
        }
      }
      InFlight next = null;
      if (needsCall(rows, pending)) {
        long a = System.nanoTime();
        next = new InFlight(launch(decode.get(mode(rows)), Tree.empty()), rows.clone());
        for (Row row : rows) if (row != null) row.inFlight += options.tokensPerCall();
        t.launchNanos += System.nanoTime() - a;
        t.calls++;
      }
      InFlight prev = pending;
      pending = next;
      if (prev != null) active -= t.process(prev, rows, onToken, done);
    }
    } finally {
      if (pending != null) pending.ids().close(); // a failure left a call unread
    }
    stats = new GenerationStats(Duration.ofNanos(compileNanos), Duration.ofNanos(Math.max(t.ttft, 0)), t.prefillTokens,
        Duration.ofNanos(t.prefillNanos), t.decodeTokens, Duration.ofNanos(t.launchNanos + t.processNanos), t.calls,
        Duration.ofNanos(t.launchNanos), Duration.ofNanos(t.waitNanos));
    return Arrays.asList(done);
  }

  /** The least sampling mode serving every row a call would decode. */
  private Sampler.Mode mode(Row[] rows) {
    Sampler.Mode m = Sampler.Mode.GREEDY;
    for (Row row : rows) if (row != null && !row.ended) m = m.join(mode(row.request.params()));
    return m;
  }

  private Sampler.Mode mode(SamplingParams p) {
    return Sampler.Mode.of(p, lm.model().vocabSize());
  }

  /** Whether some row still needs tokens beyond those its calls in flight will bring (budgets are known; stop ids are not). */
  private static boolean needsCall(Row[] rows, InFlight pending) {
    for (Row row : rows) {
      if (row != null && !row.ended && row.tokens.size() + row.inFlight < row.request.params().maxNewTokens()) return true;
    }
    return false;
  }

  /** A decode call launched and not yet read: its ids on the device, and the rows as they were at launch. */
  private record InFlight(DeviceBuffer ids, Row[] rows) {}

  /** Time and token counts of one {@link #run}. */
  private final class Timing {
    final long start;
    long ttft = -1;
    long prefillNanos;
    long prefillTokens;
    long decodeTokens;
    long calls;
    long launchNanos;
    long processNanos;
    long waitNanos;

    Timing(long start) { this.start = start; }

    /**
     * Reads {@code call}'s ids and gives each row's tokens to the request it held at launch, unless that
     * request ended meanwhile (its tokens from a call made after its end are dropped); returns how many
     * requests ended.
     */
    int process(InFlight call, Row[] rows, Consumer<TokenEvent> onToken, Completion[] done) {
      long a = System.nanoTime();
      int[] flat = read(call.ids());
      long b = System.nanoTime();
      waitNanos += b - a;
      int n = options.tokensPerCall();
      int ended = 0;
      for (int r = 0; r < call.rows().length; r++) {
        Row row = call.rows()[r];
        if (row == null || row.ended) continue;
        row.inFlight -= n;
        for (int j = 0; j < n; j++) {
          decodeTokens++;
          if (accept(row, flat[r * n + j], onToken, done)) {
            row.ended = true;
            if (rows[r] == row) rows[r] = null;
            ended++;
            break;
          }
        }
      }
      processNanos += System.nanoTime() - a;
      return ended;
    }
  }

  /**
   * Compiles (and runs once) the decode program and the prefill buckets {@code requests} need, if not yet
   * compiled; {@link #run} does this itself, outside its time to first token.
   */
  public void compile(List<Request> requests) {
    ensureCompiled(requests);
  }

  /**
   * Compiles what is missing and runs each new program once on dummy inputs: some backends (the embedded
   * CPU one) compile on the first run, and that belongs to compile time, not to the first request's latency.
   * The dummy runs leave garbage in rows that are free; a request's prefill resets its row.
   */
  private void ensureCompiled(List<Request> requests) {
    if (init == null) {
      options.progress().accept("compiling init");
      init = compile(programs.init());
    }
    if (state == null) state = init.call(paramLeaves, List.of(), Tree.empty()).state();
    for (Request q : requests) {
      Sampler.Mode m = mode(q.params());
      if (!decode.containsKey(m)) {
        int n = options.tokensPerCall();
        String what = m.name().toLowerCase(java.util.Locale.ROOT);
        options.progress().accept(n == 1 ? "compiling decode (" + what + ")" : "compiling decode loop of " + n + " (" + what + ")");
        CompiledProgram p = compile(n == 1 ? programs.decode(m) : programs.decodeLoop(n, m));
        decode.put(m, p);
        read(launch(p, Tree.empty()));
      }
    }
    for (Request q : requests) {
      int b = bucket(q.prompt().length);
      if (!prefill.containsKey(b)) {
        options.progress().accept("compiling prefill " + b);
        prefill.put(b, compile(programs.prefillRow(b)));
        int[] dummy = new int[b];
        Arrays.fill(dummy, 1);
        prefillRow(0, new Request(dummy, SamplingParams.greedy(1)));
      }
    }
  }

  /**
   * Writes the dump stages of every program compiled so far (program text, StableHLO, graph), one folder
   * per program under {@code dir}: {@code init}, {@code decode}, {@code prefill_N}.
   *
   * @return the files written
   */
  public List<java.nio.file.Path> dump(java.nio.file.Path dir) {
    List<java.nio.file.Path> out = new ArrayList<>();
    if (init != null) out.addAll(init.program().dump(dir.resolve("init")));
    for (Map.Entry<Sampler.Mode, CompiledProgram> e : decode.entrySet()) {
      String suffix = e.getKey() == Sampler.Mode.GREEDY ? "" : "_" + e.getKey().name().toLowerCase(java.util.Locale.ROOT);
      out.addAll(e.getValue().program().dump(dir.resolve("decode" + suffix)));
    }
    for (Map.Entry<Integer, CompiledProgram> e : prefill.entrySet()) {
      out.addAll(e.getValue().program().dump(dir.resolve("prefill_" + e.getKey())));
    }
    return out;
  }

  /** The smallest bucket holding {@code n} tokens. */
  int bucket(int n) {
    for (int b : buckets) if (b >= n) return b;
    throw new IllegalArgumentException("a prompt of " + n + " tokens exceeds the largest bucket " + buckets.get(buckets.size() - 1));
  }

  private int prefillRow(int r, Request q) {
    int b = bucket(q.prompt().length);
    int[] tokens = Arrays.copyOf(q.prompt(), b);
    SamplingParams p = q.params();
    List<DeviceBuffer> uploaded = new ArrayList<>();
    try {
      Tree<DeviceBuffer> in = Tree.<DeviceBuffer>builder()
          .put("row", up(uploaded, HostTensor.ofInts(new int[] {r})))
          .put("tokens", up(uploaded, HostTensor.ofInts(tokens, 1, b)))
          .put("lengths", up(uploaded, HostTensor.ofInts(new int[] {q.prompt().length}, 1)))
          .put("key", up(uploaded, key(p)))
          .put("temperature", up(uploaded, HostTensor.of(new float[] {(float) p.temperature()}, 1)))
          .put("top_k", up(uploaded, HostTensor.ofInts(new int[] {p.topK()}, 1)))
          .put("top_p", up(uploaded, HostTensor.of(new float[] {(float) p.topP()}, 1)))
          .build();
      return call(prefill.get(b), in)[0];
    } finally {
      uploaded.forEach(DeviceBuffer::close);
    }
  }

  /** Calls {@code p} and returns its ids, read (which waits for the call). */
  private int[] call(CompiledProgram p, Tree<DeviceBuffer> inputs) {
    return read(launch(p, inputs));
  }

  /**
   * Launches {@code p} on the parameters, the state (donated) and {@code inputs} (paths under
   * {@code input/}); keeps the new state; returns the ids buffer without waiting for it.
   */
  private DeviceBuffer launch(CompiledProgram p, Tree<DeviceBuffer> inputs) {
    if (state == null) throw new IllegalStateException("the generation state was lost to an earlier failed call");
    CompiledProgram.Result out;
    try {
      out = p.call(paramLeaves, state, inputs);
    } catch (RuntimeException e) {
      // the state may be consumed: start from an empty one next time
      state.forEach(DeviceBuffer::close);
      state = null;
      throw e;
    }
    state = out.state();
    return out.tokens();
  }

  private CompiledProgram compile(org.xla4j.program.Program program) {
    return CompiledProgram.compile(lm.backend(), program, paramPaths, statePaths);
  }

  /** The ids in {@code ids} (waits for the call that makes them), releasing the buffer. */
  private static int[] read(DeviceBuffer ids) {
    try (ids) {
      return ids.toHost().toIntArray();
    }
  }

  /** Copies {@code t} to the device, remembering the buffer in {@code owned} for release after the call. */
  private DeviceBuffer up(List<DeviceBuffer> owned, HostTensor t) {
    DeviceBuffer b = lm.backend().toDevice(t);
    owned.add(b);
    return b;
  }

  /** The request's Threefry key ({@link SamplingParams#key()}, JAX's {@code PRNGKey(seed)}) as u32 [1, 2]. */
  private static HostTensor key(SamplingParams p) {
    int[] k = p.key();
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(k[0]).putInt(k[1]);
    return HostTensor.ofBytes(DType.U32, Shape.of(1, 2), b.array());
  }

  private Set<Integer> stops(SamplingParams p) {
    Set<Integer> s = new HashSet<>(p.stopIds());
    s.addAll(lm.eosIds());
    return s;
  }

  /** Takes {@code id} into {@code row}; reports it; returns whether the request ended (and records it). */
  private boolean accept(Row row, int id, Consumer<TokenEvent> onToken, Completion[] done) {
    row.tokens.add(id);
    boolean stop = row.stops.contains(id);
    boolean end = stop || row.tokens.size() >= row.request.params().maxNewTokens();
    String delta = row.text == null ? "" : row.text.push(id) + (end ? row.text.finish() : "");
    onToken.accept(new TokenEvent(row.index, id, delta, end));
    if (end) {
      int[] ids = row.tokens.stream().mapToInt(Integer::intValue).toArray();
      done[row.index] = new Completion(row.index, ids, lm.decode(ids),
          stop ? Completion.FinishReason.STOP : Completion.FinishReason.LENGTH);
    }
    return end;
  }

  private void check(int i, Request q) {
    int vocab = lm.model().vocabSize();
    for (int id : q.prompt()) {
      if (id < 0 || id >= vocab) {
        throw new IllegalArgumentException("request " + i + ": token id " + id + " is outside the vocabulary [0, " + vocab + ")");
      }
    }
    int need = q.prompt().length + q.params().maxNewTokens();
    if (need > maxLength()) {
      throw new IllegalArgumentException("request " + i + ": prompt of " + q.prompt().length + " tokens plus "
          + q.params().maxNewTokens() + " new tokens exceeds the generator's maxLength " + maxLength());
    }
  }

  /** Releases the state's device buffers and every compiled program; idempotent. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    if (state != null) state.forEach(DeviceBuffer::close);
    state = null;
    for (CompiledProgram p : prefill.values()) p.close();
    prefill.clear();
    if (init != null) init.close();
    decode.values().forEach(CompiledProgram::close);
    decode.clear();
  }

  /** A request while it occupies a row. */
  private static final class Row {
    final int index;
    final Request request;
    final Set<Integer> stops;
    final List<Integer> tokens = new ArrayList<>();
    final DecodeStream text; // null without a tokenizer
    int inFlight; // tokens of calls launched and not yet read
    boolean ended;

    Row(int index, Request request, Set<Integer> stops, Tokenizer tokenizer) {
      this.index = index;
      this.request = request;
      this.stops = stops;
      this.text = tokenizer == null ? null : new DecodeStream(tokenizer);
    }
  }
}
