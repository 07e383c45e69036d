package org.xla4j.ir;

/** {@code #stablehlo<rng_algorithm ...>}: the bit generator; state is ui64[2] (THREE_FRY) or ui64[2|3] (PHILOX). */
public enum RngAlgorithm { DEFAULT, THREE_FRY, PHILOX }
