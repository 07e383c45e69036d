package org.xla4j.models.generate;

import java.util.OptionalInt;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.grok.Grok1;
import org.xla4j.models.grok.Grok1Cached;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.grok.WeightFormat;
import org.xla4j.models.llama.Llama;
import org.xla4j.models.llama.LlamaCached;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/**
 * A decoder-only language model as generation sees it: its parameters, its cache shape, a forward pass
 * against a {@link CacheStep}, and the full (uncached) forward pass it must agree with.
 *
 * <pre>{@code
 * CausalLm lm = new CausalLm.Grok(Grok1Config.tiny(), Grok1.Options.defaults());
 * CausalLm.Step s = lm.forward(params, CacheStep.next(cache, tokens, lengths, lm.padId()));
 * }</pre>
 */
public sealed interface CausalLm {
  /**
   * @param logits f32 {@code [R, vocab]} at each row's last real new token
   * @param cache the updated cache
   */
  record Step(Tensor logits, Tree<Tensor> cache) {}

  /** The parameters' paths and types. */
  Tree<TensorType> parameterTypes();

  /** The cache for {@code batch} rows of up to {@code maxLength} tokens. */
  KvCache cache(long batch, long maxLength);

  int vocabSize();

  /** The longest sequence the model takes. */
  int contextLength();

  /** The pad id whose tokens are never attended, if any. */
  OptionalInt padId();

  /** The new tokens of {@code cs}: their last logits and the updated cache. */
  Step forward(Tree<Tensor> params, CacheStep cs);

  /** Logits f32 {@code [B, T, vocab]} of the full forward pass without a cache (the reference). */
  Tensor fullLogits(Tree<Tensor> params, Tensor tokens);

  /** The same model evaluated with another MoE implementation (a model without MoE layers: itself). */
  CausalLm withMoe(MoeImplementation implementation);

  /** The same model with another attention mechanism (VANILLA, BLOCKWISE or CUDNN where the model allows it). */
  CausalLm withAttention(Mechanism mechanism);

  /**
   * The same model applying int8 weights' scales {@code mode}'s way (dequantize before the matmul, or scale its
   * result); a model without int8 weights refuses.
   */
  CausalLm withQuant(QuantMode mode);

  /** Grok-1 (pad id 0). */
  record Grok(Grok1Config config, Grok1.Options options, boolean expertsMinor) implements CausalLm {
    public Grok {
      java.util.Objects.requireNonNull(config, "config");
      java.util.Objects.requireNonNull(options, "options");
    }

    /** Parameters in the tree's own layout (expert matrices {@code [E, in, out]}). */
    public Grok(Grok1Config config, Grok1.Options options) { this(config, options, false); }

    /** The same model with expert matrices stored {@code [E, out, in]} ({@link ExpertLayout}). */
    public Grok withExpertsMinor() { return new Grok(config, options, true); }

    @Override
    public Tree<TensorType> parameterTypes() {
      return expertsMinor ? Grok1Cached.contractionMinorTypes(config.parameterTypes()) : config.parameterTypes();
    }

    private Tree<Tensor> logical(Tree<Tensor> params) { return expertsMinor ? ExpertLayout.logical(params) : params; }

    @Override
    public KvCache cache(long batch, long maxLength) { return Grok1Cached.cache(config, batch, maxLength); }

    @Override
    public int vocabSize() { return config.vocabSize(); }

    @Override
    public int contextLength() { return config.contextLength(); }

    @Override
    public OptionalInt padId() { return OptionalInt.of(0); }

    @Override
    public Step forward(Tree<Tensor> params, CacheStep cs) {
      Grok1Cached.Output o = Grok1Cached.forward(config, params, cs, options, expertsMinor);
      return new Step(o.logits(), o.cache());
    }

    @Override
    public Tensor fullLogits(Tree<Tensor> params, Tensor tokens) {
      return Grok1.forward(config, logical(params), tokens, options).logits();
    }

    @Override
    public CausalLm withMoe(MoeImplementation implementation) {
      return new Grok(config, options.withMoe(options.moe().withImplementation(implementation)), expertsMinor);
    }

    @Override
    public CausalLm withAttention(Mechanism mechanism) {
      return new Grok(config, options.withAttention(mechanism), expertsMinor);
    }

    @Override
    public CausalLm withQuant(QuantMode mode) {
      if (config.weightFormat() != WeightFormat.INT8) {
        throw new IllegalArgumentException("quant mode " + mode + " applies to int8 weights; this Grok-1 model's are "
            + config.weightFormat());
      }
      // the projections read Options.quant, the experts MoeOptions.quant: both
      return new Grok(config, options.withQuant(mode).withMoe(options.moe().toBuilder().quant(mode).build()),
          expertsMinor);
    }
  }

  /** Llama (pad id from the config, if any). */
  record LlamaLm(LlamaConfig config, Llama.Options options) implements CausalLm {
    public LlamaLm {
      java.util.Objects.requireNonNull(config, "config");
      java.util.Objects.requireNonNull(options, "options");
    }

    @Override
    public Tree<TensorType> parameterTypes() { return config.parameterTypes(); }

    @Override
    public KvCache cache(long batch, long maxLength) { return LlamaCached.cache(config, batch, maxLength); }

    @Override
    public int vocabSize() { return config.vocabSize(); }

    @Override
    public int contextLength() { return config.maxPositions(); }

    @Override
    public OptionalInt padId() { return config.padTokenId(); }

    @Override
    public Step forward(Tree<Tensor> params, CacheStep cs) {
      LlamaCached.Output o = LlamaCached.forward(config, params, cs, options);
      return new Step(o.logits(), o.cache());
    }

    @Override
    public Tensor fullLogits(Tree<Tensor> params, Tensor tokens) {
      return Llama.forward(config, params, tokens, null, options);
    }

    @Override
    public CausalLm withMoe(MoeImplementation implementation) { return this; }

    @Override
    public CausalLm withAttention(Mechanism mechanism) { return new LlamaLm(config, options.withAttention(mechanism)); }

    @Override
    public CausalLm withQuant(QuantMode mode) {
      throw new IllegalArgumentException("a Llama model has no int8 weights: quant mode " + mode + " applies to Grok-1 "
          + "int8 checkpoints");
    }
  }
}
