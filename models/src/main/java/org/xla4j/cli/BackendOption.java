package org.xla4j.cli;

import picocli.CommandLine.Option;

/**
 * {@code --backend cpu|pjrt[:PLUGIN]} defaulting to the CPU backend, mixed into the commands that run a model or
 * an attention program (exec and compile keep their own: exec's default depends on the file, compile takes PJRT
 * only). Example: {@code @Mixin BackendOption backend = new BackendOption(); Backends.open(backend.spec)}.
 */
final class BackendOption {
  @Option(names = "--backend", defaultValue = "cpu", paramLabel = "cpu|pjrt[:PLUGIN]",
      description = "Backend (default: ${DEFAULT-VALUE}).")
  String spec;
}
