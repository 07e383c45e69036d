package org.xla4j.runtime;

/**
 * A compile asks for more devices (replicas x partitions) than the backend has, e.g. a sharded module on
 * the single-device CPU backend. Callers that know their user (the CLI) turn the counts into advice in
 * their own terms.
 *
 * <pre>
 * try { cpu.compile(shardedText, options); }
 * catch (DeviceCountException e) { ... e.partitions() ... }
 * </pre>
 */
public class DeviceCountException extends UnsupportedOperationException {
  private final String platform;
  private final int replicas;
  private final int partitions;
  private final int devices;

  public DeviceCountException(String platform, int replicas, int partitions, int devices, String message) {
    super(message);
    this.platform = platform;
    this.replicas = replicas;
    this.partitions = partitions;
    this.devices = devices;
  }

  /** The backend's platform name ({@code cpu}, {@code cuda}, ...). */
  public String platform() { return platform; }

  /** Replicas the compile asked for. */
  public int replicas() { return replicas; }

  /** SPMD partitions the compile asked for. */
  public int partitions() { return partitions; }

  /** Devices the backend has. */
  public int devices() { return devices; }
}
