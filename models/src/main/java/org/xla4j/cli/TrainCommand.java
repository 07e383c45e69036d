package org.xla4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.xla4j.models.train.AdamW;
import org.xla4j.models.train.TinyModels;
import org.xla4j.models.train.TokenStream;
import org.xla4j.models.train.TrainStep;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xla4j train}: a small training loop on one fixed batch (it should be memorized, so the loss falls
 * towards zero): the step (forward, gradient, AdamW) is compiled once and called with the parameters and
 * optimizer state donated; prints the loss per step and writes the curve as an image.
 *
 * <pre>
 * ./xla4j train --model tiny-llama --steps 100 --lr 3e-3 --plot loss.png
 * </pre>
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a tiny model with AdamW on one random batch (or on --data); print the loss curve and plot it.")
final class TrainCommand implements Callable<Integer> {
  @Option(names = "--model", defaultValue = "tiny-mlp", description = "tiny-mlp, tiny-llama or tiny-grok "
      + "(default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--steps", defaultValue = "50") int steps;

  @Option(names = "--lr", defaultValue = "1e-2") double lr;

  @Option(names = "--weight-decay", defaultValue = "0") double weightDecay;

  @Option(names = "--clip", defaultValue = "1.0", description = "Gradient clipping by global norm (0: off).")
  double clip;

  @Option(names = "--seed", defaultValue = "0") long seed;

  @Option(names = "--batch", defaultValue = "2") int batch;

  @Option(names = "--seq", defaultValue = "16", description = "Tokens per sequence (tiny-mlp: examples = batch*seq).")
  int seq;

  @Option(names = "--plot", defaultValue = "train-loss.png", paramLabel = "FILE.png|FILE.svg",
      description = "Where the loss curve goes (default: ${DEFAULT-VALUE}).")
  Path plot;

  @Option(names = "--backend", defaultValue = "cpu", paramLabel = "cpu|pjrt[:PLUGIN]") String backend;

  @Option(names = "--data", paramLabel = "FILE.txt|FILE.safetensors",
      description = "Train the language models on this data instead of one random batch: text at the character level"
          + " (each distinct byte an id from 1; fewer distinct bytes than the vocabulary), or a .safetensors file with"
          + " a 1-D integer tensor 'tokens'. Step i takes the next --batch windows of --seq tokens.")
  Path data;

  @Override
  public Integer call() throws IOException {
    if (steps < 1) throw new IllegalArgumentException("--steps requires >= 1, got " + steps);
    TinyModels.Model m = TinyModels.get(model, batch, seq, seed);
    TokenStream stream = null;
    if (data != null) {
      if (!m.batchTypes().contains("tokens")) {
        throw new IllegalArgumentException("--data is for the language models (tiny-llama, tiny-grok), not " + m.name());
      }
      stream = TokenStream.read(data, m.vocabSize());
      stream.batch(0, batch, seq); // fails early when shorter than one window
      System.out.println("data: " + stream.source());
    }
    AdamW opt = new AdamW(lr, 0.9, 0.999, 1e-8, weightDecay, clip);
    long t0 = System.nanoTime();
    TrainStep step = TrainStep.build(m.paramTypes(), m.batchTypes(), m.loss(), opt);
    long params = m.paramTypes().leaves().stream().mapToLong(t -> t.numElements()).sum();
    double[] loss = new double[steps];
    try (Backend b = Backends.open(backend); TrainStep.Loop loop = step.start(b, m.init())) {
      System.out.printf(Locale.ROOT, "train %s: %,d parameters, batch %s, AdamW lr %g wd %g clip %g, on %s "
          + "(built and compiled in %.1f s)%n", m.name(), params, m.batchTypes().leaves(), lr, weightDecay, clip,
          b.platformName(), (System.nanoTime() - t0) / 1e9);
      long t1 = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        loss[i] = loop.step(stream == null ? m.batch()
            : org.xla4j.tree.Tree.of(java.util.Map.of("tokens", stream.batch(i, batch, seq))));
        System.out.printf(Locale.ROOT, "step %4d  loss %.6f%n", i + 1, loss[i]);
        if (!Double.isFinite(loss[i])) {
          System.out.println("loss is not finite; stopping");
          loss = java.util.Arrays.copyOf(loss, i + 1);
          break;
        }
      }
      System.out.printf(Locale.ROOT, "%d steps in %.2f s; loss %.6f -> %.6f%n", loss.length,
          (System.nanoTime() - t1) / 1e9, loss[0], loss[loss.length - 1]);
    }
    LossPlot.write(plot, "xla4j train " + m.name() + " (lr " + lr + ")", loss);
    System.out.println("loss curve: " + plot);
    return 0;
  }
}
