package org.xla4j.runtime;

/**
 * A kind of {@link Backend}, found by {@link Backends#open(String)} through {@link java.util.ServiceLoader}.
 * Implementations are listed in {@code META-INF/services/org.xla4j.runtime.BackendProvider} and must
 * be cheap to construct: load native code only in {@link #open(String)}, so that listing providers
 * never drags in a runtime (TensorFlow, a PJRT plugin) that is not asked for.
 *
 * <pre>{@code
 * public final class MyProvider implements BackendProvider {
 *   public String name() { return "mine"; }
 *   public Backend open(String argument) { return new MyBackend(argument); }
 * }
 * }</pre>
 */
public interface BackendProvider {
  /** The name used in a backend spec, e.g. {@code cpu} or {@code pjrt}. */
  String name();

  /**
   * Opens a backend.
   *
   * @param argument what followed {@code name:} in the spec (e.g. a plugin path), or {@code null}
   */
  Backend open(String argument);
}
