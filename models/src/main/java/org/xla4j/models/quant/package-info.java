/**
 * Weights stored plain or as Grok-1's QuantizedWeight8bit (int8 values with bf16 scales per output channel or
 * per block of input features), and the bias-free linear layer over both, dequantizing first or scaling after.
 */
package org.xla4j.models.quant;
