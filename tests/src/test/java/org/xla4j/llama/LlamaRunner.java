package org.xla4j.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.llama.Llama;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/** Compiles Llama's forward pass for a config and runs it on host weights; fixture paths. */
final class LlamaRunner {
  private LlamaRunner() {}

  /** A fixture directory written by scripts/llama_reference.py. */
  static Path fixture(String variant) {
    try {
      return Path.of(LlamaRunner.class.getResource("/llama/" + variant + "/config.json").toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Logits f32 [B, T, vocab] of {@code tokens} (and {@code mask} when not null) under {@code weights}. */
  static HostTensor logits(Backend backend, LlamaConfig c, Tree<HostTensor> weights, HostTensor tokens, HostTensor mask,
      Llama.Options o) {
    Graph g = new Graph("llama");
    Tensor out = Llama.build(g, c, tokens.shape().dim(0), tokens.shape().dim(1), mask != null, o);
    List<HostTensor> args = new ArrayList<>();
    for (String p : c.parameterTypes().paths()) args.add(weights.get(p));
    args.add(tokens);
    if (mask != null) args.add(mask);
    try (Executable exe = backend.compile(g.program(out))) {
      HostTensor r = exe.execute(args).get(0);
      assertEquals(out.type(), r.type(), "logits type");
      return r;
    }
  }

  /**
   * Logits with every optional input: {@code mask}, {@code segmentIds} (i32 [B, T]) and {@code key} (ui64[2],
   * given exactly when {@code o.training()}) may be null.
   */
  static HostTensor logits(Backend backend, LlamaConfig c, Tree<HostTensor> weights, HostTensor tokens, HostTensor mask,
      HostTensor segmentIds, HostTensor key, Llama.Options o) {
    Graph g = new Graph("llama");
    Tensor out = Llama.build(g, c, tokens.shape().dim(0), tokens.shape().dim(1), mask != null, segmentIds != null, o);
    List<HostTensor> args = new ArrayList<>();
    for (String p : c.parameterTypes().paths()) args.add(weights.get(p));
    args.add(tokens);
    if (mask != null) args.add(mask);
    if (segmentIds != null) args.add(segmentIds);
    if (o.training()) args.add(key);
    try (Executable exe = backend.compile(g.program(out))) {
      return exe.execute(args).get(0);
    }
  }

  /** A ui64[2] generator key {seed, 0}, as {@code Rng.key} makes it. */
  static HostTensor key(long seed) {
    return HostTensor.ofBytes(DType.U64, Shape.of(2), HostTensor.ofLongs(new long[] {seed, 0}, 2).bytes());
  }

  /** max |a - b|. */
  static double maxDiff(HostTensor a, HostTensor b) {
    float[] x = a.toFloatArray();
    float[] y = b.toFloatArray();
    assertEquals(x.length, y.length);
    double m = 0;
    for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
    return m;
  }
}
