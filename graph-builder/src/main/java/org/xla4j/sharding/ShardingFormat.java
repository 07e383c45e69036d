package org.xla4j.sharding;

/** Which sharding dialect the printer writes. */
public enum ShardingFormat {
  /** Drop all sharding: the single-device program (the CPU backend needs this). */
  NONE,
  /** {@code mhlo.sharding = "{devices=[2,1]0,1}"} and {@code @Sharding} custom calls (XLA's GSPMD). */
  GSPMD,
  /** {@code sdy.mesh} / {@code #sdy.sharding} / {@code sdy.sharding_constraint} (JAX's default, Shardy). */
  SHARDY
}
