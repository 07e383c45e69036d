package org.xla4j.models.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/**
 * A training step as one program, compiled once and called in a loop: arguments are {@code params/...},
 * {@code state/...} (both donated: the program aliases them with the new values, so each step updates them in
 * place, as {@code jax.jit(step, donate_argnums=...)}) and {@code batch/...}; results are {@code loss},
 * {@code metrics/...}, the new {@code params/...} and {@code state/...}, which stay on the device for the next
 * call. The step is the loss's value and gradient ({@link Autodiff#valueAndGrad}) followed by {@link AdamW}.
 *
 * <pre>{@code
 * TrainStep step = TrainStep.build(paramTypes, batchTypes, (p, b) -> loss(p, b), new AdamW(1e-2, 0.9, 0.999, 1e-8, 0, 1));
 * try (TrainStep.Loop loop = step.start(backend, initialParams)) {
 *   for (int i = 0; i < 100; i++) System.out.println(loop.step(batch));
 * }
 * }</pre>
 */
public final class TrainStep {
  /** A loss and extra values computed beside it (not differentiated), e.g. a count of dropped tokens. */
  public record LossOut(Tensor loss, Tree<Tensor> metrics) {}

  private final Program program;
  private final Tree<TensorType> paramTypes;
  private final Tree<TensorType> stateTypes;
  private final Tree<TensorType> batchTypes;
  private final AdamW optimizer;

  private TrainStep(Program program, Tree<TensorType> paramTypes, Tree<TensorType> stateTypes,
      Tree<TensorType> batchTypes, AdamW optimizer) {
    this.program = program;
    this.paramTypes = paramTypes;
    this.stateTypes = stateTypes;
    this.batchTypes = batchTypes;
    this.optimizer = optimizer;
  }

  /** The step program of {@code loss} (a float scalar of parameters and batch) with {@code opt}. */
  public static TrainStep build(Tree<TensorType> paramTypes, Tree<TensorType> batchTypes,
      BiFunction<Tree<Tensor>, Tree<Tensor>, Tensor> loss, AdamW opt) {
    return buildWithMetrics(paramTypes, batchTypes, (p, b) -> new LossOut(loss.apply(p, b), Tree.empty()), opt);
  }

  /** As {@link #build}, with metrics the loss function computes beside the loss (results {@code metrics/...}). */
  public static TrainStep buildWithMetrics(Tree<TensorType> paramTypes, Tree<TensorType> batchTypes,
      BiFunction<Tree<Tensor>, Tree<Tensor>, LossOut> loss, AdamW opt) {
    if (paramTypes.isEmpty()) throw new IllegalArgumentException("TrainStep.build: requires at least one parameter");
    Tree<TensorType> stateTypes = opt.stateTypes(paramTypes);
    Graph g = new Graph("train_step");
    Tree<Tensor> args = g.parameters(Tree.<TensorType>builder().putAll("params", paramTypes)
        .putAll("state", stateTypes).putAll("batch", batchTypes).build());
    Tree<Tensor> params = args.subtree("params");
    Tree<Tensor> batch = args.subtree("batch");
    List<Tree<Tensor>> metrics = new ArrayList<>(1); // set by the traced forward, read after it
    Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(p -> {
      LossOut o = loss.apply(p, batch);
      metrics.add(o.metrics());
      return o.loss();
    }).apply(params);
    AdamW.Update u = opt.update(params, vg.grad(), args.subtree("state"));
    Tree.Builder<Tensor> out = Tree.<Tensor>builder().put("loss", vg.value());
    if (!metrics.get(0).isEmpty()) out.putAll("metrics", metrics.get(0));
    out.putAll("params", u.params()).putAll("state", u.state());
    List<String> donated = new ArrayList<>();
    for (String p : paramTypes.paths()) donated.add("params/" + p);
    for (String p : stateTypes.paths()) donated.add("state/" + p);
    Program prog = g.program(out.build()).withDonated(donated.toArray(String[]::new));
    return new TrainStep(prog, paramTypes, stateTypes, batchTypes, opt);
  }

  /** The step program (parameters and optimizer state donated). */
  public Program program() { return program; }

  public String text() { return program.text(); }

  public Tree<TensorType> paramTypes() { return paramTypes; }

  public Tree<TensorType> batchTypes() { return batchTypes; }

  /**
   * The program that starts training from {@code weights} (any float dtypes, the parameters' paths and shapes):
   * results {@code params/...} (the weights cast to the parameter types) and {@code state/...} (zeros), made on
   * the device, so the optimizer state never crosses the host.
   */
  public Program initProgram(Tree<TensorType> weightTypes) {
    weightTypes.requireSameStructure(paramTypes, "TrainStep.initProgram: weights vs parameter types");
    Graph g = new Graph("train_init");
    Tree<Tensor> w = g.parameters(weightTypes);
    Tree<Tensor> p = w.mapWithPath((path, x) -> {
      TensorType t = paramTypes.get(path);
      if (!java.util.Arrays.equals(x.type().shape().dims(), t.shape().dims())) {
        throw new IllegalArgumentException("TrainStep.initProgram: weight " + path + " is " + x.type() + ", the "
            + "parameter is " + t);
      }
      return x.astype(t.dtype());
    });
    Tree<Tensor> st = stateTypes.map(t -> g.zeros(t));
    return g.program(Tree.<Tensor>builder().putAll("params", p).putAll("state", st).build());
  }

  /** Compiles the step and puts the initial parameters and a zero optimizer state on the device. */
  public Loop start(Backend backend, Tree<HostTensor> initialParams) {
    initialParams.requireSameStructure(paramTypes, "TrainStep.start: initial parameters vs parameter types");
    List<DeviceBuffer> up = new ArrayList<>();
    try {
      for (HostTensor h : initialParams.leaves()) up.add(backend.toDevice(h));
      return start(backend, Tree.unflatten(initialParams.paths(), up), CompileOptions.defaults());
    } finally {
      up.forEach(DeviceBuffer::close);
    }
  }

  /**
   * Compiles the step, then makes the f32 parameters and zero state on the device from {@code weights} (left to
   * the caller, who may close them once this returns).
   */
  public Loop start(Backend backend, Tree<DeviceBuffer> weights, CompileOptions options) {
    weights.requireSameStructure(paramTypes, "TrainStep.start: weights vs parameter types");
    long t0 = System.nanoTime();
    Executable exe = backend.compile(program, options);
    double compileSeconds = (System.nanoTime() - t0) / 1e9;
    try (Executable init = backend.compile(initProgram(weights.map(DeviceBuffer::type)))) {
      List<DeviceBuffer> out = init.executeBuffers(weights.leaves());
      Tree<DeviceBuffer> made = Tree.unflatten(init.resultPaths(), out);
      return new Loop(backend, exe, made, compileSeconds);
    } catch (RuntimeException | Error e) {
      exe.close();
      throw e;
    }
  }

  /** What one step returned: the loss and the metrics, on the host. */
  public record StepOut(double loss, Tree<HostTensor> metrics) {}

  /** A running training loop: the compiled step with its parameters and state resident on the device. */
  public final class Loop implements AutoCloseable {
    private final Backend backend;
    private final Executable exe;
    private final double compileSeconds;
    private final Set<Integer> donate;
    private Tree<DeviceBuffer> resident; // params/... and state/...

    private Loop(Backend backend, Executable exe, Tree<DeviceBuffer> resident, double compileSeconds) {
      this.backend = backend;
      this.exe = exe;
      this.resident = resident;
      this.compileSeconds = compileSeconds;
      this.donate = Set.copyOf(program.donated());
    }

    /** Seconds {@link TrainStep#start} spent compiling the step (the CPU backend compiles at the first call). */
    public double compileSeconds() { return compileSeconds; }

    /** The compiled step (for dumps and cost figures). */
    public Executable executable() { return exe; }

    /** The optimizer this loop steps with. */
    public AdamW optimizer() { return optimizer; }

    /** Runs one step on {@code batch} (host tensors of the batch types' paths) and returns the loss. */
    public double step(Tree<HostTensor> batch) { return run(batch).loss(); }

    /** Runs one step on {@code batch}; returns the loss and the metrics (waits for the step to finish). */
    public StepOut run(Tree<HostTensor> batch) {
      batch.requireSameStructure(batchTypes, "TrainStep.step: batch vs batch types");
      List<DeviceBuffer> batchBufs = new ArrayList<>();
      try {
        for (HostTensor h : batch.leaves()) batchBufs.add(backend.toDevice(h));
        Tree<DeviceBuffer> bt = Tree.unflatten(batch.paths(), batchBufs);
        List<DeviceBuffer> args = new ArrayList<>();
        for (String p : program.argPaths()) {
          args.add(p.startsWith("batch/") ? bt.get(p.substring(6)) : resident.get(p));
        }
        List<DeviceBuffer> out = exe.executeBuffers(args, donate);
        // donated buffers are consumed; close any the backend kept (closing is idempotent)
        resident.leaves().forEach(DeviceBuffer::close);
        Tree<DeviceBuffer> results = Tree.unflatten(program.resultPaths(), out);
        resident = results.filter(p -> p.startsWith("params/") || p.startsWith("state/"));
        DeviceBuffer loss = results.get("loss");
        double v = loss.toHost().toDoubleArray()[0];
        loss.close();
        Tree<DeviceBuffer> m = results.filter(p -> p.startsWith("metrics/"));
        List<HostTensor> mh = new ArrayList<>();
        for (DeviceBuffer b : m.leaves()) {
          mh.add(b.toHost());
          b.close();
        }
        List<String> names = m.paths().stream().map(p -> p.substring("metrics/".length())).toList();
        return new StepOut(v, Tree.unflatten(names, mh));
      } finally {
        batchBufs.forEach(DeviceBuffer::close);
      }
    }

    /** The current parameters, copied to the host. */
    public Tree<HostTensor> params() {
      return resident.subtree("params").map(DeviceBuffer::toHost);
    }

    @Override
    public void close() {
      resident.leaves().forEach(DeviceBuffer::close);
      exe.close();
    }
  }
}
