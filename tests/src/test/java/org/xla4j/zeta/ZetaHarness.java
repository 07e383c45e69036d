package org.xla4j.zeta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.models.zeta.LoraConfig;
import org.xla4j.models.zeta.LoraTarget;
import org.xla4j.models.zeta.ZetaBlockConfig;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/** The fixtures of scripts/zeta_reference.py and a compile-and-run helper. */
final class ZetaHarness {
  static final Path FIXTURE = Path.of("src/test/resources/zeta");

  private ZetaHarness() {}

  /** The configs of the script's CASES (LoRA included; {@code withLora(null)} is the y_base block). */
  static ZetaBlockConfig config(String name) {
    return switch (name) {
      case "lora" -> ZetaBlockConfig.builder(32).heads(4).dimHead(8).ffMult(2).causal(true).useXpos(true)
          .xposScaleBase(16).lora(new LoraConfig(4, 8, EnumSet.allOf(LoraTarget.class))).build();
      case "qknorm" -> ZetaBlockConfig.builder(24).heads(3).dimHead(8).ffMult(3).causal(false).qkRmsNorm(true)
          .qkScale(8).useXpos(true).xposScaleBase(512)
          .lora(new LoraConfig(2, 3, EnumSet.of(LoraTarget.Q, LoraTarget.V))).build();
      default -> throw new IllegalArgumentException(name);
    };
  }

  static Map<String, HostTensor> fixture(String name) throws IOException {
    return Safetensors.read(FIXTURE.resolve("zeta_" + name + ".safetensors"));
  }

  /** The fixture's tensors for the leaves of {@code types}, each checked against its type. */
  static Tree<HostTensor> parameters(Map<String, HostTensor> all, Tree<TensorType> types) {
    return types.mapWithPath((path, t) -> {
      HostTensor h = all.get(path);
      if (h == null) fail("fixture has no tensor " + path);
      assertEquals(t, h.type(), path);
      return h;
    });
  }

  /** Prints {@code outputs} of {@code g}, compiles on {@code backend}, runs on {@code args}. */
  static List<HostTensor> run(Backend backend, Graph g, List<HostTensor> args, Tensor... outputs) {
    String text = StableHloPrinter.print(g.build(outputs), EmitOptions.unsharded());
    try (Executable exe = backend.compile(text, CompileOptions.defaults())) {
      return exe.execute(args);
    }
  }

  static List<HostTensor> args(Tree<HostTensor> params, HostTensor... more) {
    List<HostTensor> a = new ArrayList<>(params.leaves());
    a.addAll(List.of(more));
    return a;
  }

  /** Largest |a - b|. */
  static double maxDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length, "element count");
    double m = 0;
    for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  }

  /** Fails naming the worst element when |actual - expected| > abs + rel·|expected|. */
  static void assertClose(String what, float[] expected, float[] actual, double abs, double rel) {
    assertEquals(expected.length, actual.length, what + ": element count");
    for (int i = 0; i < actual.length; i++) {
      double err = Math.abs(actual[i] - expected[i]);
      if (!(err <= abs + rel * Math.abs(expected[i]))) {
        fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (tolerance " + abs + " + "
            + rel + "·|x|; max diff " + maxDiff(expected, actual) + ")");
      }
    }
  }
}
