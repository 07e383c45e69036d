package org.xla4j.zeta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.ir.OpException;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.zeta.LoraConfig;
import org.xla4j.models.zeta.ZetaBlock;
import org.xla4j.models.zeta.ZetaBlockConfig;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * ZetaBlock against the numpy oracle of scripts/zeta_reference.py (f32; tolerance 2e-5 + 2e-5·|y|, the
 * oracle being f64), LoRA's zero effect at init, the flash mapping, and the config and call errors.
 */
class ZetaBlockTest {
  static final double ABS = 2e-5;
  static final double REL = 2e-5;
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  /** y of config {@code c} on the fixture's x and mask, parameters taken from the fixture by path. */
  static float[] run(ZetaBlockConfig c, Map<String, HostTensor> fx, Map<String, HostTensor> override) {
    Tree<TensorType> types = ZetaBlock.parameterTypes(c, DType.F32);
    Tree<HostTensor> params = ZetaHarness.parameters(fx, types).mapWithPath((p, t) -> override.getOrDefault(p, t));
    Graph g = new Graph("zeta");
    Tree<Tensor> p = g.parameters(types);
    HostTensor xh = fx.get("io/x");
    HostTensor mh = fx.get("io/mask");
    Tensor x = g.parameter(DType.F32, xh.shape().dims());
    Tensor mask = g.parameter(DType.I32, mh.shape().dims());
    Tensor y = ZetaBlock.forward(c, p, x, mask, ZetaBlock.Options.eval());
    assertEquals(x.type(), y.type());
    return ZetaHarness.run(cpu, g, ZetaHarness.args(params, xh, mh), y).get(0).toFloatArray();
  }

  @ParameterizedTest
  @ValueSource(strings = {"lora", "qknorm"})
  void matchesNumpyOracleWithAndWithoutLora(String name) throws IOException {
    Map<String, HostTensor> fx = ZetaHarness.fixture(name);
    ZetaBlockConfig c = ZetaHarness.config(name);
    // every fixture tensor is a parameter of the LoRA config or an io/ tensor: the shapes agree with the script
    assertEquals(ZetaBlock.parameterTypes(c, DType.F32).size() + 4, fx.size(), name + ": fixture tensors");
    float[] withLora = run(c, fx, Map.of());
    ZetaHarness.assertClose(name + " with LoRA (oracle: W + alpha/r A B)", fx.get("io/y").toFloatArray(), withLora, ABS, REL);
    float[] base = run(c.withLora(null), fx, Map.of());
    ZetaHarness.assertClose(name + " without LoRA", fx.get("io/y_base").toFloatArray(), base, ABS, REL);
    assertTrue(ZetaHarness.maxDiff(withLora, base) > 0.1, name + ": the fixture's adapters change the output");
  }

  @Test
  void loraWithZeroBIsExactlyNoLora() throws IOException {
    for (String name : List.of("lora", "qknorm")) {
      Map<String, HostTensor> fx = ZetaHarness.fixture(name);
      ZetaBlockConfig c = ZetaHarness.config(name);
      Map<String, HostTensor> zeroB = new HashMap<>();
      for (String p : ZetaBlock.parameterTypes(c, DType.F32).paths()) {
        if (p.endsWith("/B")) zeroB.put(p, HostTensor.zeros(fx.get(p).type()));
      }
      assertArrayEquals(run(c.withLora(null), fx, Map.of()), run(c, fx, zeroB), name + ": B = 0 is bit-identical to no LoRA");
    }
    // and init() starts every adapter at B = 0 with a non-zero A
    ZetaBlockConfig c = ZetaHarness.config("lora");
    Tree<HostTensor> init = ZetaBlock.init(c, DType.F32, 3);
    assertEquals(ZetaBlock.parameterTypes(c, DType.F32), init.map(HostTensor::type));
    for (Tree.Leaf<HostTensor> l : init) {
      float[] v = l.value().toFloatArray();
      double maxAbs = 0;
      for (float f : v) maxAbs = Math.max(maxAbs, Math.abs(f));
      if (l.path().endsWith("/B")) assertEquals(0, maxAbs, l.path() + " starts at zero");
      else assertTrue(maxAbs > 0, l.path() + " is not zero");
    }
  }

  @Test
  void flashAttnBlockwiseEqualsVanillaOnCpu() throws IOException {
    for (String name : List.of("lora", "qknorm")) {
      Map<String, HostTensor> fx = ZetaHarness.fixture(name);
      ZetaBlockConfig c = ZetaHarness.config(name);
      // chunk 3 does not divide S (8, 6 rows): BLOCKWISE pads, loops over several q and k chunks
      ZetaBlockConfig flash = c.toBuilder().flashAttn(true).flashChunk(3).build();
      assertEquals(Mechanism.BLOCKWISE, flash.mechanism());
      float[] vanilla = run(c, fx, Map.of());
      float[] blockwise = run(flash, fx, Map.of());
      ZetaHarness.assertClose(name + ": flash (BLOCKWISE) vs VANILLA", vanilla, blockwise, 1e-5, 1e-5);
    }
  }

  @Test
  void flashAttnCudnnEmitsTheFusedCallAndIsRejectedOnCpu() {
    ZetaBlockConfig c = ZetaBlockConfig.builder(64).heads(2).dimHead(32).flashAttn(Mechanism.CUDNN).build();
    Graph g = new Graph("zeta_cudnn");
    Tree<Tensor> p = g.parameters(ZetaBlock.parameterTypes(c, DType.BF16));
    Tensor x = g.parameter(DType.BF16, 2, 16, 64);
    Tensor mask = g.parameter(DType.PRED, 2, 16);
    Tensor y = ZetaBlock.forward(c, p, x, mask, ZetaBlock.Options.eval().onPlatform("cuda"));
    String text = StableHloPrinter.print(g.build(y), EmitOptions.unsharded());
    // the padding mask goes in as cuDNN's bias
    assertTrue(text.contains("__cudnn$fmhaScaleBiasSoftmax"), "flash_attn -> CUDNN emits the fused attention call");
    Graph g2 = new Graph("zeta_cudnn_cpu");
    Tree<Tensor> p2 = g2.parameters(ZetaBlock.parameterTypes(c, DType.BF16));
    Tensor x2 = g2.parameter(DType.BF16, 2, 16, 64);
    OpException e = assertThrows(OpException.class,
        () -> ZetaBlock.forward(c, p2, x2, ZetaBlock.Options.eval().onPlatform("cpu")));
    assertTrue(e.getMessage().contains("CUDNN cannot run on platform 'cpu'"), e.getMessage());
  }

  @Test
  void badConfigsNameTheOption() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ZetaBlockConfig.builder(30).heads(4).dimHead(0).build());
    assertTrue(e.getMessage().contains("option 'dim'") && e.getMessage().contains("30 is not divisible by heads 4"),
        e.getMessage());
    assertEquals(8, ZetaBlockConfig.builder(32).heads(4).dimHead(0).build().dimHead(), "dimHead 0 derives dim / heads");
    e = assertThrows(IllegalArgumentException.class, () -> LoraConfig.of(0));
    assertTrue(e.getMessage().contains("option 'rank' must be > 0, got 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LoraConfig.of(-2));
    assertTrue(e.getMessage().contains("option 'rank'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ZetaBlockConfig.builder(32).dimHead(7).build());
    assertTrue(e.getMessage().contains("option 'dimHead' must be even"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ZetaBlockConfig.builder(32).attnDropout(1).build());
    assertTrue(e.getMessage().contains("option 'attnDropout'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ZetaBlockConfig.builder(32).ffDropout(-0.1).build());
    assertTrue(e.getMessage().contains("option 'ffDropout'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ZetaBlockConfig.builder(32).flashAttn(Mechanism.VANILLA).build());
    assertTrue(e.getMessage().contains("option 'flashMechanism' must be a fused mechanism"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ZetaBlockConfig.builder(32).qkScale(0).build());
    assertTrue(e.getMessage().contains("option 'qkScale'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ZetaBlockConfig.builder(0).build());
    assertTrue(e.getMessage().contains("option 'dim' must be > 0"), e.getMessage());
  }

  @Test
  void badCallsNameTheArgumentAndShapes() {
    ZetaBlockConfig c = ZetaBlockConfig.builder(16).heads(2).dimHead(8).ffMult(2).attnDropout(0.1)
        .lora(LoraConfig.of(2)).build();
    Graph g = new Graph("bad");
    Tree<Tensor> p = g.parameters(ZetaBlock.parameterTypes(c, DType.F32));
    Tensor x = g.parameter(DType.F32, 2, 5, 16);
    OpException e = assertThrows(OpException.class,
        () -> ZetaBlock.forward(c, p, g.parameter(DType.F32, 2, 5, 12), ZetaBlock.Options.eval()));
    assertTrue(e.getMessage().contains("requires float x of shape [B, S, 16]"), e.getMessage());
    Tree<Tensor> wrong = p.with("lora/q/B", g.parameter(DType.F32, 3, 16));
    e = assertThrows(OpException.class, () -> ZetaBlock.forward(c, wrong, x, ZetaBlock.Options.eval()));
    assertTrue(e.getMessage().contains("lora/q/B") && e.getMessage().contains("tensor<2x16xf32>"), e.getMessage());
    e = assertThrows(OpException.class, () -> ZetaBlock.forward(c.withLora(null), p, x, ZetaBlock.Options.eval()));
    assertTrue(e.getMessage().contains("ZetaBlock parameters"), e.getMessage());
    e = assertThrows(OpException.class, () -> ZetaBlock.forward(c, p, x, ZetaBlock.Options.train(null)));
    assertTrue(e.getMessage().contains("requires a dropout key"), e.getMessage());
    e = assertThrows(OpException.class,
        () -> ZetaBlock.forward(c, p, x, g.parameter(DType.F32, 2, 5), ZetaBlock.Options.eval()));
    assertTrue(e.getMessage().contains("requires a bool or integer padding mask [2, 5]"), e.getMessage());
    // the user's line, not the library's
    assertTrue(e.getMessage().contains("ZetaBlockTest.java"), e.getMessage());
  }
}
