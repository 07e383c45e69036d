package org.xla4j.runtime;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Opens a {@link Backend} from a short spec: {@code cpu} (XLA CPU inside TensorFlow Java),
 * {@code pjrt} or {@code pjrt:/path/to/plugin.so} (a PJRT plugin). Backends are discovered with
 * {@link ServiceLoader}, so one whose jar is not on the classpath is simply not available.
 *
 * <pre>{@code
 * try (Backend b = Backends.open("cpu")) { ... }
 * Backends.available();    // e.g. [cpu, pjrt]
 * }</pre>
 */
public final class Backends {
  private Backends() {}

  /**
   * Opens the backend a spec names.
   *
   * @param spec {@code name} or {@code name:argument}
   * @throws IllegalArgumentException when no provider of that name is on the classpath; the message
   *     lists the ones that are
   */
  public static Backend open(String spec) {
    String s = spec == null ? "" : spec.strip();
    int colon = s.indexOf(':');
    String name = colon < 0 ? s : s.substring(0, colon);
    String argument = colon < 0 || colon == s.length() - 1 ? null : s.substring(colon + 1);
    List<String> names = new ArrayList<>();
    List<String> broken = new ArrayList<>();
    for (BackendProvider p : providers(broken)) {
      if (p.name().equalsIgnoreCase(name)) return p.open(argument);
      names.add(p.name());
    }
    throw new IllegalArgumentException("no backend named '" + name + "' (spec '" + spec + "'); available: "
        + names + (broken.isEmpty() ? "" : "; providers that failed to load: " + broken)
        + ". Specs look like 'cpu', 'pjrt' or 'pjrt:/path/to/plugin.so'.");
  }

  /** Names of the backends on the classpath. */
  public static List<String> available() {
    return providers(new ArrayList<>()).stream().map(BackendProvider::name).toList();
  }

  private static List<BackendProvider> providers(List<String> broken) {
    // both loaders: the context one sees plugins added at run time, ours sees our own jar
    Set<ClassLoader> loaders = new LinkedHashSet<>();
    if (Thread.currentThread().getContextClassLoader() != null) loaders.add(Thread.currentThread().getContextClassLoader());
    loaders.add(Backends.class.getClassLoader());
    Map<String, BackendProvider> out = new LinkedHashMap<>();
    for (ClassLoader cl : loaders) {
      Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class, cl).iterator();
      while (true) {
        try {
          if (!it.hasNext()) break;
          BackendProvider p = it.next();
          out.putIfAbsent(p.getClass().getName(), p);
        } catch (ServiceConfigurationError e) {
          // one broken provider (say, a missing native library) must not hide the others
          broken.add(e.getMessage());
        }
      }
    }
    return new ArrayList<>(out.values());
  }

  /** System property read by the CPU backend: see {@link #requestCpuXlaDump}. */
  public static final String CPU_XLA_DUMP_TO = "xla4j.cpu.xlaDumpTo";
  /** System property read by the CPU backend: see {@link #requestCpuXlaDump}. */
  public static final String CPU_XLA_DUMP_PASS_RE = "xla4j.cpu.xlaDumpPassRe";

  /**
   * Turns on XLA's own dump for every CPU compile of this process, into {@code dir} (the optimized HLO
   * of each compile is then read back from it, see {@code Executable.optimizedHlo()}), with the module
   * after each pass matching {@code passRegex} (null: none). TensorFlow reads XLA flags once, when it
   * loads, so this takes effect only before the first {@code open("cpu")} of the process; returns
   * whether it still could. PJRT takes the same per compile: {@code xla_dump_to},
   * {@code xla_dump_hlo_pass_re} in {@link CompileOptions#debugOptions()}.
   *
   * <pre>{@code
   * Backends.requestCpuXlaDump(Path.of("dump/xla"), "fusion|layout-assignment");
   * try (Backend cpu = Backends.open("cpu")) { ... }
   * }</pre>
   */
  public static boolean requestCpuXlaDump(java.nio.file.Path dir, String passRegex) {
    if (Boolean.getBoolean(CPU_FLAGS_FIXED)) return false;
    System.setProperty(CPU_XLA_DUMP_TO, dir.toAbsolutePath().toString());
    if (passRegex != null) System.setProperty(CPU_XLA_DUMP_PASS_RE, passRegex);
    else System.clearProperty(CPU_XLA_DUMP_PASS_RE);
    return true;
  }

  /** Set by the CPU backend when it has handed XLA_FLAGS to TensorFlow (after which they cannot change). */
  public static final String CPU_FLAGS_FIXED = "xla4j.cpu.xlaFlagsFixed";
}
