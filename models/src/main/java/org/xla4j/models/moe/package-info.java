/**
 * Mixture-of-Experts layers: one entry point ({@link org.xla4j.models.moe.Moe#apply}) taking an options record
 * and dispatching over a sealed set of implementations ({@link org.xla4j.models.moe.MoeImplementation}: DENSE,
 * the reference; DROPLESS; CAPACITY; FEW_TOKENS), with Grok-1's or Mixtral's router and the load-balancing loss.
 */
package org.xla4j.models.moe;
