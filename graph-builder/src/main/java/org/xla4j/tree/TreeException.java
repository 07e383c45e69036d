package org.xla4j.tree;

/** A tree's paths or structure are not what an operation requires; the message names the path. */
public final class TreeException extends IllegalArgumentException {
  public TreeException(String message) { super(message); }

  public TreeException(String message, Throwable cause) { super(message, cause); }
}
