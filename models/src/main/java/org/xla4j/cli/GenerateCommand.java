package org.xla4j.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.checkpoint.LoadProgress;
import org.xla4j.models.generate.CausalLm;
import org.xla4j.models.generate.Completion;
import org.xla4j.models.generate.GenerationStats;
import org.xla4j.models.generate.Generator;
import org.xla4j.models.generate.LanguageModel;
import org.xla4j.models.generate.Request;
import org.xla4j.models.generate.SamplingParams;
import org.xla4j.models.generate.TokenEvent;
import org.xla4j.models.grok.WeightFormat;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.Platform;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code xla4j generate}: text from a language model, streamed as it is produced, then a timing summary
 * (load, compile, time to first token, prefill and decode tokens per second). The model is a checkpoint
 * directory or a preset with random weights ({@code tiny-grok}, {@code tiny-llama}), which it says.
 *
 * <pre>
 * ./xla4j generate --model tiny-grok --prompt "The answer is" --max-new-tokens 32
 * ./xla4j generate --model /models/grok-1-hf --prompt-tokens 5,17,3 --output out.json --backend pjrt
 * </pre>
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Generate text with a Grok-1 or Llama model (KV cache on the device, continuous batching); "
        + "streams the text and ends with a timing summary.")
final class GenerateCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, paramLabel = "DIR|tiny-grok|tiny-llama",
      description = "A Hugging Face checkpoint directory (Grok-1 bf16/int8, Llama) or a preset with random weights.")
  String model;

  static final class Prompts {
    @Option(names = "--prompt", paramLabel = "TEXT", description = "A prompt (repeat for several).")
    List<String> text;

    @Option(names = "--prompt-tokens", paramLabel = "ID,ID,...", description = "A prompt as token ids (repeat for several).")
    List<String> tokens;

    @Option(names = "--prompts-file", paramLabel = "FILE", description = "Prompts, one per line (empty lines skipped).")
    Path file;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Prompts prompts;

  @Option(names = "--max-new-tokens", defaultValue = "32", description = "Tokens to generate per prompt (default: ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(names = "--temperature", defaultValue = "0", description = "0 is greedy (default: ${DEFAULT-VALUE}).")
  double temperature;

  @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens (0: all).")
  int topK;

  @Option(names = "--top-p", defaultValue = "1", description = "Keep the most likely tokens holding this mass (1: all).")
  double topP;

  @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--batch", defaultValue = "0", description = "Rows decoded together (0: the number of prompts, at most 8).")
  int batch;

  @Option(names = "--tokens-per-call", defaultValue = "0",
      description = "Tokens per decode call: 1 streams step by step; more runs an on-device loop; 0 (default): "
          + AUTO_TOKENS_PER_CALL + " on an accelerator, 1 on a CPU.")
  int tokensPerCall;

  /**
   * The automatic tokens per decode call on accelerators. H200, 1.59B Grok-shaped model, batch 1 (scripts/device-round7.sh
   * A, bench/results/round7-h200-2026-12-02.md): one token per call bf16 1,032 tok/s, int8 555 (the host's ~1 ms to
   * launch a call is not hidden); 16 per call bf16 1,126, int8 1,186 (JAX's decode loop 1,094 / 1,170). Text then
   * streams in chunks of 16 tokens, about 15 ms apart at that speed.
   */
  static final int AUTO_TOKENS_PER_CALL = 16;

  @Option(names = "--decode-moe", paramLabel = "dense|dropless|capacity|few_tokens",
      description = "MoE implementation of the decode steps (default: auto, the measured pick for the backend's platform"
          + " and each program's token count); few_tokens reads only the chosen experts' weights.")
  String decodeMoe;

  @Option(names = "--prefill-attention", paramLabel = "vanilla|blockwise|cudnn",
      description = "Attention mechanism of the prefill programs (default: the model's, VANILLA); blockwise skips the"
          + " upper triangle of a long prompt's scores. Decode steps keep the model's.")
  String prefillAttention;

  @Option(names = "--quant", paramLabel = "dequantize|scale-after",
      description = "Int8 checkpoints only: dequantize the weights before each matmul (default) or apply the scales to"
          + " its result.")
  String quant;

  @Option(names = "--output", paramLabel = "OUT.json", description = "Writes {\"tokens\": [[...]], \"text\": [...]} (generated tokens only).")
  Path output;

  @Mixin
  BackendOption backend = new BackendOption();

  @Option(names = "--dump", paramLabel = "DIR", description = "Writes each generation program's dump stages into DIR.")
  Path dump;

  @Override
  public Integer call() throws IOException {
    PrintStream out = System.out;
    PrintStream err = System.err;
    SamplingParams params = new SamplingParams(temperature, topK, topP, seed, maxNewTokens, List.of());
    long t0 = System.nanoTime();
    try (Backend be = Backends.open(backend.spec);
         LanguageModel lm = LanguageModel.load(model, be, Progress.enabled() ? new ConsoleProgress(err) : LoadProgress.NONE)) {
      double load = (System.nanoTime() - t0) / 1e9;
      if (lm.randomWeights()) {
        err.println("model " + lm.name() + ": random weights (seed " + LanguageModel.PRESET_SEED
            + "), so the text means nothing; give a checkpoint directory for a real model");
      }
      List<Request> reqs = requests(lm, params);
      int longest = reqs.stream().mapToInt(r -> r.prompt().length).max().orElse(1);
      int rows = batch > 0 ? batch : Math.min(reqs.size(), 8);
      if (tokensPerCall < 0) {
        throw new IllegalArgumentException("--tokens-per-call must be >= 1 (0: automatic), got " + tokensPerCall);
      }
      int perCall = tokensPerCall > 0 ? tokensPerCall : be.platform() == Platform.CPU ? 1 : AUTO_TOKENS_PER_CALL;
      Generator.Options o = Generator.Options.defaults().withBatch(rows).withTokensPerCall(perCall)
          .withMaxLength(cacheLength(longest + maxNewTokens, lm.model().contextLength()))
          .withProgress(s -> err.println(s + " ..."))
          .withDecodeMoe(decodeMoe == null ? null : LogitsCommand.parseEnum(MoeImplementation.class, decodeMoe, "--decode-moe"))
          .withPrefillAttention(prefillAttention == null ? null
              : LogitsCommand.parseEnum(Mechanism.class, prefillAttention, "--prefill-attention",
                  List.of(Mechanism.VANILLA, Mechanism.BLOCKWISE, Mechanism.CUDNN)))
          .withQuant(quantMode(lm));
      try (Generator gen = lm.generator(o)) {
        long c0 = System.nanoTime();
        gen.compile(reqs);
        double compile = (System.nanoTime() - c0) / 1e9;
        boolean stream = reqs.size() == 1;
        boolean text = lm.tokenizer().isPresent();
        List<Completion> done = gen.run(reqs, e -> show(out, e, stream, text));
        if (!stream) {
          for (Completion c : done) out.println("[" + c.request() + "] " + (text ? c.text() : ids(c.tokens())));
        }
        if (dump != null) err.println("dump: " + gen.dump(dump).size() + " files under " + dump);
        GenerationStats s = gen.stats();
        out.printf(Locale.ROOT, "%nload %.2f s | compile %.2f s | time to first token %.1f ms | prefill %.1f tokens/s "
            + "(%d tokens) | decode %.1f tokens/s (%d tokens, batch %d) | %s%n", load, compile,
            s.timeToFirstToken().toNanos() / 1e6, s.prefillTokensPerSecond(), s.prefillTokens(),
            s.decodeTokensPerSecond(), s.decodeTokens(), rows, be.platformName());
        if (s.decodeCalls() > 0) {
          out.printf(Locale.ROOT, "decode calls %d (%d tokens per row each): host %.3f ms launching, %.3f ms waiting"
              + " for ids per call%n", s.decodeCalls(), gen.options().tokensPerCall(), s.launchMillisPerCall(),
              s.waitMillisPerCall());
        }
        if (output != null) write(output, done);
      }
    }
    return 0;
  }

  private static void show(PrintStream out, TokenEvent e, boolean stream, boolean text) {
    if (!stream) return;
    out.print(text ? e.text() : e.token() + " ");
    if (e.finished()) out.println();
    out.flush();
  }

  /** The prompts as requests; text needs the model's tokenizer. */
  private List<Request> requests(LanguageModel lm, SamplingParams p) throws IOException {
    List<Request> out = new ArrayList<>();
    if (prompts.tokens != null) {
      for (int i = 0; i < prompts.tokens.size(); i++) out.add(new Request(parseIds(prompts.tokens.get(i), i), p));
      return out;
    }
    List<String> texts = prompts.text;
    if (prompts.file != null) {
      texts = Files.readAllLines(prompts.file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
      if (texts.isEmpty()) throw new IllegalArgumentException("--prompts-file " + prompts.file + " has no prompts");
    }
    for (String t : texts) {
      int[] ids = lm.encode(t);
      if (ids.length == 0) throw new IllegalArgumentException("--prompt '" + t + "' encodes to no tokens");
      out.add(new Request(ids, p));
    }
    return out;
  }

  static int[] parseIds(String row, int index) {
    String[] parts = row.trim().split(",");
    int[] ids = new int[parts.length];
    for (int j = 0; j < parts.length; j++) {
      try {
        ids[j] = Integer.parseInt(parts[j].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--prompt-tokens " + (index + 1) + " '" + row + "': '" + parts[j]
            + "' is not a token id");
      }
    }
    return ids;
  }

  /** The cache length: the need rounded up to a multiple of 64, within the context. */
  static int cacheLength(int need, int context) {
    if (need > context) {
      throw new IllegalArgumentException("the longest prompt plus --max-new-tokens needs " + need
          + " positions, more than the model's context " + context);
    }
    return Math.min(context, (need + 63) / 64 * 64);
  }

  private static String ids(int[] ids) {
    StringBuilder sb = new StringBuilder();
    for (int id : ids) sb.append(sb.length() == 0 ? "" : " ").append(id);
    return sb.toString();
  }

  private static void write(Path file, List<Completion> done) throws IOException {
    JsonObject o = new JsonObject();
    JsonArray tokens = new JsonArray();
    JsonArray text = new JsonArray();
    for (Completion c : done) {
      JsonArray row = new JsonArray();
      for (int id : c.tokens()) row.add(id);
      tokens.add(row);
      text.add(c.text());
    }
    o.add("tokens", tokens);
    o.add("text", text);
    Files.writeString(file, new GsonBuilder().disableHtmlEscaping().create().toJson(o) + "\n");
  }

  /** --quant, for int8 checkpoints only (the model's config says which). */
  private QuantMode quantMode(LanguageModel lm) {
    if (quant == null) return null;
    QuantMode q = LogitsCommand.parseEnum(QuantMode.class, quant, "--quant");
    if (!(lm.model() instanceof CausalLm.Grok g && g.config().weightFormat() == WeightFormat.INT8)) {
      throw new IllegalArgumentException("--quant applies to int8 checkpoints (NAME.weight I8 + NAME.scales); "
          + lm.name() + " has none");
    }
    return q;
  }
}
