package org.xla4j.program;

import org.xla4j.sharding.ShardingFormat;

/**
 * Which SPMD partitioner splits a program over its devices, and so which sharding dialect its text is
 * printed in.
 *
 * <pre>{@code
 * Program gspmd = program.withPartitioner(Partitioner.GSPMD);
 * }</pre>
 */
public enum Partitioner {
  /** One device: shardings are dropped from the text. */
  NONE(ShardingFormat.NONE),
  /** XLA's Shardy partitioner reading {@code sdy.*} annotations: the default for sharded programs, as in JAX. */
  SHARDY(ShardingFormat.SHARDY),
  /** XLA's GSPMD partitioner reading {@code mhlo.sharding} annotations. */
  GSPMD(ShardingFormat.GSPMD);

  private final ShardingFormat format;

  Partitioner(ShardingFormat format) { this.format = format; }

  /** The sharding dialect this partitioner reads. */
  public ShardingFormat format() { return format; }
}
