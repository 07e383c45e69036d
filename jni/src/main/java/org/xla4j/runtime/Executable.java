package org.xla4j.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.xla4j.tree.Tree;
import org.xla4j.types.Signature;
import org.xla4j.types.TensorType;

/**
 * A compiled program. Execute with host tensors (copied in and out) or with device buffers (results
 * stay on the device, for chaining).
 *
 * <pre>{@code
 * List<HostTensor> out = exe.execute(List.of(x, w));
 * }</pre>
 *
 * <p>Optional capabilities have the same call on every backend: {@link #serialize()} throws
 * {@link UnsupportedOperationException} naming the backend where it has none; {@link #optimizedHlo()},
 * {@link #costAnalysis()} and {@link #compiledMemoryStats()} are empty there.
 */
public interface Executable extends AutoCloseable {
  /** Argument and result types of the program's {@code @main}. */
  Signature signature();

  /**
   * The arguments' names (tree paths), in argument order: the {@link org.xla4j.program.Program}'s, or
   * {@code arg0, arg1, ...} for external text.
   */
  List<String> argPaths();

  /** The results' names (tree paths), in result order: the Program's, or {@code out0, ...}. */
  List<String> resultPaths();

  /** The backend that compiled this executable. */
  Backend backend();

  /**
   * Runs the program on host tensors and returns host results.
   *
   * @throws IllegalArgumentException naming the argument when count, dtype or shape do not match
   */
  List<HostTensor> execute(List<HostTensor> args);

  default List<HostTensor> execute(HostTensor... args) {
    return execute(Arrays.asList(args));
  }

  /**
   * Runs the program on host tensors keyed by argument path and returns the results keyed by result
   * path.
   *
   * <pre>{@code
   * Tree<HostTensor> out = exe.executeTree(Tree.of(Map.of("x", x, "mlp/w", w)));
   * HostTensor y = out.get("y");
   * }</pre>
   *
   * @throws org.xla4j.tree.TreeException naming the first path that one side has and the other lacks
   */
  default Tree<HostTensor> executeTree(Tree<HostTensor> args) {
    return Tree.unflatten(resultPaths(), execute(inOrder(args, "executeTree")));
  }

  /**
   * Runs on device arrays keyed by argument path, donating the arguments named in {@code donate};
   * results stay on the devices, keyed by result path.
   *
   * <pre>{@code
   * Tree<DeviceArray> out = exe.executeShardedTree(state, Set.of("cache"));
   * }</pre>
   *
   * @throws org.xla4j.tree.TreeException naming the first path that one side has and the other lacks
   * @throws IllegalArgumentException naming a donated path that is not an argument
   */
  default Tree<DeviceArray> executeShardedTree(Tree<DeviceArray> args, Set<String> donate) {
    List<DeviceArray> in = inOrder(args, "executeShardedTree");
    Set<Integer> d = new java.util.TreeSet<>();
    for (String p : donate) {
      int i = argPaths().indexOf(p);
      if (i < 0) {
        throw new IllegalArgumentException("executeShardedTree: donated path '" + p + "' is not an argument; arguments: "
            + argPaths());
      }
      d.add(i);
    }
    return Tree.unflatten(resultPaths(), executeSharded(in, d));
  }

  /** The leaves of {@code args} in argument order, after checking its paths against {@link #argPaths()}. */
  private <T> List<T> inOrder(Tree<T> args, String what) {
    Tree.unflatten(argPaths(), signature().args()).requireSameStructure(args, what + ": arguments");
    List<T> out = new ArrayList<>(argPaths().size());
    for (String p : argPaths()) out.add(args.get(p));
    return out;
  }

  /** Runs the program on device buffers; results stay on the device. */
  List<DeviceBuffer> executeBuffers(List<DeviceBuffer> args);

  /**
   * Runs on device buffers, donating the arguments at the given indices: the runtime may reuse their
   * memory for results (where the program aliases them), and the Java buffers are unusable afterwards
   * on every backend, so code written against one backend behaves the same on another.
   *
   * <pre>{@code
   * List<DeviceBuffer> next = exe.executeBuffers(List.of(cache, token), Set.of(0));   // cache donated
   * }</pre>
   */
  List<DeviceBuffer> executeBuffers(List<DeviceBuffer> args, java.util.Set<Integer> donate);

  /**
   * Runs on device arrays, donating the arguments at {@code donate} (every shard of them); results
   * stay on the devices. This default serves programs that run on one device: every argument must
   * have exactly one shard, and each result is a one-device array. Backends that run programs on
   * several devices override it (shard {@code i} of every argument runs on the program's device
   * {@code i}).
   *
   * <pre>{@code
   * List<DeviceArray> out = exe.executeSharded(List.of(x, w), Set.of());
   * }</pre>
   *
   * @throws IllegalArgumentException naming the argument and its devices when it has more than one shard
   */
  default List<DeviceArray> executeSharded(List<DeviceArray> args, java.util.Set<Integer> donate) {
    checkDonation(donate, args.size());
    List<DeviceBuffer> in = new java.util.ArrayList<>(args.size());
    for (int i = 0; i < args.size(); i++) {
      DeviceArray a = args.get(i);
      if (a.shards().size() != 1) {
        throw new IllegalArgumentException("executeSharded: this program runs on one device, but argument " + i
            + " " + a + " has " + a.shards().size() + " shards on " + a.devices()
            + "; compile the program for that many devices");
      }
      if (a.isDeleted()) {
        throw new IllegalArgumentException("executeSharded: argument " + i + " " + a + " was closed or donated");
      }
      in.add(a.shards().get(0));
    }
    List<DeviceBuffer> out = executeBuffers(in, donate);
    List<DeviceArray> arrays = new java.util.ArrayList<>(out.size());
    for (DeviceBuffer b : out) arrays.add(DeviceArray.of(b.type(), org.xla4j.sharding.Sharding.replicated(), List.of(b)));
    return arrays;
  }

  /**
   * Starts a single-device execution on device buffers with explicit per-argument donation:
   * {@code exe.call().donated(cache).arg(token).execute()}.
   */
  default Call call() { return new Call(this); }

  /**
   * The compiler's own serialization of this program, which {@link Backend#load} takes back (inside an
   * {@link X4jArtifact}) on the same platform and compiler version.
   *
   * @throws UnsupportedOperationException where the backend cannot serialize (the embedded CPU backend)
   */
  default byte[] serialize() {
    throw unsupported("serialize compiled programs");
  }

  private UnsupportedOperationException unsupported(String what) {
    return new UnsupportedOperationException("the " + backend().platformName() + " backend ("
        + backend().platformVersion() + ") cannot " + what + "; compile on a PJRT backend "
        + "(Backends.open(\"pjrt[:/path/to/plugin.so]\")) for that");
  }

  /**
   * A {@code .x4j} artifact of this program ({@link #serialize()} plus its signature, shardings, program
   * hash, compile options and the platform it was compiled for), which {@link Backend#load} runs later,
   * in another process, on the same platform, compiler version and device kind.
   *
   * <pre>{@code
   * exe.toArtifact().write(Path.of("prog.x4j"));
   * }</pre>
   *
   * <p>The shardings written are those of what was compiled: a Program's own, or those external text
   * states (read once, at compile).
   *
   * @throws UnsupportedOperationException where the backend cannot serialize (the embedded CPU backend)
   */
  default X4jArtifact toArtifact() {
    throw unsupported("package compiled programs as .x4j artifacts");
  }

  /**
   * The HLO text XLA produced after its optimization passes (the module that runs, with fusions and
   * layouts; its entry computation is marked {@code ENTRY}). On PJRT it is printed from the plugin's
   * optimized program, without compiling again (a second compile with XLA's dump only where the plugin
   * lacks that call; the first line, a {@code //} comment, says which). Empty where the backend cannot
   * give it: the embedded CPU backend hands it out only through XLA's dump (see {@link CompileDump}).
   */
  default Optional<String> optimizedHlo() { return Optional.empty(); }

  /** XLA's cost estimate (flops, bytes accessed, ...), where the compiler reports one. */
  default Optional<CostAnalysis> costAnalysis() { return Optional.empty(); }

  /** The memory the compiled program needs (arguments, outputs, aliased, temp, code), where reported. */
  default Optional<CompiledMemoryStats> compiledMemoryStats() { return Optional.empty(); }

  /**
   * Writes the dump stages this executable knows into {@code dir} (program summary from its signature,
   * compile facts, optimized HLO, costs). For the full bundle with the program's text and graph, use
   * {@link CompileDump#write(java.nio.file.Path, org.xla4j.program.Program, CompileOptions, Executable)}.
   *
   * <pre>{@code
   * exe.dump(Path.of("dump"));
   * }</pre>
   *
   * @return the files written
   */
  default List<java.nio.file.Path> dump(java.nio.file.Path dir) { return CompileDump.write(dir, this); }

  /** Releases the compiled program; idempotent. */
  @Override
  void close();

  /** Checks donation indices against the argument count; shared by backends. */
  static void checkDonation(java.util.Set<Integer> donate, int numArgs) {
    for (int i : donate) {
      if (i < 0 || i >= numArgs) {
        throw new IllegalArgumentException("execute: donated argument index " + i + " is out of range for "
            + numArgs + " argument(s)");
      }
    }
  }

  /** Checks argument types against the signature; shared by backends so every one says the same. */
  static void checkArgs(Signature sig, List<TensorType> given) {
    if (given.size() != sig.args().size()) {
      throw new IllegalArgumentException("execute: the program's @main takes " + sig.args().size()
          + " argument(s) " + sig.args() + ", got " + given.size() + " " + given);
    }
    for (int i = 0; i < given.size(); i++) {
      if (!given.get(i).equals(sig.args().get(i))) {
        throw new IllegalArgumentException("execute: argument " + i + " requires " + sig.args().get(i)
            + ", got " + given.get(i));
      }
    }
  }
}
