package org.xla4j.runtime;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.xla4j.types.Signature;

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
   * exe.toArtifact(moduleText).write(Path.of("prog.x4j"));
   * }</pre>
   *
   * @param moduleText the StableHLO text this program was compiled from (its hash and @main's sharding
   *     attributes go into the artifact)
   * @throws UnsupportedOperationException where the backend cannot serialize (the embedded CPU backend)
   */
  default X4jArtifact toArtifact(String moduleText) {
    throw unsupported("package compiled programs as .x4j artifacts");
  }

  /**
   * The HLO text XLA produced after its optimization passes (the module that runs, with fusions and
   * layouts; its entry computation is marked {@code ENTRY}). Empty where the backend cannot give it:
   * the embedded CPU backend compiles inside TensorFlow, which does not hand the text out, and a
   * program loaded from an artifact has no source to optimize again.
   */
  default Optional<String> optimizedHlo() { return Optional.empty(); }

  /** XLA's cost estimate (flops, bytes accessed, ...), where the compiler reports one. */
  default Optional<CostAnalysis> costAnalysis() { return Optional.empty(); }

  /** The memory the compiled program needs (arguments, outputs, aliased, temp, code), where reported. */
  default Optional<CompiledMemoryStats> compiledMemoryStats() { return Optional.empty(); }

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
  static void checkArgs(Signature sig, List<org.xla4j.types.TensorType> given) {
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
