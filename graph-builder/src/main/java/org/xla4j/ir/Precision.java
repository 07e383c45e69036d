package org.xla4j.ir;

/** {@code #stablehlo<precision ...>} for each dot operand. */
public enum Precision { DEFAULT, HIGH, HIGHEST }
