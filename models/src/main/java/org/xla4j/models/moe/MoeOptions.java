package org.xla4j.models.moe;

import java.util.List;
import java.util.Objects;
import org.xla4j.ir.Precision;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.types.DType;

/**
 * What MoE layer to compute and how; {@link Moe#apply} validates it once against the tensors.
 *
 * <pre>{@code
 * MoeOptions o = MoeOptions.builder().implementation(MoeImplementation.CAPACITY).capacityFactor(1.25).build();
 * MoeResult r = Moe.apply(o, x, weights);
 * }</pre>
 *
 * @param implementation which evaluation runs
 * @param router how the gates are made from the router's softmax
 * @param topK experts per token (Grok-1: 2); 0 means "the caller's default" and is replaced by the model
 * @param capacityFactor CAPACITY and CAPACITY_CHECKED: capacity per expert is {@code ceil(N·K/E · capacityFactor)},
 *     > 0 (default 1.25: no copy dropped by the H200 rounds' router at the prefill shapes)
 * @param tileSize DROPLESS portable form (and CAPACITY_CHECKED's DROPLESS branch): rows per tile of the grouped matmul; 0 picks N·K/E rounded up to a
 *     power of two within [8, 128]
 * @param raggedDot DROPLESS: emit {@code chlo.ragged_dot} for the grouped matmul; ignored (portable form) on
 *     platform {@code cpu}, whose XLA (TensorFlow 2.18) does not take it
 * @param platform the platform the program is for ({@code cpu}, {@code cuda}), or null when unknown
 * @param quant where int8 weights' scales apply (DENSE and CAPACITY honour SCALE_AFTER; the others dequantize)
 * @param activation the experts' gate activation
 * @param fewTokens FEW_TOKENS: how the chosen experts' weights are read ({@link FewTokensForm})
 * @param precision the precision of the router's and experts' dots (DEFAULT; HIGHEST for full f32 products,
 *     where a GPU would use TF32 for f32 operands)
 * @param gateDtype the type the gates are rounded to before the f32 combination: bf16 as Grok-1 (default), or f32
 *     (no rounding) when the whole model computes in f32
 * @param capacityRungs CAPACITY_CHECKED: the capacity factors of its ladder, increasing (e.g. 1.25, 2.0, 3.0: one
 *     branch each, then DROPLESS); empty (default) means {@link #ladder()}'s two rungs from {@code capacityFactor}
 */
public record MoeOptions(
    MoeImplementation implementation,
    RouterKind router,
    int topK,
    double capacityFactor,
    int tileSize,
    boolean raggedDot,
    String platform,
    QuantMode quant,
    ExpertActivation activation,
    FewTokensForm fewTokens,
    Precision precision,
    DType gateDtype,
    List<Double> capacityRungs) {

  public MoeOptions {
    Objects.requireNonNull(implementation, "implementation");
    Objects.requireNonNull(router, "router");
    Objects.requireNonNull(quant, "quant");
    Objects.requireNonNull(activation, "activation");
    Objects.requireNonNull(fewTokens, "fewTokens");
    Objects.requireNonNull(precision, "precision");
    Objects.requireNonNull(gateDtype, "gateDtype");
    capacityRungs = List.copyOf(Objects.requireNonNull(capacityRungs, "capacityRungs"));
    if (!gateDtype.isFloat()) throw new IllegalArgumentException("moe: gateDtype must be a float type, got " + gateDtype);
  }

  /**
   * CAPACITY_CHECKED's capacity factors, smallest first: {@link #capacityRungs} when set, else {@code capacityFactor}
   * and twice it (the second rung catches a router that favours some experts by more than the first allows).
   */
  public List<Double> ladder() {
    return capacityRungs.isEmpty() ? List.of(capacityFactor, capacityFactor * CapacityCheckedMoe.WIDE) : capacityRungs;
  }

  /**
   * The rungs CAPACITY_CHECKED keeps of {@link #ladder()} for N tokens over E experts, top-k: the first, then each
   * whose capacity {@code ceil(N·K/E · f)} is above the last kept and still under N (at N no expert can overflow,
   * so DROPLESS is what runs past the last rung; a rung of equal capacity would never run). Whether a closing rung at
   * N would beat DROPLESS is not measured: on the H200's training step, steps with DROPLESS layers were the slow ones
   * (bench/results/round9-h200-2026-12-02.md). {@link MoeResult#rung} indexes this
   * list; its size is DROPLESS's index.
   *
   * <pre>{@code
   * MoeOptions.defaults().ladder(4096, 8, 2);   // [1.25, 2.5]: capacities 1280 and 2560
   * }</pre>
   */
  public List<Double> ladder(long tokens, long experts, int topK) {
    List<Double> kept = new java.util.ArrayList<>();
    long last = 0;
    for (double f : ladder()) {
      long c = capacity(tokens, experts, topK, f);
      if (!kept.isEmpty() && (c <= last || c >= tokens)) continue;
      kept.add(f);
      last = c;
    }
    return List.copyOf(kept);
  }

  /** The capacity per expert at factor {@code f} for N tokens over E experts, top-k: {@code ceil(N·K/E · f)}, >= 1. */
  public static long capacity(long tokens, long experts, int topK, double f) {
    return CapacityMoe.capacity(tokens * topK, experts, f);
  }

  /**
   * Defaults: AUTO (the {@link MoeAutoTable} pick for the platform; DENSE where the platform is unset or has no
   * table), Grok-1's router, top-k from the model, capacity factor 1.25, automatic tiles.
   */
  public static Builder builder() { return new Builder(); }

  public static MoeOptions defaults() { return builder().build(); }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.implementation = implementation;
    b.router = router;
    b.topK = topK;
    b.capacityFactor = capacityFactor;
    b.tileSize = tileSize;
    b.raggedDot = raggedDot;
    b.platform = platform;
    b.quant = quant;
    b.activation = activation;
    b.fewTokens = fewTokens;
    b.precision = precision;
    b.gateDtype = gateDtype;
    b.capacityRungs = capacityRungs;
    return b;
  }

  /** These options with another implementation. */
  public MoeOptions withImplementation(MoeImplementation i) { return toBuilder().implementation(i).build(); }

  /** Builder of {@link MoeOptions}. */
  public static final class Builder {
    private MoeImplementation implementation = MoeImplementation.AUTO;
    private RouterKind router = RouterKind.GROK;
    private int topK;
    private double capacityFactor = 1.25;
    private int tileSize;
    private boolean raggedDot;
    private String platform;
    private QuantMode quant = QuantMode.DEQUANTIZE;
    private ExpertActivation activation = ExpertActivation.GELU_TANH;
    private FewTokensForm fewTokens = FewTokensForm.GATHER;
    private Precision precision = Precision.DEFAULT;
    private DType gateDtype = DType.BF16;
    private List<Double> capacityRungs = List.of();

    private Builder() {}

    public Builder implementation(MoeImplementation i) { this.implementation = i; return this; }

    public Builder router(RouterKind r) { this.router = r; return this; }

    public Builder topK(int k) { this.topK = k; return this; }

    public Builder capacityFactor(double cf) { this.capacityFactor = cf; return this; }

    public Builder tileSize(int rows) { this.tileSize = rows; return this; }

    public Builder raggedDot(boolean on) { this.raggedDot = on; return this; }

    public Builder platform(String p) { this.platform = p; return this; }

    public Builder quant(QuantMode q) { this.quant = q; return this; }

    public Builder activation(ExpertActivation a) { this.activation = a; return this; }

    public Builder fewTokens(FewTokensForm f) { this.fewTokens = f; return this; }

    public Builder precision(Precision p) { this.precision = p; return this; }

    public Builder gateDtype(DType d) { this.gateDtype = d; return this; }

    /** CAPACITY_CHECKED's ladder of capacity factors, increasing; empty: the default two rungs. */
    public Builder capacityRungs(List<Double> factors) { this.capacityRungs = factors; return this; }

    public MoeOptions build() {
      return new MoeOptions(implementation, router, topK, capacityFactor, tileSize, raggedDot, platform, quant,
          activation, fewTokens, precision, gateDtype, capacityRungs);
    }
  }
}
