package org.xla4j.emit;

import java.util.Optional;
import org.xla4j.sharding.ShardingFormat;
import org.xla4j.types.StableHloVersion;

/**
 * How to print a module: which sharding dialect, whether to attach source locations, and which
 * StableHLO version the reading compiler speaks ({@code target}; null when unknown). The printer's
 * generic op form is read by both compilers we ship with (TF 2.18's XLA CPU and the GPU plugin), so no
 * syntax depends on the target yet; it is recorded here so that version-sensitive syntax has one place
 * to ask.
 *
 * <pre>{@code
 * String text = StableHloPrinter.print(module, EmitOptions.shardy().withLocations(true));
 * EmitOptions o = EmitOptions.shardy().withTarget(backend.stablehloVersion().orElse(null));
 * }</pre>
 */
public record EmitOptions(ShardingFormat sharding, boolean locations, StableHloVersion target) {
  public EmitOptions {
    java.util.Objects.requireNonNull(sharding, "sharding");
  }

  /** No known target version. */
  public EmitOptions(ShardingFormat sharding, boolean locations) {
    this(sharding, locations, null);
  }

  /** The StableHLO version the reading compiler speaks, where known. */
  public Optional<StableHloVersion> targetVersion() { return Optional.ofNullable(target); }

  /** The same options for a compiler that reads StableHLO {@code version} (null: unknown). */
  public EmitOptions withTarget(StableHloVersion version) { return new EmitOptions(sharding, locations, version); }

  /** Single-device text with shardings dropped (what the embedded CPU backend runs). */
  public static EmitOptions unsharded() { return new EmitOptions(ShardingFormat.NONE, false); }

  /** GSPMD ({@code mhlo.sharding}) annotations. */
  public static EmitOptions gspmd() { return new EmitOptions(ShardingFormat.GSPMD, false); }

  /** Shardy ({@code sdy}) annotations: the default for PJRT. */
  public static EmitOptions shardy() { return new EmitOptions(ShardingFormat.SHARDY, false); }

  public EmitOptions withLocations(boolean on) { return new EmitOptions(sharding, on, target); }

  public EmitOptions withSharding(ShardingFormat f) { return new EmitOptions(f, locations, target); }
}
