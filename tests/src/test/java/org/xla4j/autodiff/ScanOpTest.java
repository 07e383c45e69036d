package org.xla4j.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.graph.OpGraph;
import org.xla4j.graph.OpNode;
import org.xla4j.ir.Func;
import org.xla4j.ir.FunctionBuilder;
import org.xla4j.ir.HloModule;
import org.xla4j.ir.ModuleBuilder;
import org.xla4j.ir.Op;
import org.xla4j.ir.OpException;
import org.xla4j.ir.Operation;
import org.xla4j.ir.Value;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * The IR's {@link Op.Scan}: Lax.scan and Lax.foriLoop build it (not a while); it prints as a while that runs on
 * the CPU backend and gives what the former hand-written while lowering gave (f32, |a - b| <= 1e-6 * max(1, |b|):
 * the same ops in the same order); its VJP (recompute: re-run with stacked carries, then a reverse scan) against
 * central finite differences in f64 (h = 1e-6, |ad - fd| <= 1e-6 * max(1, |fd|)) for carries (float and integer),
 * xs, captures, scans nested two deep and a fori loop inside a cond branch; a stopGradient inside a step.
 */
class ScanOpTest {
  private static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  private static List<Op> mainOps(HloModule m) {
    Func main = m.functions().stream().filter(f -> f.name().equals("main")).findFirst().orElseThrow();
    return main.body().ops().stream().map(Operation::op).toList();
  }

  private static long count(List<Op> ops, Class<? extends Op> kind) {
    return ops.stream().filter(kind::isInstance).count();
  }

  private static Lax.ScanResult rnn(Tensor h0, Tensor xs, Tensor w) {
    return Lax.scan(List.of(h0), List.of(xs), (c, x) -> {
      Tensor h = c.get(0).matmul(w).add(x.get(0)).tanh();
      return new Lax.ScanResult(List.of(h), List.of(h.square()));
    });
  }

  /** A graph with a Lax.scan and a Lax.foriLoop, and their outputs. */
  private record TwoLoops(Graph g, Tensor[] outs) {}

  private static TwoLoops twoLoops(String name) {
    Graph g = new Graph(name);
    Tensor h0 = g.parameter("h0", TensorType.of(DType.F32, 2, 3));
    Tensor xs = g.parameter("xs", TensorType.of(DType.F32, 4, 2, 3));
    Tensor w = g.parameter("w", TensorType.of(DType.F32, 3, 3));
    Lax.ScanResult r = rnn(h0, xs, w);
    Tensor f = Lax.foriLoop(0, 3, h0, (i, c) -> c.mul(w.sum()));
    return new TwoLoops(g, new Tensor[] {r.carry().get(0), r.ys().get(0), f});
  }

  @Test
  void laxScanAndForiLoopBuildTheScanOpNotAWhile() {
    TwoLoops t = twoLoops("ir");
    List<Op> ops = mainOps(t.g().build(t.outs()));
    assertEquals(2, count(ops, Op.Scan.class), ops.toString());
    assertEquals(0, count(ops, Op.While.class), ops.toString());
    Op.Scan sc = (Op.Scan) ops.stream().filter(Op.Scan.class::isInstance).findFirst().orElseThrow();
    // the captured w is an explicit const of the scan, and the body is closed
    assertEquals(1, sc.consts().size());
    assertEquals(TensorType.of(DType.F32, 3, 3), sc.consts().get(0).type());
    assertEquals(4, sc.length());
    assertTrue(sc.body().isolated());
    // printed: one while per scan; the viewer reads them back as scans
    TwoLoops t2 = twoLoops("ir");
    String text = t2.g().program(t2.outs()).text();
    assertEquals(2, text.split("\"stablehlo.while\"", -1).length - 1, text);
    assertTrue(!text.contains("xla4j.scan\""), "no scan op name reaches the text: " + text);
    TwoLoops t3 = twoLoops("ir");
    OpGraph view = OpGraph.of(t3.g().program(t3.outs()));
    assertEquals(2, view.nodes().stream().map(OpNode::kind).filter("xla4j.scan"::equals).count(),
        view.nodes().stream().map(OpNode::kind).toList().toString());
  }

  @Test
  void underGradTheLoopStaysTheIrOpAndItsVjpIsScans() {
    Graph g = new Graph("grad_ir");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("h0", TensorType.of(DType.F32, 2, 3),
        "xs", TensorType.of(DType.F32, 4, 2, 3), "w", TensorType.of(DType.F32, 3, 3))));
    Tree<Tensor> grads = Autodiff.grad(t -> rnn(t.get("h0"), t.get("xs"), t.get("w")).ys().get(0).sum()).apply(p);
    List<Op> ops = mainOps(g.build(grads.leaves().toArray(Tensor[]::new)));
    // the forward, its re-run stacking carries, and the reverse scan
    assertEquals(3, count(ops, Op.Scan.class), ops.toString());
    assertEquals(0, count(ops, Op.While.class), ops.toString());
  }

  @Test
  void vjpOfFloatAndIntegerCarriesXsAndCapturesMatchesFiniteDifferences() {
    Tree<TensorType> types = Tree.of(Map.of("h0", TensorType.of(DType.F64, 3), "xs", TensorType.of(DType.F64, 5, 3),
        "w", TensorType.of(DType.F64, 3, 3), "b", TensorType.of(DType.F64, 3)));
    List<GradCheck.Point> pts = GradCheck.check(cpu, "scan op", types, GradCheck.gaussian(types, 11), p -> {
      Tensor w = p.get("w");
      Tensor b = p.get("b");
      Graph g = w.graph();
      Lax.ScanResult r = Lax.scan(List.of(p.get("h0"), g.scalar(0L, DType.I32)), List.of(p.get("xs")), (c, x) -> {
        Tensor k = c.get(1).astype(DType.F64).mul(0.25).add(1.0); // an integer carry enters the math
        Tensor h = c.get(0).expandDims(0).matmul(w).squeeze(0).add(x.get(0).mul(k)).sin();
        Tensor h2 = h.add(b.mul(h)).add(b.square());
        return new Lax.ScanResult(List.of(h2, c.get(1).add(1L)), List.of(h2.mul(x.get(0)), h.exp()));
      });
      return r.ys().get(0).add(r.ys().get(1)).sum(0).add(r.carry().get(0).mul(2.0));
    }, 1e-6, 1e-6, 64);
    assertEquals(3 + 15 + 9 + 3, pts.size());
  }

  /**
   * A stopGradient inside the step cuts its term's gradient: equal (f64, 1e-12) to the gradient of the same step
   * reading that term from the outer parameter, which the trace does not differentiate.
   */
  @Test
  void aStopGradientInsideTheStepCutsItsTerm() {
    Graph g = new Graph("stop");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("h0", TensorType.of(DType.F64, 3), "xs", TensorType.of(DType.F64, 4, 3),
        "b", TensorType.of(DType.F64, 3))));
    Tensor outerB = p.get("b");
    Tree<Tensor> stopped = Autodiff.grad(t -> stepWith(t, Autodiff.stopGradient(t.get("b").cos()))).apply(p);
    Tree<Tensor> split = Autodiff.grad(t -> stepWith(t, outerB.cos())).apply(p);
    List<Tensor> outs = new ArrayList<>(stopped.leaves());
    outs.addAll(split.leaves());
    Random rnd = new Random(23);
    List<HostTensor> in = new ArrayList<>();
    for (Tensor t : p.leaves()) {
      double[] d = new double[(int) t.type().numElements()];
      for (int i = 0; i < d.length; i++) d[i] = rnd.nextGaussian();
      in.add(HostTensor.ofDoubles(DType.F64, t.shape(), d));
    }
    try (var e = GradCheck.compile(cpu, g, outs)) {
      List<HostTensor> got = e.execute(in);
      int n = stopped.leaves().size();
      for (int k = 0; k < n; k++) {
        double[] a = got.get(k).toDoubleArray();
        double[] b = got.get(n + k).toDoubleArray();
        for (int i = 0; i < a.length; i++) {
          assertTrue(Math.abs(a[i] - b[i]) <= 1e-12 * Math.max(1, Math.abs(b[i])), stopped.paths().get(k) + "[" + i
              + "]: " + a[i] + " vs " + b[i]);
        }
      }
      // b still gets a gradient through its unstopped term
      assertTrue(java.util.Arrays.stream(got.get(stopped.paths().indexOf("b")).toDoubleArray()).anyMatch(v -> v != 0));
    }
  }

  private static Tensor stepWith(Tree<Tensor> t, Tensor scale) {
    Tensor b = t.get("b");
    Lax.ScanResult r = Lax.scan(List.of(t.get("h0")), List.of(t.get("xs")), (c, x) -> {
      Tensor h = c.get(0).mul(scale).add(x.get(0)).sin().add(b.square());
      return new Lax.ScanResult(List.of(h), List.of(h));
    });
    return r.ys().get(0).sum();
  }

  @Test
  void nestedScansReadingOuterCapturesTwoLevelsDownDifferentiate() {
    Tree<TensorType> types = Tree.of(Map.of("xs", TensorType.of(DType.F64, 3, 4, 2), "w", TensorType.of(DType.F64, 2, 2),
        "v", TensorType.of(DType.F64, 2)));
    List<GradCheck.Point> pts = GradCheck.check(cpu, "nested scan op", types, GradCheck.gaussian(types, 13), p -> {
      Tensor w = p.get("w");
      Tensor v = p.get("v");
      Lax.ScanResult outer = Lax.scan(List.of(v), List.of(p.get("xs")), (c, x) -> {
        Tensor scale = c.get(0).sum().cos(); // an outer-step value the inner step reads
        Lax.ScanResult inner = Lax.scan(List.of(c.get(0)), List.of(x.get(0)), (ci, row) -> {
          Tensor h = ci.get(0).expandDims(0).matmul(w).squeeze(0).add(row.get(0).mul(scale)).add(v).tanh();
          return new Lax.ScanResult(List.of(h), List.of(h));
        });
        return new Lax.ScanResult(inner.carry(), List.of(inner.ys().get(0).sum(0)));
      });
      return outer.ys().get(0).add(outer.carry().get(0).expandDims(0));
    }, 1e-6, 1e-6, 64);
    assertEquals(24 + 4 + 2, pts.size());
  }

  @Test
  void aForiLoopInsideACondBranchDifferentiates() {
    Tree<TensorType> types = Tree.of(Map.of("x", TensorType.of(DType.F64, 3), "w", TensorType.of(DType.F64, 3)));
    List<GradCheck.Point> pts = GradCheck.check(cpu, "fori in cond", types, GradCheck.gaussian(types, 17), p -> {
      Tensor x = p.get("x");
      Tensor w = p.get("w");
      return Lax.cond(x.sum().gt(-100.0), o -> List.of(Lax.foriLoop(0, 3, x, (i, c) -> c.mul(w).sin())),
          o -> List.of(x), List.of()).get(0);
    }, 1e-6, 1e-6, 64);
    assertEquals(6, pts.size());
  }

  @Test
  void printedScanRunsOnTheCpuAndEqualsTheFormerWhileLowering() {
    long n = 6;
    TensorType hT = TensorType.of(DType.F32, 2, 3);
    TensorType xT = TensorType.of(DType.F32, n, 2, 3);
    TensorType wT = TensorType.of(DType.F32, 3, 3);
    Graph a = new Graph("scan_op");
    Lax.ScanResult r = rnn(a.parameter("h0", hT), a.parameter("xs", xT), a.parameter("w", wT));
    Graph b = new Graph("hand_while");
    List<Tensor> old = formerLowering(b.parameter("h0", hT), b.parameter("xs", xT), b.parameter("w", wT), n);
    Random rnd = new Random(5);
    List<HostTensor> in = new ArrayList<>();
    for (TensorType t : List.of(hT, xT, wT)) {
      double[] d = new double[(int) t.numElements()];
      for (int i = 0; i < d.length; i++) d[i] = rnd.nextGaussian();
      in.add(HostTensor.ofDoubles(t.dtype(), t.shape(), d));
    }
    try (var ea = GradCheck.compile(cpu, a, List.of(r.carry().get(0), r.ys().get(0)));
        var eb = GradCheck.compile(cpu, b, old)) {
      List<HostTensor> ga = ea.execute(in);
      List<HostTensor> gb = eb.execute(in);
      for (int k = 0; k < 2; k++) {
        double[] x = ga.get(k).toDoubleArray();
        double[] y = gb.get(k).toDoubleArray();
        assertEquals(y.length, x.length);
        for (int i = 0; i < x.length; i++) {
          assertTrue(Math.abs(x[i] - y[i]) <= 1e-6 * Math.max(1, Math.abs(y[i])), "output " + k + "[" + i + "]: "
              + x[i] + " vs " + y[i]);
        }
      }
    }
  }

  /** The rnn as Lax.scan lowered it before the scan op: a counter, the carry and a ys buffer in a while. */
  private static List<Tensor> formerLowering(Tensor h0, Tensor xs, Tensor w, long n) {
    Graph g = h0.graph();
    List<Tensor> state = List.of(g.scalar(0L, DType.I32), h0, g.zeros(xs.type()));
    List<Tensor> out = Lax.whileLoop(state, s -> s.get(0).lt(n), s -> {
      Tensor i = s.get(0);
      Tensor x = xs.dynamicSlice(0, i, 1).squeeze(0);
      Tensor h = s.get(1).matmul(w).add(x).tanh();
      Tensor zero = g.scalar(0L, DType.I32);
      Tensor buf = s.get(2).dynamicUpdateSlice(h.square().expandDims(0), List.of(i, zero, zero));
      return List.of(i.add(1L), h, buf);
    });
    return out.subList(1, 3);
  }

  @Test
  void aScanWhoseBodyDisagreesWithItsOperandsIsRefusedNamingTheOp() {
    FunctionBuilder fb = new ModuleBuilder("bad").function("main");
    Value init = fb.arg(TensorType.of(DType.F32, 3));
    Value xs = fb.arg(TensorType.of(DType.F32, 4, 3));
    // the body takes a slice of xs of the wrong shape
    var body = fb.region(List.of(TensorType.of(DType.F32, 3), TensorType.of(DType.F32, 4)), true, vs -> List.of(vs.get(0)));
    OpException e = assertThrows(OpException.class, () -> fb.emit(new Op.Scan(List.of(init), List.of(xs), List.of(), 4,
        body)));
    assertTrue(e.getMessage().startsWith("xla4j.scan: requires body arguments"), e.getMessage());
    assertTrue(e.getMessage().contains("ScanOpTest.java"), e.getMessage());
    // the xs' leading length must be the scan's
    var ok = fb.region(List.of(TensorType.of(DType.F32, 3), TensorType.of(DType.F32, 3)), true, vs -> List.of(vs.get(0)));
    OpException len = assertThrows(OpException.class, () -> fb.emit(new Op.Scan(List.of(init), List.of(xs), List.of(),
        5, ok)));
    assertTrue(len.getMessage().contains("leading length 5"), len.getMessage());
    Graph g = new Graph("lax_bad");
    Tensor a = g.parameter("a", TensorType.of(DType.F32, 4, 2));
    Tensor c = g.parameter("c", TensorType.of(DType.F32, 5, 2));
    OpException lax = assertThrows(OpException.class, () -> Lax.scan(List.of(g.zeros(TensorType.of(DType.F32, 2))),
        List.of(a, c), (cc, x) -> new Lax.ScanResult(cc, List.of())));
    assertTrue(lax.getMessage().startsWith("scan: requires xs with one leading length"), lax.getMessage());
    assertTrue(Shape.of(4, 2).equals(a.shape()));
  }
}
