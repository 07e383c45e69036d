package org.xla4j.models.train;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.ir.HloModule;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/**
 * A training step as one program, compiled once and called in a loop: arguments are the parameters, the
 * optimizer state (both donated, so each step updates them in place) and the batch; results are the
 * loss, the new parameters and the new state, which stay on the device for the next call.
 *
 * <pre>{@code
 * TrainStep step = TrainStep.build(paramTypes, batchTypes, (p, b) -> loss(p, b), new AdamW(1e-2, 0.9, 0.999, 1e-8, 0, 1));
 * try (TrainStep.Loop loop = step.start(backend, initialParams)) {
 *   for (int i = 0; i < 100; i++) System.out.println(loop.step(batch));
 * }
 * }</pre>
 */
public final class TrainStep {
  private final HloModule module;
  private final Tree<TensorType> paramTypes;
  private final Tree<TensorType> stateTypes;
  private final Tree<TensorType> batchTypes;

  private TrainStep(HloModule module, Tree<TensorType> paramTypes, Tree<TensorType> stateTypes,
      Tree<TensorType> batchTypes) {
    this.module = module;
    this.paramTypes = paramTypes;
    this.stateTypes = stateTypes;
    this.batchTypes = batchTypes;
  }

  /** The step program of {@code loss} (a float scalar of parameters and batch) with {@code opt}. */
  public static TrainStep build(Tree<TensorType> paramTypes, Tree<TensorType> batchTypes,
      BiFunction<Tree<Tensor>, Tree<Tensor>, Tensor> loss, AdamW opt) {
    Graph g = new Graph("train_step");
    Tree<Tensor> params = g.parameters(paramTypes);
    Tree<TensorType> stateTypes = opt.stateTypes(paramTypes);
    Tree<Tensor> state = g.parameters(stateTypes);
    Tree<Tensor> batch = g.parameters(batchTypes);
    Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(p -> loss.apply(p, batch)).apply(params);
    AdamW.Update u = opt.update(params, vg.grad(), state);
    List<Tensor> outs = new ArrayList<>();
    outs.add(vg.value());
    outs.addAll(u.params().leaves());
    outs.addAll(u.state().leaves());
    return new TrainStep(g.build(outs.toArray(Tensor[]::new)), paramTypes, stateTypes, batchTypes);
  }

  public HloModule module() { return module; }

  public String text() { return StableHloPrinter.print(module, EmitOptions.unsharded()); }

  /** Compiles the step and puts the initial parameters and a zero optimizer state on the device. */
  public Loop start(Backend backend, Tree<HostTensor> initialParams) {
    initialParams.requireSameStructure(paramTypes, "TrainStep.start: initial parameters vs parameter types");
    Executable exe = backend.compile(text(), CompileOptions.defaults());
    List<DeviceBuffer> resident = new ArrayList<>();
    for (HostTensor h : initialParams.leaves()) resident.add(backend.toDevice(h));
    for (TensorType t : stateTypes.leaves()) {
      resident.add(backend.toDevice(HostTensor.of(t.dtype(), t.shape(), new float[(int) t.numElements()])));
    }
    return new Loop(backend, exe, resident, paramTypes.size());
  }

  /** A running training loop: the compiled step with its parameters and state resident on the device. */
  public final class Loop implements AutoCloseable {
    private final Backend backend;
    private final Executable exe;
    private List<DeviceBuffer> resident;
    private final int nParams;
    private final Set<Integer> donate = new HashSet<>();

    private Loop(Backend backend, Executable exe, List<DeviceBuffer> resident, int nParams) {
      this.backend = backend;
      this.exe = exe;
      this.resident = resident;
      this.nParams = nParams;
      for (int i = 0; i < resident.size(); i++) donate.add(i);
    }

    /** Runs one step on {@code batch} (host tensors of the batch types' paths) and returns the loss. */
    public double step(Tree<HostTensor> batch) {
      batch.requireSameStructure(batchTypes, "TrainStep.step: batch vs batch types");
      List<DeviceBuffer> args = new ArrayList<>(resident);
      List<DeviceBuffer> batchBufs = new ArrayList<>();
      for (HostTensor h : batch.leaves()) batchBufs.add(backend.toDevice(h));
      args.addAll(batchBufs);
      List<DeviceBuffer> out = exe.executeBuffers(args, donate);
      batchBufs.forEach(DeviceBuffer::close);
      // donated buffers are consumed; close any the backend kept (closing is idempotent)
      resident.forEach(DeviceBuffer::close);
      resident = new ArrayList<>(out.subList(1, out.size()));
      DeviceBuffer loss = out.get(0);
      double v = loss.toHost().toDoubleArray()[0];
      loss.close();
      return v;
    }

    /** The current parameters, copied to the host. */
    public Tree<HostTensor> params() {
      List<HostTensor> h = new ArrayList<>();
      for (int i = 0; i < nParams; i++) h.add(resident.get(i).toHost());
      return Tree.unflatten(paramTypes.paths(), h);
    }

    @Override
    public void close() {
      resident.forEach(DeviceBuffer::close);
      exe.close();
    }
  }
}
