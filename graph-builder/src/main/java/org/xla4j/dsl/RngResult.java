package org.xla4j.dsl;

/**
 * A random draw and the generator state to use for the next one (rng_bit_generator is a pure
 * function of its state, so reusing a state repeats the numbers).
 *
 * <pre>{@code
 * RngResult r = Rng.uniform(key, DType.F32, 4, 4);
 * Tensor u = r.value();
 * key = r.state();
 * }</pre>
 */
public record RngResult(Tensor state, Tensor value) {}
