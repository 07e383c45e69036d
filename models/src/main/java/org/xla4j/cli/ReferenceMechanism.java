package org.xla4j.cli;

import org.xla4j.models.attention.Mechanism;

/** The mechanisms {@code attention compare --reference} can compute the f32 reference with. */
enum ReferenceMechanism {
  VANILLA(Mechanism.VANILLA),
  BLOCKWISE(Mechanism.BLOCKWISE);

  private final Mechanism mechanism;

  ReferenceMechanism(Mechanism m) {
    this.mechanism = m;
  }

  Mechanism mechanism() {
    return mechanism;
  }
}
