package org.xla4j.models.moe;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What {@link MoeImplementation#AUTO} runs: per platform, an ordered list of rules measured with
 * {@code xla4j bench moe}; the first rule whose bounds hold for the layer wins. The bounds are the token
 * copies per expert ({@code N·K/E}: below about 1 a token touches few experts and FEW_TOKENS reads only
 * those; far above, the grouped or dense matmuls are compute-bound) and the size of one expert
 * ({@code 3·D·F} parameters: small experts are launch-bound, where the loops of the sliced forms cost most).
 *
 * <p>The tables are data: update {@link #CUDA} from the H200 rounds ({@code scripts/device-moe.sh}) and
 * {@link #CPU} from {@code xla4j bench moe --backend cpu}, keeping each rule's evidence string. To override
 * per call, set any implementation other than AUTO; {@link #choose} is public so a caller can see the pick.
 *
 * <pre>{@code
 * MoeAutoTable.Choice c = MoeAutoTable.choose("cuda", 1, 6144, 32768, 8, 2);   // decode at Grok-1's layer
 * MoeOptions o = MoeOptions.builder().implementation(MoeImplementation.AUTO).platform("cuda").build();
 * }</pre>
 */
public final class MoeAutoTable {
  private MoeAutoTable() {}

  /**
   * One row: applies when {@code N·K/E <= maxCopiesPerExpert} and {@code 3·D·F >= minExpertParams}.
   *
   * @param maxCopiesPerExpert upper bound on token copies per expert ({@code Double.POSITIVE_INFINITY}: none)
   * @param minExpertParams lower bound on one expert's parameters {@code 3·D·F} (0: none)
   * @param implementation what runs; never AUTO, never CAPACITY (AUTO must not drop tokens)
   * @param fewTokens the FEW_TOKENS form (ignored by the others)
   * @param raggedDot DROPLESS: {@code chlo.ragged_dot} (ignored by the others, and on the CPU)
   * @param evidence the measurement the row rests on: command, machine, date, figures
   */
  public record Rule(double maxCopiesPerExpert, long minExpertParams, MoeImplementation implementation,
      FewTokensForm fewTokens, boolean raggedDot, String evidence) {
    public Rule {
      Objects.requireNonNull(implementation, "implementation");
      Objects.requireNonNull(fewTokens, "fewTokens");
      Objects.requireNonNull(evidence, "evidence");
      if (implementation == MoeImplementation.AUTO || implementation == MoeImplementation.CAPACITY) {
        throw new IllegalArgumentException("MoeAutoTable.Rule: AUTO picks neither AUTO nor CAPACITY, got "
            + implementation);
      }
      if (!(maxCopiesPerExpert > 0) || minExpertParams < 0) {
        throw new IllegalArgumentException("MoeAutoTable.Rule: requires maxCopiesPerExpert > 0 and minExpertParams >= 0,"
            + " got " + maxCopiesPerExpert + ", " + minExpertParams);
      }
    }

    boolean applies(double copiesPerExpert, long expertParams) {
      return copiesPerExpert <= maxCopiesPerExpert && expertParams >= minExpertParams;
    }
  }

  /** The pick for one layer, and the rule it came from. */
  public record Choice(MoeImplementation implementation, FewTokensForm fewTokens, boolean raggedDot, Rule rule) {}

  private static final double ANY = Double.POSITIVE_INFINITY;

  /**
   * CUDA GPUs. Rows to be replaced by the H200 figures of {@code scripts/device-moe.sh}; until then they follow
   * JAX's figures on the H200 (DESIGN.md, 2026-12-01): the dense all-experts einsum beat sort + ragged_dot at
   * both prefill shapes (7.0 vs 12.0 ms, 65.8 vs 104.9 ms), and at T 1 both read every expert (2.18 ms) where
   * the two chosen experts alone would take about a quarter of that. A lead for DROPLESS, from XLA's sources (not
   * measured here): without the cuDNN ragged-dot fusion XLA lowers {@code chlo.ragged_dot} on CUDA to a masked dense
   * dot (E times the FLOPs), and the fusion is taken only with cuDNN 9.22 or newer; the tiled form's
   * {@code --tile-size} sweep and CAPACITY's batched matmul are the dropless and the dropping alternatives.
   */
  public static final List<Rule> CUDA = List.of(
      new Rule(0.5, 0, MoeImplementation.FEW_TOKENS, FewTokensForm.GATHER, false,
          "not yet measured by xla4j on the H200; JAX reads all 8 experts at T 1 (2.18 ms, Grok-1 layer)"),
      new Rule(ANY, 0, MoeImplementation.DENSE, FewTokensForm.GATHER, false,
          "not yet measured by xla4j on the H200; JAX dense 7.0 ms vs ragged_dot 12.0 ms (T8192 D2048 F5632)"));

  /**
   * The embedded XLA CPU backend (TensorFlow 2.18), from {@code xla4j bench moe --backend cpu --shape T,256,512
   * --impl dense,dropless,few-tokens --runs 7} at T 1, 4, 32, 256 (E 8, top-2; 2026-12-02, a shared 2-core build
   * machine, so only differences of 2x or more are read as real).
   */
  public static final List<Rule> CPU = List.of(
      new Rule(1, 0, MoeImplementation.FEW_TOKENS, FewTokensForm.GATHER, false,
          "cpu D256 F512: T1 few-tokens gather 0.81 ms, dense 1.74, dropless 4.72; T4 gather 2.48, dense 6.03"
              + " (slice 4.0/16.0, slice-loop 5.2/10.7)"),
      new Rule(8, 0, MoeImplementation.DENSE, FewTokensForm.GATHER, false,
          "cpu D256 F512: T32 dense 7.78 ms, dropless 7.87, few-tokens gather 37.4"),
      new Rule(ANY, 0, MoeImplementation.DROPLESS, FewTokensForm.GATHER, false,
          "cpu D256 F512: T256 dropless (tiled) 19.5 ms, dense 43.4, few-tokens gather 364"));

  /** Any other or unknown platform: the reference, which every backend compiles. */
  public static final List<Rule> OTHER = List.of(
      new Rule(ANY, 0, MoeImplementation.DENSE, FewTokensForm.GATHER, false, "the portable reference; nothing measured"));

  /** The rules for a platform name as backends report it ({@code cpu}, {@code host}, {@code cuda}, {@code gpu}, ...). */
  public static List<Rule> rules(String platform) {
    String p = platform == null ? "" : platform.strip().toLowerCase(Locale.ROOT);
    return switch (p) {
      case "cpu", "host" -> CPU;
      case "cuda", "gpu" -> CUDA;
      default -> OTHER;
    };
  }

  /** The pick for N tokens through E experts of size D×F, top-K, on {@code platform} (null: unknown). */
  public static Choice choose(String platform, long tokens, long model, long hidden, long experts, int topK) {
    return choose(rules(platform), tokens, model, hidden, experts, topK);
  }

  /** The pick from the given rules (the first that applies); the last rule should have no bounds. */
  public static Choice choose(List<Rule> rules, long tokens, long model, long hidden, long experts, int topK) {
    if (tokens < 1 || model < 1 || hidden < 1 || experts < 1 || topK < 1) {
      throw new IllegalArgumentException("MoeAutoTable.choose: requires positive sizes, got N " + tokens + " D " + model
          + " F " + hidden + " E " + experts + " K " + topK);
    }
    double perExpert = (double) tokens * topK / experts;
    long params = 3 * model * hidden;
    for (Rule r : rules) {
      if (r.applies(perExpert, params)) return new Choice(r.implementation(), r.fewTokens(), r.raggedDot(), r);
    }
    throw new IllegalArgumentException("MoeAutoTable: no rule applies to N·K/E = " + perExpert + ", 3·D·F = " + params
        + " in " + rules);
  }

  /** {@code o} (implementation AUTO) with the pick for this layer in its place. */
  static MoeOptions resolve(MoeOptions o, long tokens, long model, long hidden, long experts) {
    Choice c = choose(o.platform(), tokens, model, hidden, experts, o.topK());
    MoeOptions.Builder b = o.toBuilder().implementation(c.implementation());
    return switch (c.implementation()) {
      case FEW_TOKENS -> b.fewTokens(c.fewTokens()).build();
      case DROPLESS -> b.raggedDot(c.raggedDot()).build();
      case DENSE, CAPACITY, AUTO -> b.build();
    };
  }
}
