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
   * @param tileSize DROPLESS tiled form, used where the options leave the tile automatic: the smallest tile in
   *     rows (0 with maxTileSize 0: DROPLESS's own automatic tile; ignored by the others)
   * @param maxTileSize the largest tile: the tile is the power of two at or above the mean load {@code N·K/E},
   *     within {@code [tileSize, maxTileSize]} ({@link #tileFor}); equal bounds give a fixed tile
   * @param evidence the measurement the row rests on: command, machine, date, figures
   */
  public record Rule(double maxCopiesPerExpert, long minExpertParams, MoeImplementation implementation,
      FewTokensForm fewTokens, boolean raggedDot, int tileSize, int maxTileSize, String evidence) {
    public Rule {
      Objects.requireNonNull(implementation, "implementation");
      Objects.requireNonNull(fewTokens, "fewTokens");
      Objects.requireNonNull(evidence, "evidence");
      if (implementation == MoeImplementation.AUTO || implementation == MoeImplementation.CAPACITY) {
        throw new IllegalArgumentException("MoeAutoTable.Rule: AUTO picks neither AUTO nor CAPACITY, got "
            + implementation);
      }
      if (!(maxCopiesPerExpert > 0) || minExpertParams < 0 || tileSize < 0 || maxTileSize < tileSize
          || (tileSize == 0) != (maxTileSize == 0)) {
        throw new IllegalArgumentException("MoeAutoTable.Rule: requires maxCopiesPerExpert > 0, minExpertParams >= 0"
            + " and tileSize <= maxTileSize, both 0 or both > 0, got " + maxCopiesPerExpert + ", " + minExpertParams
            + ", tileSize " + tileSize + ", maxTileSize " + maxTileSize);
      }
    }

    /** A rule with a fixed tile ({@code tileSize} rows; 0: automatic). */
    public Rule(double maxCopiesPerExpert, long minExpertParams, MoeImplementation implementation,
        FewTokensForm fewTokens, boolean raggedDot, int tileSize, String evidence) {
      this(maxCopiesPerExpert, minExpertParams, implementation, fewTokens, raggedDot, tileSize, tileSize, evidence);
    }

    /** A rule with automatic tiles. */
    public Rule(double maxCopiesPerExpert, long minExpertParams, MoeImplementation implementation,
        FewTokensForm fewTokens, boolean raggedDot, String evidence) {
      this(maxCopiesPerExpert, minExpertParams, implementation, fewTokens, raggedDot, 0, 0, evidence);
    }

    boolean applies(double copiesPerExpert, long expertParams) {
      return copiesPerExpert <= maxCopiesPerExpert && expertParams >= minExpertParams;
    }

    /**
     * The tile for a mean load of {@code copiesPerExpert} rows per expert: the power of two at or above it, within
     * {@code [tileSize, maxTileSize]}, so an expert of about the mean load fills one tile rather than padding up to
     * {@code maxTileSize} (a 2,048-token prefill, 512 copies per expert, used half of each 1024-row tile); 0 where the
     * rule leaves the tile to DROPLESS.
     */
    public int tileFor(double copiesPerExpert) {
      if (maxTileSize == 0) return 0;
      long m = 1;
      while (m < copiesPerExpert && m < maxTileSize) m *= 2;
      return (int) Math.max(tileSize, Math.min(m, maxTileSize));
    }
  }

  /** The pick for one layer, and the rule it came from. */
  public record Choice(MoeImplementation implementation, FewTokensForm fewTokens, boolean raggedDot, int tileSize,
      Rule rule) {}

  private static final double ANY = Double.POSITIVE_INFINITY;

  /**
   * CUDA GPUs, from rounds 1-3 on one H200 (2026-12-02, {@code scripts/device-moe.sh}, i.e. {@code xla4j bench moe
   * --backend pjrt --shape T,D,F --impl ...} beside {@code scripts/moe_jax.py}; bench/results/moe-h200-2026-12-02-
   * round*.md), 8 experts top-2, bf16. CAPACITY itself stays out (AUTO must not drop); from 64 copies per expert
   * (prefill and training batches) AUTO runs CAPACITY_CHECKED, CAPACITY's matmul at the first capacity of its ladder
   * (factor 1.25, then 2.5) that drops nothing, DROPLESS otherwise. Between 8 and 64 copies per expert, where an expert over capacity is likely at factor 1.25,
   * DROPLESS runs directly. The DROPLESS tile (either way) follows the mean load ({@link Rule#tileFor}).
   */
  public static final List<Rule> CUDA = List.of(
      new Rule(0.5, 0, MoeImplementation.FEW_TOKENS, FewTokensForm.REDUCE, false,
          "H200 round 2 (scripts/device-moe.sh round2), T1 Grok-1 layer (D6144 F32768), bf16: few-tokens reduce"
              + " 1.02 ms (no weight-sized buffer, 0.56 of the 0.572 ms floor), gather 1.73, dense 2.17, JAX dense"
              + " 2.11; round 3 (scripts/device-round7.sh A, 2026-12-02), int8 weights read in place: reduce 0.996 ms"
              + " (dequantize) / 1.080 (scales after), gather 1.475 / 1.107, JAX dense 2.125"),
      new Rule(8, 0, MoeImplementation.DENSE, FewTokensForm.GATHER, false,
          "H200 round 1, T32 Grok-1 layer: dense 2.26 ms, auto 2.21, JAX 2.20 (at its floor);"
              + " few-tokens slice 42.8"),
      new Rule(64, 0, MoeImplementation.DROPLESS, FewTokensForm.GATHER, false, 128, 1024,
          "H200 round 1, dropless tiled; between 8 and 64 copies per expert nothing measured yet: an expert over"
              + " capacity 1.25 is likely at these loads, so CAPACITY_CHECKED would mostly run its DROPLESS branch"
              + " anyway"),
      new Rule(ANY, 0, MoeImplementation.CAPACITY_CHECKED, FewTokensForm.GATHER, false, 128, 1024,
          "H200 round 4 (scripts/device-round8.sh B, 2026-12-02; bench/results/moe-h200-2026-12-02-round4.md),"
              + " capacity-checked cf 1.25 (nothing over capacity with the bench's router): T8192 D2048 F5632 2.46 ms"
              + " (auto 2.39), 2.9x JAX's best (dense 7.22); T4096 D6144 F32768 18.1 ms (auto 18.0), 3.3x (dense"
              + " 59.5); T2048 D1536 F8192 0.70 ms (auto 0.72), 2.9x (dense 2.01); the conditional costs 1-5% over"
              + " capacity alone; its DROPLESS fallback (cf 0.5) 4.86 ms at T8192, as dropless tiled 4.75. The 1.59B"
              + " model's own router overflowed cf 1.25 on a 2,048-token prompt (its prefill ran DROPLESS: 14.8 ms),"
              + " hence the second rung at 2.5 (not yet measured)"));

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
      if (r.applies(perExpert, params)) {
        return new Choice(r.implementation(), r.fewTokens(), r.raggedDot(), r.tileFor(perExpert), r);
      }
    }
    throw new IllegalArgumentException("MoeAutoTable: no rule applies to N·K/E = " + perExpert + ", 3·D·F = " + params
        + " in " + rules);
  }

  /**
   * {@code o} (implementation AUTO) with the pick for this layer in its place; a tile size the caller set
   * explicitly is kept.
   */
  static MoeOptions resolve(MoeOptions o, long tokens, long model, long hidden, long experts) {
    Choice c = choose(o.platform(), tokens, model, hidden, experts, o.topK());
    MoeOptions.Builder b = o.toBuilder().implementation(c.implementation());
    return switch (c.implementation()) {
      case FEW_TOKENS -> b.fewTokens(c.fewTokens()).build();
      case DROPLESS, CAPACITY_CHECKED ->
          b.raggedDot(c.raggedDot()).tileSize(o.tileSize() > 0 ? o.tileSize() : c.tileSize()).build();
      case DENSE, CAPACITY, AUTO -> b.build();
    };
  }
}
