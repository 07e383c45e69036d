package org.xla4j.runtime;

import java.util.Map;
import java.util.OptionalDouble;

/**
 * XLA's cost estimate of a compiled program, as the compiler reports it: named properties such as
 * {@code flops}, {@code bytes accessed}, {@code transcendentals} or {@code optimal_seconds} (which
 * ones depends on the platform). Values are {@code Double}, {@code Long}, {@code String},
 * {@code Boolean} or {@code List<Long>}, as the compiler typed them.
 *
 * <pre>{@code
 * exe.costAnalysis().flatMap(c -> c.flops()).ifPresent(f -> System.out.printf("%.3g flops%n", f));
 * }</pre>
 */
public record CostAnalysis(Map<String, Object> properties) {
  public CostAnalysis {
    properties = Map.copyOf(properties);
  }

  /** Floating-point operations XLA counts for one execution, where reported. */
  public OptionalDouble flops() { return number("flops"); }

  /** Bytes read and written by one execution, where reported. */
  public OptionalDouble bytesAccessed() { return number("bytes accessed"); }

  /** A numeric property by name; empty when absent or not a number. */
  public OptionalDouble number(String name) {
    return properties.get(name) instanceof Number n ? OptionalDouble.of(n.doubleValue()) : OptionalDouble.empty();
  }
}
