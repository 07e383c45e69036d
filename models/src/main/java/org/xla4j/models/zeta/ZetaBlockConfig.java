package org.xla4j.models.zeta;

import java.util.Objects;
import org.xla4j.models.attention.Mechanism;

/**
 * The hyper-parameters of {@link ZetaBlock} (kyegomez/zeta's {@code TransformerBlock}, names as its
 * constructor's). Build with {@link #builder(int)}; the record checks every option and names it on error.
 *
 * <pre>{@code
 * ZetaBlockConfig c = ZetaBlockConfig.builder(512).heads(8).dimHead(64)      // zeta's defaults otherwise
 *     .qkRmsNorm(true).qkScale(8).attnDropout(0.1).ffDropout(0.1)
 *     .flashAttn(true)                                                  // BLOCKWISE; flashAttn(Mechanism.CUDNN) on a GPU
 *     .lora(LoraConfig.of(8))
 *     .build();
 * }</pre>
 *
 * @param dim model width (input and output features), > 0
 * @param dimHead per-head width, even (rotary embeddings rotate halves); {@link Builder#dimHead} 0 derives dim / heads
 * @param heads query heads; keys and values have one head (multi-query attention, as zeta)
 * @param causal causal self-attention; xPos applies only when causal (as zeta)
 * @param qkRmsNorm l2-normalize q and k per head, times learned {@code q_scale}/{@code k_scale} [dimHead], and
 *     scale the logits by {@code qkScale} instead of 1/sqrt(dimHead)
 * @param qkScale the logit scale with qkRmsNorm (zeta: 8), finite and > 0
 * @param ffMult the SwiGLU feed-forward's inner width is {@code dim · ffMult}
 * @param attnDropout dropout on the attention weights in training, in [0, 1)
 * @param ffDropout dropout on the SwiGLU output in training, in [0, 1)
 * @param useXpos xPos decay on the rotary embedding (with {@code causal})
 * @param xposScaleBase the xPos scale base (zeta: 512), > 0
 * @param flashAttn run attention with {@code flashMechanism} instead of VANILLA
 * @param flashMechanism the fused mechanism flashAttn maps to: BLOCKWISE (anywhere) or CUDNN (CUDA GPUs)
 * @param flashChunk BLOCKWISE's query and key chunk; 0 picks it from the sequence length
 * @param lora adapters on q/k/v/o, or null for none
 */
public record ZetaBlockConfig(int dim, int dimHead, int heads, boolean causal, boolean qkRmsNorm, double qkScale,
    int ffMult, double attnDropout, double ffDropout, boolean useXpos, double xposScaleBase, boolean flashAttn,
    Mechanism flashMechanism, int flashChunk, LoraConfig lora) {

  public ZetaBlockConfig {
    positive("dim", dim);
    positive("heads", heads);
    positive("ffMult", ffMult);
    if (dimHead <= 0 || dimHead % 2 != 0) {
      throw bad("dimHead", "must be even and > 0 (rotary embeddings rotate its halves), got " + dimHead);
    }
    if (!(qkScale > 0) || Double.isInfinite(qkScale)) throw bad("qkScale", "must be finite and > 0, got " + qkScale);
    rate("attnDropout", attnDropout);
    rate("ffDropout", ffDropout);
    if (!(xposScaleBase > 0) || Double.isInfinite(xposScaleBase)) {
      throw bad("xposScaleBase", "must be finite and > 0, got " + xposScaleBase);
    }
    Objects.requireNonNull(flashMechanism, "ZetaBlockConfig: option 'flashMechanism'");
    if (flashMechanism != Mechanism.BLOCKWISE && flashMechanism != Mechanism.CUDNN) {
      throw bad("flashMechanism", "must be a fused mechanism, BLOCKWISE or CUDNN, got " + flashMechanism);
    }
    if (flashChunk < 0) throw bad("flashChunk", "must be >= 0 (0 = automatic), got " + flashChunk);
  }

  /** A builder with zeta's defaults for a block of width {@code dim}. */
  public static Builder builder(int dim) { return new Builder(dim); }

  /** Query features, {@code heads · dimHead}. */
  public int attnInnerDim() { return heads * dimHead; }

  /** The SwiGLU's inner width, {@code dim · ffMult}. */
  public int ffInnerDim() { return dim * ffMult; }

  /** Output features of the fused input projection: q, k, v and the SwiGLU's two halves. */
  public int fusedDim() { return attnInnerDim() + 2 * dimHead + 2 * ffInnerDim(); }

  /** Whether xPos applies (zeta applies it only to causal attention). */
  public boolean xpos() { return useXpos && causal; }

  /** The logit scale: qkScale with qkRmsNorm, else 1/sqrt(dimHead). */
  public double logitScale() { return qkRmsNorm ? qkScale : 1 / Math.sqrt(dimHead); }

  /** The mechanism attention runs with: flashMechanism with flashAttn, else VANILLA. */
  public Mechanism mechanism() { return flashAttn ? flashMechanism : Mechanism.VANILLA; }

  /** The same config with other adapters (null: none). */
  public ZetaBlockConfig withLora(LoraConfig l) { return toBuilder().lora(l).build(); }

  /** A builder holding this config's values. */
  public Builder toBuilder() {
    Builder b = new Builder(dim);
    b.dimHead = dimHead;
    b.heads = heads;
    b.causal = causal;
    b.qkRmsNorm = qkRmsNorm;
    b.qkScale = qkScale;
    b.ffMult = ffMult;
    b.attnDropout = attnDropout;
    b.ffDropout = ffDropout;
    b.useXpos = useXpos;
    b.xposScaleBase = xposScaleBase;
    b.flashAttn = flashAttn;
    b.flashMechanism = flashMechanism;
    b.flashChunk = flashChunk;
    b.lora = lora;
    return b;
  }

  private static void positive(String option, int v) {
    if (v <= 0) throw bad(option, "must be > 0, got " + v);
  }

  private static void rate(String option, double v) {
    if (!(v >= 0 && v < 1)) throw bad(option, "must be a dropout rate in [0, 1), got " + v);
  }

  static IllegalArgumentException bad(String option, String detail) {
    return new IllegalArgumentException("ZetaBlockConfig: option '" + option + "' " + detail);
  }

  /** Builder of {@link ZetaBlockConfig}; defaults are zeta's {@code TransformerBlock} defaults. */
  public static final class Builder {
    private final int dim;
    private int dimHead = 64;
    private int heads = 8;
    private boolean causal = true;
    private boolean qkRmsNorm;
    private double qkScale = 8;
    private int ffMult = 4;
    private double attnDropout;
    private double ffDropout;
    private boolean useXpos = true;
    private double xposScaleBase = 512;
    private boolean flashAttn;
    private Mechanism flashMechanism = Mechanism.BLOCKWISE;
    private int flashChunk;
    private LoraConfig lora;

    private Builder(int dim) { this.dim = dim; }

    /** Per-head width (default 64); 0 derives {@code dim / heads}, which must then divide evenly. */
    public Builder dimHead(int d) { this.dimHead = d; return this; }

    public Builder heads(int h) { this.heads = h; return this; }

    public Builder causal(boolean on) { this.causal = on; return this; }

    public Builder qkRmsNorm(boolean on) { this.qkRmsNorm = on; return this; }

    public Builder qkScale(double s) { this.qkScale = s; return this; }

    public Builder ffMult(int m) { this.ffMult = m; return this; }

    public Builder attnDropout(double r) { this.attnDropout = r; return this; }

    public Builder ffDropout(double r) { this.ffDropout = r; return this; }

    public Builder useXpos(boolean on) { this.useXpos = on; return this; }

    public Builder xposScaleBase(double b) { this.xposScaleBase = b; return this; }

    /** zeta's flash_attn: true runs BLOCKWISE (or the mechanism given to {@link #flashAttn(Mechanism)}). */
    public Builder flashAttn(boolean on) { this.flashAttn = on; return this; }

    /** flash_attn on, mapped to {@code m} (BLOCKWISE or CUDNN). */
    public Builder flashAttn(Mechanism m) { this.flashAttn = true; this.flashMechanism = m; return this; }

    /** BLOCKWISE's chunk for query and key blocks (0: automatic). */
    public Builder flashChunk(int c) { this.flashChunk = c; return this; }

    /** LoRA adapters, or null for none. */
    public Builder lora(LoraConfig l) { this.lora = l; return this; }

    public ZetaBlockConfig build() {
      int dh = dimHead;
      if (dh == 0) {
        if (heads <= 0) throw bad("heads", "must be > 0, got " + heads);
        if (dim % heads != 0) {
          throw bad("dim", dim + " is not divisible by heads " + heads
              + " (dimHead 0 derives dim / heads); set dimHead or pick heads dividing dim");
        }
        dh = dim / heads;
      }
      return new ZetaBlockConfig(dim, dh, heads, causal, qkRmsNorm, qkScale, ffMult, attnDropout, ffDropout, useXpos,
          xposScaleBase, flashAttn, flashMechanism, flashChunk, lora);
    }
  }
}
