package org.xla4j.grok;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/** Compiles and runs graphs on a backend; reads the numpy fixture of scripts/grok_reference.py. */
final class GrokHarness {
  static final Path FIXTURE = Path.of("src/test/resources/grok");

  private GrokHarness() {}

  /** Prints {@code outputs} of {@code g}, compiles, runs on {@code args}, checks the result types. */
  static List<HostTensor> run(Backend backend, Graph g, List<HostTensor> args, Tensor... outputs) {
    String text = StableHloPrinter.print(g.build(outputs), EmitOptions.unsharded());
    try (Executable exe = backend.compile(text, CompileOptions.defaults())) {
      List<HostTensor> out = exe.execute(args);
      for (int i = 0; i < outputs.length; i++) assertEquals(outputs[i].type(), out.get(i).type(), "result " + i + " type");
      return out;
    }
  }

  /** The fixture's tensors for every leaf of {@code types}, in flatten order, each checked against its type. */
  static List<HostTensor> arguments(Tree<TensorType> types, String file) throws IOException {
    Map<String, HostTensor> all = Safetensors.read(FIXTURE.resolve(file));
    List<HostTensor> out = new ArrayList<>();
    for (Tree.Leaf<TensorType> leaf : types) {
      HostTensor t = all.get(leaf.path());
      if (t == null) fail(file + " has no tensor " + leaf.path());
      assertEquals(leaf.value(), t.type(), leaf.path() + " in " + file);
      out.add(t);
    }
    assertEquals(types.size(), all.size(), file + ": tensors beyond the parameter tree");
    return out;
  }

  static HostTensor io(String name) throws IOException {
    return Safetensors.read(FIXTURE.resolve("grok_tiny_io.safetensors"), name);
  }

  /** Largest |a - b| over elements where {@code include[i]}. */
  static double maxDiff(float[] a, float[] b, boolean[] include) {
    double m = 0;
    for (int i = 0; i < a.length; i++) if (include == null || include[i]) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  }

  /** Fails naming the worst element when |actual - expected| > abs + rel·|expected| where included. */
  static void assertClose(String what, float[] expected, float[] actual, boolean[] include, double abs, double rel) {
    assertEquals(expected.length, actual.length, what + ": element count");
    int at = -1;
    double worst = 0;
    for (int i = 0; i < actual.length; i++) {
      if (include != null && !include[i]) continue;
      double err = Math.abs(actual[i] - expected[i]) - (abs + rel * Math.abs(expected[i]));
      if (!(err <= 0) && (Double.isNaN(err) || err > worst || at < 0)) {
        worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
        at = i;
      }
    }
    if (at >= 0) {
      fail(what + ": element " + at + " is " + actual[at] + ", expected " + expected[at] + " (tolerance " + abs + " + "
          + rel + "·|x|; max diff " + maxDiff(expected, actual, include) + ")");
    }
  }
}
