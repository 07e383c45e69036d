package org.xla4j.emit;

import org.xla4j.sharding.ShardingFormat;

/**
 * How to print a module: which sharding dialect, and whether to attach source locations.
 *
 * <pre>{@code
 * String text = StableHloPrinter.print(module, EmitOptions.shardy().withLocations(true));
 * }</pre>
 */
public record EmitOptions(ShardingFormat sharding, boolean locations) {
  public EmitOptions {
    java.util.Objects.requireNonNull(sharding, "sharding");
  }

  /** Single-device text with shardings dropped (what the embedded CPU backend runs). */
  public static EmitOptions unsharded() { return new EmitOptions(ShardingFormat.NONE, false); }

  /** GSPMD ({@code mhlo.sharding}) annotations. */
  public static EmitOptions gspmd() { return new EmitOptions(ShardingFormat.GSPMD, false); }

  /** Shardy ({@code sdy}) annotations: the default for PJRT. */
  public static EmitOptions shardy() { return new EmitOptions(ShardingFormat.SHARDY, false); }

  public EmitOptions withLocations(boolean on) { return new EmitOptions(sharding, on); }

  public EmitOptions withSharding(ShardingFormat f) { return new EmitOptions(f, locations); }
}
