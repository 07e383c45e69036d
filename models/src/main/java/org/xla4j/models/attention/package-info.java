/**
 * Attention for xla4j programs: one entry point, {@link org.xla4j.models.attention.Attention#apply},
 * taking an {@link org.xla4j.models.attention.AttentionOptions} record (validated once) and dispatching
 * over a sealed set of implementations chosen by {@link org.xla4j.models.attention.Mechanism}:
 *
 * <table>
 *   <caption>mechanisms</caption>
 *   <tr><th>mechanism</th><th>what</th><th>memory</th><th>runs on</th></tr>
 *   <tr><td>VANILLA</td><td>full logits, f32 softmax; the reference; can return weights</td><td>O(B·H·Sq·Sk)</td><td>any</td></tr>
 *   <tr><td>BLOCKWISE</td><td>BPT online softmax, while loops over query/key chunks, causal chunks skipped</td>
 *       <td>O(B·H·qChunk·kChunk) + output</td><td>any</td></tr>
 *   <tr><td>CUDNN</td><td>XLA's cuDNN fused attention custom call</td><td>O(B·H·S·D)</td><td>CUDA</td></tr>
 *   <tr><td>DECODE</td><td>prefill or one step against a {@link org.xla4j.models.attention.KVMemory}</td>
 *       <td>O(B·H·Sq·max_len)</td><td>any</td></tr>
 *   <tr><td>RING</td><td>reserved (sequence-sharded)</td><td></td><td></td></tr>
 *   <tr><td>CUSTOM</td><td>a user {@link org.xla4j.models.attention.AttentionKernel}</td><td></td><td></td></tr>
 * </table>
 *
 * <p>Layout is BTNH; GQA by reshaping queries to [B, Hkv, G, S, D] (K/V never repeated); masks, bias,
 * segment ids, dropout key and cache come in {@link org.xla4j.models.attention.AttentionInputs}.
 * {@code xla4j attention compare} runs every mechanism a backend supports on the same inputs.
 */
package org.xla4j.models.attention;
