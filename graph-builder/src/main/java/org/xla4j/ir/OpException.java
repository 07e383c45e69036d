package org.xla4j.ir;

/**
 * An op was built with operands or attributes it cannot take. The message starts with the op name,
 * says what it requires and what it got, and ends with the user's call site.
 */
public class OpException extends IllegalArgumentException {
  private final String opName;
  private final transient Location location;

  public OpException(String opName, String detail, Location location) {
    super(opName + ": " + detail + (location == null || location.toString().isEmpty() ? "" : " (" + location + ")"));
    this.opName = opName;
    this.location = location;
  }

  public String opName() { return opName; }

  public Location location() { return location; }
}
