package org.xla4j.types;

import java.util.List;

/**
 * A StableHLO dialect version ({@code major.minor.patch}): what a compiler reads (a PJRT plugin reports
 * its current and minimum ones as attributes) and what the printer targets
 * ({@code EmitOptions.withTarget}). Ordered by major, then minor, then patch.
 *
 * <pre>{@code
 * StableHloVersion v = StableHloVersion.parse("1.9.3");
 * v.compareTo(StableHloVersion.of(1, 8, 0)) > 0;   // true
 * }</pre>
 */
public record StableHloVersion(int major, int minor, int patch) implements Comparable<StableHloVersion> {
  public StableHloVersion {
    if (major < 0 || minor < 0 || patch < 0) {
      throw new IllegalArgumentException("StableHLO version parts must be >= 0, got " + major + "." + minor + "." + patch);
    }
  }

  public static StableHloVersion of(int major, int minor, int patch) {
    return new StableHloVersion(major, minor, patch);
  }

  /**
   * Parses {@code "1.9.3"} (a missing minor or patch reads as 0).
   *
   * @throws IllegalArgumentException naming the text when it is not one to three dot-separated numbers
   */
  public static StableHloVersion parse(String text) {
    String[] parts = text == null ? new String[0] : text.strip().split("\\.", -1);
    if (parts.length < 1 || parts.length > 3) {
      throw new IllegalArgumentException("StableHLO version must look like 1.9.3, got '" + text + "'");
    }
    int[] v = new int[3];
    try {
      for (int i = 0; i < parts.length; i++) v[i] = Integer.parseInt(parts[i]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("StableHLO version must look like 1.9.3, got '" + text + "'", e);
    }
    return new StableHloVersion(v[0], v[1], v[2]);
  }

  /** From a list of one to three numbers, as a PJRT plugin reports it (an int64 list attribute). */
  public static StableHloVersion of(List<Long> parts) {
    if (parts.isEmpty() || parts.size() > 3) {
      throw new IllegalArgumentException("StableHLO version needs 1 to 3 numbers, got " + parts);
    }
    int[] v = new int[3];
    for (int i = 0; i < parts.size(); i++) v[i] = Math.toIntExact(parts.get(i));
    return new StableHloVersion(v[0], v[1], v[2]);
  }

  @Override
  public int compareTo(StableHloVersion o) {
    int c = Integer.compare(major, o.major);
    if (c == 0) c = Integer.compare(minor, o.minor);
    if (c == 0) c = Integer.compare(patch, o.patch);
    return c;
  }

  @Override
  public String toString() { return major + "." + minor + "." + patch; }
}
