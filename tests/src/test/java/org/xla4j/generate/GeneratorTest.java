package org.xla4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.models.checkpoint.LoadProgress;
import org.xla4j.models.generate.Completion;
import org.xla4j.models.generate.Generator;
import org.xla4j.models.generate.LanguageModel;
import org.xla4j.models.generate.Request;
import org.xla4j.models.generate.SamplingParams;
import org.xla4j.models.generate.TokenEvent;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.cpu.CpuBackend;

/**
 * The Generator on tiny-grok (random weights): a request gets the same tokens (greedy, or sampled on the
 * device from its own seed) alone (batch 1) and
 * inside a batch of other requests of different prompt lengths that come and go (continuous batching,
 * batch 2, five requests), also with a device loop of several tokens per call whose MoE reads only the
 * chosen experts (FEW_TOKENS; equal ids here, as the implementations agree to bf16 rounding); a stop id ends its row
 * only; streaming reports every token in order; nothing accumulates over 1,000 requests.
 */
class GeneratorTest {
  static Backend cpu;
  static LanguageModel lm;

  @BeforeAll
  static void open() {
    cpu = Backends.open("cpu");
    lm = LanguageModel.load("tiny-grok", cpu, LoadProgress.NONE);
  }

  @AfterAll
  static void close() {
    lm.close();
    cpu.close();
  }

  static final int[][] PROMPTS = {{40, 41, 42}, {7, 300, 12, 99, 5, 6, 120, 8, 9, 10, 11}, {200},
      {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, {250, 251}};
  static final int[] BUDGETS = {6, 3, 8, 4, 5};

  static Generator.Options opts(int batch) {
    return Generator.Options.defaults().withBatch(batch).withMaxLength(32).withBuckets(List.of(16, 32));
  }

  /**
   * Even requests greedy, odd ones sampled with their own seeds (temperature 50, top-k 50, top-p 0.9: the
   * random model's logits are so peaked that a low temperature would sample its argmax).
   */
  static List<Request> requests() {
    List<Request> out = new ArrayList<>();
    for (int i = 0; i < PROMPTS.length; i++) {
      SamplingParams p = i % 2 == 0 ? SamplingParams.greedy(BUDGETS[i])
          : new SamplingParams(50, 50, 0.9, 100 + i, BUDGETS[i], List.of());
      out.add(new Request(PROMPTS[i], p));
    }
    return out;
  }

  @Test
  void eachRequestGetsItsTokensAloneInABatchAndWithADeviceLoop() {
    List<int[]> alone = new ArrayList<>();
    try (Generator g = lm.generator(opts(1))) {
      for (Request r : requests()) alone.add(g.run(List.of(r), e -> {}).get(0).tokens());
    }
    List<TokenEvent> events = new ArrayList<>();
    List<Completion> batched;
    try (Generator g = lm.generator(opts(2))) {
      batched = g.run(requests(), events::add);
      assertTrue(g.stats().decodeTokens() > 0 && g.stats().prefillTokens() == 35, "stats: " + g.stats());
    }
    List<Completion> looped;
    try (Generator g = lm.generator(opts(2).withTokensPerCall(3).withDecodeMoe(MoeImplementation.FEW_TOKENS))) {
      looped = g.run(requests(), e -> {});
    }
    for (int i = 0; i < PROMPTS.length; i++) {
      // a random model may emit EOS (id 2) early: then the request ends there, alone and batched alike
      assertTrue(alone.get(i).length == BUDGETS[i] || alone.get(i)[alone.get(i).length - 1] == 2, "request " + i);
      assertArrayEquals(alone.get(i), batched.get(i).tokens(), "request " + i + ": alone vs continuous batching of 2 rows");
      assertArrayEquals(alone.get(i), looped.get(i).tokens(), "request " + i + ": alone vs 3 tokens per device call, decode reading only the chosen experts");
      int idx = i;
      int[] streamed = events.stream().filter(e -> e.request() == idx).mapToInt(TokenEvent::token).toArray();
      assertArrayEquals(alone.get(i), streamed, "request " + i + ": streamed tokens in order");
      assertEquals(1, events.stream().filter(e -> e.request() == idx && e.finished()).count(), "one final event");
      assertEquals(lm.decode(alone.get(i)), batched.get(i).text(), "text is the decoded tokens");
    }
  }

  @Test
  void aSeedReproducesItsSampleAndAnotherSeedDiffers() {
    try (Generator g = lm.generator(opts(2))) {
      // a high temperature: tiny-grok's random logits are too peaked to sample anything but the argmax otherwise
      SamplingParams a = new SamplingParams(100, 0, 1, 11, 12, List.of());
      SamplingParams b = new SamplingParams(100, 0, 1, 12, 12, List.of());
      int[] first = g.run(List.of(new Request(PROMPTS[0], a)), e -> {}).get(0).tokens();
      List<Completion> again = g.run(List.of(new Request(PROMPTS[0], a), new Request(PROMPTS[0], b)), e -> {});
      assertArrayEquals(first, again.get(0).tokens(), "the same seed, alone and beside another request");
      assertTrue(!java.util.Arrays.equals(first, again.get(1).tokens()), "seed 12 samples other tokens than seed 11");
    }
  }

  @Test
  void aStopIdEndsItsRowOnly() {
    try (Generator g = lm.generator(opts(2))) {
      int[] free = g.run(List.of(new Request(PROMPTS[0], SamplingParams.greedy(8))), e -> {}).get(0).tokens();
      int stop = free[2];
      int firstAt = 0;
      while (free[firstAt] != stop) firstAt++;
      SamplingParams withStop = new SamplingParams(0, 0, 1, 0, 8, List.of(stop));
      List<Completion> out = g.run(List.of(new Request(PROMPTS[0], withStop), new Request(PROMPTS[2], SamplingParams.greedy(8))),
          e -> {});
      assertArrayEquals(java.util.Arrays.copyOf(free, firstAt + 1), out.get(0).tokens(), "ends at the stop id, kept");
      assertEquals(Completion.FinishReason.STOP, out.get(0).reason());
      int[] other = out.get(1).tokens();
      assertTrue(other.length == 8 || other[other.length - 1] == 2, "the other row runs on: " + other.length);
    }
  }

  @Test
  void nothingGrowsOverAThousandRequests() {
    try (Generator g = lm.generator(opts(4))) {
      List<Request> few = new ArrayList<>();
      for (int i = 0; i < 8; i++) few.add(new Request(new int[] {10 + i, 20}, SamplingParams.greedy(2)));
      g.run(few, e -> {});
      int buffers = CpuBackend.liveBuffers();
      int executables = CpuBackend.liveExecutables();
      List<Request> many = new ArrayList<>();
      for (int i = 0; i < 1000; i++) many.add(new Request(new int[] {3 + i % 200, 7}, SamplingParams.greedy(1 + i % 2)));
      List<Completion> out = g.run(many, e -> {});
      assertEquals(1000, out.size());
      assertEquals(buffers, CpuBackend.liveBuffers(), "live device buffers after 1,000 more requests");
      assertEquals(executables, CpuBackend.liveExecutables(), "live executables (no recompiles)");
    }
  }

  /**
   * Decode calls are launched one ahead of the ids being read: when budgets end the rows, no call beyond
   * the last needed one is made (a prompt's first token comes from its prefill, so a budget of n takes
   * n - 1 decode calls at one token per call, ceil((n - 1) / 3) at three), and a callback that throws
   * mid-run leaves no buffer behind (the call in flight is released).
   */
  @Test
  void decodeCallsRunOneAheadWithoutExtraCallsOrLeaks() {
    try (Generator g = lm.generator(opts(1))) {
      List<Completion> out = g.run(List.of(new Request(new int[] {5, 6}, SamplingParams.greedy(9))), e -> {});
      assertEquals(9, out.get(0).tokens().length, "tiny-grok's greedy tokens for [5, 6] hold no EOS");
      assertEquals(8, g.stats().decodeCalls(), "calls for 8 decoded tokens");
      assertTrue(g.stats().decodeLaunch().toNanos() > 0 && g.stats().decode().compareTo(g.stats().decodeWait()) >= 0,
          "stats: " + g.stats());
    }
    try (Generator g = lm.generator(opts(1).withTokensPerCall(3))) {
      List<Completion> out = g.run(List.of(new Request(new int[] {5, 6}, SamplingParams.greedy(9))), e -> {});
      assertEquals(9, out.get(0).tokens().length);
      assertEquals(3, g.stats().decodeCalls(), "3 calls of 3 for 8 decoded tokens");
      int buffers = CpuBackend.liveBuffers();
      int[] seen = {0};
      RuntimeException e = assertThrows(RuntimeException.class,
          () -> g.run(List.of(new Request(new int[] {5, 6}, SamplingParams.greedy(20))), ev -> {
            if (++seen[0] == 5) throw new IllegalStateException("callback fails");
          }));
      assertEquals("callback fails", e.getMessage());
      assertEquals(buffers, CpuBackend.liveBuffers(), "live buffers after a run that failed with a call in flight");
    }
  }

  @Test
  void closingReleasesEveryBuffer() {
    int before = CpuBackend.liveBuffers();
    try (LanguageModel m = LanguageModel.load("tiny-llama", cpu, LoadProgress.NONE);
         Generator g = m.generator(opts(2))) {
      List<Completion> out = g.generate(List.of("hi", "hello there"), SamplingParams.greedy(4));
      assertEquals(2, out.size());
      assertTrue(CpuBackend.liveBuffers() > before);
    }
    assertEquals(before, CpuBackend.liveBuffers(), "buffers after closing the generator and the model");
  }

  @Test
  void aRequestLongerThanTheCacheIsRefusedByName() {
    try (Generator g = lm.generator(opts(1))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> g.run(List.of(new Request(new int[30], SamplingParams.greedy(8))), x -> {}));
      assertTrue(e.getMessage().contains("request 0") && e.getMessage().contains("maxLength 32"), e.getMessage());
    }
  }
}
