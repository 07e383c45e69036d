package org.xla4j.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/**
 * Checks reverse-mode gradients against central finite differences, both computed by XLA on the CPU from
 * two programs built from the same function: one returns the loss, one its value and gradient. A
 * function with a tensor output is checked through {@code sum(f(x) * w)} for fixed random weights w, so
 * every output element's cotangent differs.
 */
final class GradCheck {
  private GradCheck() {}

  /** One checked gradient element, for messages. */
  record Point(String path, int index, double analytic, double numeric) {}

  /**
   * Compares the gradient of {@code f} at {@code data} with {@code (L(x+h) - L(x-h)) / 2h} for up to {@code
   * perLeaf} elements of each leaf (all when the leaf is smaller), requiring {@code |ad - fd| <= tol *
   * max(1, |fd|)}. Returns the checked points.
   */
  static List<Point> check(Backend cpu, String name, Tree<TensorType> types, Tree<double[]> data,
      Function<Tree<Tensor>, Tensor> f, double h, double tol, int perLeaf) {
    return check(cpu, name, types, data, f, h, tol, perLeaf, GradCheck::print);
  }

  /** The program text of {@code g} returning {@code outs}: how {@link #check} turns each graph into text. */
  @FunctionalInterface
  interface Printer {
    String print(Graph g, List<Tensor> outs);
  }

  /** {@link #check} with the programs printed by {@code printer} (e.g. rewriting ops this CPU lacks). */
  static List<Point> check(Backend cpu, String name, Tree<TensorType> types, Tree<double[]> data,
      Function<Tree<Tensor>, Tensor> f, double h, double tol, int perLeaf, Printer printer) {
    Function<Tree<Tensor>, Tensor> loss = p -> weighted(f.apply(p));
    Graph vg = new Graph("value");
    Tensor value = loss.apply(vg.parameters(types));
    Graph gg = new Graph("grad");
    Autodiff.ValueAndGrad r = Autodiff.valueAndGrad(loss).apply(gg.parameters(types));
    List<Tensor> outs = new ArrayList<>();
    outs.add(r.value());
    outs.addAll(r.grad().leaves());
    List<Point> points = new ArrayList<>();
    try (Executable v = cpu.compile(printer.print(vg, List.of(value)), CompileOptions.defaults());
        Executable g = cpu.compile(printer.print(gg, outs), CompileOptions.defaults())) {
      List<HostTensor> args = hosts(types, data);
      List<HostTensor> got = g.execute(args);
      double l0 = got.get(0).toDoubleArray()[0];
      assertEquals(v.execute(args).get(0).toDoubleArray()[0], l0, 1e-12 * Math.max(1, Math.abs(l0)),
          name + ": the grad program's value equals the value program's");
      List<String> paths = types.paths();
      Random rnd = new Random(name.hashCode());
      for (int leaf = 0; leaf < paths.size(); leaf++) {
        double[] x = data.get(paths.get(leaf));
        double[] ad = got.get(1 + leaf).toDoubleArray();
        for (int k = 0; k < Math.min(perLeaf, x.length); k++) {
          int i = x.length <= perLeaf ? k : rnd.nextInt(x.length);
          double keep = x[i];
          x[i] = keep + h;
          double up = v.execute(hosts(types, data)).get(0).toDoubleArray()[0];
          x[i] = keep - h;
          double down = v.execute(hosts(types, data)).get(0).toDoubleArray()[0];
          x[i] = keep;
          double fd = (up - down) / (2 * h);
          Point p = new Point(paths.get(leaf), i, ad[i], fd);
          points.add(p);
          assertTrue(Math.abs(ad[i] - fd) <= tol * Math.max(1, Math.abs(fd)),
              name + ": d loss / d " + p.path() + "[" + i + "]: reverse mode " + ad[i] + ", finite difference " + fd);
        }
      }
    }
    return points;
  }

  /** Values for every leaf of {@code types}: N(0, 0.6²) from {@code seed}, in flatten order. */
  static Tree<double[]> gaussian(Tree<TensorType> types, long seed) {
    java.util.Random rnd = new java.util.Random(seed);
    return types.map(t -> {
      double[] a = new double[(int) t.numElements()];
      for (int i = 0; i < a.length; i++) a[i] = 0.6 * rnd.nextGaussian();
      return a;
    });
  }

  /** {@code sum(y * w)} with w drawn from a seeded generator, in y's type. */
  static Tensor weighted(Tensor y) {
    Random rnd = new Random(y.shape().hashCode());
    double[] w = new double[(int) y.size()];
    for (int i = 0; i < w.length; i++) w[i] = 0.5 + rnd.nextDouble();
    Tensor wt = y.graph().constant(y.dtype(), w, y.shape().dims());
    return y.mul(wt).sum();
  }

  static Executable compile(Backend cpu, Graph g, List<Tensor> outs) {
    return cpu.compile(print(g, outs), CompileOptions.defaults());
  }

  static String print(Graph g, List<Tensor> outs) {
    return StableHloPrinter.print(g.build(outs.toArray(Tensor[]::new)), EmitOptions.unsharded());
  }

  static List<HostTensor> hosts(Tree<TensorType> types, Tree<double[]> data) {
    List<HostTensor> r = new ArrayList<>();
    for (String p : types.paths()) {
      TensorType t = types.get(p);
      r.add(HostTensor.ofDoubles(t.dtype(), t.shape(), data.get(p)));
    }
    return r;
  }
}
