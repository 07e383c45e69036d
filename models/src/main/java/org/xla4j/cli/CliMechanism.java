package org.xla4j.cli;

import org.xla4j.models.attention.Mechanism;

/**
 * The attention mechanisms the CLI can run, so that the choices picocli lists are exactly those that can
 * work: {@link Mechanism#RING} is not implemented and {@link Mechanism#CUSTOM} needs a Java kernel.
 */
enum CliMechanism {
  VANILLA(Mechanism.VANILLA),
  BLOCKWISE(Mechanism.BLOCKWISE),
  CUDNN(Mechanism.CUDNN),
  DECODE(Mechanism.DECODE);

  private final Mechanism mechanism;

  CliMechanism(Mechanism m) {
    this.mechanism = m;
  }

  Mechanism mechanism() {
    return mechanism;
  }
}
