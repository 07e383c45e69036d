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
