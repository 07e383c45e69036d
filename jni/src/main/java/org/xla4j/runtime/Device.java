package org.xla4j.runtime;

/**
 * One addressable device of a backend.
 *
 * @param id the device id used in device assignments
 * @param kind the device kind as reported (e.g. {@code cpu}, {@code NVIDIA H100 80GB HBM3})
 * @param processIndex the process that owns the device (0 for single-process use)
 */
public record Device(int id, String kind, int processIndex) {
  @Override
  public String toString() { return kind + ":" + id; }
}
