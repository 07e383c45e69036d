package org.xla4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.testsupport.StdStreams;
import org.xla4j.cli.Main;

/** {@code xla4j train} end to end on the CPU: the loss falls on the memorized batch and the plot is written. */
class TrainCommandTest {
  @TempDir
  Path dir;

  private static List<Double> losses(String text) {
    List<Double> l = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("step ")) l.add(Double.parseDouble(line.substring(line.indexOf("loss") + 4).trim()));
    }
    return l;
  }

  @Test
  void tinyMlpLossFallsAndThePngIsWritten() throws Exception {
    Path png = dir.resolve("loss.png");
    String text = StdStreams.out(() -> assertEquals(0, Main.run("train", "--model", "tiny-mlp", "--steps", "120", "--lr",
        "3e-2", "--seed", "2", "--plot", png.toString())));
    List<Double> l = losses(text);
    assertEquals(120, l.size(), text);
    assertTrue(l.get(0) > 1 && l.get(119) < 0.05, "memorizing one batch: " + l.get(0) + " -> " + l.get(119));
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(640, img.getWidth());
    assertEquals(400, img.getHeight());
  }

  @Test
  void tinyLlamaTrainsThroughItsForwardAndWritesAnSvg() throws Exception {
    Path svg = dir.resolve("loss.svg");
    String text = StdStreams.out(() -> assertEquals(0, Main.run("train", "--model", "tiny-llama", "--steps", "12", "--lr",
        "3e-3", "--batch", "1", "--seq", "12", "--plot", svg.toString())));
    List<Double> l = losses(text);
    assertEquals(12, l.size(), text);
    // random init: about ln(64) = 4.16 or more at first; one memorized sequence falls fast
    assertTrue(l.get(0) > 3 && l.get(11) < 0.6 * l.get(0), "loss " + l);
    String s = Files.readString(svg);
    assertTrue(s.startsWith("<svg") && s.contains("<polyline"), s);
  }

  @Test
  void anUnknownModelIsAUsageError() {
    assertEquals(2, Main.run("train", "--model", "gpt-9", "--plot", dir.resolve("x.png").toString()));
  }
}
