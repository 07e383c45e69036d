package org.xla4j.cli;

import org.xla4j.runtime.DeviceCountException;

/**
 * The one-line message the CLI prints for a failed command: the exception's own message, advice in CLI
 * terms (options, not Java calls) where the library's message speaks to API users, and never a bare
 * {@code null}.
 */
final class CliErrors {
  private CliErrors() {}

  static String message(Throwable ex) {
    if (ex instanceof DeviceCountException d) {
      return "the " + d.platform() + " backend has " + d.devices() + " device(s) and this module asks for "
          + d.replicas() + " replica(s) x " + d.partitions() + " partition(s) (a sharded module); run it with "
          + "--backend pjrt[:PLUGIN] on a machine with that many devices, or export the module unsharded "
          + "(num_partitions = 1) for the CPU backend";
    }
    String m = ex.getMessage();
    if (m != null && !m.isBlank()) return m;
    // an exception without a message (NullPointerException, ...): say what it was, not "null"
    Throwable cause = ex.getCause();
    String why = cause != null && cause != ex ? "; caused by " + message(cause) : "";
    return "internal error " + ex.getClass().getName() + why + " (rerun with XLA4J_VERBOSE=1 for the stack trace)";
  }
}
