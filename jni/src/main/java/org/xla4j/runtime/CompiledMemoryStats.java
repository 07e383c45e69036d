package org.xla4j.runtime;

/**
 * What a compiled program needs in memory, as the compiler sized it (XLA's CompiledMemoryStats), in
 * bytes. The device memory one execution needs is at least
 * {@code generatedCode + arguments + outputs - aliased + temp}; {@code aliased} is the argument memory
 * that results reuse (donated inputs the program writes in place). {@code host*} are the same sizes
 * for host memory. {@code peak} and {@code total} are -1 where the compiler does not report them.
 *
 * <pre>{@code
 * exe.compiledMemoryStats().ifPresent(m -> System.out.println(m.temp() + " bytes of scratch"));
 * }</pre>
 */
public record CompiledMemoryStats(
    long generatedCode,
    long arguments,
    long outputs,
    long aliased,
    long temp,
    long hostGeneratedCode,
    long hostArguments,
    long hostOutputs,
    long hostAliased,
    long hostTemp,
    long peak,
    long total) {

  /** Device bytes one execution needs by the formula above. */
  public long deviceBytesNeeded() {
    return generatedCode + arguments + outputs - aliased + temp;
  }
}
