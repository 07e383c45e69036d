/**
 * Checkpoints as parameter trees: {@link org.xla4j.checkpoint.CheckpointMap} (name patterns to tree
 * paths, with transpose and per-expert stacking, as data) turns an open
 * {@link org.xla4j.runtime.SafetensorsReader} into a {@code Tree<CheckpointTensor>} of lazily read
 * leaves, uploaded straight from the file mapping.
 */
package org.xla4j.checkpoint;
