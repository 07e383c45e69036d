package org.xla4j.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * One execution of a single-device program on device buffers, built argument by argument with
 * explicit donation. A donated argument's memory may be reused for a result; on every backend the Java
 * buffer is unusable afterwards. Results stay on the device. Start one with {@link Executable#call()}.
 *
 * <pre>{@code
 * List<DeviceBuffer> next = step.call().donated(cache).arg(token).execute();
 * }</pre>
 */
public final class Call {
  private final Executable executable;
  private final List<DeviceBuffer> args = new ArrayList<>();
  private final Set<Integer> donate = new TreeSet<>();

  Call(Executable executable) {
    this.executable = Objects.requireNonNull(executable, "executable");
  }

  /** Appends an argument (kept: not donated). */
  public Call arg(DeviceBuffer b) {
    args.add(Objects.requireNonNull(b, "argument " + args.size()));
    return this;
  }

  /** Appends an argument and donates it. */
  public Call donated(DeviceBuffer b) {
    donate.add(args.size());
    return arg(b);
  }

  /** Donates the arguments at these indices (checked against the argument count at {@link #execute()}). */
  public Call donate(int... indices) {
    for (int i : indices) {
      if (i < 0) throw new IllegalArgumentException("donate: negative argument index " + i);
      donate.add(i);
    }
    return this;
  }

  /**
   * Launches; results stay on the device.
   *
   * @throws IllegalArgumentException when a donated index names no argument, or types do not match
   */
  public List<DeviceBuffer> execute() {
    for (int i : donate) {
      if (i >= args.size()) {
        throw new IllegalArgumentException("donate: argument " + i + " does not exist; " + args.size()
            + " argument(s) given");
      }
    }
    return executable.executeBuffers(List.copyOf(args), Set.copyOf(donate));
  }
}
