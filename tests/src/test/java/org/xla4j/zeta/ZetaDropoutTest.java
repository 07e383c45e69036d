package org.xla4j.zeta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Rng;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.nn.Dropout;
import org.xla4j.models.zeta.ZetaBlock;
import org.xla4j.models.zeta.ZetaBlockConfig;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Dropout with an explicit key: the keep rate within 5 standard deviations of 1 - rate, survivors scaled by
 * exactly 1/(1 - rate), the same key giving the same mask; and ZetaBlock's eval mode equal (bit for bit) to
 * the block without dropout, its train mode reproducible per key.
 */
class ZetaDropoutTest {
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  @Test
  void keepRateScaleAndReproducibility() {
    int rows = 400;
    int cols = 500;
    double rate = 0.3;
    Graph g = new Graph("dropout");
    Tensor x = g.parameter(DType.F32, rows, cols);
    Tensor k7 = Rng.key(g, 7);
    Dropout.Result a = Dropout.apply(x, rate, k7);
    Dropout.Result again = Dropout.apply(x, rate, k7);
    Dropout.Result other = Dropout.apply(x, rate, Rng.key(g, 8));
    Dropout.Result next = Dropout.apply(x, rate, a.state());
    Dropout.Result none = Dropout.apply(x, 0, k7);
    assertTrue(none.value() == x && none.state() == k7, "rate 0 is the identity and does not advance the key");
    float[] ones = new float[rows * cols];
    Arrays.fill(ones, 1f);
    List<HostTensor> out = ZetaHarness.run(cpu, g, List.of(HostTensor.of(ones, rows, cols)), a.value(), again.value(),
        other.value(), next.value());
    float survivor = (float) (1 / (1 - rate));
    int n = ones.length;
    double sigma = Math.sqrt(rate * (1 - rate) / n);
    for (int i : new int[] {0, 2, 3}) {
      float[] y = out.get(i).toFloatArray();
      int kept = 0;
      for (float v : y) {
        assertTrue(v == 0f || v == survivor, "an element is dropped (0) or kept and scaled by 1/(1-rate), got " + v);
        if (v != 0f) kept++;
      }
      double frac = kept / (double) n;
      assertEquals(1 - rate, frac, 5 * sigma, "draw " + i + ": kept fraction (sigma " + sigma + ")");
    }
    assertArrayEquals(out.get(0).toFloatArray(), out.get(1).toFloatArray(), "the same key draws the same mask");
    assertFalse(Arrays.equals(out.get(0).toFloatArray(), out.get(2).toFloatArray()), "another key, another mask");
    assertFalse(Arrays.equals(out.get(0).toFloatArray(), out.get(3).toFloatArray()), "the returned state draws anew");
  }

  /** The block's outputs for each of {@code opts} (built in one program), fixture x and mask. */
  static List<float[]> block(ZetaBlockConfig c, List<Function<Graph, ZetaBlock.Options>> opts)
      throws IOException {
    Map<String, HostTensor> fx = ZetaHarness.fixture("lora");
    Tree<TensorType> types = ZetaBlock.parameterTypes(c, DType.F32);
    Graph g = new Graph("zeta_dropout");
    Tree<Tensor> p = g.parameters(types);
    Tensor x = g.parameter(DType.F32, fx.get("io/x").shape().dims());
    Tensor mask = g.parameter(DType.I32, fx.get("io/mask").shape().dims());
    Tensor[] ys = opts.stream().map(o -> ZetaBlock.forward(c, p, x, mask, o.apply(g))).toArray(Tensor[]::new);
    List<HostTensor> out = ZetaHarness.run(cpu, g,
        ZetaHarness.args(ZetaHarness.parameters(fx, types), fx.get("io/x"), fx.get("io/mask")), ys);
    return out.stream().map(HostTensor::toFloatArray).toList();
  }

  @Test
  void blockEvalIsNoDropoutAndTrainIsReproduciblePerKey() throws IOException {
    ZetaBlockConfig c = ZetaHarness.config("lora");
    ZetaBlockConfig dropping = c.toBuilder().attnDropout(0.25).ffDropout(0.4).build();
    float[] noDropout = block(c, List.of(gr -> ZetaBlock.Options.eval())).get(0);
    List<float[]> y = block(dropping, List.of(
        gr -> ZetaBlock.Options.eval(),
        gr -> ZetaBlock.Options.train(Rng.key(gr, 1)),
        gr -> ZetaBlock.Options.train(Rng.key(gr, 1)),
        gr -> ZetaBlock.Options.train(Rng.key(gr, 2))));
    assertArrayEquals(noDropout, y.get(0), "eval mode: dropout is the identity");
    assertArrayEquals(y.get(1), y.get(2), "train mode, same key: the same output");
    assertTrue(ZetaHarness.maxDiff(y.get(0), y.get(1)) > 1e-3, "train mode drops something");
    assertTrue(ZetaHarness.maxDiff(y.get(1), y.get(3)) > 1e-3, "another key, another draw");
    // attention dropout alone also draws from the key (the ff dropout is not the only effect)
    ZetaBlockConfig attnOnly = c.toBuilder().attnDropout(0.25).build();
    List<float[]> z = block(attnOnly, List.of(gr -> ZetaBlock.Options.train(Rng.key(gr, 1))));
    assertTrue(ZetaHarness.maxDiff(noDropout, z.get(0)) > 1e-3, "attention dropout in train mode changes the output");
  }
}
